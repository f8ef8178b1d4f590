import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { KMSClient } from '@aws-sdk/client-kms';
import {
  DEV_PUBLIC_KEY_FILE,
  DEV_SIGNING_KEY_FILE,
  DIGEST_STREAM_ID,
  eventHash,
  generateSigningKey,
  parsePublicKey,
  verifyAuditLog,
  type VerificationReport,
} from '@keyledger/audit';
import { SqliteEventStore } from '@keyledger/event-store';
import { main as keyledgerCli } from '../../apps/kms-cli/src/main';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { eventually, LoggedEvent, readEventLog } from '../support/event-log';
import { expectKmsError } from '../support/kms-error-assertions';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';

/** Verifies the log of a data directory (or a copy of its events.sqlite) as an auditor would: file plus public key. */
async function verifyDataDir(dir: string, publicKeyPem: string): Promise<VerificationReport> {
  const store = new SqliteEventStore({ filename: join(dir, 'events.sqlite') });
  try {
    return await verifyAuditLog(store, { publicKeys: [parsePublicKey(publicKeyPem)] });
  } finally {
    await store.close();
  }
}

/** Runs `keyledger <args>` in this process, capturing what it prints. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const printed = { stdout: '', stderr: '' };
  const capture = (stream: 'stdout' | 'stderr') =>
    jest.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => ((printed[stream] += String(chunk)), true));
  const spies = [capture('stdout'), capture('stderr')];
  try {
    const code = await keyledgerCli(['node', 'keyledger', ...args]);
    return { code, ...printed };
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
}

/** Waits until a digest covers every event that is not itself a digest. */
async function digested(dataDir: string): Promise<LoggedEvent[]> {
  const lastChange = () => Math.max(...readEventLog(dataDir).filter((e) => e.streamId !== DIGEST_STREAM_ID).map((e) => e.position));
  return eventually(
    () => readEventLog(dataDir, DIGEST_STREAM_ID),
    (digests) => digests.length > 0 && (digests[digests.length - 1].data.toPosition as number) >= lastChange(),
  );
}

/** Some history: a BYOK round, a reimport, a refusal. Returns the key id. */
async function someHistory(kms: KMSClient): Promise<string> {
  const key = await createExternalKey(kms);
  const material = randomBytes(32);
  await importMaterial(kms, key.KeyId!, material);
  await importMaterial(kms, key.KeyId!, material);
  await expectKmsError(importMaterial(kms, key.KeyId!, randomBytes(32), { import: { ImportType: 'EXISTING_KEY_MATERIAL' } }), 'IncorrectKeyMaterialException', /not the key material previously imported/);
  return key.KeyId!;
}

