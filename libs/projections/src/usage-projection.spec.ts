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

interface ReadModel {
  dir: string;
  db: Database.Database;
  runner: ProjectionRunner;
  usage: SqliteUsageLog;
}

/** The service's read models over the store in a fresh directory, caught up with the store's head. */
async function readModelOver(store: InMemoryEventStore): Promise<ReadModel> {
  const dir = mkdtempSync(join(tmpdir(), 'keyledger-usage-projection-'));
  const db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
  const runner = new ProjectionRunner(store, db, readModelProjections(db));
  runner.start();
  expect(await runner.waitForPosition(await store.headPosition(), 2000)).toBe(true);
  return { dir, db, runner, usage: new SqliteUsageLog(db, store) };
}

async function close({ dir, db, runner }: ReadModel): Promise<void> {
  await runner.stop();
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

describe('the usage read model', () => {
  let dir: string;
  let store: InMemoryEventStore;
  let db: Database.Database;
  let runner: ProjectionRunner;
  let usage: SqliteUsageLog;

  beforeEach(async () => {
    store = new InMemoryEventStore();
    await usageLog(store);
    ({ dir, db, runner, usage } = await readModelOver(store));
  });
  afterEach(() => close({ dir, db, runner, usage }));

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
    const rows = () => db.prepare('SELECT * FROM usage_groups ORDER BY position, first_idx').all();
    const before = rows();
    // Every record of these batches differs from its neighbours in key, operation, principal, outcome or scope.
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

  it('reads each record back from its batch in the log; records whose batch the log lacks are left out, the page fills from later ones', async () => {
    expect(db.prepare("SELECT name FROM pragma_table_info('usage_groups')").pluck().all()).not.toContain('record');
    const asked: number[][] = [];
    const partial = new SqliteUsageLog(db, {
      readEventsAt: async (positions) => {
        asked.push([...positions]);
        return (await store.readEventsAt(positions)).filter((e) => e.position !== 1);
      },
    });
    const page = await partial.query({ ...SCOPE, keyId: keyId(1), limit: 3 });
    if (page === 'invalid-cursor') throw new Error('invalid cursor');
    // Batch 1 (req-1-0, req-1-1) is not returned: the first read (batches 1 and 2, four uses, enough for a page and
    // the one that says there is another) gives two records, the second read the page's third and one more.
    expect(asked).toEqual([[1, 2], [4]]);
    expect(ids(page)).toEqual(['req-1-3', 'req-1-4', 'req-1-6']);
    expect(page.next).toBe(encodeUsageCursor(4, 0));
  });
});

describe('the one-row-per-record usage table of earlier versions', () => {
  it('is dropped when the file is opened, and the checkpoint reset, so the log is replayed into the grouped table', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyledger-usage-schema-'));
    const store = new InMemoryEventStore();
    await usageLog(store);
    try {
      const file = join(dir, 'read-models.sqlite');
      const old = openReadModelDatabase(file);
      old.exec(`DROP TABLE usage_groups;
        CREATE TABLE usage_records (position INTEGER NOT NULL, idx INTEGER NOT NULL, key_id TEXT NOT NULL, account_id TEXT NOT NULL,
          region TEXT NOT NULL, time INTEGER NOT NULL, operation TEXT NOT NULL, principal TEXT, outcome TEXT NOT NULL, PRIMARY KEY (position, idx))`);
      old.prepare("INSERT INTO projection_checkpoints (name, position) VALUES ('read-models', 4)").run();
      old.close();
      const db = openReadModelDatabase(file);
      try {
        const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'usage_%' ORDER BY name").pluck().all();
        expect(tables).toEqual(['usage_groups']);
        expect(db.prepare('SELECT COUNT(*) FROM projection_checkpoints').pluck().get()).toBe(0);
        const runner = new ProjectionRunner(store, db, readModelProjections(db));
        runner.start();
        expect(await runner.waitForPosition(await store.headPosition(), 2000)).toBe(true);
        await runner.stop();
        const page = await new SqliteUsageLog(db, store).query({ ...SCOPE, keyId: keyId(1), limit: 100 });
        expect(page !== 'invalid-cursor' && page.records.map((r) => r.requestId)).toEqual(['req-1-0', 'req-1-1', 'req-1-3', 'req-1-4', 'req-1-6', 'req-1-7']);
      } finally {
        db.close();
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
      db.exec('DROP TABLE usage_groups');
      db.prepare("INSERT INTO projection_checkpoints (name, position) VALUES ('read-models', 42)").run();
      db.close();
      const reopened = openReadModelDatabase(file);
      try {
        expect(reopened.prepare('SELECT COUNT(*) FROM projection_checkpoints').pluck().get()).toBe(0);
        expect(reopened.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'usage_groups' AND name LIKE 'usage_%' ORDER BY name").pluck().all()).toEqual([
          'usage_groups_by_key',
          'usage_groups_by_key_outcome',
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

describe('the usage read model over large, mixed batches (one row per group of a batch)', () => {
  const BASE = Date.parse('2026-11-22T11:00:00.000Z');
  const ALICE = { type: 'User', accountId: ACCOUNT, accessKeyId: 'AKIAALICE' } as const;
  const BOB = { type: 'User', accountId: ACCOUNT, accessKeyId: 'AKIABOB' } as const;
  let seq = 0;
  const use = (key: number, extra: Partial<UsageRecordData> = {}): UsageRecordData => {
    const n = seq++;
    return record(key, 0, { requestId: `use-${n}`, time: new Date(BASE + n * 1000).toISOString(), ...extra });
  };
  /** Batch 1: one client's sixty Encrypts; batch 2: Encrypt (alice) and Decrypt (bob) alternating, every seventh refused, and another key's uses between; batch 3: thirty more Encrypts. */
  const batches = (): UsageRecordData[][] => {
    seq = 0;
    const first = Array.from({ length: 60 }, () => use(5, { operation: 'Encrypt', principal: ALICE }));
    const second = Array.from({ length: 45 }, (_, i) =>
      i % 5 === 4 ? use(6) : use(5, { operation: i % 2 ? 'Decrypt' : 'Encrypt', principal: i % 2 ? BOB : ALICE, ...(i % 7 === 6 && { outcome: 'Refused', errorType: 'DisabledException' }) }),
    );
    const third = Array.from({ length: 30 }, () => use(5, { operation: 'Encrypt', principal: ALICE }));
    return [first, second, third];
  };

  let dir: string;
  let store: InMemoryEventStore;
  let db: Database.Database;
  let runner: ProjectionRunner;
  let usage: SqliteUsageLog;
  /** Every record with where it is in the log, to filter independently of the read model. */
  let all: Array<{ position: number; idx: number; record: UsageRecordData }>;

  beforeEach(async () => {
    store = new InMemoryEventStore();
    all = [];
    let revision = NO_STREAM;
    for (const records of batches()) {
      const appended = await store.appendToStream('kms-usage-c', [batch(...records)], revision);
      revision = appended.nextExpectedRevision;
      records.forEach((record, idx) => all.push({ position: appended.position, idx, record }));
    }
    ({ dir, db, runner, usage } = await readModelOver(store));
  });
  afterEach(() => close({ dir, db, runner, usage }));

  /** Every page of a query, with the cursor each page handed out. */
  const allPages = async (filter: Partial<Parameters<SqliteUsageLog['query']>[0]>, limit: number) => {
    const pages: Array<{ ids: string[]; next?: string }> = [];
    let after: string | undefined;
    do {
      const page = await usage.query({ ...SCOPE, keyId: keyId(5), limit, after, ...filter });
      if (page === 'invalid-cursor') throw new Error('invalid cursor');
      pages.push({ ids: page.records.map((r) => r.requestId), next: page.next });
      if (page.next) expect(page.next).toBe(page.records[page.records.length - 1].cursor);
      after = page.next;
    } while (after);
    return pages;
  };
  const expected = (keep: (r: UsageRecordData) => boolean) => all.filter((u) => u.record.keyId === keyId(5) && keep(u.record)).map((u) => u.record.requestId);

  it('stores a batch of one client\'s uses as one row, and a mixed batch as one row per group', () => {
    const rows = db.prepare('SELECT position, indexes, operation, principal, outcome FROM usage_groups WHERE key_id = ? ORDER BY position, first_idx').all(keyId(5)) as Array<{ position: number; indexes: string }>;
    expect(rows.filter((r) => r.position === all[0].position)).toEqual([{ position: all[0].position, indexes: '0-59', operation: 'Encrypt', principal: 'AKIAALICE', outcome: 'Succeeded' }]);
    // Batch 2: Encrypt and Decrypt, each Succeeded and Refused: four groups of key 5, whatever their interleaving.
    expect(rows.filter((r) => r.position === all[60].position)).toHaveLength(4);
    expect(rows.filter((r) => r.position === all[105].position)).toEqual([{ position: all[105].position, indexes: '0-29', operation: 'Encrypt', principal: 'AKIAALICE', outcome: 'Succeeded' }]);
  });

  it.each([1, 7, 50, 200])('pages of %i give every use of the key once, in log order, across interleaved groups', async (limit) => {
    const pages = await allPages({}, limit);
    const want = expected(() => true);
    expect(pages.flatMap((p) => p.ids)).toEqual(want);
    expect(pages.slice(0, -1).every((p) => p.ids.length === limit)).toBe(true);
    expect(pages).toHaveLength(Math.ceil(want.length / limit));
  });

  it('filters each record by operation, principal and a time window that cuts groups in the middle', async () => {
    const from = BASE + 30_000;
    const to = BASE + 80_500;
    const inWindow = (r: UsageRecordData) => Date.parse(r.time) >= from && Date.parse(r.time) < to;
    expect((await allPages({ from, to }, 9)).flatMap((p) => p.ids)).toEqual(expected(inWindow));
    expect((await allPages({ operation: 'Decrypt', from }, 4)).flatMap((p) => p.ids)).toEqual(expected((r) => r.operation === 'Decrypt' && Date.parse(r.time) >= from));
    expect((await allPages({ principal: 'AKIAALICE', to }, 11)).flatMap((p) => p.ids)).toEqual(expected((r) => r.principal.accessKeyId === 'AKIAALICE' && Date.parse(r.time) < to));
    expect(expected(inWindow).length).toBeGreaterThan(20);
  });

  it('lastUse is the latest successful use, found from the last group of the latest batch', async () => {
    const last = all.filter((u) => u.record.keyId === keyId(5) && u.record.outcome === 'Succeeded').at(-1)!;
    expect((await usage.lastUse(SCOPE, keyId(5)))?.requestId).toBe(last.record.requestId);
    const lastOfKey6 = all.filter((u) => u.record.keyId === keyId(6)).at(-1)!;
    expect(await usage.lastUse(SCOPE, keyId(6))).toMatchObject({ requestId: lastOfKey6.record.requestId, cursor: encodeUsageCursor(lastOfKey6.position, lastOfKey6.idx) });
  });
});
