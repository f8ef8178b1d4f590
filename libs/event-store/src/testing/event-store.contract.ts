/// <reference types="jest" />
// The reference above lets this file type-check under tsconfig.build.json too (types: ["node"] only).
import {
  NO_STREAM,
  WrongExpectedRevisionError,
  type EventStore,
  type ExpectedRevision,
  type JsonObject,
  type NewEvent,
  type RecordedEvent,
} from '../event-store.port';
import { SubscriptionProbe } from './subscription-probe';

export interface EventStoreFixture {
  store: EventStore;
  /**
   * Opens a new store on the same storage as `store`. The suite closes the previous store first.
   * Required when the suite is declared with `{ durable: true }`.
   */
  reopen?: () => Promise<EventStore>;
  /** Releases the storage (temp files...). Called after the suite has closed the current store. */
  cleanup: () => Promise<void>;
}

/**
 * The one behavioural contract of the EventStore port. Every adapter's spec calls this;
 * `createStore` must return a fresh, empty store for each test.
 */
export function describeEventStoreContract(
  name: string,
  createStore: () => Promise<EventStoreFixture>,
  capabilities: { durable: boolean } = { durable: false },
): void {
  describe(`${name} satisfies the EventStore contract`, () => {
    let fixture: EventStoreFixture;
    /** The store under test; replaced when a test reopens. */
    let store: EventStore;

    beforeEach(async () => {
      fixture = await createStore();
      store = fixture.store;
    });

    afterEach(async () => {
      await store.close();
      await fixture.cleanup();
    });

    describe('revision numbering', () => {
      it('numbers a new stream 0..n-1 and returns n-1 as the next expected revision', async () => {
        const result = await store.appendToStream('key-1', someEvents(3, 'Created'), NO_STREAM);

        expect(result.nextExpectedRevision).toBe(2);
        const stream = await store.readStream('key-1');
        expect(stream.map((e) => e.revision)).toEqual([0, 1, 2]);
        expect(stream.map((e) => e.type)).toEqual(['Created.0', 'Created.1', 'Created.2']);
        expect(result.position).toBe(stream[2].position);
      });

      it('continues the numbering when appending with the last revision', async () => {
        const first = await store.appendToStream('key-1', someEvents(2, 'A'), NO_STREAM);
        const second = await store.appendToStream('key-1', someEvents(3, 'B'), first.nextExpectedRevision);
        const third = await store.appendToStream('key-1', someEvents(1, 'C'), second.nextExpectedRevision);

        expect([first.nextExpectedRevision, second.nextExpectedRevision, third.nextExpectedRevision]).toEqual([1, 4, 5]);
        const stream = await store.readStream('key-1');
        expect(stream.map((e) => e.revision)).toEqual([0, 1, 2, 3, 4, 5]);
        expect(stream.map((e) => e.type)).toEqual(['A.0', 'A.1', 'B.0', 'B.1', 'B.2', 'C.0']);
      });

      it('numbers each stream independently', async () => {
        await store.appendToStream('key-1', someEvents(2), NO_STREAM);
        await store.appendToStream('key-2', someEvents(1), NO_STREAM);

        expect((await store.readStream('key-2')).map((e) => e.revision)).toEqual([0]);
        expect((await store.readStream('key-1')).map((e) => e.revision)).toEqual([0, 1]);
      });

      it('returns an empty array for a stream that does not exist', async () => {
        await store.appendToStream('key-1', someEvents(1), NO_STREAM);

        expect(await store.readStream('no-such-stream')).toEqual([]);
      });

      it('rejects an empty batch and writes nothing', async () => {
        await expect(store.appendToStream('key-1', [], NO_STREAM)).rejects.toThrow(RangeError);

        expect(await store.readStream('key-1')).toEqual([]);
        expect(await store.headPosition()).toBe(0);
      });
    });

    describe('reading a range of a stream', () => {
      it('returns the events from `fromRevision` on (inclusive), at most `maxCount`, in revision order', async () => {
        await store.appendToStream('key-1', someEvents(6, 'K'), NO_STREAM);
        await store.appendToStream('key-2', someEvents(3, 'Other'), NO_STREAM);
        const whole = await store.readStream('key-1');

        expect(await store.readStream('key-1', {})).toEqual(whole);
        expect(await store.readStream('key-1', { fromRevision: 0 })).toEqual(whole);
        expect(await store.readStream('key-1', { fromRevision: 2 })).toEqual(whole.slice(2));
        expect(await store.readStream('key-1', { fromRevision: 2, maxCount: 3 })).toEqual(whole.slice(2, 5));
        expect(await store.readStream('key-1', { maxCount: 1 })).toEqual(whole.slice(0, 1));
        expect(await store.readStream('key-1', { fromRevision: 5, maxCount: 1 })).toEqual(whole.slice(5));
        expect(await store.readStream('key-1', { fromRevision: 4, maxCount: 100 })).toEqual(whole.slice(4));
      });

      it('is empty past the end of a stream, and for a stream that does not exist', async () => {
        await store.appendToStream('key-1', someEvents(2), NO_STREAM);

        expect(await store.readStream('key-1', { fromRevision: 2 })).toEqual([]);
        expect(await store.readStream('key-1', { fromRevision: 50, maxCount: 5 })).toEqual([]);
        expect(await store.readStream('missing', { fromRevision: 0, maxCount: 5 })).toEqual([]);
      });

      it('pages through a stream: the pages put together are the whole stream', async () => {
        await store.appendToStream('key-1', someEvents(7, 'A'), NO_STREAM);
        await store.appendToStream('key-2', someEvents(2, 'B'), NO_STREAM);
        await store.appendToStream('key-1', someEvents(4, 'C'), 6);

        const pages: RecordedEvent[][] = [];
        for (let fromRevision = 0; ; ) {
          const page = await store.readStream('key-1', { fromRevision, maxCount: 3 });
          if (page.length === 0) break;
          pages.push(page);
          fromRevision = page[page.length - 1].revision + 1;
        }

        expect(pages.map((page) => page.length)).toEqual([3, 3, 3, 2]);
        expect(pages.flat()).toEqual(await store.readStream('key-1'));
      });

      it.each<[string, object]>([
        ['a negative fromRevision', { fromRevision: -1 }],
        ['a fractional fromRevision', { fromRevision: 1.5 }],
        ['a zero maxCount', { maxCount: 0 }],
        ['a negative maxCount', { maxCount: -3 }],
        ['a fractional maxCount', { maxCount: 2.5 }],
      ])('rejects %s with a RangeError', async (_case, options) => {
        await store.appendToStream('key-1', someEvents(2), NO_STREAM);

        await expect(store.readStream('key-1', options)).rejects.toThrow(RangeError);
      });
    });

    describe('wrong expected revision', () => {
      it.each<[string, ExpectedRevision, number]>([
        ['NO_STREAM on an existing stream', NO_STREAM, 1],
        ['a stale revision', 0, 1],
        ['a revision ahead of the stream', 5, 1],
        ['a revision on a stream that does not exist', 0, NO_STREAM],
      ])('rejects %s and writes nothing', async (_case, expectedRevision, actualRevision) => {
        const streamId = actualRevision === NO_STREAM ? 'missing' : 'key-1';
        await store.appendToStream('key-1', someEvents(2), NO_STREAM);
        const streamBefore = await store.readStream(streamId);
        const headBefore = await store.headPosition();

        const error = await failureOf(store.appendToStream(streamId, someEvents(2, 'Rejected'), expectedRevision));

        expectWrongExpectedRevision(error, streamId, expectedRevision, actualRevision);
        expect(await store.readStream(streamId)).toEqual(streamBefore);
        expect(await store.headPosition()).toBe(headBefore);
        expect((await store.readAll()).some((e) => e.type.startsWith('Rejected'))).toBe(false);
      });
    });

    describe('concurrent conflicting appends', () => {
      const racers = 10;

      it(`lets exactly one of ${racers} appends with the same expected revision win`, async () => {
        await store.appendToStream('key-1', [newEvent('Seeded')], NO_STREAM);

        const outcomes = await Promise.allSettled(
          Array.from({ length: racers }, (_, racer) => store.appendToStream('key-1', racerEvents(racer), 0)),
        );

        const winners = outcomes.flatMap((outcome, racer) => (outcome.status === 'fulfilled' ? [racer] : []));
        expect(winners).toHaveLength(1);
        for (const outcome of outcomes) {
          if (outcome.status === 'rejected') {
            expectWrongExpectedRevision(outcome.reason, 'key-1', 0, 2);
          }
        }
        const stream = await store.readStream('key-1');
        expect(stream.map((e) => [e.revision, e.type])).toEqual([
          [0, 'Seeded'],
          [1, `Racer${winners[0]}.0`],
          [2, `Racer${winners[0]}.1`],
        ]);
        expect(await store.readAll()).toHaveLength(3);
      });

      it(`lets exactly one of ${racers} appends create the same new stream`, async () => {
        const outcomes = await Promise.allSettled(
          Array.from({ length: racers }, (_, racer) => store.appendToStream('key-1', racerEvents(racer), NO_STREAM)),
        );

        const winners = outcomes.flatMap((outcome, racer) => (outcome.status === 'fulfilled' ? [racer] : []));
        expect(winners).toHaveLength(1);
        expect(outcomes.filter((o) => o.status === 'rejected')).toHaveLength(racers - 1);
        const stream = await store.readStream('key-1');
        expect(stream.map((e) => e.type)).toEqual([`Racer${winners[0]}.0`, `Racer${winners[0]}.1`]);
      });

      it('commits concurrent appends to different streams with distinct positions', async () => {
        const results = await Promise.all(
          Array.from({ length: racers }, (_, racer) => store.appendToStream(`key-${racer}`, racerEvents(racer), NO_STREAM)),
        );

        const positions = results.map((r) => r.position);
        expect(new Set(positions).size).toBe(racers);
        const log = await store.readAll();
        expect(log).toHaveLength(racers * 2);
        expectStrictlyIncreasing(log.map((e) => e.position));
      });
    });

    describe('global order', () => {
      it('gives the first event position 1 and strictly increasing positions across streams', async () => {
        const appended: Array<[string, number]> = [];
        for (const streamId of ['a', 'b', 'a', 'c', 'b']) {
          const current = (await store.readStream(streamId)).length - 1;
          const result = await store.appendToStream(streamId, someEvents(2, streamId), current);
          appended.push([streamId, result.position]);
        }

        const log = await store.readAll();
        expect(log[0].position).toBe(1);
        expect(log).toHaveLength(10);
        expectStrictlyIncreasing(log.map((e) => e.position));
        expect(log.filter((e) => e.revision % 2 === 1).map((e) => [e.streamId, e.position])).toEqual(appended);
      });

      it('returns the same events from readAll and readStream', async () => {
        await store.appendToStream('a', someEvents(2), NO_STREAM);
        await store.appendToStream('b', someEvents(1), NO_STREAM);
        await store.appendToStream('a', someEvents(1), 1);

        const log = await store.readAll();
        expect(log.filter((e) => e.streamId === 'a')).toEqual(await store.readStream('a'));
        expect(log.filter((e) => e.streamId === 'b')).toEqual(await store.readStream('b'));
      });

      it('treats `after` as exclusive', async () => {
        await store.appendToStream('a', someEvents(5), NO_STREAM);
        const log = await store.readAll();

        const rest = await store.readAll({ after: log[1].position });

        expect(rest).toEqual(log.slice(2));
        expect(await store.readAll({ after: log[4].position })).toEqual([]);
      });

      it('pages with maxCount', async () => {
        await store.appendToStream('a', someEvents(4), NO_STREAM);
        await store.appendToStream('b', someEvents(3), NO_STREAM);
        const log = await store.readAll();

        const pages: RecordedEvent[][] = [];
        for (let after = 0; ; ) {
          const page = await store.readAll({ after, maxCount: 3 });
          if (page.length === 0) break;
          pages.push(page);
          after = page[page.length - 1].position;
        }

        expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
        expect(pages.flat()).toEqual(log);
      });

      it('returns at most 1000 events when maxCount is not given', async () => {
        await store.appendToStream('bulk', someEvents(1001), NO_STREAM);

        const page = await store.readAll();

        expect(page).toHaveLength(1000);
        expect(page[999].revision).toBe(999);
      });
    });

    describe('reading events by position', () => {
      it('returns the events at the positions asked for, in position order, each once, exactly as readAll does', async () => {
        await store.appendToStream('a', someEvents(3, 'A'), NO_STREAM);
        await store.appendToStream('b', someEvents(2, 'B'), NO_STREAM);
        await store.appendToStream('a', someEvents(2, 'C'), 2);
        const log = await store.readAll();
        const wanted = [log[5], log[0], log[3], log[5]].map((event) => event.position);

        expect(await store.readEventsAt(wanted)).toEqual([log[0], log[3], log[5]]);
        expect(await store.readEventsAt(log.map((event) => event.position))).toEqual(log);
      });

      it('leaves out positions past the head, and is empty for no positions or an empty store', async () => {
        expect(await store.readEventsAt([1, 2])).toEqual([]);
        await store.appendToStream('a', someEvents(2), NO_STREAM);
        const log = await store.readAll();
        const head = await store.headPosition();

        expect(await store.readEventsAt([head + 1000, log[1].position])).toEqual([log[1]]);
        expect(await store.readEventsAt([])).toEqual([]);
      });

      it.each([0, -1, 1.5, Number.NaN])('refuses %p as a position with a RangeError', async (position) => {
        await expect(store.readEventsAt([1, position])).rejects.toThrow(RangeError);
      });
    });

    describe('round-tripping', () => {
      it('returns type, streamId, data, metadata and recordedAt exactly as stored', async () => {
        const streamId = 'key/ñ-🔑:0001';
        const event: NewEvent = { type: 'KeyMaterialImported.v1', data: awkwardJson(), metadata: awkwardMetadata() };
        const before = Date.now();

        await store.appendToStream(streamId, [event], NO_STREAM);

        const after = Date.now();
        const [fromStream] = await store.readStream(streamId);
        const [fromLog] = await store.readAll();
        expect(fromStream).toStrictEqual({
          streamId,
          revision: 0,
          position: 1,
          type: 'KeyMaterialImported.v1',
          data: awkwardJson(),
          metadata: awkwardMetadata(),
          recordedAt: expect.any(Number),
        });
        expect(fromLog).toStrictEqual(fromStream);
        expect(Number.isInteger(fromStream.recordedAt)).toBe(true);
        expect(fromStream.recordedAt).toBeGreaterThanOrEqual(before);
        expect(fromStream.recordedAt).toBeLessThanOrEqual(after);
      });

      it('is not affected by callers mutating what they passed in or got back', async () => {
        const data: JsonObject = { nested: { value: 1 } };
        await store.appendToStream('a', [{ type: 'T', data, metadata: {} }], NO_STREAM);
        (data.nested as JsonObject).value = 2;
        const [read] = await store.readStream('a');
        (read.data.nested as JsonObject).value = 3;

        expect((await store.readStream('a'))[0].data).toEqual({ nested: { value: 1 } });
      });
    });

    describe('headPosition', () => {
      it('is 0 for an empty store', async () => {
        expect(await store.headPosition()).toBe(0);
      });

      it('is the position of the last appended event, and unchanged by a rejected append', async () => {
        await store.appendToStream('a', someEvents(2), NO_STREAM);
        const { position } = await store.appendToStream('b', someEvents(3), NO_STREAM);

        expect(await store.headPosition()).toBe(position);
        await expect(store.appendToStream('b', someEvents(1), 0)).rejects.toThrow(WrongExpectedRevisionError);
        expect(await store.headPosition()).toBe(position);
      });
    });

    describe('catch-up subscription', () => {
      it('delivers only events after the checkpoint, in order, then live appends', async () => {
        await store.appendToStream('a', someEvents(3, 'Old'), NO_STREAM);
        await store.appendToStream('b', someEvents(2, 'Backlog'), NO_STREAM);
        const backlog = await store.readAll();
        const checkpoint = backlog[2].position;

        const probe = new SubscriptionProbe(store, checkpoint);
        expect(await probe.waitForCount(2)).toEqual(backlog.slice(3));

        await store.appendToStream('a', someEvents(1, 'Live'), 2);
        await store.appendToStream('c', someEvents(2, 'Live'), NO_STREAM);
        const delivered = await probe.waitForCount(5);
        await probe.stop();

        expect(delivered).toEqual((await store.readAll()).slice(3));
        expect(delivered.map((e) => e.type)).toEqual(['Backlog.0', 'Backlog.1', 'Live.0', 'Live.0', 'Live.1']);
        expect(probe.received).toHaveLength(5);
      });

      it('delivers everything from checkpoint 0, including appends that race with the catch-up', async () => {
        await store.appendToStream('a', someEvents(3), NO_STREAM);
        const probe = new SubscriptionProbe(store, 0);
        const appending = (async () => {
          for (let revision = 2; revision < 12; revision += 1) {
            await store.appendToStream('a', someEvents(1), revision);
          }
        })();

        await appending;
        const delivered = await probe.waitForCount(13);
        await probe.stop();

        expect(delivered).toEqual(await store.readAll());
        expect(probe.received).toHaveLength(13);
      });

      it('catches up a backlog larger than one page', async () => {
        await store.appendToStream('bulk', someEvents(1201), NO_STREAM);

        const probe = new SubscriptionProbe(store, 0);
        const delivered = await probe.waitForCount(1201);
        await probe.stop();

        expect(delivered.map((e) => e.revision)).toEqual(Array.from({ length: 1201 }, (_, i) => i));
        expect(probe.received).toHaveLength(1201);
      });

      it('wakes on a live append without waiting for a poll interval', async () => {
        const probe = new SubscriptionProbe(store, 0);
        await settle();

        await store.appendToStream('a', someEvents(1), NO_STREAM);
        const committedAt = Date.now();
        await probe.waitForCount(1);
        const latencyMs = Date.now() - committedAt;
        await probe.stop();

        // Adapters that also poll must use an interval well above this in the suite (the SQLite spec uses 1 s).
        expect(latencyMs).toBeLessThan(250);
      });

      it('feeds several subscribers the same events', async () => {
        const first = new SubscriptionProbe(store, 0);
        const second = new SubscriptionProbe(store, 0);

        await store.appendToStream('a', someEvents(2), NO_STREAM);
        await store.appendToStream('b', someEvents(1), NO_STREAM);
        const [fromFirst, fromSecond] = await Promise.all([first.waitForCount(3), second.waitForCount(3)]);
        await Promise.all([first.stop(), second.stop()]);

        expect(fromFirst).toEqual(await store.readAll());
        expect(fromSecond).toEqual(fromFirst);
      });

      it('ends the for-await loop when aborted while waiting for events', async () => {
        await store.appendToStream('a', someEvents(1), NO_STREAM);
        const probe = new SubscriptionProbe(store, 0);
        await probe.waitForCount(1);

        await probe.stop(1000);

        expect(probe.hasEnded).toBe(true);
        await store.appendToStream('a', someEvents(1), 0);
        await settle();
        expect(probe.received).toHaveLength(1);
      });

      it('ends the for-await loop when aborted while events are still being delivered', async () => {
        await store.appendToStream('bulk', someEvents(50), NO_STREAM);
        const controller = new AbortController();
        const received: RecordedEvent[] = [];

        for await (const event of store.subscribeToAll({ after: 0, signal: controller.signal })) {
          received.push(event);
          if (received.length === 10) controller.abort();
        }

        expect(received).toHaveLength(10);
      });

      it('yields nothing for an already-aborted signal', async () => {
        await store.appendToStream('a', someEvents(3), NO_STREAM);
        const received: RecordedEvent[] = [];

        for await (const event of store.subscribeToAll({ after: 0, signal: AbortSignal.abort() })) {
          received.push(event);
        }

        expect(received).toEqual([]);
      });

      it('ends its subscriptions when the store is closed', async () => {
        const probe = new SubscriptionProbe(store, 0);
        await settle();

        await store.close();

        await probe.waitForEnd(1000);
        expect(probe.received).toEqual([]);
      });
    });

    // Declared only for durable adapters, so a store without storage never reports a restart test as passed.
    if (capabilities.durable) describe('durability across restart', () => {
      it('keeps every event across close and reopen, then continues revisions and positions', async () => {
        if (!fixture.reopen) throw new Error(`${name} is declared durable but its fixture has no reopen()`);
        await store.appendToStream('a', someEvents(2, 'Before'), NO_STREAM);
        await store.appendToStream('b', [{ type: 'Before', data: awkwardJson(), metadata: awkwardMetadata() }], NO_STREAM);
        const logBefore = await store.readAll();
        const headBefore = await store.headPosition();

        await store.close();
        store = await fixture.reopen();

        expect(await store.readAll()).toEqual(logBefore);
        expect(await store.headPosition()).toBe(headBefore);
        const error = await failureOf(store.appendToStream('a', someEvents(1), NO_STREAM));
        expectWrongExpectedRevision(error, 'a', NO_STREAM, 1);
        const result = await store.appendToStream('a', someEvents(1, 'After'), 1);
        expect(result.nextExpectedRevision).toBe(2);
        expect(result.position).toBeGreaterThan(headBefore);
        expect((await store.readStream('a')).map((e) => [e.revision, e.type])).toEqual([
          [0, 'Before.0'],
          [1, 'Before.1'],
          [2, 'After.0'],
        ]);
      });
    });
  });
}

