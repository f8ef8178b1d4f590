import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { DecryptCommand, EncryptCommand, ImportKeyMaterialCommand, KMSClient, RotateKeyOnDemandCommand } from '@aws-sdk/client-kms';
import { computeKeyMaterialId } from '@keyledger/crypto';
import { createExternalKey, getImportParameters, importMaterial } from '../support/byok-flow';
import { wrapForImport } from '../support/client-wrapping';
import { readEventLog } from '../support/event-log';
import { kmsClientFor } from '../support/multi-instance-scenarios';
import { race } from '../support/race';
import { ServiceProcess, startServiceProcess } from '../support/service-process';

/**
 * An import that ends refused must leave nothing in the vault. The material reaches the vault before the event
 * is appended (beforeAppend); when the append meets a concurrent writer and the re-decided command is refused,
 * the import must take back what it stored (and only that), or the refused material stays sealed at rest.
 */

/** The (key id, material id) rows of the vault, read directly from vault.sqlite (read-only). */
function vaultRows(dataDir: string, keyId: string): string[] {
  const db = new Database(join(dataDir, 'vault.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT key_material_id AS id FROM sealed_materials WHERE key_id = ? ORDER BY key_material_id').all(keyId) as Array<{ id: string }>).map((r) => r.id);
  } finally {
    db.close();
  }
}

/** The material ids the log says the key holds now (imported, not deleted or expired since). */
function importedInLog(dataDir: string, keyId: string): string[] {
  const held = new Set<string>();
  for (const e of readEventLog(dataDir, `kms-key-${keyId}`)) {
    if (e.type === 'KeyMaterialImported.v1') held.add(e.data.keyMaterialId as string);
    if (e.type === 'KeyMaterialDeleted.v1' || e.type === 'KeyMaterialExpired.v1') held.delete(e.data.keyMaterialId as string);
  }
  return [...held].sort();
}

const sorted = (ids: string[]) => [...ids].sort();

/** A NEW_KEY_MATERIAL import, with parameters fetched and material wrapped up front so racing requests leave together. */
async function preparedNewMaterialImport(kms: KMSClient, keyId: string, material: Buffer) {
  const params = await getImportParameters(kms, keyId);
  const command = new ImportKeyMaterialCommand({
    KeyId: keyId,
    ImportToken: params.ImportToken,
    EncryptedKeyMaterial: wrapForImport('RSAES_OAEP_SHA_256', params.PublicKey!, material),
    ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    ImportType: 'NEW_KEY_MATERIAL',
  });
  return () => kms.send(command);
}

async function raceNewMaterial(kmsA: KMSClient, kmsB: KMSClient, dataDir: string) {
  const key = await createExternalKey(kmsA);
  const keyId = key.KeyId!;
  const first = randomBytes(32);
  await importMaterial(kmsA, keyId, first);
  const [materialA, materialB] = [randomBytes(32), randomBytes(32)];
  const [sendA, sendB] = await Promise.all([preparedNewMaterialImport(kmsA, keyId, materialA), preparedNewMaterialImport(kmsB, keyId, materialB)]);
  const { won, lost } = await race([sendA().then(() => 'A'), sendB().then(() => 'B')]);
  expect(won).toHaveLength(1);
  expect(lost).toHaveLength(1);
  expect(lost[0]).toMatchObject({ name: 'KMSInvalidStateException' });
  const [winner, loser] = won[0] === 'A' ? [materialA, materialB] : [materialB, materialA];
  const ids = { first: computeKeyMaterialId(keyId, first), winner: computeKeyMaterialId(keyId, winner), loser: computeKeyMaterialId(keyId, loser) };
  const imported = readEventLog(dataDir, `kms-key-${keyId}`).filter((e) => e.type === 'KeyMaterialImported.v1');
  expect(imported.map((e) => [e.data.keyMaterialId, e.data.materialState])).toEqual([
    [ids.first, 'CURRENT'],
    [ids.winner, 'PENDING_ROTATION'],
  ]);
  return { keyId, ids, rows: vaultRows(dataDir, keyId) };
}

