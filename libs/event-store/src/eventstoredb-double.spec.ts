/**
 * What the EventStoreDB adapters rely on, stated against the real client. Runs against the protocol double,
 * and against a real server when KEYLEDGER_TEST_EVENTSTORE_URL is set: the double is only trusted as far as
 * this spec passes on both.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { status as GrpcStatus } from '@grpc/grpc-js';
import {
  BACKWARDS,
  END,
  ErrorType,
  EventStoreDBClient,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  START,
  StreamNotFoundError,
  streamNameFilter,
  WrongExpectedVersionError,
  type AllStreamResolvedEvent,
  type Position,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { itWithDouble, startTestEventStoreDb, uniqueStreamPrefix, type TestEventStoreDb } from './testing/eventstoredb-double/test-server';

describe('EventStoreDB behaviour the adapters rely on (double or real server)', () => {
  let server: TestEventStoreDb;
  let client: EventStoreDBClient;
  let prefix: string;

  beforeEach(async () => {
    server = await startTestEventStoreDb();
    client = EventStoreDBClient.connectionString(server.connectionString);
    prefix = uniqueStreamPrefix('double');
  });

  afterEach(async () => {
    await client.dispose();
    await server.stop();
  });

  const events = (count: number, type = 'Thing') =>
    Array.from({ length: count }, (_, index) => jsonEvent({ type: `${type}.${index}`, data: { index } }));

  async function all(read: AsyncIterable<ResolvedEvent | AllStreamResolvedEvent>): Promise<NonNullable<ResolvedEvent['event']>[]> {
    const out = [];
    for await (const resolved of read) if (resolved.event) out.push(resolved.event);
    return out;
  }

  async function mine(): Promise<NonNullable<ResolvedEvent['event']>[]> {
    return (await all(client.readAll({ direction: FORWARDS, fromPosition: START }))).filter((e) => e.streamId.startsWith(prefix));
  }

  describe('positions', () => {
    it('numbers revisions from 0 and gives each event its own sparse $all position, commit == prepare', async () => {
      const result = await client.appendToStream(`${prefix}a`, events(3), { expectedRevision: NO_STREAM });

      const log = await mine();
      expect(log.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
      const commits = log.map((e) => e.position!.commit);
      for (const event of log) expect(event.position!.prepare).toBe(event.position!.commit);
      expect(commits[1] - commits[0]).toBeGreaterThan(1n);
      expect(commits[2] - commits[1]).toBeGreaterThan(1n);
      // The append reports the position of the last event written.
      expect(result.position).toEqual(log[2].position);
      expect(result.nextExpectedRevision).toBe(2n);
    });

    it('starts user events after system events: a fresh log is never empty', async () => {
      await client.appendToStream(`${prefix}a`, events(1), { expectedRevision: NO_STREAM });

      const head = await all(client.readAll({ direction: FORWARDS, fromPosition: START, maxCount: 50 }));
      expect(head.some((e) => e.streamId.startsWith('$') || e.type.startsWith('$'))).toBe(true);
      expect((await mine())[0].position!.commit).toBeGreaterThan(0n);
    });

    it('reports the $all position on stream reads too (servers since 22.6)', async () => {
      await client.appendToStream(`${prefix}a`, events(2), { expectedRevision: NO_STREAM });

      const fromStream = await all(client.readStream(`${prefix}a`));
      expect(fromStream.map((e) => e.position)).toEqual((await mine()).map((e) => e.position));
    });

    it('reads $all forwards from an event position including that event, and backwards from the end', async () => {
      await client.appendToStream(`${prefix}a`, events(3), { expectedRevision: NO_STREAM });
      const [, second, third] = await mine();

      const forwards = await all(client.readAll({ direction: FORWARDS, fromPosition: second.position!, maxCount: 2 }));
      expect(forwards.map((e) => e.position)).toEqual([second.position, third.position]);
      const fromEnd = await all(client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }));
      expect(fromEnd.map((e) => e.position)).toEqual([third.position]);
    });
  });

  describe('wrong expected version', () => {
    it.each([
      ['NO_STREAM on an existing stream', NO_STREAM, 1n],
      ['a stale revision', 0n, 1n],
    ] as const)('reports %s with the current revision', async (_case, expectedRevision, current) => {
      await client.appendToStream(`${prefix}a`, events(2), { expectedRevision: NO_STREAM });

      const error = await client.appendToStream(`${prefix}a`, events(1), { expectedRevision }).catch((e: unknown) => e);

      expect(error).toBeInstanceOf(WrongExpectedVersionError);
      expect(error).toMatchObject({ streamName: `${prefix}a`, actualVersion: current });
    });

    it('reports a missing stream as no_stream', async () => {
      const error = await client.appendToStream(`${prefix}missing`, events(1), { expectedRevision: 3n }).catch((e: unknown) => e);

      expect(error).toMatchObject({ type: ErrorType.WRONG_EXPECTED_VERSION, actualVersion: 'no_stream' });
    });
  });

  describe('reading streams', () => {
    it('reports a missing stream as not found', async () => {
      await expect(all(client.readStream(`${prefix}missing`))).rejects.toBeInstanceOf(StreamNotFoundError);
    });

    it('reads backwards from the end', async () => {
      await client.appendToStream(`${prefix}a`, events(3), { expectedRevision: NO_STREAM });

      const latest = await all(client.readStream(`${prefix}a`, { direction: BACKWARDS, fromRevision: END, maxCount: 1 }));

      expect(latest.map((e) => e.revision)).toEqual([2n]);
    });

    it('honours $maxCount in the stream metadata', async () => {
      await client.setStreamMetadata(`${prefix}a`, { maxCount: 1 }, { expectedRevision: NO_STREAM });
      await client.appendToStream(`${prefix}a`, events(3), { expectedRevision: NO_STREAM });

      expect((await all(client.readStream(`${prefix}a`))).map((e) => e.revision)).toEqual([2n]);
      expect((await client.getStreamMetadata(`${prefix}a`)).metadata).toMatchObject({ maxCount: 1 });
    });
  });

  describe('soft delete', () => {
    it('hides the stream from reads, keeps its events in $all, and lets NO_STREAM recreate it where it left off', async () => {
      await client.appendToStream(`${prefix}a`, events(2), { expectedRevision: NO_STREAM });

      await client.deleteStream(`${prefix}a`, { expectedRevision: 1n });

      await expect(all(client.readStream(`${prefix}a`))).rejects.toBeInstanceOf(StreamNotFoundError);
      expect((await mine()).map((e) => e.revision)).toEqual([0n, 1n]);
      const recreated = await client.appendToStream(`${prefix}a`, events(1, 'Again'), { expectedRevision: NO_STREAM });
      expect(recreated.nextExpectedRevision).toBe(2n);
      expect((await all(client.readStream(`${prefix}a`))).map((e) => [e.revision, e.type])).toEqual([[2n, 'Again.0']]);
    });

    it('checks the expected revision', async () => {
      await client.appendToStream(`${prefix}a`, events(2), { expectedRevision: NO_STREAM });

      await expect(client.deleteStream(`${prefix}a`, { expectedRevision: 0n })).rejects.toMatchObject({
        type: ErrorType.WRONG_EXPECTED_VERSION,
      });
    });
  });

  describe('catch-up subscriptions', () => {
    async function take(count: number, subscription: AsyncIterable<AllStreamResolvedEvent | ResolvedEvent>) {
      const out = [];
      for await (const resolved of subscription) {
        if (resolved.event) out.push(resolved.event);
        if (out.length === count) break;
      }
      return out;
    }

    it('resumes $all after an event position, excluding that event', async () => {
      await client.appendToStream(`${prefix}a`, events(3), { expectedRevision: NO_STREAM });
      const [first, second, third] = await mine();

      const delivered = await take(2, client.subscribeToAll({ fromPosition: first.position!, filter: streamNameFilter({ prefixes: [prefix] }) }));

      expect(delivered.map((e) => e.position)).toEqual([second.position, third.position]);
    });

    it('filters on the server, reports checkpoints while searching, and says when it has caught up', async () => {
      await client.appendToStream(`${prefix}noise`, events(40), { expectedRevision: NO_STREAM });
      await client.appendToStream(`${prefix}wanted`, events(1), { expectedRevision: NO_STREAM });
      const checkpoints: Position[] = [];
      const subscription = client.subscribeToAll({
        filter: streamNameFilter({ prefixes: [`${prefix}wanted`], checkpointReached: (_s, position) => void checkpoints.push(position) }),
      });
      await new Promise<void>((resolve) => subscription.once('caughtUp', resolve));

      const [only] = await take(1, subscription);

      expect(only.streamId).toBe(`${prefix}wanted`);
      expect(checkpoints.length).toBeGreaterThan(0);
    });

    it('subscribes to one stream after a revision, then delivers live events', async () => {
      await client.appendToStream(`${prefix}a`, events(2), { expectedRevision: NO_STREAM });
      const subscription = client.subscribeToStream(`${prefix}a`, { fromRevision: 0n });
      setTimeout(() => void client.appendToStream(`${prefix}a`, events(1, 'Live'), { expectedRevision: 1n }), 50);

      const delivered = await take(2, subscription);

      expect(delivered.map((e) => [e.revision, e.type])).toEqual([
        [1n, 'Thing.1'],
        [2n, 'Live.0'],
      ]);
    });
  });

  itWithDouble('serves Append when BatchAppend is not advertised, with the conflict in the response body', async () => {
    const appendOnly = await startTestEventStoreDb({ advertiseBatchAppend: false });
    const appendClient = EventStoreDBClient.connectionString(appendOnly.connectionString);
    try {
      await appendClient.appendToStream('a', events(1), { expectedRevision: NO_STREAM });
      const error = await appendClient.appendToStream('a', events(1), { expectedRevision: NO_STREAM }).catch((e: unknown) => e);

      expect(error).toMatchObject({ type: ErrorType.WRONG_EXPECTED_VERSION, actualVersion: 0n });
      expect(appendOnly.double!.calls).toMatchObject({ append: 2, batchAppend: 0 });
    } finally {
      await appendClient.dispose();
      await appendOnly.stop();
    }
  });

  itWithDouble('refuses appends over the maximum append size, on both paths', async () => {
    const big = [jsonEvent({ type: 'Big', data: { blob: 'x'.repeat(1_100_000) } })];
    for (const advertiseBatchAppend of [true, false]) {
      const node = await startTestEventStoreDb({ advertiseBatchAppend });
      const nodeClient = EventStoreDBClient.connectionString(node.connectionString);
      try {
        await expect(nodeClient.appendToStream('big', big, { expectedRevision: NO_STREAM })).rejects.toMatchObject({
          type: ErrorType.MAXIMUM_APPEND_SIZE_EXCEEDED,
        });
      } finally {
        await nodeClient.dispose();
        await node.stop();
      }
    }
  });

  itWithDouble('refuses to read from a position where no record starts (a real server would misread)', async () => {
    await client.appendToStream(`${prefix}a`, events(2), { expectedRevision: NO_STREAM });
    const [first] = await mine();
    const between: Position = { commit: first.position!.commit + 1n, prepare: first.position!.commit + 1n };

    await expect(all(client.readAll({ fromPosition: between, maxCount: 1 }))).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
    await expect(all(client.subscribeToAll({ fromPosition: between }))).rejects.toMatchObject({ code: GrpcStatus.INVALID_ARGUMENT });
  });

  itWithDouble('runs as a process of its own for multi-process tests', async () => {
    const runner = join(__dirname, 'testing', 'eventstoredb-double', 'run-standalone.js');
    const child = spawn(process.execPath, [runner, '--port', '0', '--exit-on-stdin-close'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
      const [, connectionString] = /^EVENTSTORE_DOUBLE_READY (esdb:\/\/\S+)$/.exec(line) ?? [];
      const remote = EventStoreDBClient.connectionString(connectionString);
      try {
        await remote.appendToStream('a', events(1), { expectedRevision: NO_STREAM });
        expect((await all(remote.readStream('a'))).map((e) => e.type)).toEqual(['Thing.0']);
      } finally {
        await remote.dispose();
      }
    } finally {
      child.stdin!.end();
      await once(child, 'exit');
    }
  });

  itWithDouble('keeps only each stream’s last event of deleted or truncated streams after a scavenge', async () => {
    await client.setStreamMetadata(`${prefix}capped`, { maxCount: 1 }, { expectedRevision: NO_STREAM });
    await client.appendToStream(`${prefix}capped`, events(3), { expectedRevision: NO_STREAM });
    await client.appendToStream(`${prefix}deleted`, events(2), { expectedRevision: NO_STREAM });
    await client.deleteStream(`${prefix}deleted`, { expectedRevision: 1n });
    await client.appendToStream(`${prefix}kept`, events(2), { expectedRevision: NO_STREAM });

    server.double!.scavenge();

    expect((await mine()).map((e) => `${e.streamId.slice(prefix.length)}@${e.revision}`)).toEqual(['capped@2', 'deleted@1', 'kept@0', 'kept@1']);
  });
});
