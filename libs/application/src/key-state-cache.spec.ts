import { foldEvents, KeyEventTypes, keyStreamId, NO_STREAM_REVISION } from '@keyledger/domain';
import { InMemoryEventStore, NewEvent, ReadStreamOptions } from '@keyledger/event-store';
import { KeyCommandExecutor } from './key-command-executor';
import { KeyStateCache } from './key-state-cache';
import { MaterialVault } from './ports';
import { testRequestContext } from './testing/request-context';
import { toKeyEvents } from './stored-events';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const keyId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const vault: MaterialVault = { put: async () => {}, get: async () => undefined, shred: async () => {}, list: async () => [] };

/** Records the range of every stream read that reaches the store. */
class RecordingStore extends InMemoryEventStore {
  reads: Array<ReadStreamOptions | undefined> = [];
  override readStream(streamId: string, options?: ReadStreamOptions) {
    this.reads.push(options);
    return super.readStream(streamId, options);
  }
}

const executorOn = (store: InMemoryEventStore, maxKeys?: number, cache = new KeyStateCache({ maxKeys })) =>
  new KeyCommandExecutor(store, { now: () => NOW }, vault, { waitForPosition: async () => true }, cache);

/** A monotonic clock the test moves by hand. */
const manualClock = () => {
  const clock = { t: 1000, now: () => clock.t };
  return clock;
};

const ctx = testRequestContext();
const arnOf = (id: string) => `arn:aws:kms:us-east-1:000000000000:key/${id}`;
const disabled: NewEvent = { type: KeyEventTypes.KeyDisabled, data: {}, metadata: {} };

const created = (id: string): NewEvent => ({
  type: KeyEventTypes.KeyCreated,
  data: {
    keyId: id, arn: `arn:aws:kms:us-east-1:000000000000:key/${id}`, accountId: '000000000000', region: 'us-east-1', description: '',
    keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS', multiRegion: false, creationDate: new Date(NOW).toISOString(), keyMaterialId: 'a'.repeat(64),
  },
  metadata: {},
});

/** A small deterministic generator (mulberry32), so a failing sequence can be replayed from its seed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One of the lifecycle, tag, policy, rotation and description events, with random contents. */
function randomEvent(next: () => number): NewEvent {
  const pick = <T>(items: T[]): T => items[Math.floor(next() * items.length)];
  const tagKey = pick(['env', 'team', 'cost', 'owner']);
  const events: NewEvent[] = [
    { type: KeyEventTypes.KeyEnabled, data: {}, metadata: {} },
    { type: KeyEventTypes.KeyDisabled, data: {}, metadata: {} },
    { type: KeyEventTypes.KeyDescriptionUpdated, data: { description: `d${Math.floor(next() * 100)}` }, metadata: {} },
    { type: KeyEventTypes.KeyTagged, data: { tags: [{ TagKey: tagKey, TagValue: `v${Math.floor(next() * 10)}` }] }, metadata: {} },
    { type: KeyEventTypes.KeyUntagged, data: { tagKeys: [tagKey] }, metadata: {} },
    { type: KeyEventTypes.KeyPolicyPut, data: { policyName: 'default', policy: `{"n":${Math.floor(next() * 100)}}` }, metadata: {} },
    { type: KeyEventTypes.KeyRotationEnabled, data: { rotationPeriodInDays: 90 + Math.floor(next() * 10), nextRotationDate: new Date(NOW).toISOString() }, metadata: {} },
    { type: KeyEventTypes.KeyRotationDisabled, data: {}, metadata: {} },
    { type: KeyEventTypes.KeyMaterialRotated, data: { keyMaterialId: next().toString(16).slice(2).padEnd(64, '0'), rotationType: 'ON_DEMAND', rotationDate: new Date(NOW).toISOString() }, metadata: {} },
    { type: 'Unknown.v1', data: { ignored: true }, metadata: {} },
  ];
  return pick(events);
}