describe('refused imports leave no material in the vault: one instance', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyledger-refused-one-'));
  let service: ServiceProcess;
  let kms: KMSClient;
  beforeAll(async () => {
    service = await startServiceProcess({ DATA_DIR: dataDir, LOG_FORMAT: 'json' });
    kms = kmsClientFor(service.url);
  });
  afterAll(async () => {
    await service.stopCleanly();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('NEW_KEY_MATERIAL refused because another material is pending rotation, and the same material again: nothing stored', async () => {
    const keyId = (await createExternalKey(kms)).KeyId!;
    const [first, pending, refused] = [randomBytes(32), randomBytes(32), randomBytes(32)];
    await importMaterial(kms, keyId, first);
    await importMaterial(kms, keyId, pending, { import: { ImportType: 'NEW_KEY_MATERIAL' } });
    const legitimate = sorted([computeKeyMaterialId(keyId, first), computeKeyMaterialId(keyId, pending)]);
    expect(vaultRows(dataDir, keyId)).toEqual(legitimate);

    await expect(importMaterial(kms, keyId, refused, { import: { ImportType: 'NEW_KEY_MATERIAL' } })).rejects.toMatchObject({ name: 'KMSInvalidStateException' });
    await expect(importMaterial(kms, keyId, first, { import: { ImportType: 'NEW_KEY_MATERIAL' } })).rejects.toMatchObject({ name: 'IncorrectKeyMaterialException' });
    await expect(importMaterial(kms, keyId, refused, { import: { ImportType: 'EXISTING_KEY_MATERIAL' } })).rejects.toMatchObject({ name: 'IncorrectKeyMaterialException' });
    expect(vaultRows(dataDir, keyId)).toEqual(legitimate);
    expect(importedInLog(dataDir, keyId)).toEqual(legitimate);
  });

  it('racing NEW_KEY_MATERIAL imports of different material through one instance: the loser leaves no row', async () => {
    for (let round = 0; round < 8; round++) {
      const { keyId, ids, rows } = await raceNewMaterial(kms, kms, dataDir);
      expect({ round, rows }).toEqual({ round, rows: sorted([ids.first, ids.winner]) });
      expect(rows).not.toContain(ids.loser);
      expect(importedInLog(dataDir, keyId)).toEqual(rows);
    }
  });
});

describe('refused imports leave no material in the vault: two instances on one data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyledger-refused-two-'));
  let instances: ServiceProcess[] = [];
  let kmsA: KMSClient;
  let kmsB: KMSClient;
  beforeAll(async () => {
    const common = { DATA_DIR: dataDir, LOG_FORMAT: 'json' };
    // The first instance creates the development master key; the second must use the same one.
    instances.push(await startServiceProcess({ ...common, KEYLEDGER_READ_MODELS_FILE: join(dataDir, 'read-models-a.sqlite') }));
    instances.push(await startServiceProcess({ ...common, KEYLEDGER_READ_MODELS_FILE: join(dataDir, 'read-models-b.sqlite') }));
    [kmsA, kmsB] = instances.map((i) => kmsClientFor(i.url));
  });
  afterAll(async () => {
    await Promise.all(instances.map((i) => i.stopCleanly()));
    instances = [];
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('racing NEW_KEY_MATERIAL imports of different material, 8 rounds: one PENDING_ROTATION, the loser refused and not in the vault', async () => {
    const leftBehind: number[] = [];
    for (let round = 0; round < 8; round++) {
      const { keyId, ids, rows } = await raceNewMaterial(kmsA, kmsB, dataDir);
      if (rows.includes(ids.loser)) leftBehind.push(round);
      expect(rows).toEqual(expect.arrayContaining([ids.first, ids.winner]));
      expect(importedInLog(dataDir, keyId)).toEqual(sorted([ids.first, ids.winner]));
    }
    expect({ roundsLeavingTheLosersMaterial: leftBehind }).toEqual({ roundsLeavingTheLosersMaterial: [] });
  });

  it('racing imports of the SAME material through both instances: the one that was refused takes back nothing the winner stored', async () => {
    for (let round = 0; round < 8; round++) {
      const keyId = (await createExternalKey(kmsA)).KeyId!;
      const first = randomBytes(32);
      await importMaterial(kmsA, keyId, first);
      const material = randomBytes(32);
      const [sendA, sendB] = await Promise.all([preparedNewMaterialImport(kmsA, keyId, material), preparedNewMaterialImport(kmsB, keyId, material)]);
      const { won, lost } = await race([sendA(), sendB()]);
      expect(won).toHaveLength(1);
      // Re-decided after the winner's append: this material was already imported (NEW_KEY_MATERIAL again).
      expect(lost).toEqual([expect.objectContaining({ name: 'IncorrectKeyMaterialException' })]);
      const ids = sorted([computeKeyMaterialId(keyId, first), computeKeyMaterialId(keyId, material)]);
      expect({ round, rows: vaultRows(dataDir, keyId) }).toEqual({ round, rows: ids });
      expect(importedInLog(dataDir, keyId)).toEqual(ids);
      // The winner's row still opens: rotate to it and use it through both instances.
      await kmsB.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
      const { CiphertextBlob } = await kmsA.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(`round ${round}`) }));
      expect(Buffer.from((await kmsB.send(new DecryptCommand({ CiphertextBlob }))).Plaintext!).toString()).toBe(`round ${round}`);
    }
  });
});
