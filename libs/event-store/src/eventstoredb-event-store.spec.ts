import { setTimeout as sleep } from 'node:timers/promises';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { EventStoreDBClient, jsonEvent, NO_STREAM as CLIENT_NO_STREAM } from '@eventstore/db-client';
import { NO_STREAM, WrongExpectedRevisionError, type NewEvent, type RecordedEvent } from './event-store.port';
import { EventStoreDbCheckpointStore, EventStoreDbEventStore, keyledgerStreamPrefixes, openSharedEventStoreDbClient, type EventStoreDbEventStoreOptions } from './eventstoredb';
import { describeEventStoreContract, SubscriptionProbe } from './testing';
import {
  itWithDouble,
  REAL_EVENTSTORE_URL,
  startTestEventStoreDb,
  uniqueStreamPrefix,
  type TestEventStoreDb,
} from './testing/eventstoredb-double/test-server';

// The one contract, through the real client: against a fresh protocol double per test, or against the
// server named by KEYLEDGER_TEST_EVENTSTORE_URL (each test in a namespace of its own).
describeEventStoreContract(
  `EventStoreDbEventStore on ${REAL_EVENTSTORE_URL ? 'a real EventStoreDB' : 'the protocol double'}`,
  async () => {
    const server = await startTestEventStoreDb();
    const options = { connectionString: server.connectionString, streamPrefix: uniqueStreamPrefix('contract') };
    return {
      store: new EventStoreDbEventStore(options),
      reopen: async () => new EventStoreDbEventStore(options),
      cleanup: () => server.stop(),
    };
  },
  { durable: true },
);