const fullFold = async (store: InMemoryEventStore, id: string) => foldEvents(toKeyEvents(await store.readStream(keyStreamId(id))));

describe('KeyStateCache', () => {
  const entry = (revision: number) => ({ state: { enabled: true, materials: [] }, revision, position: revision + 1 });

  it('evicts the least recently used key beyond its size', () => {
    const cache = new KeyStateCache({ maxKeys: 2 });
    cache.set('a', entry(0));
    cache.set('b', entry(0));
    cache.get('a'); // b is now the least recently used
    cache.set('c', entry(0));
    expect([cache.get('a'), cache.get('b'), cache.get('c')].map((e) => e?.revision)).toEqual([0, undefined, 0]);
    expect(cache.size).toBe(2);
  });

  it('keeps the later revision when an earlier one arrives last, freezes what it keeps, and holds nothing at size 0', () => {
    const cache = new KeyStateCache();
    cache.set('a', entry(5));
    cache.set('a', entry(3));
    expect(cache.get('a')?.revision).toBe(5);
    expect(Object.isFrozen(cache.get('a')!.state.materials)).toBe(true);
    const off = new KeyStateCache({ maxKeys: 0 });
    off.set('a', entry(1), 0);
    expect(off.get('a')).toBeUndefined();
    expect(off.current('a')).toBeUndefined();
    expect(() => new KeyStateCache({ maxKeys: -1 })).toThrow(RangeError);
    expect(() => new KeyStateCache({ trustMs: -1 })).toThrow(RangeError);
  });

  it('trusts a confirmed state for trustMs, and not once the log is known to hold a later revision', () => {
    const clock = manualClock();
    const cache = new KeyStateCache({ trustMs: 100 }, clock.now);
    cache.set('a', entry(3), clock.t);
    expect(cache.current('a')?.revision).toBe(3);
    clock.t += 100;
    expect(cache.current('a')?.revision).toBe(3);
    clock.t += 1;
    expect(cache.current('a')).toBeUndefined();
    expect(cache.get('a')?.revision).toBe(3); // still the starting point for a load

    cache.set('a', entry(3), clock.t); // a load found nothing new: confirmed again
    expect(cache.current('a')?.revision).toBe(3);
    cache.saw('a', 4);
    expect(cache.current('a')).toBeUndefined();
    cache.saw('a', 2); // an older revision changes nothing
    cache.set('a', entry(4), clock.t);
    expect(cache.current('a')?.revision).toBe(4);
  });

  it('does not trust a page of a longer read, nor a slower read that finishes after the subscription saw more', () => {
    const clock = manualClock();
    const cache = new KeyStateCache({}, clock.now);
    cache.set('a', entry(999)); // no checkedAt: only a starting point
    expect(cache.current('a')).toBeUndefined();
    expect(cache.get('a')?.revision).toBe(999);

    cache.set('b', entry(1), clock.t);
    cache.saw('b', 2);
    cache.set('b', entry(1), clock.t); // a read that began before revision 2 was committed
    expect(cache.current('b')).toBeUndefined();
  });

  it('never trusts anything at trustMs 0', () => {
    const cache = new KeyStateCache({ trustMs: 0 }, () => 5);
    cache.set('a', entry(1), 4);
    expect(cache.current('a')).toBeUndefined();
    expect(cache.get('a')?.revision).toBe(1);
  });
});

