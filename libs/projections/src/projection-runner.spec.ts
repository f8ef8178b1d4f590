import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyEventTypes, keyStreamId, NO_STREAM_REVISION } from '@keyledger/domain';
import { InMemoryEventStore, JsonObject, NewEvent, SqliteEventStore } from '@keyledger/event-store';
import { KeyProjection } from './key-projection';
import { openReadModelDatabase } from './read-model-database';
import { ProjectionRunner } from './projection-runner';
import { SqliteKeyReadModel } from './sqlite-key-read-model';

const scope = { accountId: '000000000000', region: 'us-east-1' };
const keyId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const event = (type: string, data: object): NewEvent => ({ type, data: data as JsonObject, metadata: {} });

function created(n: number): NewEvent {
  return event(KeyEventTypes.KeyCreated, {
    keyId: keyId(n),
    arn: `arn:aws:kms:us-east-1:000000000000:key/${keyId(n)}`,
    accountId: scope.accountId,
    region: scope.region,
    description: `key ${n}`,
    keySpec: 'SYMMETRIC_DEFAULT',
    keyUsage: 'ENCRYPT_DECRYPT',
    origin: 'EXTERNAL',
    multiRegion: false,
    creationDate: '2026-11-22T10:00:00.000Z',
  });
}
const imported = (validTo: string) =>
  event(KeyEventTypes.KeyMaterialImported, {
    keyMaterialId: 'b'.repeat(64),
    importType: 'NEW_KEY_MATERIAL',
    reimport: false,
    materialState: 'CURRENT',
    expirationModel: 'KEY_MATERIAL_EXPIRES',
    validTo,
    importTokenId: 't',
    wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
    wrappingKeySpec: 'RSA_2048',
  });

