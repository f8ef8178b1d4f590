import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AppendNotifier } from './append-notifier';
import { catchUpSubscription } from './catch-up-subscription';
import { NO_STREAM, StoreUnavailableError, WrongExpectedRevisionError, type NewEvent, type RecordedEvent } from './event-store.port';
import { SqliteEventStore } from './sqlite-event-store';
import { openEventDatabase } from './sqlite-schema';

const BUSY_TIMEOUT_MS = 200;

describe('SqliteEventStore when another connection holds the write lock past the busy timeout', () => {
  let dir: string;
  let filename: string;
  let store: SqliteEventStore;
  let other: Database.Database;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyledger-busy-'));
    filename = path.join(dir, 'events.db');
    store = new SqliteEventStore({ filename, busyTimeoutMs: BUSY_TIMEOUT_MS });
    other = new Database(filename, { timeout: 0 });
  });

  afterEach(async () => {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('fails the append with StoreUnavailableError(busy) after the busy timeout, writes nothing, and works once the lock is gone', async () => {
    await store.appendToStream('key-1', [event('Created')], NO_STREAM);
    other.exec('BEGIN IMMEDIATE'); // the database's one write lock, held past our busy timeout

    const startedAt = Date.now();
    const error = await store.appendToStream('key-1', [event('Changed')], 0).catch((e: unknown) => e);
    const tookMs = Date.now() - startedAt;

    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect(error).toMatchObject({ reason: 'busy', retryable: true, outcomeUnknown: false });
    expect((error as Error).message).toMatch(/locked by another connection for more than 200 ms/);
    expect(tookMs).toBeGreaterThanOrEqual(BUSY_TIMEOUT_MS - 20);
    expect(tookMs).toBeLessThan(BUSY_TIMEOUT_MS + 2000);
    // Reads go on meanwhile (WAL), and nothing of the refused append is there.
    expect((await store.readStream('key-1')).map((e) => e.type)).toEqual(['Created']);

    other.exec('ROLLBACK');
    await store.appendToStream('key-1', [event('Changed')], 0);
    expect((await store.readStream('key-1')).map((e) => `${e.revision}:${e.type}`)).toEqual(['0:Created', '1:Changed']);
  });

  it('fails every append of a group with busy when the group cannot take the write lock, and writes none of them', async () => {
    other.exec('BEGIN IMMEDIATE');

    const outcomes = await Promise.allSettled(['key-1', 'key-2', 'key-3'].map((stream) => store.appendToStream(stream, [event('Created')], NO_STREAM)));

    expect(outcomes.map((o) => o.status === 'rejected' && o.reason instanceof StoreUnavailableError && o.reason.reason)).toEqual(['busy', 'busy', 'busy']);
    other.exec('ROLLBACK');
    expect(await store.readAll()).toEqual([]);
  });

  it('still reports a conflict as WrongExpectedRevisionError, not as busy', async () => {
    await store.appendToStream('key-1', [event('Created')], NO_STREAM);
    await expect(store.appendToStream('key-1', [event('Again')], NO_STREAM)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
  });

  it('sets the busy timeout it is given on its connection (default 5 s), and refuses a negative one', () => {
    const custom = openEventDatabase(filename, 123);
    const standard = openEventDatabase(filename);
    try {
      expect(custom.pragma('busy_timeout', { simple: true })).toBe(123);
      expect(standard.pragma('busy_timeout', { simple: true })).toBe(5000);
    } finally {
      custom.close();
      standard.close();
    }
    expect(() => new SqliteEventStore({ filename, busyTimeoutMs: -1 })).toThrow(RangeError);
  });
});

describe('catchUpSubscription when a read finds the store unavailable', () => {
  it('retries the read after a pause instead of ending, and delivers everything once, in order', async () => {
    const log: RecordedEvent[] = [1, 2, 3].map((position) => ({ streamId: 's', revision: position - 1, position, type: 'T', data: {}, metadata: {}, recordedAt: 0 }));
    let failuresLeft = 2;
    let reads = 0;
    const source = {
      appends: new AppendNotifier(),
      retryAfterUnavailableMs: 10,
      readPage: async (after: number, maxCount: number) => {
        reads += 1;
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          throw new StoreUnavailableError('busy', 'locked');
        }
        return log.filter((e) => e.position > after).slice(0, maxCount);
      },
    };
    const controller = new AbortController();
    const received: RecordedEvent[] = [];
    for await (const e of catchUpSubscription(source, { after: 0, signal: controller.signal })) {
      received.push(e);
      if (received.length === 3) controller.abort();
    }
    expect(received).toEqual(log);
    expect(reads).toBeGreaterThanOrEqual(3);
  });

  it('still ends with any other error', async () => {
    const source = { appends: new AppendNotifier(), readPage: async () => Promise.reject(new TypeError('bug')) };
    const iterate = async () => {
      for await (const _ of catchUpSubscription(source, { after: 0, signal: new AbortController().signal })) void _;
    };
    await expect(iterate()).rejects.toThrow(TypeError);
  });
});

function event(type: string): NewEvent {
  return { type, data: {}, metadata: {} };
}