function newEvent(type: string, data: JsonObject = {}, metadata: JsonObject = {}): NewEvent {
  return { type, data, metadata };
}

/** `count` events typed `${prefix}.${index}`. */
function someEvents(count: number, prefix = 'Something'): NewEvent[] {
  return Array.from({ length: count }, (_, index) => newEvent(`${prefix}.${index}`, { index }));
}

function racerEvents(racer: number): NewEvent[] {
  return [newEvent(`Racer${racer}.0`, { racer }), newEvent(`Racer${racer}.1`, { racer })];
}

/** Nested JSON with the values that most often break serialization. */
function awkwardJson(): JsonObject {
  return {
    keyId: 'a1b2c3d4-0000-4000-8000-000000000001',
    nested: { deeper: { deepest: [1, [2, [3, { four: 4 }]]] }, empty: {}, emptyList: [] },
    numbers: [0, -1, 1.5, -0.000001, 1e21, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER],
    flags: [true, false, null],
    unicode: 'héllo wörld — 日本語 — עברית — 🔑🗝️ — e\u0301 — "quotes" \\ back\\slash \n\t',
    controlCharacters: '\u0000\u0001\u001f',
    'key with spaces and ünïcödé 🔐': 'value',
    '': 'empty key',
  };
}

function awkwardMetadata(): JsonObject {
  return { correlationId: 'corr-1', causationId: null, actor: { principal: 'arn:aws:iam::123456789012:root' } };
}

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

function expectWrongExpectedRevision(
  error: unknown,
  streamId: string,
  expectedRevision: ExpectedRevision,
  actualRevision: number,
): void {
  expect(error).toBeInstanceOf(WrongExpectedRevisionError);
  expect(error).toMatchObject({ streamId, expectedRevision, actualRevision });
}

function expectStrictlyIncreasing(positions: number[]): void {
  positions.forEach((position, index) => {
    expect(Number.isInteger(position)).toBe(true);
    if (index > 0) expect(position).toBeGreaterThan(positions[index - 1]);
  });
}

/** Lets pending timers and I/O run, so a subscription reaches its idle wait. */
function settle(ms = 20): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
