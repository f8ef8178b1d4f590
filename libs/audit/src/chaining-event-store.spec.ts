import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryEventStore, NO_STREAM, NewEvent, ReadStreamOptions, SqliteEventStore, WrongExpectedRevisionError } from '@keyledger/event-store';
import { ChainingEventStore } from './chaining-event-store';
import * as chain from './event-chain';
import { eventHash, recordedPreviousHash } from './event-chain';

/** Records every readStream call that reaches the store. */
class ReadRecordingStore extends InMemoryEventStore {
  reads: Array<[string, ReadStreamOptions | undefined]> = [];
  override readStream(streamId: string, options?: ReadStreamOptions) {
    this.reads.push([streamId, options]);
    return super.readStream(streamId, options);
  }
}

const event = (n: number, extra: object = {}): NewEvent => ({
  type: 'Something.v1',
  data: { n, when: '2026-11-22T10:00:00.000Z', ...extra },
  metadata: { requestId: `r-${n}`, principal: { type: 'User', accountId: '111122223333', accessKeyId: 'AKIA' } },
});

describe('ChainingEventStore', () => {
  it('links every event to the previous one of its stream, within and across appends', async () => {
    const store = new ChainingEventStore(new InMemoryEventStore());
    await store.appendToStream('s', [event(0), event(1)], NO_STREAM);
    await store.appendToStream('other', [event(9)], NO_STREAM);
    await store.appendToStream('s', [event(2)], 1);
    const s = await store.readStream('s');
    expect(recordedPreviousHash(s[0])).toBeNull();
    expect(recordedPreviousHash(s[1])).toBe(eventHash(s[0]));
    expect(recordedPreviousHash(s[2])).toBe(eventHash(s[1]));
    expect(recordedPreviousHash((await store.readStream('other'))[0])).toBeNull();
  });

  it('replaces a link the caller supplied, and drops undefined members before hashing', async () => {
    const store = new ChainingEventStore(new InMemoryEventStore());
    await store.appendToStream('s', [event(0)], NO_STREAM);
    const forged = { ...event(1, { optional: undefined }), metadata: { ...event(1).metadata, previousEventHash: 'f'.repeat(64) } };
    await store.appendToStream('s', [forged], 0);
    const [first, second] = await store.readStream('s');
    expect(recordedPreviousHash(second)).toBe(eventHash(first));
    expect(Object.hasOwn(second.data, 'optional')).toBe(false);
  });

  it('reads the event it links to when it has not seen its head (another process wrote it), and still conflicts on a stale revision', async () => {
    const inner = new InMemoryEventStore();
    const writerA = new ChainingEventStore(inner);
    const writerB = new ChainingEventStore(inner);
    await writerA.appendToStream('s', [event(0)], NO_STREAM);
    await writerB.appendToStream('s', [event(1)], 0); // B never read the stream: cache miss
    await expect(writerA.appendToStream('s', [event(2)], 0)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    await expect(writerA.appendToStream('s', [event(2)], 5)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    await writerA.appendToStream('s', [event(2)], 1);
    const s = await inner.readStream('s');
    expect(s.map((e) => recordedPreviousHash(e))).toEqual([null, eventHash(s[0]), eventHash(s[1])]);
  });

  it('never hashes on a read; an append hashes the event it links to once, then the events it writes', async () => {
    const inner = new InMemoryEventStore();
    const writer = new ChainingEventStore(inner);
    let revision = NO_STREAM;
    for (let n = 0; n < 40; n++) revision = (await writer.appendToStream('s', [event(n)], revision)).nextExpectedRevision;
    const reader = new ChainingEventStore(inner);
    const hashing = jest.spyOn(chain, 'eventHash');
    try {
      for (let i = 0; i < 5; i++) await reader.readStream('s');
      await reader.readStream('s', { fromRevision: 39 });
      expect(hashing).not.toHaveBeenCalled();

      await reader.appendToStream('s', [event(40), event(41)], 39);
      expect(hashing).toHaveBeenCalledTimes(3); // the event at 39 (read, not yet hashed), then 40 and 41
      hashing.mockClear();
      await reader.appendToStream('s', [event(42)], 41);
      expect(hashing).toHaveBeenCalledTimes(1); // 41 was hashed when written
    } finally {
      hashing.mockRestore();
    }
    const s = await inner.readStream('s');
    expect(s.slice(1).map((e) => recordedPreviousHash(e))).toEqual(s.slice(0, -1).map((e) => eventHash(e)));
  });

  it('on a miss reads only the event it links to, not the stream', async () => {
    const inner = new ReadRecordingStore();
    const writerA = new ChainingEventStore(inner);
    let revision = NO_STREAM;
    for (let n = 0; n < 10; n++) revision = (await writerA.appendToStream('s', [event(n)], revision)).nextExpectedRevision;
    const writerB = new ChainingEventStore(inner);
    inner.reads = [];

    await writerB.appendToStream('s', [event(10)], 9);

    expect(inner.reads).toEqual([['s', { fromRevision: 9, maxCount: 1 }]]);
    const s = await inner.readStream('s');
    expect(recordedPreviousHash(s[10])).toBe(eventHash(s[9]));
  });

  it('passes range options through, and a page of older history does not displace the head it knows', async () => {
    const inner = new ReadRecordingStore();
    const store = new ChainingEventStore(inner);
    await store.appendToStream('s', [event(0), event(1), event(2)], NO_STREAM);

    expect((await store.readStream('s', { fromRevision: 1, maxCount: 1 })).map((e) => e.revision)).toEqual([1]);
    expect(inner.reads).toEqual([['s', { fromRevision: 1, maxCount: 1 }]]);
    await store.appendToStream('s', [event(3)], 2);
    expect(inner.reads).toHaveLength(1); // the head (2) was still known: no read before the append
  });

  it('hashes what it read, not what the reader later did to the object', async () => {
    const inner = new InMemoryEventStore();
    await new ChainingEventStore(inner).appendToStream('s', [event(0)], NO_STREAM);
    const store = new ChainingEventStore(inner);
    const [read] = await store.readStream('s');
    read.data.n = 999;
    await store.appendToStream('s', [event(1)], 0);
    const s = await inner.readStream('s');
    expect(recordedPreviousHash(s[1])).toBe(eventHash(s[0]));
  });

  it('leaves invalid arguments to the inner store', async () => {
    const store = new ChainingEventStore(new InMemoryEventStore());
    await expect(store.appendToStream('s', [], NO_STREAM)).rejects.toBeInstanceOf(RangeError);
    await expect(store.appendToStream('s', [event(0)], -7)).rejects.toBeInstanceOf(RangeError);
  });

  it('computes hashes that hold for what SQLite gives back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyledger-chain-'));
    try {
      const sqlite = new SqliteEventStore({ filename: join(dir, 'events.sqlite') });
      const store = new ChainingEventStore(sqlite, { maxCachedStreams: 1 });
      for (let n = 0; n < 6; n++) {
        await store.appendToStream(`s-${n % 3}`, [event(n, { float: n / 3, unicode: 'żółw 🐢' })], n < 3 ? NO_STREAM : 0);
      }
      await store.close();
      const reopened = new SqliteEventStore({ filename: join(dir, 'events.sqlite') });
      for (const streamId of ['s-0', 's-1', 's-2']) {
        const [first, second] = await reopened.readStream(streamId);
        expect(recordedPreviousHash(second)).toBe(eventHash(first));
      }
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
