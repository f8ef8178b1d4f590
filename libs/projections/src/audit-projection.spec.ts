import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditEventTypes, DIGEST_STREAM_ID, refusalStreamForAccount, refusalStreamForKey } from '@keyledger/audit';
import { KeyEventTypes, keyStreamId, NO_STREAM_REVISION } from '@keyledger/domain';
import { InMemoryEventStore, JsonObject, NewEvent } from '@keyledger/event-store';
import { AuditProjection } from './audit-projection';
import { toAuditRecord } from './audit-record';
import { SqliteAuditLog } from './audit-read-model';
import { KeyProjection } from './key-projection';
import { ProjectionRunner } from './projection-runner';
import { openReadModelDatabase } from './read-model-database';

const keyId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const user = (accessKeyId: string) => ({ type: 'User', accountId: '111122223333', accessKeyId });
const expiryService = { type: 'Service', accountId: '111122223333', invokedBy: 'keyledger-expiry' };
const at = (minute: number) => `2026-11-22T10:${String(minute).padStart(2, '0')}:00.000Z`;
const event = (type: string, data: object, principal: object, minute: number, operation = 'Op'): NewEvent => ({
  type,
  data: data as JsonObject,
  metadata: { accountId: '111122223333', region: 'eu-west-1', principal, requestId: `req-${minute}`, operation, timestamp: at(minute) } as JsonObject,
});
const created = (n: number, minute: number) =>
  event(KeyEventTypes.KeyCreated, { keyId: keyId(n), arn: `arn:aws:kms:eu-west-1:111122223333:key/${keyId(n)}`, accountId: '111122223333', region: 'eu-west-1', description: '', keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'EXTERNAL', multiRegion: false, creationDate: at(minute) }, user('AKIAALICE'), minute, 'CreateKey');
const refused = (n: number | undefined, minute: number) =>
  event(AuditEventTypes.RequestRefused, { operation: 'ImportKeyMaterial', ...(n !== undefined && { keyId: keyId(n) }), requestedKeyId: n !== undefined ? keyId(n) : 'alias/nope', parameters: { importTokenId: 't-1' }, errorType: 'InvalidImportTokenException', errorMessage: 'The import token is invalid or is associated with a different KMS key.' }, user('AKIAMALLORY'), minute, 'ImportKeyMaterial');

