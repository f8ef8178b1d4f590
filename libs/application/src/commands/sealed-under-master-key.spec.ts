import 'reflect-metadata';
import { constants, createPublicKey, generateKeyPairSync, publicEncrypt, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImportTokenSealer, MasterKey, MaterialSealer, type MasterKeyRing } from '@keyledger/crypto';
import { DAY_MS, KeyEventTypes, keyStreamId } from '@keyledger/domain';
import { InMemoryEventStore, type RecordedEvent } from '@keyledger/event-store';
import { KeyCommandExecutor } from '../key-command-executor';
import { RotateKeyAutomaticallyHandler, RotateKeyOnDemand, RotateKeyOnDemandHandler } from '../lifecycle/rotation-commands';
import { EnableKeyRotation, EnableKeyRotationHandler } from '../lifecycle/lifecycle-commands';
import { RequestContext } from '../request-context';
import { CachingMaterialVault } from '../vault/caching-material-vault';
import { SqliteMaterialVault } from '../vault/sqlite-material-vault';
import { CreateKey, CreateKeyHandler } from './create-key';
import { GetParametersForImport, GetParametersForImportHandler } from './get-parameters-for-import';
import { ImportKeyMaterial, ImportKeyMaterialHandler } from './import-key-material';

/**
 * Every event that brings material into the vault names the master key it was sealed under, checked against
 * the real sealer and against the header of the blob the real SQLite vault stored (what an auditor would compare).
 */

const ACCOUNT = '000000000000';
const ctx: RequestContext = {
  accountId: ACCOUNT,
  region: 'us-east-1',
  principal: { type: 'User', accountId: ACCOUNT, accessKeyId: 'test' },
  requestId: 'req-1',
  correlationId: 'req-1',
  operation: 'Test',
};

function rsa2048(): { publicKeyDer: Buffer; privateKeyDer: Buffer } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { format: 'der', type: 'spki' },
    privateKeyEncoding: { format: 'der', type: 'pkcs8' },
  });
  return { publicKeyDer: publicKey, privateKeyDer: privateKey };
}

