import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import {
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  GenerateMacCommand,
  EncryptCommand,
  ImportKeyMaterialCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { computeKeyMaterialId, MasterKey, MaterialSealer } from '@keyledger/crypto';
import { createExternalKey, getImportParameters } from '../support/byok-flow';
import { wrapForImport } from '../support/client-wrapping';
import { eventually } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { kmsClientFor } from '../support/multi-instance-scenarios';
import { ServiceProcess, startServiceProcess } from '../support/service-process';

/**
 * Crypto-shredding, checked the way an attacker with a copy of the data directory AND the master key would try
 * to undo it: after DeleteImportedKeyMaterial, expiry, key deletion, and a kill -9 right after a deletion
 * answered, no file under DATA_DIR (databases, -wal, -shm, keys, anything) holds the material in the clear or
 * encoded, the sealed blob's ciphertext, or any blob that opens to the material under the master key.
 */

const DAY = 24 * 60 * 60 * 1000;
/** Sealed-material blob layout (libs/crypto/src/sealed-material.ts): version (1) || master key id (8) || nonce (12) || tag (16) || ciphertext. */
const HEADER_BYTES = 9;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const MIN_WINDOW = 48;
/** Windows tried after each header hit: every length up to this (the material here is 32 bytes; 1 KiB of slack). */
const MAX_WINDOW = HEADER_BYTES + NONCE_BYTES + TAG_BYTES + 1024;
/** The sealing context of the SQLite vault (SqliteMaterialVault.context); an attacker reads both ids from the log. */
const sealingContext = (keyId: string, keyMaterialId: string) => `kms-key/${keyId}/material/${keyMaterialId}`;

interface KnownMaterial {
  label: string;
  keyId: string;
  keyMaterialId: string;
  material: Buffer;
  /** The sealed row read from vault.sqlite while the material existed. */
  sealed: Buffer;
  /** What the client sent: the import token (it seals the wrapping private key) and the wrapped material. */
  importToken: Buffer;
  wrapped: Buffer;
}

interface Findings {
  plaintext: string[];
  sealed: string[];
  opened: string[];
  importSecrets: string[];
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const encodings = (bytes: Buffer): Array<[string, Buffer]> => [
  ['raw', bytes],
  ['hex', Buffer.from(bytes.toString('hex'))],
  ['HEX', Buffer.from(bytes.toString('hex').toUpperCase())],
  ['base64', Buffer.from(bytes.toString('base64'))],
  ['base64url', Buffer.from(bytes.toString('base64url'))],
];

function offsetsOf(haystack: Buffer, needle: Buffer): number[] {
  const found: number[] = [];
  for (let at = haystack.indexOf(needle); at >= 0; at = haystack.indexOf(needle, at + 1)) found.push(at);
  return found;
}

/** Everything an attacker holding DATA_DIR and the master key could recover of `known`. */
function recoverable(dataDir: string, sealer: MaterialSealer, known: KnownMaterial[]): Findings {
  const header = known[0].sealed.subarray(0, HEADER_BYTES);
  const findings: Findings = { plaintext: [], sealed: [], opened: [], importSecrets: [] };
  for (const file of filesUnder(dataDir)) {
    const bytes = readFileSync(file);
    const name = relative(dataDir, file);
    for (const k of known) {
      for (const [encoding, needle] of encodings(k.material)) {
        for (const at of offsetsOf(bytes, needle)) findings.plaintext.push(`${k.label} ${encoding} in ${name} at ${at}`);
      }
      const tagAndCiphertext = k.sealed.subarray(HEADER_BYTES + NONCE_BYTES);
      const ciphertext = k.sealed.subarray(HEADER_BYTES + NONCE_BYTES + TAG_BYTES);
      for (const at of offsetsOf(bytes, tagAndCiphertext)) findings.sealed.push(`${k.label} tag+ciphertext in ${name} at ${at}`);
      for (const at of offsetsOf(bytes, ciphertext)) findings.sealed.push(`${k.label} ciphertext in ${name} at ${at}`);
      for (const [what, secret] of [['import token', k.importToken], ['wrapped material', k.wrapped]] as const) {
        for (const [encoding, needle] of encodings(secret)) {
          for (const at of offsetsOf(bytes, needle)) findings.importSecrets.push(`${k.label} ${what} ${encoding} in ${name} at ${at}`);
        }
      }
    }
    // Every window that starts like a sealed blob of this master key, opened under every known material's context.
    for (const at of offsetsOf(bytes, header)) {
      const longest = Math.min(bytes.length - at, MAX_WINDOW);
      for (let length = MIN_WINDOW; length <= longest; length++) {
        const window = bytes.subarray(at, at + length);
        for (const k of known) {
          let opened: Buffer;
          try {
            opened = sealer.open(window, sealingContext(k.keyId, k.keyMaterialId));
          } catch {
            continue;
          }
          findings.opened.push(`${k.label} opened from ${name} at ${at} (${length} bytes)${opened.equals(k.material) ? '' : ' to OTHER bytes'}`);
        }
      }
    }
  }
  return findings;
}

const nothing: Findings = { plaintext: [], sealed: [], opened: [], importSecrets: [] };

function sealerFor(dataDir: string): MaterialSealer {
  return new MaterialSealer(MasterKey.fromBase64(readFileSync(join(dataDir, 'master.key'), 'utf8').trim()));
}

/** The sealed row as the vault holds it (read-only connection, closed at once so it never holds back a checkpoint). */
function sealedRow(dataDir: string, keyId: string, keyMaterialId: string): Buffer | undefined {
  const db = new Database(join(dataDir, 'vault.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT sealed FROM sealed_materials WHERE key_id = ? AND key_material_id = ?').get(keyId, keyMaterialId) as { sealed: Buffer } | undefined)?.sealed;
  } finally {
    db.close();
  }
}

type Spec = 'SYMMETRIC_DEFAULT' | 'HMAC_256';

/** Creates an EXTERNAL key and imports known material into it, keeping what an attacker would look for. */
async function importKnown(kms: KMSClient, dataDir: string, label: string, spec: Spec, expires?: Date): Promise<KnownMaterial> {
  const key = await createExternalKey(kms, spec === 'SYMMETRIC_DEFAULT' ? {} : { KeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC' });
  const keyId = key.KeyId!;
  const material = randomBytes(32);
  const params = await getImportParameters(kms, keyId);
  const wrapped = wrapForImport('RSAES_OAEP_SHA_256', params.PublicKey!, material);
  await kms.send(
    new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: params.ImportToken,
      EncryptedKeyMaterial: wrapped,
      ...(expires ? { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: expires } : { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }),
    }),
  );
  // Used once, so the service has really opened it.
  if (spec === 'SYMMETRIC_DEFAULT') await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('in use') }));
  else await kms.send(new GenerateMacCommand({ KeyId: keyId, MacAlgorithm: 'HMAC_SHA_256', Message: Buffer.from('in use') }));
  const keyMaterialId = computeKeyMaterialId(keyId, material);
  const sealed = sealedRow(dataDir, keyId, keyMaterialId);
  expect(sealed).toBeDefined();
  return { label, keyId, keyMaterialId, material, sealed: sealed!, importToken: Buffer.from(params.ImportToken!), wrapped };
}

