import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyEventTypes, keyStreamId, NO_STREAM_REVISION } from '@keyledger/domain';
import { InMemoryEventStore, JsonObject, NewEvent } from '@keyledger/event-store';
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
});
