import { setTimeout as sleep } from 'node:timers/promises';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { DeadlineExceededError, StreamNotFoundError, UnavailableError, WrongExpectedVersionError } from '@eventstore/db-client';
import {
  isStoreUnavailableError,
  NO_STREAM,
  StoreUnavailableError,
  WrongExpectedRevisionError,
  type NewEvent,
  type RecordedEvent,
} from './event-store.port';
import {
  asStoreUnavailable,
  deadlineOfConnectionString,
  DEFAULT_STORE_TIMEOUT_MS,
  EventStoreDbCheckpointStore,
  EventStoreDbEventStore,
  StoreCalls,
  type EventStoreDbEventStoreOptions,
} from './eventstoredb';
import { storeUnavailableOf } from './store-unavailable';
import { itWithDouble, startTestEventStoreDb, uniqueStreamPrefix, type TestEventStoreDb } from './testing/eventstoredb-double/test-server';

/** Short, so the deadline tests are quick; long enough for a loaded CI machine to answer a healthy call. */
const TIMEOUT_MS = 400;
/** How late after its deadline a call may fail at most (timer and event-loop slack). */
const SLACK_MS = 400;

describe('EventStoreDbEventStore when the server is unavailable (protocol double)', () => {
  let server: TestEventStoreDb;
  let prefix: string;
  const opened: Array<{ close(): Promise<void> }> = [];

  function openStore(options: Partial<EventStoreDbEventStoreOptions> = {}): EventStoreDbEventStore {
    const store = new EventStoreDbEventStore({
      connectionString: server.connectionString,
      streamPrefix: prefix,
      timeoutMs: TIMEOUT_MS,
      resubscribeBackoff: { initialDelayMs: 10, maxDelayMs: 50 },
      ...options,
    });
    opened.push(store);
    return store;
  }

  beforeEach(async () => {
    server = await startTestEventStoreDb();
    prefix = uniqueStreamPrefix('faults');
  });

  afterEach(async () => {
    server.double?.unstall();
    await server.double?.restart();
    for (const closable of opened.splice(0).reverse()) await closable.close();
    await server.stop();
  });

  /** Runs `call` and returns its error (failing the test if it succeeds) and how long it took. */
  async function failure(call: () => Promise<unknown>): Promise<{ error: StoreUnavailableError; tookMs: number }> {
    const startedAt = Date.now();
    const outcome = await call().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    if (!('error' in outcome)) throw new Error(`expected a failure, got ${JSON.stringify(outcome.value)}`);
    return { error: outcome.error as StoreUnavailableError, tookMs: Date.now() - startedAt };
  }

  itWithDouble('fails fast with StoreUnavailableError(unreachable) while the server is down, and works again by itself once it is back', async () => {
    const store = openStore();
    await store.appendToStream('key-1', events(2), NO_STREAM);
    const before = await store.readAll();

    await server.double!.shutDown();
    const calls: Array<[string, () => Promise<unknown>, boolean]> = [
      ['appendToStream', () => store.appendToStream('key-2', events(1), NO_STREAM), true],
      ['readStream', () => store.readStream('key-1'), false],
      ['readAll', () => store.readAll(), false],
      ['headPosition', () => store.headPosition(), false],
    ];
    for (const [name, call, write] of calls) {
      const { error, tookMs } = await failure(call);
      expect({ name, error }).toEqual({ name, error: expect.any(StoreUnavailableError) });
      expect(error).toMatchObject({ reason: 'unreachable', retryable: true });
      // An append may have been on its way when the connection went (unknown), or never have left (not written).
      if (!write) expect(error.outcomeUnknown).toBe(false);
      expect(tookMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    }
    expect(store.connectivity.unavailable).toMatchObject({ reason: 'unreachable' });

    await server.double!.restart();
    // The same store object: the client opens a new connection on the next call.
    await store.appendToStream('key-2', events(1), NO_STREAM);
    expect(store.connectivity.unavailable).toBeUndefined();
    const log = await store.readAll();
    expect(log.slice(0, 2)).toEqual(before);
    expect(log.map((e) => `${e.streamId}@${e.revision}`)).toEqual(['key-1@0', 'key-1@1', 'key-2@0']);
  });

  itWithDouble('bounds every call by its deadline when the server hangs (timeout), and recovers when it answers again', async () => {
    const store = openStore();
    await store.appendToStream('key-1', events(1), NO_STREAM);

    server.double!.stall();
    const calls: Array<[string, () => Promise<unknown>, boolean]> = [
      ['appendToStream', () => store.appendToStream('key-2', events(1), NO_STREAM), true],
      ['readStream', () => store.readStream('key-1'), false],
      ['readAll', () => store.readAll(), false],
      ['headPosition', () => store.headPosition(), false],
    ];
    const results = await Promise.all(calls.map(([, call]) => failure(call)));
    for (const [index, { error, tookMs }] of results.entries()) {
      const [name, , write] = calls[index];
      expect({ name, error }).toEqual({ name, error: expect.any(StoreUnavailableError) });
      expect(error).toMatchObject({ reason: 'timeout', outcomeUnknown: write });
      expect(tookMs).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
      expect(tookMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    }

    server.double!.unstall();
    expect((await store.readStream('key-1')).map((e) => e.type)).toEqual(['Thing.0']);
  });

  itWithDouble('never reports an append whose answer was lost as written; a retry after re-reading the stream cannot write it twice', async () => {
    const store = openStore();
    // The server writes the append and withholds the answer: the outcome is unknown to the store.
    server.double!.stall({ commitWrites: true, reads: false });
    const { error } = await failure(() => store.appendToStream('key-1', events(1, 'Created'), NO_STREAM));
    expect(error).toMatchObject({ reason: 'timeout', outcomeUnknown: true });
    server.double!.unstall();

    // It did land. A writer retrying blindly with the revision it read before is refused, not duplicated...
    expect((await store.readStream('key-1')).map((e) => e.type)).toEqual(['Created.0']);
    const retry = await store.appendToStream('key-1', events(1, 'Created'), NO_STREAM).catch((e: unknown) => e);
    expect(retry).toBeInstanceOf(WrongExpectedRevisionError);
    expect(retry).toMatchObject({ expectedRevision: NO_STREAM, actualRevision: 0 });
    // ...and one that re-reads first (as every Keyledger writer does) decides against what is there.
    await store.appendToStream('key-1', events(1, 'Next'), 0);
    expect((await store.readAll()).map((e) => `${e.streamId}@${e.revision}:${e.type}`)).toEqual(['key-1@0:Created.0', 'key-1@1:Next.0']);
  });

  itWithDouble('resumes a subscription from its last event once the server is back, at once and without loss or duplicates', async () => {
    // A long backoff: only the recovery signal (another call succeeding) can bring it back quickly.
    const store = openStore({ resubscribeBackoff: { initialDelayMs: 10_000, maxDelayMs: 10_000 } });
    const writer = openStore();
    await writer.appendToStream('before', events(3), NO_STREAM);
    const { received, stop } = consume(store);
    await until(() => received.length === 3);

    await server.double!.shutDown();
    await failure(() => writer.appendToStream('during', events(1), NO_STREAM));
    await server.double!.restart();
    await sleep(100);
    expect(received).toHaveLength(3);
    const backAt = Date.now();
    await store.appendToStream('after', events(2), NO_STREAM);

    await until(() => received.length === 5, 3000);
    expect(Date.now() - backAt).toBeLessThan(3000);
    await sleep(100);
    await stop();
    expect(received).toEqual(await store.readAll());
    expect(received.map((e) => e.streamId)).toEqual(['before', 'before', 'before', 'after', 'after']);
  });

  itWithDouble('re-opens a subscription the server does not confirm within the deadline', async () => {
    const store = openStore();
    await store.appendToStream('a', events(2), NO_STREAM);
    server.double!.stall();
    const readsBefore = server.double!.calls.read;
    const { received, stop } = consume(store);
    await sleep(TIMEOUT_MS * 2 + SLACK_MS);
    // The first attempt was abandoned at its deadline; later ones too, while the server stays silent.
    expect(server.double!.calls.read - readsBefore).toBeGreaterThanOrEqual(2);
    expect(received).toEqual([]);

    server.double!.unstall();
    await until(() => received.length === 2);
    await store.appendToStream('b', events(1), NO_STREAM);
    await until(() => received.length === 3);
    await sleep(100);
    await stop();
    expect(received).toEqual(await store.readAll());
  });

  itWithDouble('re-opens a subscription that was open during a hang once the server answers again, without duplicates', async () => {
    const store = openStore();
    await store.appendToStream('a', events(1), NO_STREAM);
    const { received, stop } = consume(store);
    await until(() => received.length === 1);
    const readsBefore = server.double!.calls.read;

    // Appends are written and not answered, deliveries are held: the store sees an outage.
    server.double!.stall({ commitWrites: true });
    await failure(() => store.appendToStream('b', events(2), NO_STREAM));
    server.double!.unstall();
    await store.appendToStream('c', events(1), NO_STREAM);

    await until(() => received.length === 4);
    await sleep(200);
    await stop();
    expect(server.double!.calls.read - readsBefore).toBeGreaterThanOrEqual(1); // re-subscribed (from the event it holds)
    expect(received).toEqual(await store.readAll());
    expect(received.map((e) => `${e.streamId}@${e.revision}`)).toEqual(['a@0', 'b@0', 'b@1', 'c@0']);
  });

  itWithDouble('keeps subscriptions going through repeated outages', async () => {
    const store = openStore();
    const { received, stop } = consume(store);
    for (let round = 0; round < 3; round += 1) {
      await store.appendToStream(`round-${round}`, events(2), NO_STREAM);
      await until(() => received.length === (round + 1) * 2);
      await server.double!.shutDown();
      await sleep(50);
      await server.double!.restart();
    }
    await store.appendToStream('last', events(1), NO_STREAM);
    await until(() => received.length === 7);
    await stop();
    expect(received).toEqual(await store.readAll());
  });

  itWithDouble('closes promptly while the server hangs, and never passes a read cut short by close() off as complete', async () => {
    const store = openStore({ timeoutMs: 5000 });
    await store.appendToStream('a', events(1), NO_STREAM);
    server.double!.stall();
    const reading = store.readStream('a').then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await sleep(100);
    const startedAt = Date.now();
    await store.close();
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(await reading).toEqual({ error: expect.objectContaining({ message: expect.stringMatching(/closed/) }) });
  });

  itWithDouble('bounds the checkpoint store the same way', async () => {
    const checkpoints = new EventStoreDbCheckpointStore({ connectionString: server.connectionString, instanceId: 'faults', streamPrefix: prefix, timeoutMs: TIMEOUT_MS });
    opened.push(checkpoints);
    await checkpoints.write(7);
    await server.double!.shutDown();
    expect((await failure(() => checkpoints.write(8))).error).toMatchObject({ reason: 'unreachable' });
    expect((await failure(() => checkpoints.read())).error).toMatchObject({ reason: 'unreachable' });
    await server.double!.restart();
    server.double!.stall();
    const { error, tookMs } = await failure(() => checkpoints.read());
    expect(error).toMatchObject({ reason: 'timeout' });
    expect(tookMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    server.double!.unstall();
    await checkpoints.write(9);
    expect(await checkpoints.read()).toBe(9);
  });
});

describe("the protocol double's fault controls", () => {
  it('shutDown() refuses connections on its port; restart() serves the same log on the same port', async () => {
    const { startEventStoreDbDouble } = await import('./testing/eventstoredb-double');
    const double = await startEventStoreDbDouble();
    const { connect } = await import('node:net');
    const reachable = () =>
      new Promise<boolean>((resolve) => {
        const socket = connect(double.port, '127.0.0.1');
        socket.once('connect', () => (socket.destroy(), resolve(true)));
        socket.once('error', () => resolve(false));
      });
    const store = new EventStoreDbEventStore({ connectionString: double.connectionString, timeoutMs: TIMEOUT_MS });
    try {
      await store.appendToStream('a', events(2), NO_STREAM);
      await double.shutDown();
      expect({ listening: double.listening, reachable: await reachable() }).toEqual({ listening: false, reachable: false });
      await double.restart();
      await double.restart(); // a no-op while listening
      expect({ listening: double.listening, reachable: await reachable() }).toEqual({ listening: true, reachable: true });
      expect((await store.readStream('a')).map((e) => e.revision)).toEqual([0, 1]);
    } finally {
      await store.close();
      await double.stop();
    }
  });
});

describe('store deadlines and the unavailable error', () => {
  it('takes the timeout from the option, else the connection string defaultDeadline, else 5 s', () => {
    expect(deadlineOfConnectionString('esdb://h:2113?tls=false&defaultDeadline=1500')).toBe(1500);
    expect(deadlineOfConnectionString('esdb://h:2113?Default_Deadline=700&tls=false')).toBe(700);
    expect(deadlineOfConnectionString('esdb://h:2113?tls=false')).toBeUndefined();
    expect(deadlineOfConnectionString('esdb://h:2113?defaultDeadline=-1')).toBeUndefined();
    const stores = [
      new EventStoreDbEventStore({ connectionString: 'esdb://127.0.0.1:1?tls=false' }),
      new EventStoreDbEventStore({ connectionString: 'esdb://127.0.0.1:1?tls=false&defaultDeadline=1500' }),
      new EventStoreDbEventStore({ connectionString: 'esdb://127.0.0.1:1?tls=false&defaultDeadline=1500', timeoutMs: 250 }),
    ];
    expect(stores.map((s) => s.timeoutMs)).toEqual([DEFAULT_STORE_TIMEOUT_MS, 1500, 250]);
    return Promise.all(stores.map((s) => s.close()));
  });

  it('maps the client errors that mean "unavailable" and nothing else', () => {
    const grpc = (code: GrpcStatus, details: string) => Object.assign(new Error(`${code} ${details}`), { code, details, metadata: undefined });
    expect(asStoreUnavailable(new UnavailableError(grpc(GrpcStatus.UNAVAILABLE, 'No connection established') as never), 'readAll')).toMatchObject({ reason: 'unreachable', outcomeUnknown: false });
    expect(asStoreUnavailable(new DeadlineExceededError(grpc(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded') as never), 'append', true)).toMatchObject({ reason: 'timeout', outcomeUnknown: true });
    expect(asStoreUnavailable(grpc(GrpcStatus.UNAVAILABLE, 'raw'), 'read')).toMatchObject({ reason: 'unreachable' });
    expect(asStoreUnavailable(new Error('Failed to discover after 10 attempts.'), 'read')).toMatchObject({ reason: 'unreachable' });
    for (const other of [new StreamNotFoundError(undefined, 'x'), new WrongExpectedVersionError(undefined, { streamName: 'x', current: 'no_stream', expected: BigInt(0) } as never), new TypeError('bug'), 'text', undefined]) {
      expect(asStoreUnavailable(other, 'call')).toBeUndefined();
    }
    const own = new StoreUnavailableError('busy', 'locked');
    expect(storeUnavailableOf(own)).toBe(own);
    expect(isStoreUnavailableError(own)).toBe(true);
    expect(isStoreUnavailableError(new Error('StoreUnavailableError'))).toBe(false);
  });

  it('cancels the call and fails at the deadline, whatever the call does later', async () => {
    const calls = new StoreCalls(50);
    let aborted: unknown;
    const startedAt = Date.now();
    const error = await calls
      .run('slow', (signal) => new Promise((resolve) => signal.addEventListener('abort', () => ((aborted = signal.reason), setTimeout(resolve, 20, 'late')))))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ reason: 'timeout', message: 'EventStoreDB did not answer slow within 50 ms' });
    expect(aborted).toBe(error);
    expect(Date.now() - startedAt).toBeLessThan(500);
    expect(calls.connectivity.unavailable).toBe(error);
    await expect(calls.run('fast', async () => 'ok')).resolves.toBe('ok');
    expect(calls.connectivity.unavailable).toBeUndefined();
    expect(() => new StoreCalls(0)).toThrow(RangeError);
  });
});

describe('StoreCalls retries', () => {
  const unavailable = (details: string) =>
    new UnavailableError(Object.assign(new Error(`14 UNAVAILABLE: ${details}`), { code: GrpcStatus.UNAVAILABLE, details, metadata: undefined }) as never);

  it('tries once more, at once, a call that never left (no connection established), even a write', async () => {
    const calls = new StoreCalls(1000);
    let attempts = 0;
    const result = await calls.run(
      'appendToStream',
      async () => {
        attempts += 1;
        if (attempts === 1) throw unavailable('No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:2113');
        return 'written';
      },
      { write: true },
    );
    expect({ result, attempts }).toEqual({ result: 'written', attempts: 2 });
  });

  it('never repeats a call that may have reached the server, nor more than once', async () => {
    for (const [details, expected, outcomeUnknown] of [
      ['Connection dropped', 1, true],
      ['No connection established. Last error: connect ECONNREFUSED', 2, false],
    ] as const) {
      const calls = new StoreCalls(1000);
      let attempts = 0;
      const error = await calls
        .run('appendToStream', async () => Promise.reject(((attempts += 1), unavailable(details))), { write: true })
        .catch((e: unknown) => e);
      expect(error).toMatchObject({ reason: 'unreachable', outcomeUnknown });
      expect(attempts).toBe(expected);
    }
  });
});

function events(count: number, prefix = 'Thing'): NewEvent[] {
  return Array.from({ length: count }, (_, index) => ({ type: `${prefix}.${index}`, data: { index }, metadata: {} }));
}

/** Subscribes from the start in the background; `stop` ends it (and rethrows if it failed). */
function consume(store: EventStoreDbEventStore): { received: RecordedEvent[]; stop: () => Promise<void> } {
  const received: RecordedEvent[] = [];
  const controller = new AbortController();
  const loop = (async () => {
    for await (const event of store.subscribeToAll({ after: 0, signal: controller.signal })) received.push(event);
  })();
  return {
    received,
    stop: async () => {
      controller.abort();
      await loop;
    },
  };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}