/** Before any shredding the scanner must find the sealed copies and open them: it works, so its silence later means something. */
function expectScannerSeesLiveMaterial(dataDir: string, sealer: MaterialSealer, known: KnownMaterial[]): void {
  const live = recoverable(dataDir, sealer, known);
  expect(live.plaintext).toEqual([]);
  expect(live.importSecrets).toEqual([]);
  for (const k of known) {
    expect(live.sealed.some((f) => f.startsWith(`${k.label} tag+ciphertext in vault.sqlite`))).toBe(true);
    expect(live.opened.some((f) => f.startsWith(`${k.label} opened from vault.sqlite`) && !f.endsWith('OTHER bytes'))).toBe(true);
  }
}

const stateOf = async (kms: KMSClient, keyId: string) => (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!.KeyState;

describe('secrets at rest: deleted material cannot be recovered from DATA_DIR, even with the master key', () => {
  describe('a service process (embedded store, development master key in DATA_DIR/master.key)', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyledger-at-rest-'));
    let service: ServiceProcess;
    let kms: KMSClient;
    let sealer: MaterialSealer;
    beforeAll(async () => {
      service = await startServiceProcess({ DATA_DIR: dataDir, LOG_FORMAT: 'json', KEYLEDGER_EXPIRY_INTERVAL_MS: '100' });
      kms = kmsClientFor(service.url);
      sealer = sealerFor(dataDir);
    });
    afterAll(async () => {
      if (service.child.exitCode === null) await service.stop();
      rmSync(dataDir, { recursive: true, force: true });
    });

    it('DeleteImportedKeyMaterial: no plaintext, no sealed bytes, nothing that opens, in any file', async () => {
      const symmetric = await importKnown(kms, dataDir, 'symmetric', 'SYMMETRIC_DEFAULT');
      const hmac = await importKnown(kms, dataDir, 'hmac', 'HMAC_256');
      // Material that stays, written after, so the vault has more pages and live rows next to the deleted ones.
      const stays = [];
      for (let i = 0; i < 4; i++) stays.push(await importKnown(kms, dataDir, `stays-${i}`, 'SYMMETRIC_DEFAULT'));
      expectScannerSeesLiveMaterial(dataDir, sealer, [symmetric, hmac]);

      await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: symmetric.keyId }));
      expect(recoverable(dataDir, sealer, [symmetric])).toEqual(nothing);
      await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: hmac.keyId }));
      expect(recoverable(dataDir, sealer, [symmetric, hmac])).toEqual(nothing);
      expect(await stateOf(kms, symmetric.keyId)).toBe('PendingImport');
      expect(await stateOf(kms, hmac.keyId)).toBe('PendingImport');
      // The material that stayed is still there and still opens (the scan did not miss it by construction).
      expect(sealedRow(dataDir, stays[0].keyId, stays[0].keyMaterialId)).toEqual(stays[0].sealed);
    });

    it('expiry (KEY_MATERIAL_EXPIRES a few seconds ahead): after the expiry job ran, nothing is recoverable', async () => {
      const validTo = new Date(Math.ceil((Date.now() + 8000) / 1000) * 1000);
      const symmetric = await importKnown(kms, dataDir, 'expiring-symmetric', 'SYMMETRIC_DEFAULT', validTo);
      const hmac = await importKnown(kms, dataDir, 'expiring-hmac', 'HMAC_256', validTo);
      expectScannerSeesLiveMaterial(dataDir, sealer, [symmetric, hmac]);
      expect(Date.now()).toBeLessThan(validTo.getTime());

      await eventually(
        async () => [await stateOf(kms, symmetric.keyId), await stateOf(kms, hmac.keyId)],
        (states) => states.every((s) => s === 'PendingImport'),
        20000,
      );
      await eventually(
        () => [sealedRow(dataDir, symmetric.keyId, symmetric.keyMaterialId), sealedRow(dataDir, hmac.keyId, hmac.keyMaterialId)],
        (rows) => rows.every((r) => r === undefined),
      );
      expect(recoverable(dataDir, sealer, [symmetric, hmac])).toEqual(nothing);
    });

    it('a reader holding a snapshot of vault.sqlite during the shred (a backup, litestream, sqlite3): still nothing recoverable once it lets go', async () => {
      const symmetric = await importKnown(kms, dataDir, 'pinned-symmetric', 'SYMMETRIC_DEFAULT');
      expectScannerSeesLiveMaterial(dataDir, sealer, [symmetric]);
      const reader = new Database(join(dataDir, 'vault.sqlite'), { readonly: true, fileMustExist: true });
      let released = 0;
      try {
        reader.exec('BEGIN');
        reader.prepare('SELECT count(*) FROM sealed_materials').get(); // the snapshot is taken at the first read
        // Longer than the vault's busy_timeout (5 s), as a backup of a large vault would be.
        const release = new Promise<void>((resolve) =>
          setTimeout(() => {
            reader.exec('COMMIT');
            released = Date.now();
            resolve();
          }, 6000),
        );
        await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: symmetric.keyId }));
        const answered = Date.now();
        await release;
        expect(answered).toBeLessThanOrEqual(released); // the deletion answered while the snapshot was still held
      } finally {
        reader.close();
      }
      expect(sealedRow(dataDir, symmetric.keyId, symmetric.keyMaterialId)).toBeUndefined();
      // The vault retries the WAL truncation the reader blocked (every 100 ms): the copy goes as soon as it lets go.
      const deadline = Date.now() + 3000;
      while (Date.now() < deadline && JSON.stringify(recoverable(dataDir, sealer, [symmetric])) !== JSON.stringify(nothing)) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(recoverable(dataDir, sealer, [symmetric])).toEqual(nothing);
    });

    it('kill -9 right after DeleteImportedKeyMaterial answered: nothing recoverable; the next start agrees', async () => {
      const symmetric = await importKnown(kms, dataDir, 'killed-symmetric', 'SYMMETRIC_DEFAULT');
      const hmac = await importKnown(kms, dataDir, 'killed-hmac', 'HMAC_256');
      expectScannerSeesLiveMaterial(dataDir, sealer, [symmetric, hmac]);

      await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: hmac.keyId }));
      const exited = new Promise((resolve) => service.child.once('exit', (code, signal) => resolve(signal)));
      await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: symmetric.keyId }));
      service.child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
      expect(recoverable(dataDir, sealer, [symmetric, hmac])).toEqual(nothing);

      // Restarted on the same directory: the log and the vault agree, and after a clean stop still nothing.
      service = await startServiceProcess({ DATA_DIR: dataDir, LOG_FORMAT: 'json', KEYLEDGER_EXPIRY_INTERVAL_MS: '100' });
      kms = kmsClientFor(service.url);
      expect(await stateOf(kms, symmetric.keyId)).toBe('PendingImport');
      expect(await stateOf(kms, hmac.keyId)).toBe('PendingImport');
      await service.stopCleanly();
      expect(recoverable(dataDir, sealer, [symmetric, hmac])).toEqual(nothing);
    });
  });

  describe('key deletion (in-process, test clock: the 7-day waiting period passes at once; maintenance every 100 ms)', () => {
    let kl: RunningKeyledger;
    beforeAll(async () => {
      kl = await startKeyledger();
    });
    afterAll(() => kl.destroy());

    it('after the key is deleted, nothing of its material is recoverable, while running and after a stop', async () => {
      const kms = kl.client();
      const sealer = sealerFor(kl.dataDir);
      const symmetric = await importKnown(kms, kl.dataDir, 'deleted-key-symmetric', 'SYMMETRIC_DEFAULT');
      const hmac = await importKnown(kms, kl.dataDir, 'deleted-key-hmac', 'HMAC_256');
      const stays = await importKnown(kms, kl.dataDir, 'stays', 'SYMMETRIC_DEFAULT');
      expectScannerSeesLiveMaterial(kl.dataDir, sealer, [symmetric, hmac]);

      for (const k of [symmetric, hmac]) await kms.send(new ScheduleKeyDeletionCommand({ KeyId: k.keyId, PendingWindowInDays: 7 }));
      // Still held while pending deletion (the deletion can be canceled).
      expect(sealedRow(kl.dataDir, symmetric.keyId, symmetric.keyMaterialId)).toBeDefined();
      kl.clock.advance(7 * DAY + 60_000);
      await eventually(
        () => [sealedRow(kl.dataDir, symmetric.keyId, symmetric.keyMaterialId), sealedRow(kl.dataDir, hmac.keyId, hmac.keyMaterialId)],
        (rows) => rows.every((r) => r === undefined),
      );
      await expect(kms.send(new DescribeKeyCommand({ KeyId: symmetric.keyId }))).rejects.toMatchObject({ name: 'NotFoundException' });
      expect(recoverable(kl.dataDir, sealer, [symmetric, hmac])).toEqual(nothing);
      expect(sealedRow(kl.dataDir, stays.keyId, stays.keyMaterialId)).toEqual(stays.sealed);

      await kl.stop();
      expect(recoverable(kl.dataDir, sealer, [symmetric, hmac])).toEqual(nothing);
    });
  });
});
