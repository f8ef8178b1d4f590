import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { CreateKeyCommand, DecryptCommand, EncryptCommand, ImportKeyMaterialCommand, KMSClient } from '@aws-sdk/client-kms';
import { MasterKey, sealedMaterialMasterKeyId } from '@keyledger/crypto';
import { runCli, runCliOk } from '../../apps/kms-cli/testing/run-cli';
import { createExternalKey, getImportParameters, importMaterial } from '../support/byok-flow';
import { wrapForImport } from '../support/client-wrapping';
import { readEventLog } from '../support/event-log';
import { restClient } from '../support/rest-client';
import { kmsClientFor } from '../support/multi-instance-scenarios';
import { ServiceProcess, startServiceProcess } from '../support/service-process';
import { whileServing } from '../support/while-serving';

/**
 * Master key rotation on the embedded store, with real processes: restart with the new key current and the old
 * one previous, re-seal the vault with `keyledger rotate-master-key` while the service keeps serving, then run
 * on the new key alone.
 */

jest.setTimeout(180_000);

const keyA = MasterKey.generate();
const keyB = MasterKey.generate();
const headerOf = (key: MasterKey) => Buffer.concat([Buffer.from([1]), Buffer.from(key.id, 'hex')]);

function vaultRows(dataDir: string): Array<{ keyId: string; masterKeyId: string | null }> {
  const db = new Database(join(dataDir, 'vault.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT key_id AS keyId, sealed FROM sealed_materials').all() as Array<{ keyId: string; sealed: Buffer }>).map((row) => ({
      keyId: row.keyId,
      masterKeyId: sealedMaterialMasterKeyId(row.sealed),
    }));
  } finally {
    db.close();
  }
}

/** The master key id each material-bringing event of the key records, in stream order. */
function sealedUnder(dataDir: string, keyId: string): Array<[string, unknown]> {
  return readEventLog(dataDir, `kms-key-${keyId}`)
    .filter((event) => typeof event.data.keyMaterialId === 'string' && event.type !== 'KeyMaterialDeleted.v1')
    .map((event) => [event.type, event.data.sealedUnderMasterKeyId]);
}

async function encrypt(kms: KMSClient, keyId: string, plaintext: Buffer): Promise<Uint8Array> {
  return (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext }))).CiphertextBlob!;
}

async function decrypt(kms: KMSClient, ciphertext: Uint8Array): Promise<Buffer> {
  return Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: ciphertext }))).Plaintext!);
}

