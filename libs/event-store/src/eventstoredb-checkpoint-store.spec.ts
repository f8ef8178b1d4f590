import { EventStoreDBClient, FORWARDS, START } from '@eventstore/db-client';
import { WrongExpectedRevisionError } from './event-store.port';
import { EventStoreDbCheckpointStore } from './eventstoredb';
import { CHECKPOINT_EVENT_TYPE } from './eventstoredb/eventstoredb-checkpoint-store';
import { itWithDouble, startTestEventStoreDb, uniqueStreamPrefix, type TestEventStoreDb } from './testing/eventstoredb-double/test-server';

describe('EventStoreDbCheckpointStore', () => {
  let server: TestEventStoreDb;
  let streamPrefix: string;
  const opened: EventStoreDbCheckpointStore[] = [];

  function openStore(instanceId = 'instance-a'): EventStoreDbCheckpointStore {
    const store = new EventStoreDbCheckpointStore({ connectionString: server.connectionString, instanceId, streamPrefix });
    opened.push(store);
    return store;
  }

  beforeEach(async () => {
    server = await startTestEventStoreDb();
    streamPrefix = uniqueStreamPrefix('checkpoint');
  });

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await server.stop();
  });

  it('reads 0 before anything was written', async () => {
    expect(await openStore().read()).toBe(0);
  });

  it('returns the last checkpoint written, also to a new instance of the store', async () => {
    const store = openStore();
    await store.write(120);
    await store.write(345);

    expect(await store.read()).toBe(345);
    expect(await openStore().read()).toBe(345);
  });

  it('keeps one stream per instance, named after it, capped at one event', async () => {
    await openStore('instance-a').write(10);
    await openStore('instance-b').write(20);

    expect(await openStore('instance-a').read()).toBe(10);
    expect(await openStore('instance-b').read()).toBe(20);
    const client = EventStoreDBClient.connectionString(server.connectionString);
    try {
      expect((await client.getStreamMetadata(`${streamPrefix}instance-a`)).metadata).toMatchObject({ maxCount: 1 });
    } finally {
      await client.dispose();
    }
  });

  it('accepts going back to 0 (a rebuild) and refuses anything but a non-negative integer', async () => {
    const store = openStore();
    await store.write(50);
    await store.write(0);

    expect(await store.read()).toBe(0);
    await expect(store.write(-1)).rejects.toThrow(RangeError);
    await expect(store.write(1.5)).rejects.toThrow(RangeError);
  });

  it('detects a second process writing the same instance’s checkpoint', async () => {
    const first = openStore();
    const second = openStore();
    await first.write(10);
    await second.write(20);

    await expect(first.write(30)).rejects.toThrow(WrongExpectedRevisionError);
    expect(await first.read()).toBe(20);
    await first.write(30); // after re-reading, it may write again
    expect(await second.read()).toBe(30);
  });

  itWithDouble('lets a scavenge drop superseded checkpoints', async () => {
    const store = openStore();
    for (const position of [1, 2, 3]) await store.write(position);

    server.double!.scavenge();

    const client = EventStoreDBClient.connectionString(server.connectionString);
    try {
      const left = [];
      for await (const resolved of client.readAll({ direction: FORWARDS, fromPosition: START })) {
        if (resolved.event?.streamId === `${streamPrefix}instance-a`) left.push(resolved.event);
      }
      expect(left.map((e) => [e.type, e.data])).toEqual([[CHECKPOINT_EVENT_TYPE, { position: 3 }]]);
    } finally {
      await client.dispose();
    }
  });
});