describe('EventStoreDbEventStore specifics', () => {
  let server: TestEventStoreDb;
  let prefix: string;
  const opened: Array<{ close(): Promise<void> }> = [];

  function openStore(options: Partial<EventStoreDbEventStoreOptions> = {}): EventStoreDbEventStore {
    const store = new EventStoreDbEventStore({
      connectionString: server.connectionString,
      streamPrefix: prefix,
      resubscribeBackoff: { initialDelayMs: 10, maxDelayMs: 50 },
      ...options,
    });
    opened.push(store);
    return store;
  }

  function rawClient(connectionString = server.connectionString): EventStoreDBClient {
    const client = EventStoreDBClient.connectionString(connectionString);
    opened.push({ close: () => client.dispose() });
    return client;
  }

  beforeEach(async () => {
    server = await startTestEventStoreDb();
    prefix = uniqueStreamPrefix('adapter');
  });

  afterEach(async () => {
    for (const closable of opened.splice(0).reverse()) await closable.close();
    await server.stop();
  });

  describe('conflicts, mapped to WrongExpectedRevisionError', () => {
    const cases: Array<[string, boolean]> = [
      ['BatchAppend (advertised by servers since 21.10)', true],
      ['Append (older servers; conflict in the response body)', false],
    ];

    describe.each(cases)('through %s', (_path, advertiseBatchAppend) => {
      const itOnThisPath = advertiseBatchAppend ? it : itWithDouble;
      let store: EventStoreDbEventStore;
      let node: TestEventStoreDb;

      beforeEach(async () => {
        node = advertiseBatchAppend ? server : await startTestEventStoreDb({ advertiseBatchAppend });
        store = openStore({ connectionString: node.connectionString });
        if (node !== server) opened.push({ close: () => node.stop() });
      });

      itOnThisPath.each<[string, string, number, number]>([
        ['NO_STREAM on an existing stream', 'key-1', NO_STREAM, 1],
        ['a stale revision', 'key-1', 0, 1],
        ['a revision on a missing stream', 'missing', 0, NO_STREAM],
      ])('maps %s', async (_case, streamId, expected, actual) => {
        await store.appendToStream('key-1', events(2), NO_STREAM);

        const error = await store.appendToStream(streamId, events(1), expected).catch((e: unknown) => e);

        expect(error).toBeInstanceOf(WrongExpectedRevisionError);
        expect(error).toMatchObject({ streamId, expectedRevision: expected, actualRevision: actual });
        if (node.double) {
          expect(node.double.calls.batchAppend > 0).toBe(advertiseBatchAppend);
          expect(node.double.calls.append > 0).toBe(!advertiseBatchAppend);
        }
      });
    });
  });

  it('keeps its streams under its prefix and leaves other prefixes and system events out of the log', async () => {
    const store = openStore();
    const neighbour = openStore({ streamPrefix: uniqueStreamPrefix('neighbour') });
    const client = rawClient();
    await neighbour.appendToStream('key-1', events(2), NO_STREAM);
    await store.appendToStream('key-1', events(2, 'Mine'), NO_STREAM);
    // A system-typed event inside the namespace, and metadata (a `$$` stream) for one of its streams.
    await client.appendToStream(`${prefix}key-2`, jsonEvent({ type: '$system-ish', data: {} }), { expectedRevision: CLIENT_NO_STREAM });
    await client.setStreamMetadata(`${prefix}key-1`, { maxAge: 3600 });
    await store.appendToStream('key-3', events(1, 'Mine'), NO_STREAM);

    const log = await store.readAll();

    expect(log.map((e) => [e.streamId, e.type])).toEqual([
      ['key-1', 'Mine.0'],
      ['key-1', 'Mine.1'],
      ['key-3', 'Mine.0'],
    ]);
    expect(log[0].position).toBe(1);
    expect(await store.headPosition()).toBe(log[2].position);
    expect((await neighbour.readAll()).map((e) => e.position)[0]).toBe(1);
    const probe = new SubscriptionProbe(store, 0);
    expect(await probe.waitForCount(3)).toEqual(log);
    await probe.stop();
    expect(probe.received).toHaveLength(3);
    expect((await readRaw(client, `${prefix}key-1`)).map((e) => e.type)).toEqual(['Mine.0', 'Mine.1']);
  });

  it('exposes sparse positions and treats `after` as exclusive, even when it is not an event position', async () => {
    const store = openStore();
    await store.appendToStream('a', events(3), NO_STREAM);
    const [first, second, third] = await store.readAll();
    expect(second.position - first.position).toBeGreaterThan(1);

    expect(await store.readAll({ after: first.position })).toEqual([second, third]);
    expect(await store.readAll({ after: first.position + 1 })).toEqual([second, third]);
    for (const after of [second.position, first.position + 1]) {
      const probe = new SubscriptionProbe(store, after);
      const expected = after === second.position ? [third] : [second, third];
      expect(await probe.waitForCount(expected.length)).toEqual(expected);
      await sleep(50);
      await probe.stop();
      expect(probe.received).toEqual(expected);
    }
  });

  it('delivers appends made by another instance on the same server', async () => {
    const reader = openStore();
    const writer = openStore();
    const probe = new SubscriptionProbe(reader, 0);

    await writer.appendToStream('key-1', events(2), NO_STREAM);
    await writer.appendToStream('key-2', events(1), NO_STREAM);

    expect(await probe.waitForCount(3)).toEqual(await writer.readAll());
    await probe.stop();
  });

  describe('after the server drops a subscription', () => {
    itWithDouble.each([
      ['UNAVAILABLE (node restarted or connection lost)', GrpcStatus.UNAVAILABLE],
      ['ABORTED (consumer too slow)', GrpcStatus.ABORTED],
    ])('resumes from the last delivered event without loss, duplicates or reordering: %s', async (_reason, code) => {
      const store = openStore();
      for (let batch = 0; batch < 6; batch += 1) await store.appendToStream(`key-${batch}`, events(50), NO_STREAM);
      const controller = new AbortController();
      const received: RecordedEvent[] = [];
      let dropped = 0;

      const consuming = (async () => {
        for await (const event of store.subscribeToAll({ after: 0, signal: controller.signal })) {
          received.push(event);
          if (received.length === 40) {
            // Mid catch-up: the server has sent more than the consumer has taken.
            dropped += server.double!.dropSubscriptions(code);
            await store.appendToStream('key-during-outage', events(20), NO_STREAM);
          }
          if (received.length % 50 === 0) await sleep(5);
          if (received.length === 320) {
            // Caught up and live: drop again, then append.
            dropped += server.double!.dropSubscriptions(code);
            await store.appendToStream('key-after-live-drop', events(5), NO_STREAM);
          }
          if (received.length === 325) controller.abort();
        }
      })();
      await consuming;

      expect(dropped).toBe(2);
      const log = await readWholeLog(store);
      expect(log).toHaveLength(325);
      expect(received).toEqual(log);
    });
  });

  it('refuses a stream prefix that would name system streams', () => {
    expect(() => openStore({ streamPrefix: '$keyledger-' })).toThrow(TypeError);
    expect(() => openStore({ streamPrefix: '' })).toThrow(TypeError);
  });

  it('derives disjoint log, vault and checkpoint prefixes for a deployment', () => {
    const prefixes = keyledgerStreamPrefixes('prod.eu');

    expect(prefixes).toEqual({ log: 'prod.eu-log-', vault: 'prod.eu-vault-', checkpoint: 'prod.eu-checkpoint-' });
    for (const a of Object.values(prefixes)) {
      for (const b of Object.values(prefixes)) if (a !== b) expect(b.startsWith(a)).toBe(false);
    }
    expect(() => keyledgerStreamPrefixes('$all')).toThrow(TypeError);
  });

  it('closes idempotently and refuses work once closed', async () => {
    const store = openStore();
    await store.close();
    await store.close();

    await expect(store.appendToStream('a', events(1), NO_STREAM)).rejects.toThrow(/closed/);
    await expect(store.readAll()).rejects.toThrow(/closed/);
  });

  it('on a shared client, closing leaves the client to its owner: the other adapters keep appending, even with appends in flight', async () => {
    const client = openSharedEventStoreDbClient(server.connectionString);
    opened.push({ close: () => client.dispose() });
    const log = openStore({ client });
    const checkpoints = new EventStoreDbCheckpointStore({ connectionString: server.connectionString, client, instanceId: 'shared-client-test', streamPrefix: `${prefix}cp-` });
    const other = openStore({ client, streamPrefix: `${prefix}other-` });
    await checkpoints.write(1);

    // Appends in flight on the shared client while two of its adapters close.
    const appending = Array.from({ length: 20 }, (_, i) => log.appendToStream(`s-${i}`, events(1), NO_STREAM));
    await Promise.all([checkpoints.close(), other.close()]);
    expect((await Promise.all(appending)).map((r) => r.nextExpectedRevision)).toEqual(Array(20).fill(0));
    expect((await log.appendToStream('after-close', events(2), NO_STREAM)).nextExpectedRevision).toBe(1);
    await expect(other.readAll()).rejects.toThrow(/closed/);
  });
});

function events(count: number, prefix = 'Thing'): NewEvent[] {
  return Array.from({ length: count }, (_, index) => ({ type: `${prefix}.${index}`, data: { index }, metadata: {} }));
}

async function readWholeLog(store: EventStoreDbEventStore): Promise<RecordedEvent[]> {
  const log: RecordedEvent[] = [];
  for (let page = await store.readAll(); page.length > 0; page = await store.readAll({ after: log[log.length - 1].position })) {
    log.push(...page);
  }
  return log;
}

async function readRaw(client: EventStoreDBClient, streamName: string): Promise<Array<{ type: string }>> {
  const out = [];
  for await (const resolved of client.readStream(streamName)) if (resolved.event) out.push(resolved.event);
  return out;
}