describe('KeyCommandExecutor.load with the key state cache', () => {
  it('asks the store only for the events after the cached revision', async () => {
    const store = new RecordingStore();
    const id = keyId(1);
    await store.appendToStream(keyStreamId(id), [created(id), ...Array.from({ length: 50 }, () => ({ type: KeyEventTypes.KeyDisabled, data: {}, metadata: {} }))], NO_STREAM_REVISION);
    const executor = executorOn(store);

    expect((await executor.load(id)).revision).toBe(50);
    expect((await executor.load(id)).revision).toBe(50);
    expect(store.reads).toEqual([{ fromRevision: 0, maxCount: 1000 }, { fromRevision: 51, maxCount: 1000 }]);
  });

  it("sees another writer's append at once (the store is always asked)", async () => {
    const store = new InMemoryEventStore();
    const id = keyId(2);
    await store.appendToStream(keyStreamId(id), [created(id)], NO_STREAM_REVISION);
    const mine = executorOn(store);
    const before = await mine.load(id);
    expect(before.state.enabled).toBe(true);

    const other = await store.appendToStream(keyStreamId(id), [{ type: KeyEventTypes.KeyDisabled, data: {}, metadata: {} }], 0);

    const after = await mine.load(id);
    expect(after).toMatchObject({ revision: 1, position: other.position, state: { enabled: false } });
    expect(before.state.enabled).toBe(true); // what was handed out earlier did not change
  });

  it('re-reads a key from the start once a cache of 1 key has evicted it for another', async () => {
    const store = new RecordingStore();
    for (const n of [1, 2]) await store.appendToStream(keyStreamId(keyId(n)), [created(keyId(n))], NO_STREAM_REVISION);
    const executor = executorOn(store, 1);

    await executor.load(keyId(1));
    await executor.load(keyId(1));
    await executor.load(keyId(2));
    await executor.load(keyId(1));

    expect(store.reads.map((r) => r?.fromRevision)).toEqual([0, 1, 0, 0]);
  });

  it('reads a key not cached yet in pages, then only what is new', async () => {
    const store = new RecordingStore();
    const id = keyId(4);
    await store.appendToStream(keyStreamId(id), [created(id), ...Array.from({ length: 2499 }, (_, n) => ({ type: KeyEventTypes.KeyDescriptionUpdated, data: { description: `d${n}` }, metadata: {} }))], NO_STREAM_REVISION);
    const executor = executorOn(store);

    const loaded = await executor.load(id);
    expect(loaded).toMatchObject({ revision: 2499, state: { key: { description: 'd2498' } } });
    expect(loaded.state).toEqual(await fullFold(store, id));
    expect(store.reads.map((r) => r?.fromRevision)).toEqual([0, 1000, 2000]);
  });

  it('does not cache keys that do not exist', async () => {
    const store = new RecordingStore();
    const executor = executorOn(store);
    expect(await executor.load(keyId(9))).toEqual({ state: { enabled: true, materials: [] }, revision: NO_STREAM_REVISION, position: 0 });
    await executor.load(keyId(9));
    expect(store.reads.map((r) => r?.fromRevision)).toEqual([0, 0]);
  });

  it('hands out frozen states: a caller cannot change what the next load starts from', async () => {
    const store = new InMemoryEventStore();
    const id = keyId(3);
    await store.appendToStream(keyStreamId(id), [created(id)], NO_STREAM_REVISION);
    const { state } = await executorOn(store).load(id);
    expect(() => (state as { enabled: boolean }).enabled = false).toThrow(TypeError);
    expect(() => state.materials.push({ keyMaterialId: 'x', materialState: 'CURRENT', importState: 'IMPORTED' })).toThrow(TypeError);
  });

  it.each([1, 2, 3, 4, 5])('equals a full fold of the stream after random events, loaded at random points (seed %i)', async (seed) => {
    const next = random(seed);
    const store = new InMemoryEventStore();
    const ids = [keyId(10), keyId(11), keyId(12)];
    const revisions = new Map(ids.map((id) => [id, NO_STREAM_REVISION]));
    for (const id of ids) revisions.set(id, (await store.appendToStream(keyStreamId(id), [created(id)], NO_STREAM_REVISION)).nextExpectedRevision);
    const executor = executorOn(store, 2); // smaller than the number of keys: evictions happen too
    const handedOut: Array<{ state: object; snapshot: string }> = [];

    for (let step = 0; step < 300; step++) {
      const id = ids[Math.floor(next() * ids.length)];
      if (next() < 0.6) {
        const batch = Array.from({ length: 1 + Math.floor(next() * 3) }, () => randomEvent(next));
        revisions.set(id, (await store.appendToStream(keyStreamId(id), batch, revisions.get(id)!)).nextExpectedRevision);
      } else {
        const loaded = await executor.load(id);
        expect(loaded.revision).toBe(revisions.get(id));
        expect(loaded.state).toEqual(await fullFold(store, id));
        handedOut.push({ state: loaded.state, snapshot: JSON.stringify(loaded.state) });
      }
    }
    for (const { state, snapshot } of handedOut) expect(JSON.stringify(state)).toBe(snapshot);
  });
});

