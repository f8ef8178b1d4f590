import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InMemoryEventStore, NO_STREAM, NewEvent, SqliteEventStore, WrongExpectedRevisionError } from '@keyledger/event-store';
import { ChainingEventStore } from './chaining-event-store';
import { eventHash, recordedPreviousHash } from './event-chain';

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

  it('reads the stream when it has not seen its head (another process wrote it), and still conflicts on a stale revision', async () => {
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
