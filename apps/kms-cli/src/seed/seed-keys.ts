import type { AliasListEntry, ImportType, KeyMetadata, KMSClient, RotationsListEntry } from '@aws-sdk/client-kms';
import { computeKeyMaterialId, wrapKeyMaterial } from '@keyledger/crypto';
import { shortId } from '../audit/event-summary';
import { CliError } from '../cli-error';
import { describeCallError, loadKmsSdk, type KmsSdk } from './kms-sdk';
import { loadKeyMaterial } from './key-material';
import type { LoadedSeedFile, MaterialSource, SeedKeySpec } from './seed-file';
import { chooseWrapping, type WrappingChoice } from './wrapping-choice';

export interface SeedTarget {
  endpoint: string;
  region: string;
  accessKeyId: string;
  /** The access key's secret; default $AWS_SECRET_ACCESS_KEY, else `test`. */
  secretAccessKey?: string;
  sessionToken?: string;
}

/**
 * created: new key; imported: an existing key had no usable material and got it back; updated: an existing key's
 * aliases, tags, enabled state or rotation were brought in line with the file; unchanged: already seeded.
 */
export type SeedAction = 'created' | 'imported' | 'updated' | 'unchanged';

export interface SeededKey {
  action: SeedAction;
  description: string;
  keyId: string;
  arn: string;
  origin: string;
  keySpec: string;
  keyUsage: string;
  /**
   * The key's current material: the id Keyledger gives the file's material in this key (computeKeyMaterialId; after
   * rotateOnDemand, the rotation material's), or the generated material's for AWS_KMS symmetric keys. Absent for
   * AWS_KMS asymmetric and HMAC keys, whose material has no id on the API.
   */
  keyMaterialId?: string;
  /** EXTERNAL keys: the expiry of the key's material as the service reports it. */
  expirationModel?: string;
  validTo?: string;
  /** The key's state after the run (Enabled, or Disabled for `"enabled": false`). */
  keyState: string;
  /** The file's aliases and tags for the key, which it now has (other aliases and tags of the key are left alone). */
  aliases: string[];
  tags: Record<string, string>;
  /** What this run changed besides creating the key and importing its material (empty when nothing). */
  changes: string[];
}

/** One material of a seed entry, read and checked, with how it will be wrapped. */
interface PreparedMaterial {
  bytes: Buffer;
  wrapping: WrappingChoice;
}

interface PreparedKey {
  spec: SeedKeySpec;
  where: string;
  /** EXTERNAL keys. */
  material?: PreparedMaterial;
  /** EXTERNAL keys with rotateOnDemand: the material to rotate to. */
  rotationMaterial?: PreparedMaterial;
}

const isAwsError = (error: unknown, name: string) => (error as { name?: string })?.name === name;

class Seeder {
  /** Every alias of the account and region by name (its target key id), read once when first needed. */
  private aliases?: Map<string, string | undefined>;

  constructor(
    private readonly sdk: KmsSdk,
    private readonly kms: KMSClient,
    private readonly endpoint: string,
  ) {}

  private async call<T>(operation: string, where: string, send: () => Promise<T>): Promise<T> {
    try {
      return await send();
    } catch (error) {
      throw new CliError(`${where}: ${describeCallError(operation, this.endpoint, error)}`);
    }
  }