const wrapOaep256 = (publicKeyDer: Buffer, material: Buffer): Buffer =>
  publicEncrypt({ key: createPublicKey({ key: publicKeyDer, format: 'der', type: 'spki' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, material);

describe('events record the master key that sealed the material', () => {
  let dir: string;
  let now: number;
  const opened: SqliteMaterialVault[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keyledger-sealed-under-'));
    now = Date.parse('2026-11-22T10:00:00Z');
  });
  afterEach(() => {
    for (const vault of opened.splice(0)) vault.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The service's write side on a real vault (SQLite behind the cache, as in production) and the given master keys. */
  function service(masterKeys: MasterKey | MasterKeyRing) {
    const sealer = new MaterialSealer(masterKeys);
    const sqlite = new SqliteMaterialVault(join(dir, 'vault.sqlite'), sealer);
    opened.push(sqlite);
    const vault = new CachingMaterialVault(sqlite, 10);
    const store = new InMemoryEventStore();
    const clock = { now: () => now };
    const ids = { keyId: () => randomUUID(), uuid: () => randomUUID() };
    const executor = new KeyCommandExecutor(store, clock, vault, { waitForPosition: async () => true });
    const tokens = new ImportTokenSealer(masterKeys);
    const handlers = {
      createKey: new CreateKeyHandler(executor, ids, vault, clock),
      parameters: new GetParametersForImportHandler(executor, { take: async () => rsa2048() }, tokens, ids, clock),
      importMaterial: new ImportKeyMaterialHandler(executor, tokens, vault),
      rotateOnDemand: new RotateKeyOnDemandHandler(executor, vault),
      rotateAutomatically: new RotateKeyAutomaticallyHandler(executor, vault),
      enableRotation: new EnableKeyRotationHandler(executor),
    };
    const events = async (keyId: string, type: string): Promise<RecordedEvent[]> => (await store.readStream(keyStreamId(keyId))).filter((e) => e.type === type);
    /** The master key id in the header of the blob the vault holds for this material. */
    const blobMasterKeyId = async (keyId: string, keyMaterialId: string) => (await sqlite.list()).find((r) => r.keyId === keyId && r.keyMaterialId === keyMaterialId)?.masterKeyId;
    const importInto = async (keyId: string, material = randomBytes(32), extra: Record<string, unknown> = {}) => {
      const params = await handlers.parameters.execute(new GetParametersForImport(ctx, { keyId, wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' }));
      return handlers.importMaterial.execute(
        new ImportKeyMaterial(ctx, { keyId, importToken: params.importToken, encryptedKeyMaterial: wrapOaep256(params.publicKey, material), expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', ...extra }),
      );
    };
    return { sealer, handlers, events, blobMasterKeyId, importInto };
  }

  it('KeyCreated.v1 (AWS_KMS, symmetric and asymmetric): the sealer’s master key id, the one in the stored blob', async () => {
    const masterKey = MasterKey.generate();
    const { sealer, handlers, events, blobMasterKeyId } = service(masterKey);
    expect(sealer.masterKeyId).toBe(masterKey.id);
    for (const input of [{}, { keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' }]) {
      const { keyMetadata } = await handlers.createKey.execute(new CreateKey(ctx, input));
      const [created] = await events(keyMetadata.KeyId, KeyEventTypes.KeyCreated);
      expect(created.data.sealedUnderMasterKeyId).toBe(masterKey.id);
      expect(await blobMasterKeyId(keyMetadata.KeyId, created.data.keyMaterialId as string)).toBe(masterKey.id);
    }
  });

  it('KeyCreated.v1 of an EXTERNAL key brings no material and names no master key', async () => {
    const { handlers, events } = service(MasterKey.generate());
    const { keyMetadata } = await handlers.createKey.execute(new CreateKey(ctx, { origin: 'EXTERNAL' }));
    expect((await events(keyMetadata.KeyId, KeyEventTypes.KeyCreated))[0].data).not.toHaveProperty('sealedUnderMasterKeyId');
  });

  it('KeyMaterialImported.v1, first import and re-import: the current master key of a ring, never the previous one', async () => {
    const previous = MasterKey.generate();
    const current = MasterKey.generate();
    const { sealer, handlers, events, blobMasterKeyId, importInto } = service({ current, previous: [previous] });
    expect(sealer.masterKeyId).toBe(current.id);
    const { keyMetadata } = await handlers.createKey.execute(new CreateKey(ctx, { origin: 'EXTERNAL' }));
    const material = randomBytes(32);
    const { keyMaterialId } = await importInto(keyMetadata.KeyId, Buffer.from(material));
    await importInto(keyMetadata.KeyId, Buffer.from(material), { importType: 'EXISTING_KEY_MATERIAL' });
    const imports = await events(keyMetadata.KeyId, KeyEventTypes.KeyMaterialImported);
    expect(imports.map((e) => [e.data.reimport, e.data.sealedUnderMasterKeyId])).toEqual([
      [false, current.id],
      [true, current.id],
    ]);
    expect(await blobMasterKeyId(keyMetadata.KeyId, keyMaterialId!)).toBe(current.id);
  });

  it('KeyMaterialRotated.v1, on demand and automatic, for generated material; not for EXTERNAL material (its import names it)', async () => {
    const masterKey = MasterKey.generate();
    const { handlers, events, blobMasterKeyId, importInto } = service(masterKey);
    const { keyMetadata } = await handlers.createKey.execute(new CreateKey(ctx, {}));
    const keyId = keyMetadata.KeyId;
    await handlers.rotateOnDemand.execute(new RotateKeyOnDemand(ctx, { keyId }));
    await handlers.enableRotation.execute(new EnableKeyRotation(ctx, { keyId, rotationPeriodInDays: 90 }));
    now += 91 * DAY_MS;
    expect(await handlers.rotateAutomatically.execute({ keyId, requestId: 'r-auto' })).toBe(1);
    const rotations = await events(keyId, KeyEventTypes.KeyMaterialRotated);
    expect(rotations.map((e) => [e.data.rotationType, e.data.sealedUnderMasterKeyId])).toEqual([
      ['ON_DEMAND', masterKey.id],
      ['AUTOMATIC', masterKey.id],
    ]);
    for (const rotation of rotations) expect(await blobMasterKeyId(keyId, rotation.data.keyMaterialId as string)).toBe(masterKey.id);

    const external = (await handlers.createKey.execute(new CreateKey(ctx, { origin: 'EXTERNAL' }))).keyMetadata.KeyId;
    await importInto(external);
    await importInto(external, randomBytes(32), { importType: 'NEW_KEY_MATERIAL' });
    await handlers.rotateOnDemand.execute(new RotateKeyOnDemand(ctx, { keyId: external }));
    const [externalRotation] = await events(external, KeyEventTypes.KeyMaterialRotated);
    expect(externalRotation.data).not.toHaveProperty('sealedUnderMasterKeyId');
    const pendingImport = (await events(external, KeyEventTypes.KeyMaterialImported)).find((e) => e.data.keyMaterialId === externalRotation.data.keyMaterialId);
    expect(pendingImport?.data.sealedUnderMasterKeyId).toBe(masterKey.id);
  });
});
