import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { NO_STREAM, SqliteEventStore } from '@keyledger/event-store';
import { ChainingEventStore } from './chaining-event-store';
import { LogDigestWriter } from './log-digest-writer';
import { generateSigningKey } from './signing-key';
import { verifyAuditLog } from './verifier';

/** The same checks against the embedded store's file, tampered with the way someone with the file would: SQL. */
describe('verifyAuditLog on a SQLite event log edited directly', () => {
  const signingKey = generateSigningKey();
  let dir: string;
  let filename: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyledger-verify-'));
    filename = join(dir, 'events.sqlite');
    const store = new ChainingEventStore(new SqliteEventStore({ filename }));
    const writer = new LogDigestWriter({ store, signingKey, now: Date.now, newId: randomUUID });
    for (let key = 0; key < 3; key++) {
      const metadata = { principal: { type: 'User', accountId: '111122223333', accessKeyId: `AKIA${key}` }, timestamp: new Date().toISOString() };
      await store.appendToStream(`kms-key-${key}`, [{ type: 'KeyCreated.v1', data: { key }, metadata }], NO_STREAM);
      await store.appendToStream(`kms-key-${key}`, [{ type: 'ImportParametersIssued.v1', data: { key, importTokenId: randomUUID() }, metadata }], 0);
    }
    await writer.writeDigest(); // position 7, over (0, 6]
    await store.appendToStream('kms-key-0', [{ type: 'KeyMaterialDeleted.v1', data: { key: 0 }, metadata: {} }], 1);
    await writer.writeDigest(); // position 9
    await store.close();
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const tamper = (sql: string) => {
    const db = new Database(filename);
    try {
      expect(db.prepare(sql).run().changes).toBeGreaterThan(0);
    } finally {
      db.close();
    }
  };
  const verify = async () => {
    const store = new SqliteEventStore({ filename });
    try {
      return await verifyAuditLog(store, { publicKeys: [signingKey.publicKey] });
    } finally {
      await store.close();
    }
  };

  it('is OK untouched', async () => {
    expect(await verify()).toMatchObject({ ok: true, eventCount: 9, digestCount: 2 });
  });

  it.each([
    ['a payload field', `UPDATE events SET data = json_set(data, '$.key', 99) WHERE position = 1`, 1],
    ['a metadata field', `UPDATE events SET metadata = json_set(metadata, '$.principal.accessKeyId', 'AKIAX') WHERE position = 4`, 4],
    ['the event type', `UPDATE events SET type = 'KeyMaterialImported.v1' WHERE position = 2`, 2],
    ['a digested stream head', `UPDATE events SET data = json_set(data, '$.key', 7) WHERE position = 6`, 6],
  ])('reports exactly the row whose %s was edited', async (_what, sql, position) => {
    tamper(sql);
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.firstProblem).toMatchObject({ kind: 'event-modified', position });
    expect(report.problemCount).toBe(1);
  });

  it('reports a deleted row', async () => {
    tamper('DELETE FROM events WHERE position = 3');
    expect((await verify()).firstProblem).toMatchObject({ kind: 'event-missing', streamId: 'kms-key-1', revision: 0 });
  });

  it('reports a rewritten digest', async () => {
    tamper(`UPDATE events SET data = json_set(data, '$.eventCount', 1) WHERE position = 7`);
    expect((await verify()).firstProblem).toMatchObject({ kind: 'digest-invalid', position: 7 });
  });
});