  /** Every key of the account and region that is not pending deletion, by description. */
  async keysByDescription(): Promise<Map<string, KeyMetadata[]>> {
    const byDescription = new Map<string, KeyMetadata[]>();
    let marker: string | undefined;
    do {
      const page = await this.call('ListKeys', 'existing keys', () => this.kms.send(new this.sdk.ListKeysCommand({ Marker: marker })));
      for (const { KeyId } of page.Keys ?? []) {
        const { KeyMetadata: metadata } = await this.call('DescribeKey', 'existing keys', () =>
          this.kms.send(new this.sdk.DescribeKeyCommand({ KeyId })),
        );
        if (!metadata || metadata.KeyState === 'PendingDeletion') continue;
        const description = metadata.Description ?? '';
        byDescription.set(description, [...(byDescription.get(description) ?? []), metadata]);
      }
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    return byDescription;
  }

  async describe(keyId: string, where: string): Promise<KeyMetadata> {
    return (await this.call('DescribeKey', where, () => this.kms.send(new this.sdk.DescribeKeyCommand({ KeyId: keyId })))).KeyMetadata!;
  }

  async create({ spec, where }: PreparedKey): Promise<KeyMetadata> {
    const { KeyMetadata: metadata } = await this.call('CreateKey', where, () =>
      this.kms.send(new this.sdk.CreateKeyCommand({ Origin: spec.origin, Description: spec.description, KeySpec: spec.keySpec, KeyUsage: spec.keyUsage })),
    );
    return metadata!;
  }

  /**
   * GetParametersForImport, wrap locally (libs/crypto's client side of the import, node:crypto), ImportKeyMaterial;
   * returns the material id the service reports. Without `importType` the service decides (first import: new
   * material; later: the same material again).
   */
  async importMaterial({ spec, where }: PreparedKey, keyId: string, material: PreparedMaterial, importType?: ImportType): Promise<string> {
    const { wrapping, bytes } = material;
    const params = await this.call('GetParametersForImport', where, () =>
      this.kms.send(
        new this.sdk.GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: wrapping.algorithm, WrappingKeySpec: wrapping.wrappingKeySpec }),
      ),
    );
    const imported = await this.call('ImportKeyMaterial', where, () =>
      this.kms.send(
        new this.sdk.ImportKeyMaterialCommand({
          KeyId: keyId,
          ImportToken: params.ImportToken,
          EncryptedKeyMaterial: wrapKeyMaterial(wrapping.algorithm, Buffer.from(params.PublicKey!), bytes),
          ExpirationModel: spec.expirationModel,
          ValidTo: spec.validTo,
          ...(importType && { ImportType: importType }),
        }),
      ),
    );
    return imported.KeyMaterialId ?? computeKeyMaterialId(keyId, bytes);
  }

  /** Every material of a symmetric key (ListKeyRotations, ALL_KEY_MATERIAL), first material first. */
  async materials(keyId: string, where: string): Promise<RotationsListEntry[]> {
    const entries: RotationsListEntry[] = [];
    let marker: string | undefined;
    do {
      const page = await this.call('ListKeyRotations', where, () =>
        this.kms.send(new this.sdk.ListKeyRotationsCommand({ KeyId: keyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL', Marker: marker })),
      );
      entries.push(...(page.Rotations ?? []));
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    return entries;
  }

  /**
   * EXTERNAL keys: makes the service hold the file's material. Imports the first material into a key that never
   * had any, and imports again whatever of the file's material was deleted or expired. Returns whether it imported.
   */
  async ensureMaterial(key: PreparedKey, metadata: KeyMetadata): Promise<boolean> {
    const { where } = key;
    const keyId = metadata.KeyId!;
    if (metadata.KeyState !== 'PendingImport') return false;
    if (metadata.CurrentKeyMaterialId === undefined || !key.rotationMaterial) {
      // Never imported (or asymmetric/HMAC, whose material has no id on the API), or one material only.
      await this.importMaterial(key, keyId, key.material!);
      return true;
    }
    const known = new Map([
      [computeKeyMaterialId(keyId, key.material!.bytes), key.material!],
      [computeKeyMaterialId(keyId, key.rotationMaterial.bytes), key.rotationMaterial],
    ]);
    for (const entry of await this.materials(keyId, where)) {
      if (entry.ImportState !== 'PENDING_IMPORT') continue;
      const material = known.get(entry.KeyMaterialId!);
      if (!material) throw new CliError(`${where}: key ${keyId} lacks key material ${entry.KeyMaterialId}, which is not in the seed file; seed cannot import it.`);
      await this.importMaterial(key, keyId, material, 'EXISTING_KEY_MATERIAL');
    }
    return true;
  }

  /** The key must be Enabled to rotate: a disabled key is enabled first (the enabled step disables it again). */
  private async rotate(key: PreparedKey, keyId: string, changes: string[]): Promise<void> {
    const { where } = key;
    const before = await this.describe(keyId, where);
    if (before.KeyState === 'Disabled') {
      await this.call('EnableKey', where, () => this.kms.send(new this.sdk.EnableKeyCommand({ KeyId: keyId })));
      changes.push('enabled to rotate');
    }
    await this.call('RotateKeyOnDemand', where, () => this.kms.send(new this.sdk.RotateKeyOnDemandCommand({ KeyId: keyId })));
    const after = await this.describe(keyId, where);
    changes.push(`rotated on demand to ${shortId(after.CurrentKeyMaterialId)} (was ${shortId(before.CurrentKeyMaterialId)})`);
  }

  /**
   * rotateOnDemand: the key has been rotated on demand. AWS_KMS keys: once, unless ListKeyRotations already lists
   * an on-demand rotation. EXTERNAL keys: until the rotation material is current, importing it as
   * NEW_KEY_MATERIAL unless it is already pending rotation.
   */
  async ensureRotated(key: PreparedKey, keyId: string, changes: string[]): Promise<void> {
    const { spec, where } = key;
    const materials = await this.materials(keyId, where);
    if (spec.origin === 'AWS_KMS') {
      if (!materials.some((m) => m.RotationType === 'ON_DEMAND')) await this.rotate(key, keyId, changes);
      return;
    }
    const rotationId = computeKeyMaterialId(keyId, key.rotationMaterial!.bytes);
    if (materials.some((m) => m.KeyMaterialId === rotationId && m.KeyMaterialState === 'CURRENT')) return;
    const pending = materials.find((m) => m.KeyMaterialState === 'PENDING_ROTATION');
    if (pending && pending.KeyMaterialId !== rotationId) {
      throw new CliError(`${where}: key ${keyId} has other key material pending rotation (${pending.KeyMaterialId}); seed will not rotate to it.`);
    }
    if (!pending) {
      await this.importMaterial(key, keyId, key.rotationMaterial!, 'NEW_KEY_MATERIAL');
      changes.push(`imported rotation material ${shortId(rotationId)}`);
    }
    await this.rotate(key, keyId, changes);
  }

  /** Tags the file gives that the key lacks or has with another value (TagResource); other tags are left alone. */
  async ensureTags({ spec, where }: PreparedKey, keyId: string, changes: string[]): Promise<void> {
    if (spec.tags.length === 0) return;
    const tags = new Map<string, string>();
    let marker: string | undefined;
    do {
      const page = await this.call('ListResourceTags', where, () => this.kms.send(new this.sdk.ListResourceTagsCommand({ KeyId: keyId, Marker: marker })));
      for (const tag of page.Tags ?? []) tags.set(tag.TagKey!, tag.TagValue ?? '');
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    const missing = spec.tags.filter((tag) => tags.get(tag.TagKey) !== tag.TagValue);
    if (missing.length > 0) {
      await this.call('TagResource', where, () => this.kms.send(new this.sdk.TagResourceCommand({ KeyId: keyId, Tags: missing })));
      changes.push(`tagged ${missing.map((t) => `${t.TagKey}=${t.TagValue}`).join(', ')}`);
    }
  }

  private async aliasTargets(where: string): Promise<Map<string, string | undefined>> {
    if (this.aliases) return this.aliases;
    const aliases = new Map<string, string | undefined>();
    let marker: string | undefined;
    do {
      const page = await this.call('ListAliases', where, () => this.kms.send(new this.sdk.ListAliasesCommand({ Marker: marker })));
      for (const alias of page.Aliases ?? ([] as AliasListEntry[])) aliases.set(alias.AliasName!, alias.TargetKeyId);
      marker = page.Truncated ? page.NextMarker : undefined;
    } while (marker);
    this.aliases = aliases;
    return aliases;
  }

  /** Each alias of the file points at the key: created (CreateAlias), or moved from another key (UpdateAlias). */
  async ensureAliases({ spec, where }: PreparedKey, keyId: string, changes: string[]): Promise<void> {
    if (spec.aliases.length === 0) return;
    const aliases = await this.aliasTargets(where);
    for (const name of spec.aliases) {
      const target = aliases.get(name);
      if (target === keyId) continue;
      if (target === undefined) {
        try {
          await this.kms.send(new this.sdk.CreateAliasCommand({ AliasName: name, TargetKeyId: keyId }));
          changes.push(`created ${name}`);
        } catch (error) {
          // Created meanwhile by someone else: then it is moved like any alias of another key.
          if (!isAwsError(error, 'AlreadyExistsException')) throw new CliError(`${where}: ${describeCallError('CreateAlias', this.endpoint, error)}`);
          await this.call('UpdateAlias', where, () => this.kms.send(new this.sdk.UpdateAliasCommand({ AliasName: name, TargetKeyId: keyId })));
          changes.push(`moved ${name} to this key`);
        }
      } else {
        await this.call('UpdateAlias', where, () => this.kms.send(new this.sdk.UpdateAliasCommand({ AliasName: name, TargetKeyId: keyId })));
        changes.push(`moved ${name} from key ${target}`);
      }
      aliases.set(name, keyId);
    }
  }

  /** `"enabled": false` disables the key (DisableKey); true (the default) enables a disabled one (EnableKey). */
  async ensureEnabled({ spec, where }: PreparedKey, keyId: string, changes: string[]): Promise<void> {
    const { KeyState } = await this.describe(keyId, where);
    if (!spec.enabled && KeyState === 'Enabled') {
      await this.call('DisableKey', where, () => this.kms.send(new this.sdk.DisableKeyCommand({ KeyId: keyId })));
      changes.push('disabled');
    } else if (spec.enabled && KeyState === 'Disabled') {
      await this.call('EnableKey', where, () => this.kms.send(new this.sdk.EnableKeyCommand({ KeyId: keyId })));
      changes.push('enabled');
    }
  }

  /** Makes the service hold one key of the file, changing only what differs. */
  async seed(key: PreparedKey, matches: KeyMetadata[] | undefined): Promise<SeededKey> {
    const { spec, where } = key;
    const existing = checkExisting(key, matches);
    const metadata = existing ?? (await this.create(key));
    const keyId = metadata.KeyId!;
    let action: SeedAction = existing ? 'unchanged' : 'created';
    if (spec.origin === 'EXTERNAL' && (await this.ensureMaterial(key, metadata)) && action === 'unchanged') action = 'imported';
    const changes: string[] = [];
    if (spec.rotateOnDemand) await this.ensureRotated(key, keyId, changes);
    await this.ensureTags(key, keyId, changes);
    await this.ensureAliases(key, keyId, changes);
    await this.ensureEnabled(key, keyId, changes);
    if (action === 'unchanged' && changes.length > 0) action = 'updated';

    const final = await this.describe(keyId, where);
    const current = final.CurrentKeyMaterialId ?? (key.material ? computeKeyMaterialId(keyId, key.material.bytes) : undefined);
    return {
      action,
      description: spec.description,
      keyId,
      arn: final.Arn!,
      origin: spec.origin,
      keySpec: spec.keySpec,
      keyUsage: spec.keyUsage,
      ...(current !== undefined && { keyMaterialId: current }),
      ...(spec.origin === 'EXTERNAL' && { expirationModel: final.ExpirationModel ?? spec.expirationModel }),
      ...(final.ValidTo && { validTo: final.ValidTo.toISOString() }),
      keyState: final.KeyState!,
      aliases: spec.aliases,
      tags: Object.fromEntries(spec.tags.map((t) => [t.TagKey, t.TagValue])),
      changes,
    };
  }
}

function prepareMaterial(source: MaterialSource, spec: SeedKeySpec, baseDir: string, where: string): PreparedMaterial {
  const bytes = loadKeyMaterial(source, spec.keySpec, baseDir, where);
  try {
    return { bytes, wrapping: chooseWrapping(spec.keySpec, bytes.length, { algorithm: spec.wrappingAlgorithm, wrappingKeySpec: spec.wrappingKeySpec }) };
  } catch (error) {
    throw new CliError(`${where}: ${(error as Error).message}`);
  }
}

function prepare(seed: LoadedSeedFile): PreparedKey[] {
  return seed.keys.map((spec, index) => {
    const where = `keys[${index}] "${spec.description}"`;
    if (spec.origin === 'AWS_KMS') return { spec, where };
    const material = prepareMaterial(spec.material!, spec, seed.baseDir, where);
    if (!spec.rotationMaterial) return { spec, where, material };
    const rotationMaterial = prepareMaterial(spec.rotationMaterial, spec, seed.baseDir, `${where} rotationMaterial`);
    if (rotationMaterial.bytes.equals(material.bytes)) throw new CliError(`${where}: rotationMaterial is the same as material; rotating needs new key material.`);
    return { spec, where, material, rotationMaterial };
  });
}

/** The key already holding this description, if any (throws when it cannot be this seed key). */
function checkExisting(key: PreparedKey, matches: KeyMetadata[] | undefined): KeyMetadata | undefined {
  if (!matches || matches.length === 0) return undefined;
  const { spec, where } = key;
  if (matches.length > 1) {
    throw new CliError(`${where}: ${matches.length} keys have this description (${matches.map((m) => m.KeyId).join(', ')}); descriptions must identify one key.`);
  }
  const [metadata] = matches;
  if (metadata.Origin !== spec.origin || metadata.KeySpec !== spec.keySpec || metadata.KeyUsage !== spec.keyUsage) {
    throw new CliError(
      `${where}: key ${metadata.KeyId} has this description but is ${metadata.Origin} ${metadata.KeySpec} ${metadata.KeyUsage}; change the description or the key.`,
    );
  }
  if (key.material && metadata.CurrentKeyMaterialId !== undefined) {
    const allowed = [key.material, key.rotationMaterial].filter((m) => m !== undefined).map((m) => computeKeyMaterialId(metadata.KeyId!, m.bytes));
    if (!allowed.includes(metadata.CurrentKeyMaterialId)) {
      throw new CliError(`${where}: key ${metadata.KeyId} already holds different key material (${metadata.CurrentKeyMaterialId}).`);
    }
  }
  if (metadata.KeyState === 'Enabled' || metadata.KeyState === 'Disabled' || metadata.KeyState === 'PendingImport') return metadata;
  throw new CliError(`${where}: key ${metadata.KeyId} is ${metadata.KeyState}; seed cannot bring it in line with the file.`);
}

/**
 * Makes the service hold the seed file's keys: creates each missing key (Origin=EXTERNAL with the file's material
 * imported through the real import flow, or AWS_KMS), then brings rotation, tags, aliases and the enabled state in
 * line with the file. Keys are matched by description and only what differs is changed, so running the same file
 * again changes nothing, and a key whose material was deleted or expired gets the same material back.
 */
export async function seedKeys(seed: LoadedSeedFile, target: SeedTarget, onKey?: (key: SeededKey) => void): Promise<SeededKey[]> {
  const prepared = prepare(seed); // every material is read and checked before the first request
  const sdk = await loadKmsSdk();
  const kms = new sdk.KMSClient({
    endpoint: target.endpoint,
    region: target.region,
    credentials: {
      accessKeyId: target.accessKeyId,
      secretAccessKey: target.secretAccessKey ?? process.env.AWS_SECRET_ACCESS_KEY ?? 'test',
      ...(target.sessionToken !== undefined && { sessionToken: target.sessionToken }),
    },
    maxAttempts: 1, // CreateKey is not idempotent: a retried call could make a second key with the same description
  });
  const seeder = new Seeder(sdk, kms, target.endpoint);
  try {
    const existing = await seeder.keysByDescription();
    const seeded: SeededKey[] = [];
    for (const key of prepared) {
      const result = await seeder.seed(key, existing.get(key.spec.description));
      seeded.push(result);
      onKey?.(result);
    }
    return seeded;
  } finally {
    kms.destroy();
  }
}