describe('KeyCommandExecutor.loadForUse', () => {
  async function givenKey(n: number) {
    const store = new RecordingStore();
    const id = keyId(n);
    await store.appendToStream(keyStreamId(id), [created(id)], NO_STREAM_REVISION);
    const clock = manualClock();
    const cache = new KeyStateCache({ trustMs: 1000 }, clock.now);
    return { store, id, clock, cache, executor: executorOn(store, undefined, cache) };
  }

  it('answers repeated uses from the cache without asking the store', async () => {
    const { store, id, executor } = await givenKey(20);
    for (let n = 0; n < 5; n++) expect((await executor.loadForUse(id)).state.enabled).toBe(true);
    expect(store.reads).toEqual([{ fromRevision: 0, maxCount: 1000 }]);
  });

  it("sees this instance's own command at once, without a read, equal to a full fold", async () => {
    const { store, id, executor } = await givenKey(21);
    await executor.loadForUse(id);
    const reads = store.reads.length;
    await executor.execute(id, { kind: 'DisableKey', keyArn: arnOf(id) }, ctx);
    const afterExecute = store.reads.length;

    const used = await executor.loadForUse(id);
    expect(used).toMatchObject({ revision: 1, state: { enabled: false } });
    expect(store.reads.length).toBe(afterExecute); // the use did not read
    expect(afterExecute).toBe(reads + 1); // the command did (commands always ask the store)
    expect(used.state).toEqual(await fullFold(store, id));
  });

  it("sees another instance's write once the subscription reports it", async () => {
    const { store, id, executor, cache } = await givenKey(22);
    await executor.loadForUse(id);
    await store.appendToStream(keyStreamId(id), [disabled], 0); // another instance, not yet delivered here

    expect((await executor.loadForUse(id)).state.enabled).toBe(true); // the stated staleness: subscription lag
    cache.saw(id, 1); // what KeyStateCacheRefresh does when the event arrives
    expect((await executor.loadForUse(id)).state.enabled).toBe(false);
    expect(store.reads.map((r) => r?.fromRevision)).toEqual([0, 1]);
  });

  it("sees another instance's write after trustMs even if the subscription says nothing", async () => {
    const { store, id, executor, clock } = await givenKey(23);
    await executor.loadForUse(id);
    await store.appendToStream(keyStreamId(id), [disabled], 0);
    clock.t += 1001;
    expect((await executor.loadForUse(id)).state.enabled).toBe(false);
  });

  it("still reads the store on every use at trustMs 0 (exact across instances)", async () => {
    const store = new RecordingStore();
    const id = keyId(24);
    await store.appendToStream(keyStreamId(id), [created(id)], NO_STREAM_REVISION);
    const executor = executorOn(store, undefined, new KeyStateCache({ trustMs: 0 }));
    await executor.loadForUse(id);
    await store.appendToStream(keyStreamId(id), [disabled], 0);
    expect((await executor.loadForUse(id)).state.enabled).toBe(false);
    expect(store.reads.map((r) => r?.fromRevision)).toEqual([0, 1]);
  });
});
