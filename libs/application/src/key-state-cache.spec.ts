import { foldEvents, KeyEventTypes, keyStreamId, NO_STREAM_REVISION } from '@keyledger/domain';
import { InMemoryEventStore, NewEvent, ReadStreamOptions } from '@keyledger/event-store';
import { KeyCommandExecutor } from './key-command-executor';
import { KeyStateCache } from './key-state-cache';
import { MaterialVault } from './ports';
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

const executorOn = (store: InMemoryEventStore, maxKeys?: number) =>
  new KeyCommandExecutor(store, { now: () => NOW }, vault, { waitForPosition: async () => true }, maxKeys === undefined ? undefined : { maxKeys });

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
    const cache = new KeyStateCache(2);
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
    const off = new KeyStateCache(0);
    off.set('a', entry(1));
    expect(off.get('a')).toBeUndefined();
    expect(() => new KeyStateCache(-1)).toThrow(RangeError);
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