describe('master key rotation (embedded store, real processes)', () => {
  let dataDir: string;
  let service: ServiceProcess | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'keyledger-mk-rotation-'));
  });

  afterAll(async () => {
    await service?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async (env: NodeJS.ProcessEnv) => {
    service = await startServiceProcess({ DATA_DIR: dataDir, LOG_FORMAT: 'json', ...env });
    return kmsClientFor(service.url);
  };
  const stop = async () => {
    await service!.stop();
    service = undefined;
  };

  it('re-seals everything under the new key while serving, records it in the chained log, and runs on the new key alone', async () => {
    // 1. Key A only: an imported key, a generated key, ciphertexts, and an import token not used yet.
    let kms = await start({ KEYLEDGER_MASTER_KEY: keyA.toBase64() });
    const imported = await createExternalKey(kms);
    await importMaterial(kms, imported.KeyId!, randomBytes(32));
    const generated = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    const pending = await createExternalKey(kms);
    const pendingParams = await getImportParameters(kms, pending.KeyId!);
    const plaintext = randomBytes(48);
    const ciphertexts = [await encrypt(kms, imported.KeyId!, plaintext), await encrypt(kms, generated.KeyId!, plaintext)];
    await stop();
    expect(vaultRows(dataDir).every((row) => row.masterKeyId === keyA.id)).toBe(true);
    // The events name the master key that sealed each material: the one in the vault rows' headers.
    expect(sealedUnder(dataDir, imported.KeyId!)).toEqual([['KeyMaterialImported.v1', keyA.id]]);
    expect(sealedUnder(dataDir, generated.KeyId!)).toEqual([['KeyCreated.v1', keyA.id]]);

    // 2. B current, A previous: old ciphertexts decrypt, the old token imports, new material is sealed under B.
    const rotatingEnv = { KEYLEDGER_MASTER_KEY: keyB.toBase64(), KEYLEDGER_PREVIOUS_MASTER_KEYS: keyA.toBase64() };
    kms = await start(rotatingEnv);
    for (const ciphertext of ciphertexts) expect(await decrypt(kms, ciphertext)).toEqual(plaintext);
    await kms.send(
      new ImportKeyMaterialCommand({
        KeyId: pending.KeyId!,
        ImportToken: pendingParams.ImportToken,
        EncryptedKeyMaterial: wrapForImport('RSAES_OAEP_SHA_256', pendingParams.PublicKey!, randomBytes(32)),
        ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      }),
    );
    const fresh = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    ciphertexts.push(await encrypt(kms, pending.KeyId!, plaintext), await encrypt(kms, fresh.KeyId!, plaintext));
    const rowsBefore = vaultRows(dataDir);
    expect(rowsBefore.find((row) => row.keyId === pending.KeyId)?.masterKeyId).toBe(keyB.id);
    expect(rowsBefore.find((row) => row.keyId === fresh.KeyId)?.masterKeyId).toBe(keyB.id);
    expect(rowsBefore.filter((row) => row.masterKeyId === keyA.id).map((row) => row.keyId).sort()).toEqual([imported.KeyId, generated.KeyId].sort());
    expect(sealedUnder(dataDir, pending.KeyId!)).toEqual([['KeyMaterialImported.v1', keyB.id]]);
    expect(sealedUnder(dataDir, fresh.KeyId!)).toEqual([['KeyCreated.v1', keyB.id]]);

    const dryRun = await runCliOk(['rotate-master-key', '--data-dir', dataDir, '--dry-run'], rotatingEnv);
    expect(dryRun.stdout).toMatch(new RegExp(`${keyA.id}\\s+previous\\s+2`));
    expect(dryRun.stdout).toMatch(new RegExp(`${keyB.id}\\s+current\\s+2`));
    expect(vaultRows(dataDir)).toEqual(rowsBefore);

    // The service keeps answering Encrypt/Decrypt on every key while the command re-seals.
    const keyIds = [imported.KeyId!, generated.KeyId!, pending.KeyId!, fresh.KeyId!];
    const { result: rotation, roundErrors: loopErrors } = await whileServing(
      async () => {
        for (const keyId of keyIds) expect(await decrypt(kms, await encrypt(kms, keyId, plaintext))).toEqual(plaintext);
      },
      () => runCli(['rotate-master-key', '--data-dir', dataDir], rotatingEnv),
    );
    expect({ code: rotation.code, stderr: rotation.stderr }).toEqual({ code: 0, stderr: '' });
    expect(rotation.stdout).toContain(`Re-sealed 2 key material(s) under master key ${keyB.id} (from master key ${keyA.id}).`);
    expect(rotation.stdout).toContain('0 key material(s) remaining');
    expect(loopErrors).toEqual([]);

    // Running it again finds nothing to do and records nothing.
    expect((await runCliOk(['rotate-master-key', '--data-dir', dataDir], rotatingEnv)).stdout).toContain('Re-sealed 0 key material(s)');
    await stop();

    // 3. B only: every ciphertext decrypts, nothing under A is left in the vault or its files.
    kms = await start({ KEYLEDGER_MASTER_KEY: keyB.toBase64() });
    for (const ciphertext of ciphertexts) expect(await decrypt(kms, ciphertext)).toEqual(plaintext);
    // After the rotation a new import (and a re-import of the material sealed under A) records the new key.
    const afterRotation = await createExternalKey(kms);
    await importMaterial(kms, afterRotation.KeyId!, randomBytes(32));
    expect(sealedUnder(dataDir, afterRotation.KeyId!)).toEqual([['KeyMaterialImported.v1', keyB.id]]);
    // The REST history shows the event data as recorded, the field included.
    const history = await restClient(service!.url).get(`/v1/keys/${imported.KeyId}/events`);
    expect(history.status).toBe(200);
    expect(history.body.events.find((e: { type: string }) => e.type === 'KeyMaterialImported.v1').data.sealedUnderMasterKeyId).toBe(keyA.id);
    expect(vaultRows(dataDir).filter((row) => row.masterKeyId !== keyB.id)).toEqual([]);
    await stop();
    for (const name of ['vault.sqlite', 'vault.sqlite-wal']) {
      const file = join(dataDir, name);
      if (existsSync(file)) expect({ name, holdsKeyABlob: readFileSync(file).includes(headerOf(keyA)) }).toEqual({ name, holdsKeyABlob: false });
    }

    const rotations = readEventLog(dataDir, 'keyledger-master-key');
    expect(rotations).toHaveLength(1);
    expect(rotations[0].type).toBe('MasterKeyRotated.v1');
    expect(rotations[0].data).toMatchObject({ fromMasterKeyIds: [keyA.id], toMasterKeyId: keyB.id, remaining: 0 });
    expect((rotations[0].data.rewrapped as Array<{ keyId: string }>).map((entry) => entry.keyId).sort()).toEqual([imported.KeyId, generated.KeyId].sort());
    expect(rotations[0].metadata.previousEventHash).toBeNull();

    // The CLI: the timeline says which master key sealed the material, `state` where it is sealed now (re-sealed under B).
    const audit = await runCliOk(['audit', imported.KeyId!, '--data-dir', dataDir]);
    expect(audit.stdout).toContain(`sealed under master key ${keyA.id}`);
    const state = JSON.parse((await runCliOk(['state', imported.KeyId!, '--data-dir', dataDir])).stdout);
    expect(state.KeyMaterials.map((m: { SealedUnderMasterKeyId?: string }) => m.SealedUnderMasterKeyId)).toEqual([keyB.id]);
    const stateBefore = JSON.parse((await runCliOk(['state', imported.KeyId!, '--data-dir', dataDir, '--revision', '2'])).stdout);
    expect(stateBefore.KeyMaterials.map((m: { SealedUnderMasterKeyId?: string }) => m.SealedUnderMasterKeyId)).toEqual([keyA.id]);

    const verify = await runCliOk(['verify', '--data-dir', dataDir]);
    expect(verify.stdout).toMatch(/^OK:/);
  });

  it('refuses a missing current key', async () => {
    const noKey = await runCli(['rotate-master-key', '--data-dir', dataDir], { KEYLEDGER_PREVIOUS_MASTER_KEYS: keyA.toBase64() });
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toContain('KEYLEDGER_MASTER_KEY');
  });
});
