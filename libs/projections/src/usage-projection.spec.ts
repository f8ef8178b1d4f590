import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { encodeUsageBatch, USAGE_EVENT_V1, UsageEventTypes, type StoredUsageRecord, type UsageRecordData } from '@keyledger/application';
import { InMemoryEventStore, JsonObject, NO_STREAM, type RecordedEvent } from '@keyledger/event-store';
import { ProjectionRunner } from './projection-runner';
import { openReadModelDatabase } from './read-model-database';
import { readModelProjections } from './read-model-projections';
import { decodeUsageCursor, encodeUsageCursor, SqliteUsageLog } from './sqlite-usage-log';
import { UsageProjection } from './usage-projection';

const ACCOUNT = '111122223333';
const OTHER_ACCOUNT = '444455556666';
const keyId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const at = (minute: number) => `2026-11-22T10:${String(minute).padStart(2, '0')}:00.000Z`;
const SCOPE = { accountId: ACCOUNT, region: 'eu-west-1' };

const record = (key: number, minute: number, extra: Partial<UsageRecordData> = {}): UsageRecordData => ({
  keyId: keyId(key),
  keyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${keyId(key)}`,
  accountId: ACCOUNT,
  region: 'eu-west-1',
  operation: 'Decrypt',
  keyMaterialId: 'a'.repeat(64),
  principal: { type: 'User', accountId: ACCOUNT, accessKeyId: 'AKIAALICE' },
  requestId: `req-${key}-${minute}`,
  time: at(minute),
  outcome: 'Succeeded',
  ...extra,
});
const batch = (...records: UsageRecordData[]) => ({
  type: UsageEventTypes.KeyUsageRecorded,
  data: encodeUsageBatch(records) as unknown as JsonObject,
  metadata: { timestamp: at(59), operation: 'RecordKeyUsage', recordCount: records.length },
});
/** As logs written before KeyUsageRecorded.v2 hold them: every member in every record. */
const batchV1 = (...records: UsageRecordData[]) => ({ ...batch(...records), type: USAGE_EVENT_V1, data: { records } as unknown as JsonObject });

/**
 * Two service instances (two usage streams) and a stream that is not a usage stream:
 *   1 kms-usage-a r0: key1 Decrypt 00 alice, key1 Encrypt 01 bob, key2 Decrypt 02 alice
 *   2 kms-usage-b r0: key1 Decrypt 03 alice (Refused), key1 Decrypt 04 alice, key1 from another account 05 (a v1 batch)
 *   3 not-usage r0  : a batch-shaped event in another stream (ignored)
 *   4 kms-usage-a r1: key1 GenerateDataKey 06 service, key1 Decrypt 07 bob (Refused), key1 in another region 08
 */
async function usageLog(store: InMemoryEventStore): Promise<void> {
  await store.appendToStream('kms-usage-a', [batch(record(1, 0), record(1, 1, { operation: 'Encrypt', principal: { type: 'User', accountId: ACCOUNT, accessKeyId: 'AKIABOB' } }), record(2, 2))], NO_STREAM);
  await store.appendToStream(
    'kms-usage-b',
    [batchV1(record(1, 3, { outcome: 'Refused', errorType: 'DisabledException' }), record(1, 4, { encryptionContextHash: 'e'.repeat(64) }), record(1, 5, { accountId: OTHER_ACCOUNT, principal: { type: 'User', accountId: OTHER_ACCOUNT, accessKeyId: 'AKIAMALLORY' } }))],
    NO_STREAM,
  );
  await store.appendToStream('not-usage', [batch(record(1, 9))], NO_STREAM);
  await store.appendToStream(
    'kms-usage-a',
    [batch(
      record(1, 6, { operation: 'GenerateDataKey', principal: { type: 'Service', accountId: ACCOUNT, invokedBy: 'keyledger-test' } }),
      record(1, 7, { outcome: 'Refused', errorType: 'AccessDeniedException', keyMaterialId: undefined, principal: { type: 'User', accountId: ACCOUNT, accessKeyId: 'AKIABOB' } }),
      record(1, 8, { region: 'us-east-1' }),
    )],
    0,
  );
}

describe('the usage read model', () => {
  let dir: string;
  let store: InMemoryEventStore;
  let db: Database.Database;
  let runner: ProjectionRunner;
  let usage: SqliteUsageLog;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyledger-usage-projection-'));
    store = new InMemoryEventStore();
    await usageLog(store);
    db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
    runner = new ProjectionRunner(store, db, readModelProjections(db));
    runner.start();
    expect(await runner.waitForPosition(await store.headPosition(), 2000)).toBe(true);
    usage = new SqliteUsageLog(db, store);
  });
  afterEach(async () => {
    await runner.stop();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const query = async (filter: Partial<Parameters<SqliteUsageLog['query']>[0]> = {}) => {
    const page = await usage.query({ ...SCOPE, keyId: keyId(1), limit: 100, ...filter });
    if (page === 'invalid-cursor') throw new Error('invalid cursor');
    return page;
  };
  const ids = (page: { records: StoredUsageRecord[] }) => page.records.map((r) => r.requestId);
  const KEY1_IN_SCOPE = ['req-1-0', 'req-1-1', 'req-1-3', 'req-1-4', 'req-1-6', 'req-1-7'];

  it("lists one key's records of the caller's account and region, in log order, as stored", async () => {
    const page = await query();
    expect(ids(page)).toEqual(KEY1_IN_SCOPE);
    expect(page.next).toBeUndefined();
    expect(page.records[3]).toEqual({
      cursor: encodeUsageCursor(2, 1),
      keyId: keyId(1),
      keyArn: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/${keyId(1)}`,
      operation: 'Decrypt',
      keyMaterialId: 'a'.repeat(64),
      principal: { type: 'User', accountId: ACCOUNT, accessKeyId: 'AKIAALICE' },
      requestId: 'req-1-4',
      time: at(4),
      outcome: 'Succeeded',
      encryptionContextHash: 'e'.repeat(64),
    });
    expect(page.records[2]).toMatchObject({ outcome: 'Refused', errorType: 'DisabledException' });
    expect(page.records[5]).not.toHaveProperty('keyMaterialId');
    expect(page.records[0]).not.toHaveProperty('accountId');
  });

  it('scopes by account and region: the same key id elsewhere shows only its own records', async () => {
    expect(ids(await query({ accountId: OTHER_ACCOUNT }))).toEqual(['req-1-5']);
    expect(ids(await query({ region: 'us-east-1' }))).toEqual(['req-1-8']);
    expect(ids(await query({ region: 'ap-south-1' }))).toEqual([]);
    expect(ids(await query({ keyId: keyId(2) }))).toEqual(['req-2-2']);
  });

  it('pages with an opaque cursor; a cursor it did not hand out is invalid', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    let pages = 0;
    do {
      const page = await query({ limit: 4, after });
      seen.push(...ids(page));
      after = page.next;
      pages++;
    } while (after);
    expect(pages).toBe(2);
    expect(seen).toEqual(KEY1_IN_SCOPE);
    expect((await query({ limit: 3 })).next).toBe(encodeUsageCursor(2, 0));
    expect(await usage.query({ ...SCOPE, keyId: keyId(1), limit: 10, after: 'not a cursor!' })).toBe('invalid-cursor');
    expect(await usage.query({ ...SCOPE, keyId: keyId(1), limit: 10, after: Buffer.from('kl1:5').toString('base64url') })).toBe('invalid-cursor');
    expect(decodeUsageCursor(encodeUsageCursor(123, 4))).toEqual({ position: 123, idx: 4 });
  });

  it('filters by principal (access key id or service name), operation and time, combined', async () => {
    expect(ids(await query({ principal: 'AKIABOB' }))).toEqual(['req-1-1', 'req-1-7']);
    expect(ids(await query({ principal: 'service:keyledger-test' }))).toEqual(['req-1-6']);
    expect(ids(await query({ operation: 'Decrypt' }))).toEqual(['req-1-0', 'req-1-3', 'req-1-4', 'req-1-7']);
    expect(ids(await query({ from: Date.parse(at(3)), to: Date.parse(at(7)) }))).toEqual(['req-1-3', 'req-1-4', 'req-1-6']);
    expect(ids(await query({ principal: 'AKIABOB', operation: 'Decrypt', from: Date.parse(at(1)) }))).toEqual(['req-1-7']);
  });

  it('lastUse is the latest successful use, in scope', async () => {
    // req-1-7 is later but refused; req-1-8 is in another region.
    expect((await usage.lastUse(SCOPE, keyId(1)))?.requestId).toBe('req-1-6');
    expect((await usage.lastUse({ ...SCOPE, accountId: OTHER_ACCOUNT }, keyId(1)))?.requestId).toBe('req-1-5');
    expect(await usage.lastUse(SCOPE, keyId(3))).toBeUndefined();
    expect(await usage.lastUse({ ...SCOPE, region: 'ap-south-1' }, keyId(1))).toBeUndefined();
  });

  it('applying an event again changes nothing; a rebuild gives the same rows', async () => {
    const rows = () => db.prepare('SELECT * FROM usage_records ORDER BY position, idx').all();
    const before = rows();
    expect(before).toHaveLength(9);
    const projection = new UsageProjection(db);
    for (const event of await store.readAll()) projection.apply(event as RecordedEvent);
    expect(rows()).toEqual(before);
    await runner.rebuild();
    expect(await runner.waitForPosition(await store.headPosition(), 2000)).toBe(true);
    expect(rows()).toEqual(before);
    projection.reset();
    expect(rows()).toEqual([]);
  });

  it('reads each record back from its batch in the log; rows whose batch the log lacks are left out, paging goes on', async () => {
    expect(db.prepare("SELECT name FROM pragma_table_info('usage_records')").pluck().all()).not.toContain('record');
    const asked: number[][] = [];
    const partial = new SqliteUsageLog(db, {
      readEventsAt: async (positions) => {
        asked.push([...positions]);
        return (await store.readEventsAt(positions)).filter((e) => e.position !== 1);
      },
    });
    const page = await partial.query({ ...SCOPE, keyId: keyId(1), limit: 3 });
    if (page === 'invalid-cursor') throw new Error('invalid cursor');
    // Rows 1/0 and 1/1 are in batch 1, which this log does not return; 2/0 is. One read for the page's two batches.
    expect(asked).toEqual([[1, 2]]);
    expect(ids(page)).toEqual(['req-1-3']);
    expect(page.next).toBe(encodeUsageCursor(2, 0));
  });
});