describe('ProjectionRunner with the key projection', () => {
  let dir: string;
  let store: InMemoryEventStore;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keyledger-projection-'));
    store = new InMemoryEventStore();
    await store.appendToStream(keyStreamId(keyId(1)), [created(1), imported('2026-12-01T00:00:00.000Z')], NO_STREAM_REVISION);
    await store.appendToStream(keyStreamId(keyId(2)), [created(2)], NO_STREAM_REVISION);
    await store.appendToStream('some-other-stream', [event('Unrelated.v1', { x: 1 })], NO_STREAM_REVISION);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function open() {
    const db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
    const runner = new ProjectionRunner(store, db, [new KeyProjection(db)]);
    return { db, runner, readModel: new SqliteKeyReadModel(db) };
  }

  it('catches up from zero, serves keys and the expiry schedule, and releases waiters at their position', async () => {
    const { db, runner, readModel } = open();
    runner.start();
    expect(await runner.waitForPosition(await store.headPosition(), 2000)).toBe(true);
    expect((await readModel.findKey(scope, keyId(1)))!.materials).toHaveLength(1);
    expect((await readModel.findKey(scope, keyId(2)))!.key!.description).toBe('key 2');
    expect(await readModel.findKey({ ...scope, region: 'eu-west-1' }, keyId(1))).toBeUndefined();
    expect(await readModel.keysWithMaterialDueForExpiry(Date.parse('2026-11-30T00:00:00Z'), 10)).toEqual([]);
    expect(await readModel.keysWithMaterialDueForExpiry(Date.parse('2026-12-01T00:00:00Z'), 10)).toEqual([keyId(1)]);

    // A live append reaches the read model and its waiter.
    const appended = await store.appendToStream(keyStreamId(keyId(3)), [created(3)], NO_STREAM_REVISION);
    expect(await runner.waitForPosition(appended.position, 2000)).toBe(true);
    expect(await readModel.findKey(scope, keyId(3))).toBeDefined();
    expect(await runner.waitForPosition(appended.position + 100, 50)).toBe(false);
    await runner.stop();
    db.close();
  });

  it('resumes from its stored checkpoint after a restart without re-applying events', async () => {
    let { db, runner } = open();
    runner.start();
    await runner.waitForPosition(await store.headPosition(), 2000);
    await runner.stop();
    db.close();

    await store.appendToStream(keyStreamId(keyId(1)), [event(KeyEventTypes.KeyMaterialDeleted, { keyMaterialId: 'b'.repeat(64) })], 1);
    ({ db, runner } = open());
    const applied: number[] = [];
    const projection = new KeyProjection(db);
    const counting = { name: 'counting', apply: (e: { position: number }) => applied.push(e.position), reset: () => undefined };
    runner = new ProjectionRunner(store, db, [projection, counting]);
    runner.start();
    expect(runner.checkpoint).toBe((await store.headPosition()) - 1);
    await runner.waitForPosition(await store.headPosition(), 2000);
    expect(applied).toEqual([await store.headPosition()]);
    const state = await new SqliteKeyReadModel(db).findKey(scope, keyId(1));
    expect(state!.materials[0].importState).toBe('PENDING_IMPORT');
    await runner.stop();
    db.close();
  });

  it('is idempotent per key row: applying an already-applied event changes nothing', async () => {
    const { db, runner, readModel } = open();
    runner.start();
    await runner.waitForPosition(await store.headPosition(), 2000);
    await runner.stop();
    const before = await readModel.findKey(scope, keyId(1));
    const projection = new KeyProjection(db);
    for (const e of await store.readAll()) projection.apply(e);
    projection.flush();
    expect(await readModel.findKey(scope, keyId(1))).toEqual(before);
    db.close();
  });

  it('rebuilds every read model from zero to the same answers', async () => {
    const { db, runner, readModel } = open();
    runner.start();
    await runner.waitForPosition(await store.headPosition(), 2000);
    const before = [await readModel.findKey(scope, keyId(1)), await readModel.findKey(scope, keyId(2)), await readModel.listKeys(scope, { limit: 10 })];
    db.prepare("UPDATE key_summaries SET state = '{}'").run(); // corrupt it, to prove the rebuild rewrites it
    await runner.rebuild();
    await runner.waitForPosition(await store.headPosition(), 2000);
    const after = [await readModel.findKey(scope, keyId(1)), await readModel.findKey(scope, keyId(2)), await readModel.listKeys(scope, { limit: 10 })];
    expect(after).toEqual(before);
    await runner.stop();
    db.close();
  });

  it('applies what the subscription delivers back to back in batches, one transaction and one checkpoint each', async () => {
    for (let n = 3; n <= 10; n += 1) await store.appendToStream(keyStreamId(keyId(n)), [created(n)], NO_STREAM_REVISION); // positions 5..12
    const db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
    const calls: string[] = [];
    const spy = { name: 'spy', apply: (e: { position: number }) => calls.push(`apply ${e.position}`), flush: () => calls.push('flush'), reset: () => undefined };
    const batches: Array<[number, number]> = [];
    const runner = new ProjectionRunner(store, db, [new KeyProjection(db), spy], { batchSize: 5, onBatch: (position, events) => batches.push([position, events]) });
    runner.start();
    expect(await runner.waitForPosition(12, 2000)).toBe(true);
    expect(batches).toEqual([[5, 5], [10, 5], [12, 2]]);
    expect(calls.filter((c) => c === 'flush')).toHaveLength(3);
    expect(calls.indexOf('flush')).toBe(5); // after the first batch's last event
    expect(db.prepare('SELECT position FROM projection_checkpoints').pluck().get()).toBe(12);
    expect(db.prepare('SELECT COUNT(*) FROM key_summaries').pluck().get()).toBe(10);

    // A live append does not wait for a batch to fill.
    const appended = await store.appendToStream(keyStreamId(keyId(11)), [created(11)], NO_STREAM_REVISION);
    expect(await runner.waitForPosition(appended.position, 2000)).toBe(true);
    expect(batches[batches.length - 1]).toEqual([appended.position, 1]);
    await runner.stop();
    db.close();
  });

  it('folds a key once per batch: its row is written once, with the state of its last event', async () => {
    await store.appendToStream(keyStreamId(keyId(1)), [event(KeyEventTypes.KeyMaterialDeleted, { keyMaterialId: 'b'.repeat(64) })], 1);
    const db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
    db.exec(`CREATE TABLE writes (key_id TEXT); CREATE TRIGGER count_writes AFTER INSERT ON key_summaries BEGIN INSERT INTO writes VALUES (new.key_id); END;
      CREATE TRIGGER count_updates AFTER UPDATE ON key_summaries BEGIN INSERT INTO writes VALUES (new.key_id); END;`);
    const runner = new ProjectionRunner(store, db, [new KeyProjection(db)]);
    runner.start();
    await runner.waitForPosition(await store.headPosition(), 2000);
    expect(db.prepare('SELECT key_id FROM writes ORDER BY key_id').pluck().all()).toEqual([keyId(1), keyId(2)]);
    const state = await new SqliteKeyReadModel(db).findKey(scope, keyId(1));
    expect(state!.materials[0].importState).toBe('PENDING_IMPORT');
    expect(db.prepare('SELECT created_position, last_position FROM key_summaries WHERE key_id = ?').get(keyId(1))).toEqual({ created_position: 1, last_position: 5 });
    expect(await foldedFurtherIn(db)).toEqual(state);
    await runner.stop();
    db.close();

    async function foldedFurtherIn(current: typeof db) {
      // A key whose state comes from an earlier batch is read back from its row and folded further.
      await store.appendToStream(keyStreamId(keyId(1)), [event(KeyEventTypes.KeyMaterialDeleted, { keyMaterialId: 'b'.repeat(64) })], 2);
      await runner.waitForPosition(await store.headPosition(), 2000);
      expect(current.prepare('SELECT last_position FROM key_summaries WHERE key_id = ?').pluck().get(keyId(1))).toBe(6);
      return new SqliteKeyReadModel(current).findKey(scope, keyId(1));
    }
  });

  it('leaves a key row as it is for an event that changes nothing (ImportParametersIssued), last position included', async () => {
    const issued = event(KeyEventTypes.ImportParametersIssued, { importTokenId: 't2', wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048', parametersValidTo: '2026-11-23T10:00:00.000Z', publicKeyFingerprint: 'f' });
    const { position } = await store.appendToStream(keyStreamId(keyId(2)), [issued], 0);
    const { db, runner } = open();
    db.exec(`CREATE TABLE writes (key_id TEXT); CREATE TRIGGER count_updates AFTER UPDATE ON key_summaries BEGIN INSERT INTO writes VALUES (new.key_id); END;`);
    runner.start();
    await runner.waitForPosition(position, 2000);
    const row = () => db.prepare('SELECT state, last_position AS lastPosition FROM key_summaries WHERE key_id = ?').get(keyId(2)) as { state: string; lastPosition: number };
    const before = row();
    expect(before.lastPosition).toBe(3); // its KeyCreated, not the later ImportParametersIssued
    const again = await store.appendToStream(keyStreamId(keyId(2)), [issued], 1); // in a batch of its own: the row is read back, not rewritten
    await runner.waitForPosition(again.position, 2000);
    expect(row()).toEqual(before);
    expect(db.prepare('SELECT COUNT(*) FROM writes').pluck().get()).toBe(0);
    await runner.stop();
    db.close();
  });

  it('holds folded keys across batches during a rebuild when asked (offline replay): each written once, at the end', async () => {
    for (let n = 3; n <= 6; n += 1) await store.appendToStream(keyStreamId(keyId(n)), [created(n)], NO_STREAM_REVISION); // positions 5..8
    await store.appendToStream(keyStreamId(keyId(1)), [event(KeyEventTypes.KeyMaterialDeleted, { keyMaterialId: 'b'.repeat(64) })], 1); // 9
    const fold = async (file: string, options: { heldAcrossBatches?: number }, whileRebuilding?: (db: ReturnType<typeof openReadModelDatabase>) => void) => {
      const db = openReadModelDatabase(join(dir, file));
      db.exec(`CREATE TABLE writes (key_id TEXT); CREATE TRIGGER count_writes AFTER INSERT ON key_summaries BEGIN INSERT INTO writes VALUES (new.key_id); END;
        CREATE TRIGGER count_updates AFTER UPDATE ON key_summaries BEGIN INSERT INTO writes VALUES (new.key_id); END;`);
      const runner = new ProjectionRunner(store, db, [new KeyProjection(db, options)], {
        batchSize: 3,
        onBatch: () => whileRebuilding?.(db),
      });
      await runner.rebuild();
      await runner.waitForPosition(await store.headPosition(), 2000);
      await runner.stop();
      const result = { rows: db.prepare('SELECT * FROM key_summaries ORDER BY key_id').all(), writes: db.prepare('SELECT key_id FROM writes ORDER BY key_id').pluck().all() };
      db.close();
      return result;
    };
    const everyBatch = await fold('every-batch.sqlite', {});
    const rowsSeenWhileHolding: number[] = [];
    const held = await fold('held.sqlite', { heldAcrossBatches: 100 }, (db) => rowsSeenWhileHolding.push(db.prepare('SELECT COUNT(*) FROM key_summaries').pluck().get() as number));
    expect(held.rows).toEqual(everyBatch.rows); // the same table, last positions included
    expect(everyBatch.writes).toEqual([keyId(1), keyId(1), keyId(2), keyId(3), keyId(4), keyId(5), keyId(6)]); // key 1 in two batches
    expect(held.writes).toEqual([keyId(1), keyId(2), keyId(3), keyId(4), keyId(5), keyId(6)]);
    expect(rowsSeenWhileHolding.slice(0, 3)).toEqual([0, 0, 0]); // nothing written before the rebuild ended

    // Past the limit, the held keys are written and dropped: memory stays bounded, the result is the same.
    const bounded = await fold('bounded.sqlite', { heldAcrossBatches: 2 });
    expect(bounded.rows).toEqual(everyBatch.rows);
  });

  it('rolls a failing batch back whole: the read models and the checkpoint stay at the batch before', async () => {
    for (let n = 3; n <= 6; n += 1) await store.appendToStream(keyStreamId(keyId(n)), [created(n)], NO_STREAM_REVISION); // positions 5..8
    const db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
    let discarded = 0;
    const failing = {
      name: 'failing',
      apply: (e: { position: number }) => {
        if (e.position === 7) throw new Error('boom');
      },
      discard: () => (discarded += 1),
      reset: () => undefined,
    };
    const runner = new ProjectionRunner(store, db, [new KeyProjection(db), failing], { batchSize: 4 });
    runner.start();
    expect(await runner.waitForPosition(4, 2000)).toBe(true);
    expect(await runner.waitForPosition(8, 200)).toBe(false);
    expect(runner.checkpoint).toBe(4);
    expect(discarded).toBe(1);
    expect(db.prepare('SELECT position FROM projection_checkpoints').pluck().get()).toBe(4);
    expect(db.prepare('SELECT key_id FROM key_summaries ORDER BY key_id').pluck().all()).toEqual([keyId(1), keyId(2)]);
    await runner.stop();
    db.close();
  });
});

describe('ProjectionRunner.startCheckingLog: read models ahead of the log', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'keyledger-projection-ahead-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const logFile = () => join(dir, 'events.sqlite');
  const openLog = () => new SqliteEventStore({ filename: logFile() });
  function openReadModels(store: SqliteEventStore) {
    const db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
    return { db, runner: new ProjectionRunner(store, db, [new KeyProjection(db)]), readModel: new SqliteKeyReadModel(db) };
  }

  /**
   * Keys 1..kept in the log, key kept+1 applied by the read models, then a power cut: the log is back to the copy
   * its file had before that commit (not yet fsynced), the read models (their own file) keep it. Returns the lost
   * event's position.
   */
  async function readModelsThatKeptALostCommit(kept: number): Promise<number> {
    let store = openLog();
    for (let n = 1; n <= kept; n += 1) await store.appendToStream(keyStreamId(keyId(n)), [created(n)], NO_STREAM_REVISION);
    await store.close();
    const onDisk = readFileSync(logFile());
    store = openLog();
    const lost = await store.appendToStream(keyStreamId(keyId(kept + 1)), [created(kept + 1)], NO_STREAM_REVISION);
    const { db, runner, readModel } = openReadModels(store);
    expect(await runner.startCheckingLog()).toBe('resumed');
    expect(await runner.waitForPosition(lost.position, 2000)).toBe(true);
    expect(await readModel.findKey(scope, keyId(kept + 1))).toBeDefined();
    await runner.stop();
    db.close();
    await store.close();
    writeFileSync(logFile(), onDisk);
    return lost.position;
  }

  it('rebuilds read models that kept a commit the log lost, so the position handed out again is not skipped', async () => {
    const lost = await readModelsThatKeptALostCommit(2);
    const store = openLog();
    const { db, runner, readModel } = openReadModels(store);
    expect(await runner.startCheckingLog()).toBe('rebuilt');
    const next = await store.appendToStream(keyStreamId(keyId(4)), [created(4)], NO_STREAM_REVISION);
    expect(next.position).toBe(lost); // the log hands the lost position out again
    expect(await runner.waitForPosition(next.position, 2000)).toBe(true);
    expect(await readModel.findKey(scope, keyId(4))).toBeDefined();
    expect(await readModel.findKey(scope, keyId(3))).toBeUndefined();
    expect((await readModel.findKey(scope, keyId(1)))!.key!.description).toBe('key 1');
    await runner.stop();
    db.close();
    await store.close();
  });

  it('rebuilds read models whose checkpoint event the log no longer has, though another writer took the head past it', async () => {
    const lost = await readModelsThatKeptALostCommit(1);
    // Another instance on the same log appends at the lost position and beyond before this one starts.
    await new Promise((resolve) => setTimeout(resolve, 5)); // a later commit time than the lost event's
    const store = openLog();
    expect((await store.appendToStream(keyStreamId(keyId(3)), [created(3)], NO_STREAM_REVISION)).position).toBe(lost);
    await store.appendToStream(keyStreamId(keyId(4)), [created(4)], NO_STREAM_REVISION);
    const { db, runner, readModel } = openReadModels(store);
    expect(await runner.startCheckingLog()).toBe('rebuilt');
    expect(await runner.waitForPosition(await store.headPosition(), 2000)).toBe(true);
    expect(await readModel.findKey(scope, keyId(3))).toBeDefined();
    expect(await readModel.findKey(scope, keyId(4))).toBeDefined();
    expect(await readModel.findKey(scope, keyId(2))).toBeUndefined();
    await runner.stop();
    db.close();
    await store.close();
  });

  it('resumes read models that match the log, also when their checkpoint event time is unknown (a file of the earlier format)', async () => {
    const store = openLog();
    await store.appendToStream(keyStreamId(keyId(1)), [created(1)], NO_STREAM_REVISION);
    let { db, runner } = openReadModels(store);
    expect(await runner.startCheckingLog()).toBe('resumed');
    expect(await runner.waitForPosition(1, 2000)).toBe(true);
    await runner.stop();
    expect(db.prepare('SELECT recorded_at FROM projection_checkpoints').pluck().get()).toBe((await store.readEventsAt([1]))[0].recordedAt);
    db.close();

    ({ db, runner } = openReadModels(store));
    expect(await runner.startCheckingLog()).toBe('resumed');
    await runner.stop();
    db.prepare('UPDATE projection_checkpoints SET recorded_at = NULL').run();
    db.close();
    ({ db, runner } = openReadModels(store));
    expect(await runner.startCheckingLog()).toBe('resumed');
    expect(runner.checkpoint).toBe(1);
    await runner.stop();
    db.close();
    await store.close();
  });

  it('adds the checkpoint event time to a read-models file of the earlier format, keeping its checkpoint', async () => {
    const file = join(dir, 'read-models.sqlite');
    const earlier = openReadModelDatabase(file);
    earlier.exec('DROP TABLE projection_checkpoints; CREATE TABLE projection_checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL)');
    earlier.prepare("INSERT INTO projection_checkpoints VALUES ('read-models', 7)").run();
    earlier.close();
    const db = openReadModelDatabase(file);
    expect(db.prepare('SELECT name, position, recorded_at AS recordedAt FROM projection_checkpoints').all()).toEqual([{ name: 'read-models', position: 7, recordedAt: null }]);
    db.close();
  });

  it('starts as they are when the log cannot tell its head', async () => {
    const store = new InMemoryEventStore();
    await store.appendToStream(keyStreamId(keyId(1)), [created(1)], NO_STREAM_REVISION);
    jest.spyOn(store, 'headPosition').mockRejectedValue(new Error('unavailable'));
    const db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
    const runner = new ProjectionRunner(store, db, [new KeyProjection(db)]);
    expect(await runner.startCheckingLog()).toBe('resumed');
    expect(await runner.waitForPosition(1, 2000)).toBe(true);
    expect(await new SqliteKeyReadModel(db).findKey(scope, keyId(1))).toBeDefined();
    await runner.stop();
    db.close();
  });
});