describe('the audit read model', () => {
  let dir: string;
  let store: InMemoryEventStore;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyledger-audit-projection-'));
    store = new InMemoryEventStore();
    await store.appendToStream(keyStreamId(keyId(1)), [created(1, 0)], NO_STREAM_REVISION); // 1
    await store.appendToStream(keyStreamId(keyId(2)), [created(2, 1)], NO_STREAM_REVISION); // 2
    await store.appendToStream(refusalStreamForKey(keyId(1)), [refused(1, 2)], NO_STREAM_REVISION); // 3
    await store.appendToStream(DIGEST_STREAM_ID, [event(AuditEventTypes.LogDigest, { toPosition: 3 }, { type: 'Service', invokedBy: 'keyledger-audit-digest' }, 3)], NO_STREAM_REVISION); // 4
    await store.appendToStream('some-other-stream', [event('Unrelated.v1', {}, user('x'), 4)], NO_STREAM_REVISION); // 5
    await store.appendToStream(keyStreamId(keyId(1)), [event(KeyEventTypes.KeyMaterialExpired, { keyMaterialId: 'a'.repeat(64), validTo: at(5) }, expiryService, 5, 'DeleteExpiredKeyMaterial')], 0); // 6
    await store.appendToStream(refusalStreamForAccount('111122223333'), [refused(undefined, 6)], NO_STREAM_REVISION); // 7
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function caughtUp() {
    const db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
    const runner = new ProjectionRunner(store, db, [new KeyProjection(db), new AuditProjection(db)]);
    runner.start();
    expect(await runner.waitForPosition(await store.headPosition(), 2000)).toBe(true);
    return { db, runner, audit: new SqliteAuditLog(db, store) };
  }
  const positions = (page: { records: Array<{ position: number }> }) => page.records.map((r) => r.position);

  it('lists every key event and every refusal, and nothing else, with who, when, what and why', async () => {
    const { db, runner, audit } = await caughtUp();
    const page = await audit.query({ limit: 100 });
    expect(positions(page)).toEqual([1, 2, 3, 6, 7]);
    expect(page.nextAfterPosition).toBeUndefined();
    expect(page.records[2]).toEqual({
      position: 3,
      streamId: refusalStreamForKey(keyId(1)),
      revision: 0,
      keyId: keyId(1),
      type: 'RequestRefused.v1',
      time: at(2),
      principal: user('AKIAMALLORY'),
      requestId: 'req-2',
      operation: 'ImportKeyMaterial',
      outcome: 'Refused',
      errorType: 'InvalidImportTokenException',
      errorMessage: 'The import token is invalid or is associated with a different KMS key.',
      data: expect.objectContaining({ parameters: { importTokenId: 't-1' } }),
    });
    expect(page.records[0]).toMatchObject({ keyId: keyId(1), type: 'KeyCreated.v1', outcome: 'Succeeded', operation: 'CreateKey', time: at(0) });
    expect(page.records[0].errorType).toBeUndefined();
    expect(page.records[4].keyId).toBeUndefined();
    await runner.stop();
    db.close();
  });

  it('filters by key, event type, principal (access key or service) and time range, combined', async () => {
    const { db, runner, audit } = await caughtUp();
    expect(positions(await audit.query({ keyId: keyId(1), limit: 10 }))).toEqual([1, 3, 6]);
    expect(positions(await audit.query({ type: 'RequestRefused.v1', limit: 10 }))).toEqual([3, 7]);
    // Without its version, a type means every version of it; a mere prefix of a name is not a type.
    expect(positions(await audit.query({ type: 'RequestRefused', limit: 10 }))).toEqual([3, 7]);
    expect(positions(await audit.query({ type: 'RequestRefused.v2', limit: 10 }))).toEqual([]);
    expect(positions(await audit.query({ type: 'RequestRef', limit: 10 }))).toEqual([]);
    expect(positions(await audit.query({ type: '*', limit: 10 }))).toEqual([]);
    expect(positions(await audit.query({ principal: 'AKIAMALLORY', limit: 10 }))).toEqual([3, 7]);
    expect(positions(await audit.query({ principal: 'keyledger-expiry', limit: 10 }))).toEqual([6]);
    expect(positions(await audit.query({ principal: 'service:keyledger-expiry', limit: 10 }))).toEqual([6]);
    expect(positions(await audit.query({ from: Date.parse(at(1)), to: Date.parse(at(5)), limit: 10 }))).toEqual([2, 3]);
    expect(positions(await audit.query({ keyId: keyId(1), type: 'RequestRefused.v1', principal: 'AKIAMALLORY', limit: 10 }))).toEqual([3]);
    expect(positions(await audit.query({ keyId: keyId(9), limit: 10 }))).toEqual([]);
    await runner.stop();
    db.close();
  });

  it('pages by position', async () => {
    const { db, runner, audit } = await caughtUp();
    const first = await audit.query({ limit: 2 });
    expect(positions(first)).toEqual([1, 2]);
    expect(first.nextAfterPosition).toBe(2);
    const second = await audit.query({ limit: 2, afterPosition: first.nextAfterPosition });
    expect(positions(second)).toEqual([3, 6]);
    const last = await audit.query({ limit: 2, afterPosition: second.nextAfterPosition });
    expect(positions(last)).toEqual([7]);
    expect(last.nextAfterPosition).toBeUndefined();
    expect(positions(await audit.query({ keyId: keyId(1), limit: 2, afterPosition: 1 }))).toEqual([3, 6]);
    await runner.stop();
    db.close();
  });

  it('is idempotent by position and rebuilds to the same answers', async () => {
    const { db, runner, audit } = await caughtUp();
    const before = await audit.query({ limit: 100 });
    const projection = new AuditProjection(db);
    for (const e of await store.readAll()) projection.apply(e);
    expect(await audit.query({ limit: 100 })).toEqual(before);
    db.prepare('DELETE FROM audit_entries WHERE position = 3').run();
    await runner.rebuild();
    await runner.waitForPosition(await store.headPosition(), 2000);
    expect(await audit.query({ limit: 100 })).toEqual(before);
    await runner.stop();
    db.close();
  });

  it('indexes the log instead of copying it: the rows hold positions and filter columns, the records come from the log', async () => {
    const { db, runner, audit } = await caughtUp();
    await runner.stop();
    expect(db.prepare('SELECT * FROM audit_entries ORDER BY position').all()).toEqual([
      { position: 1, key_id: keyId(1), type: 'KeyCreated.v1', time: Date.parse(at(0)), principal: 'AKIAALICE' },
      { position: 2, key_id: keyId(2), type: 'KeyCreated.v1', time: Date.parse(at(1)), principal: 'AKIAALICE' },
      { position: 3, key_id: keyId(1), type: 'RequestRefused.v1', time: Date.parse(at(2)), principal: 'AKIAMALLORY' },
      { position: 6, key_id: keyId(1), type: 'KeyMaterialExpired.v1', time: Date.parse(at(5)), principal: 'keyledger-expiry' },
      { position: 7, key_id: null, type: 'RequestRefused.v1', time: Date.parse(at(6)), principal: 'AKIAMALLORY' },
    ]);
    // Each record is what toAuditRecord makes of the event the log holds at that position.
    const log = await store.readAll();
    expect((await audit.query({ limit: 100 })).records).toEqual([0, 1, 2, 5, 6].map((i) => toAuditRecord(log[i])));
    // Read back from the log on every query: a page follows what the log says, not a snapshot taken at projection time.
    const fromLog = { readEventsAt: jest.fn(async (wanted: readonly number[]) => (await store.readEventsAt(wanted)).map((e) => ({ ...e, data: { ...e.data, seen: 'in the log' } }))) };
    const page = await new SqliteAuditLog(db, fromLog).query({ keyId: keyId(1), limit: 2 });
    expect(fromLog.readEventsAt).toHaveBeenCalledWith([1, 3]);
    expect(page.records.map((r) => r.data.seen)).toEqual(['in the log', 'in the log']);
    db.close();
  });

  it('loads a rebuild without its secondary indexes and builds them at the end, to the same answers', async () => {
    const { db, runner, audit } = await caughtUp();
    const indexes = () => db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_entries' ORDER BY name").pluck().all();
    const before = { indexes: indexes(), page: await audit.query({ keyId: keyId(1), limit: 100 }) };
    expect(before.indexes).toHaveLength(4);
    const projection = new AuditProjection(db);
    projection.beginRebuild();
    expect(indexes()).toEqual([]);
    projection.endRebuild();
    expect(indexes()).toEqual(before.indexes);

    const seen: string[] = [];
    const spy = { name: 'spy', apply: () => seen.push(indexes().join(',')), reset: () => undefined };
    const rebuilding = new ProjectionRunner(store, db, [new AuditProjection(db), spy]);
    await runner.stop();
    await rebuilding.rebuild();
    await rebuilding.waitForPosition(await store.headPosition(), 2000);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the runner sees it has caught up at its next idle moment
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((names) => names === '')).toBe(true);
    expect(indexes()).toEqual(before.indexes);
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL again after the bulk load
    expect(await audit.query({ keyId: keyId(1), limit: 100 })).toEqual(before.page);
    await rebuilding.stop();
    db.close();
  });

  it('a database opened after a bulk load was stopped half way gets its indexes back', async () => {
    const { db, runner } = await caughtUp();
    await runner.stop();
    new AuditProjection(db).beginRebuild();
    db.close();
    const reopened = openReadModelDatabase(join(dir, 'read-models.sqlite'));
    expect(reopened.prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_entries'").pluck().get()).toBe(4);
    reopened.close();
  });

  it('fills itself from the whole log when added to an existing read-model database', async () => {
    let { db, runner } = await caughtUp();
    await runner.stop();
    db.exec('DROP TABLE audit_entries'); // as a database from before the audit read model
    db.close();
    ({ db, runner } = await caughtUp());
    expect(positions(await new SqliteAuditLog(db, store).query({ limit: 100 }))).toEqual([1, 2, 3, 6, 7]);
    await runner.stop();
    db.close();
  });

  it("turns an earlier version's table, which copied every audited event, into the index without a replay", async () => {
    let { db, runner } = await caughtUp();
    await runner.stop();
    const entries = db.prepare('SELECT * FROM audit_entries ORDER BY position').all() as Array<Record<string, unknown>>;
    const checkpoints = db.prepare('SELECT * FROM projection_checkpoints ORDER BY name').all();
    db.exec(`DROP TABLE audit_entries;
      CREATE TABLE audit_records (position INTEGER PRIMARY KEY, key_id TEXT, type TEXT NOT NULL, time INTEGER NOT NULL, principal TEXT, record TEXT NOT NULL);`);
    const insert = db.prepare('INSERT INTO audit_records VALUES (@position, @key_id, @type, @time, @principal, @record)');
    for (const entry of entries) insert.run({ ...entry, record: '{"copy":"of the event"}' });
    db.close();

    db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'audit_records'").all()).toEqual([]);
    expect(db.prepare('SELECT * FROM audit_entries ORDER BY position').all()).toEqual(entries);
    expect(db.prepare('SELECT * FROM projection_checkpoints ORDER BY name').all()).toEqual(checkpoints); // nothing to replay
    expect(positions(await new SqliteAuditLog(db, store).query({ keyId: keyId(1), limit: 100 }))).toEqual([1, 3, 6]);
    db.close();
  });
});