describe('the usage table of earlier versions (a JSON copy of every record)', () => {
  it('loses the copies when opened, keeps its rows and the checkpoint, and serves the records from the log', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyledger-usage-schema-'));
    const store = new InMemoryEventStore();
    await usageLog(store);
    try {
      const file = join(dir, 'read-models.sqlite');
      const db = openReadModelDatabase(file);
      const runner = new ProjectionRunner(store, db, readModelProjections(db));
      runner.start();
      expect(await runner.waitForPosition(await store.headPosition(), 2000)).toBe(true);
      await runner.stop();
      const rows = db.prepare('SELECT * FROM usage_records ORDER BY position, idx').all();
      const checkpoint = db.prepare('SELECT position FROM projection_checkpoints').pluck().get();
      db.exec("ALTER TABLE usage_records ADD COLUMN record TEXT NOT NULL DEFAULT '{}'");
      db.close();
      const reopened = openReadModelDatabase(file);
      try {
        expect(reopened.prepare('SELECT * FROM usage_records ORDER BY position, idx').all()).toEqual(rows);
        expect(reopened.prepare('SELECT position FROM projection_checkpoints').pluck().get()).toBe(checkpoint);
        const page = await new SqliteUsageLog(reopened, store).query({ ...SCOPE, keyId: keyId(1), limit: 100 });
        expect(page !== 'invalid-cursor' && page.records.map((r) => r.requestId)).toEqual(['req-1-0', 'req-1-1', 'req-1-3', 'req-1-4', 'req-1-6', 'req-1-7']);
      } finally {
        reopened.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the usage table added to an existing read-models database', () => {
  it('resets the checkpoint, so the log is replayed into it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyledger-usage-schema-'));
    try {
      const file = join(dir, 'read-models.sqlite');
      const db = openReadModelDatabase(file);
      db.exec('DROP TABLE usage_records');
      db.prepare("INSERT INTO projection_checkpoints (name, position) VALUES ('read-models', 42)").run();
      db.close();
      const reopened = openReadModelDatabase(file);
      try {
        expect(reopened.prepare('SELECT COUNT(*) FROM projection_checkpoints').pluck().get()).toBe(0);
        expect(reopened.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage_records' AND name LIKE 'usage_%' ORDER BY name").pluck().all()).toEqual([
          'usage_records_by_key',
          'usage_records_by_key_outcome',
        ]);
        // Opened again with every table present: the checkpoint stays.
        reopened.prepare("INSERT INTO projection_checkpoints (name, position) VALUES ('read-models', 42)").run();
      } finally {
        reopened.close();
      }
      const again = openReadModelDatabase(file);
      expect(again.prepare('SELECT position FROM projection_checkpoints').pluck().get()).toBe(42);
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
