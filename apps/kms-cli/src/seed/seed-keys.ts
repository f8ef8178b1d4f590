import type { KeyMetadata, KMSClient } from '@aws-sdk/client-kms';
import { computeKeyMaterialId, wrapKeyMaterial } from '@keyledger/crypto';
import { CliError } from '../cli-error';
import { describeCallError, loadKmsSdk, type KmsSdk } from './kms-sdk';
import { loadKeyMaterial } from './key-material';
import type { LoadedSeedFile, SeedKeySpec } from './seed-file';
import { chooseWrapping, type WrappingChoice } from './wrapping-choice';

export interface SeedTarget {
  endpoint: string;
  region: string;
  accessKeyId: string;
}

/** created: new key; imported: an existing key had no usable material and got it back; unchanged: already seeded. */
export type SeedAction = 'created' | 'imported' | 'unchanged';

export interface SeededKey {
  action: SeedAction;
  description: string;
  keyId: string;
  arn: string;
  keySpec: string;
  keyUsage: string;
  /** The id Keyledger gives this material in this key (computeKeyMaterialId), also for unchanged keys. */
  keyMaterialId: string;
  expirationModel: string;
  validTo?: string;
}

interface PreparedKey {
  spec: SeedKeySpec;
  material: Buffer;
  wrapping: WrappingChoice;
  where: string;
}

class Seeder {
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

  async create({ spec, where }: PreparedKey): Promise<KeyMetadata> {
    const { KeyMetadata: metadata } = await this.call('CreateKey', where, () =>
      this.kms.send(new this.sdk.CreateKeyCommand({ Origin: 'EXTERNAL', Description: spec.description, KeySpec: spec.keySpec, KeyUsage: spec.keyUsage })),
    );
    return metadata!;
  }

  /**
   * GetParametersForImport, wrap locally (libs/crypto's client side of the import, node:crypto), ImportKeyMaterial;
   * returns the material id the service reports.
   */
  async importMaterial({ spec, material, wrapping, where }: PreparedKey, keyId: string): Promise<string> {
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
          EncryptedKeyMaterial: wrapKeyMaterial(wrapping.algorithm, Buffer.from(params.PublicKey!), material),
          ExpirationModel: spec.expirationModel,
          ValidTo: spec.validTo,
        }),
      ),
    );
    return imported.KeyMaterialId ?? computeKeyMaterialId(keyId, material);
  }
}

/** The expiry the key has: what the service says for an unchanged key, else what was just imported. */
function expiryOf(metadata: KeyMetadata | undefined, spec: SeedKeySpec): { expirationModel: string; validTo?: string } {
  const validTo = metadata ? metadata.ValidTo : spec.validTo;
  return {
    expirationModel: metadata?.ExpirationModel ?? spec.expirationModel,
    ...(validTo ? { validTo: validTo.toISOString() } : {}),
  };
}

function prepare(seed: LoadedSeedFile): PreparedKey[] {
  return seed.keys.map((spec, index) => {
    const where = `keys[${index}] "${spec.description}"`;
    const material = loadKeyMaterial(spec.material, spec.keySpec, seed.baseDir, where);
    try {
      const wrapping = chooseWrapping(spec.keySpec, material.length, { algorithm: spec.wrappingAlgorithm, wrappingKeySpec: spec.wrappingKeySpec });
      return { spec, where, material, wrapping };
    } catch (error) {
      throw new CliError(`${where}: ${(error as Error).message}`);
    }
  });
}

/** What to do with the key already holding this description, if any (throws when it cannot be this seed key). */
function existingAction(key: PreparedKey, matches: KeyMetadata[] | undefined): { metadata: KeyMetadata; action: 'imported' | 'unchanged' } | undefined {
  if (!matches || matches.length === 0) return undefined;
  const { spec, where, material } = key;
  if (matches.length > 1) {
    throw new CliError(`${where}: ${matches.length} keys have this description (${matches.map((m) => m.KeyId).join(', ')}); descriptions must identify one key.`);
  }
  const [metadata] = matches;
  if (metadata.Origin !== 'EXTERNAL' || metadata.KeySpec !== spec.keySpec || metadata.KeyUsage !== spec.keyUsage) {
    throw new CliError(
      `${where}: key ${metadata.KeyId} has this description but is ${metadata.Origin} ${metadata.KeySpec} ${metadata.KeyUsage}; change the description or the key.`,
    );
  }
  const expectedId = computeKeyMaterialId(metadata.KeyId!, material);
  if (metadata.CurrentKeyMaterialId !== undefined && metadata.CurrentKeyMaterialId !== expectedId) {
    throw new CliError(`${where}: key ${metadata.KeyId} already holds different key material (${metadata.CurrentKeyMaterialId}).`);
  }
  if (metadata.KeyState === 'PendingImport') return { metadata, action: 'imported' };
  if (metadata.KeyState === 'Enabled') return { metadata, action: 'unchanged' };
  throw new CliError(`${where}: key ${metadata.KeyId} is ${metadata.KeyState}; seed only creates and imports.`);
}

/**
 * Makes the service hold the seed file's keys: creates each missing key (Origin=EXTERNAL) and imports its known
 * material through the real import flow. Keys are matched by description, so running the same file again changes
 * nothing, and a key whose material was deleted or expired gets the same material back.
 */
export async function seedKeys(seed: LoadedSeedFile, target: SeedTarget, onKey?: (key: SeededKey) => void): Promise<SeededKey[]> {
  const prepared = prepare(seed); // every material is read and checked before the first request
  const sdk = await loadKmsSdk();
  const kms = new sdk.KMSClient({
    endpoint: target.endpoint,
    region: target.region,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'test' },
    maxAttempts: 1, // CreateKey is not idempotent: a retried call could make a second key with the same description
  });
  const seeder = new Seeder(sdk, kms, target.endpoint);
  try {
    const existing = await seeder.keysByDescription();
    const seeded: SeededKey[] = [];
    for (const key of prepared) {
      const found = existingAction(key, existing.get(key.spec.description));
      const metadata = found?.metadata ?? (await seeder.create(key));
      const action: SeedAction = found?.action ?? 'created';
      const keyId = metadata.KeyId!;
      const keyMaterialId = action === 'unchanged' ? computeKeyMaterialId(keyId, key.material) : await seeder.importMaterial(key, keyId);
      const result: SeededKey = {
        action,
        description: key.spec.description,
        keyId,
        arn: metadata.Arn!,
        keySpec: key.spec.keySpec,
        keyUsage: key.spec.keyUsage,
        keyMaterialId,
        ...expiryOf(action === 'unchanged' ? metadata : undefined, key.spec),
      };
      seeded.push(result);
      onKey?.(result);
    }
    return seeded;
  } finally {
    kms.destroy();
  }
}