describe('audit trail: tamper evidence', () => {
  describe('with the development signing key', () => {
    let kl: RunningKeyledger;
    let keyId: string;
    let publicKeyPem: string;
    const copies: string[] = [];

    beforeAll(async () => {
      kl = await startKeyledger({ env: { KEYLEDGER_AUDIT_DIGEST_INTERVAL_MS: '200' } });
      keyId = await someHistory(kl.client());
      await digested(kl.dataDir);
      publicKeyPem = readFileSync(join(kl.dataDir, DEV_PUBLIC_KEY_FILE), 'utf8');
      await kl.stop();
    });
    afterAll(async () => {
      await kl.destroy();
      for (const dir of copies) rmSync(dir, { recursive: true, force: true });
    });

    /** A copy of the stopped service's log, edited with one SQL statement. */
    function tamperedCopy(sql: string, ...params: unknown[]): string {
      const dir = mkdtempSync(join(tmpdir(), 'keyledger-tampered-'));
      copies.push(dir);
      copyFileSync(join(kl.dataDir, 'events.sqlite'), join(dir, 'events.sqlite'));
      const db = new Database(join(dir, 'events.sqlite'));
      try {
        expect(db.prepare(sql).run(...params).changes).toBe(1);
      } finally {
        db.close();
      }
      return dir;
    }

    it('chains every event to the previous one of its stream', () => {
      const log = readEventLog(kl.dataDir);
      const previous = new Map<string, LoggedEvent>();
      for (const event of log) {
        const before = previous.get(event.streamId);
        expect(event.metadata.previousEventHash).toBe(before ? eventHash(before as unknown as Parameters<typeof eventHash>[0]) : null);
        previous.set(event.streamId, event);
      }
      expect([...previous.keys()].sort()).toEqual([DIGEST_STREAM_ID, `kms-key-${keyId}`, `kms-refusals-${keyId}`].sort());
    });

    it('signs digests that verify with the public key alone', async () => {
      const digests = readEventLog(kl.dataDir, DIGEST_STREAM_ID);
      expect(digests[0].metadata.principal).toEqual({ type: 'Service', invokedBy: 'keyledger-audit-digest' });
      expect(digests[0].data).toMatchObject({ version: 1, fromPosition: 0, previousDigestHash: null, signature: expect.any(String) });
      const report = await verifyDataDir(kl.dataDir, publicKeyPem);
      expect(report).toMatchObject({ ok: true, problems: [], digestCount: digests.length });
      expect(report.lastDigest!.toPosition).toBeGreaterThanOrEqual(readEventLog(kl.dataDir, `kms-refusals-${keyId}`)[0].position);
      // Another key's public key trusts none of them.
      const stranger = await verifyDataDir(kl.dataDir, generateSigningKey().publicKeyPem);
      expect(stranger.firstProblem).toMatchObject({ kind: 'digest-invalid', streamId: DIGEST_STREAM_ID });
    });

    it('reports exactly the event whose row was edited in events.sqlite (payload)', async () => {
      const issued = readEventLog(kl.dataDir, `kms-key-${keyId}`).find((e) => e.type === 'ImportParametersIssued.v1')!;
      const dir = tamperedCopy(`UPDATE events SET data = json_set(data, '$.wrappingAlgorithm', 'RSAES_OAEP_SHA_1') WHERE position = ?`, issued.position);
      const report = await verifyDataDir(dir, publicKeyPem);
      expect(report.ok).toBe(false);
      expect(report.firstProblem).toMatchObject({ kind: 'event-modified', position: issued.position, streamId: `kms-key-${keyId}`, revision: issued.revision });
      expect(report.problemCount).toBe(1);
    });

    it("reports exactly the event whose row was edited in events.sqlite (who did it, on a stream's last event)", async () => {
      const stream = readEventLog(kl.dataDir, `kms-key-${keyId}`);
      const last = stream[stream.length - 1];
      const dir = tamperedCopy(`UPDATE events SET metadata = json_set(metadata, '$.principal.accessKeyId', 'AKIASOMEONEELSE') WHERE position = ?`, last.position);
      const report = await verifyDataDir(dir, publicKeyPem);
      expect(report.firstProblem).toMatchObject({ kind: 'event-modified', position: last.position, streamId: `kms-key-${keyId}`, revision: last.revision });
      expect(report.problemCount).toBe(1);
    });

    it('`keyledger verify` says OK for the untouched log and names the edited event otherwise (exit code 3)', async () => {
      const keyFile = join(mkdtempSync(join(tmpdir(), 'keyledger-pub-')), 'audit.pub.pem');
      copies.push(join(keyFile, '..'));
      writeFileSync(keyFile, publicKeyPem);
      const ok = await cli('verify', '--data-dir', kl.dataDir, '--public-key', keyFile);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toMatch(/^OK: \d+ event\(s\) in 3 stream\(s\)/);

      const issued = readEventLog(kl.dataDir, `kms-key-${keyId}`).find((e) => e.type === 'ImportParametersIssued.v1')!;
      const dir = tamperedCopy(`UPDATE events SET metadata = json_set(metadata, '$.requestId', 'forged') WHERE position = ?`, issued.position);
      const failed = await cli('verify', '--data-dir', dir, '--public-key', keyFile);
      expect(failed.code).toBe(3);
      expect(failed.stdout).toContain(`FAILED:`);
      expect(failed.stdout).toContain(`event-modified at position ${issued.position}, stream kms-key-${keyId}, revision ${issued.revision}`);
      expect(failed.stderr).toContain('failed verification (1 problem(s))');
      const json = JSON.parse((await cli('verify', '--data-dir', dir, '--public-key', keyFile, '--json')).stdout) as VerificationReport;
      expect(json.firstProblem).toMatchObject({ position: issued.position });
    });

    it('reports a deleted refusal', async () => {
      const [refused] = readEventLog(kl.dataDir, `kms-refusals-${keyId}`);
      const dir = tamperedCopy('DELETE FROM events WHERE position = ?', refused.position);
      const report = await verifyDataDir(dir, publicKeyPem);
      expect(report.firstProblem).toMatchObject({ kind: 'event-missing', streamId: `kms-refusals-${keyId}`, revision: 0 });
    });
  });

  it('signs with a configured key (no development key file) once enough events are new', async () => {
    const signingKey = generateSigningKey();
    const kl = await startKeyledger({
      env: {
        KEYLEDGER_AUDIT_SIGNING_KEY: signingKey.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('base64'),
        KEYLEDGER_AUDIT_DIGEST_INTERVAL_MS: '3600000',
        KEYLEDGER_AUDIT_DIGEST_EVERY_EVENTS: '3',
      },
    });
    try {
      await someHistory(kl.client()); // 9 events: at least one digest is due by count, none by time
      const digests = await eventually(() => readEventLog(kl.dataDir, DIGEST_STREAM_ID), (d) => d.length > 0);
      expect(digests[0].data.eventCount).toBeGreaterThanOrEqual(3);
      expect(digests.every((d) => d.data.publicKeyFingerprint === signingKey.fingerprint)).toBe(true);
      expect(existsSync(join(kl.dataDir, DEV_SIGNING_KEY_FILE))).toBe(false);
      expect(await verifyDataDir(kl.dataDir, signingKey.publicKeyPem)).toMatchObject({ ok: true, digestCount: digests.length });
    } finally {
      await kl.destroy();
    }
  });
});
