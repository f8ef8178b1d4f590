import { createHash } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { canonicalEncryptionContext } from '@keyledger/crypto';
import { AppendOptions, AppendResult, EventStore, InMemoryEventStore, NewEvent, NO_STREAM, RecordedEvent } from '@keyledger/event-store';
import type { KeyUseRecord, ProjectionProgress } from '../ports';
import { BatchingUsageRecorder, UsageRecorderOptions } from './batching-usage-recorder';
import { DisabledUsageRecorder } from './disabled-usage-recorder';
import { usageRecordsOf } from './usage-batch';
import { UsageEventTypes, type UsageRecordData } from './usage-events';

const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
const ARN = `arn:aws:kms:us-east-1:111122223333:key/${KEY_ID}`;
const T0 = Date.parse('2026-03-01T10:00:00Z');
const STREAM = 'kms-usage-test-instance';

const use = (n: number, extra: Partial<KeyUseRecord> = {}): KeyUseRecord => ({
  keyId: KEY_ID,
  keyArn: ARN,
  accountId: '111122223333',
  region: 'us-east-1',
  operation: 'Decrypt',
  keyMaterialId: 'a'.repeat(64),
  principal: { type: 'User', accountId: '111122223333', accessKeyId: 'AKIAALICE' },
  requestId: `req-${n}`,
  time: T0 + n,
  outcome: 'Succeeded',
  ...extra,
});

/** The progress the read models would report: records every wait, answers at once. */
class FakeProgress implements ProjectionProgress {
  readonly waited: number[] = [];
  async waitForPosition(position: number): Promise<boolean> {
    this.waited.push(position);
    return true;
  }
}

/** An in-memory store that can be taken down, and that remembers the expected revision of every append. */
class FlakyStore extends InMemoryEventStore {
  down = false;
  /** The next append commits, then reports a failure (a timeout after the write). */
  failAfterCommit = false;
  readonly expectedRevisions: number[] = [];
  readonly durability: Array<string | undefined> = [];
  override async appendToStream(streamId: string, events: NewEvent[], expectedRevision: number, options?: AppendOptions): Promise<AppendResult> {
    this.expectedRevisions.push(expectedRevision);
    this.durability.push(options?.durability);
    if (this.down) throw new Error('SQLITE_IOERR: disk I/O error');
    const result = await super.appendToStream(streamId, events, expectedRevision);
    if (this.failAfterCommit) {
      this.failAfterCommit = false;
      throw new Error('deadline exceeded');
    }
    return result;
  }
}

const usageEvents = async (store: EventStore): Promise<RecordedEvent[]> => store.readStream(STREAM);
const recordsOf = (events: RecordedEvent[]) => events.flatMap((e) => usageRecordsOf(e) as UsageRecordData[]);
const requestIds = (events: RecordedEvent[]) => recordsOf(events).map((r) => r.requestId);

async function until(condition: () => Promise<boolean> | boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

describe('BatchingUsageRecorder', () => {
  let store: FlakyStore;
  let progress: FakeProgress;
  const recorders: BatchingUsageRecorder[] = [];
  const recorder = (options: UsageRecorderOptions = {}) => {
    const made = new BatchingUsageRecorder(store, { now: () => T0 + 1000 }, progress, { streamId: STREAM, ...options });
    recorders.push(made);
    return made;
  };
  let errors: jest.SpyInstance;
  let warnings: jest.SpyInstance;

  beforeEach(() => {
    store = new FlakyStore();
    progress = new FakeProgress();
    errors = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    warnings = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    store.down = false;
    for (const r of recorders.splice(0)) await r.beforeApplicationShutdown();
    jest.restoreAllMocks();
  });

  it('waits for the disk with the first batch, then at most once a second, and with the last one at shutdown', async () => {
    const r = recorder({ flushIntervalMs: 10_000 });
    r.record(use(1));
    await r.flush();
    r.record(use(2));
    await r.flush();
    r.record(use(3));
    await r.beforeApplicationShutdown();
    expect(store.durability).toEqual(['durable', 'deferred', 'durable']);
    expect(requestIds(await usageEvents(store))).toEqual(['req-1', 'req-2', 'req-3']);
  });

  it('writes the uses of one interval as one KeyUsageRecorded event, in its own stream, NO_STREAM first', async () => {
    const r = recorder({ flushIntervalMs: 30 });
    for (let n = 0; n < 5; n++) r.record(use(n));
    expect(await store.headPosition()).toBe(0); // record() never writes
    await until(async () => (await usageEvents(store)).length > 0);
    const events = await usageEvents(store);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: UsageEventTypes.KeyUsageRecorded, revision: 0, metadata: { recordCount: 5, timestamp: new Date(T0 + 1000).toISOString() } });
    expect(requestIds(events)).toEqual(['req-0', 'req-1', 'req-2', 'req-3', 'req-4']);
    expect(recordsOf(events)[0]).toEqual({
      keyId: KEY_ID,
      keyArn: ARN,
      accountId: '111122223333',
      region: 'us-east-1',
      operation: 'Decrypt',
      keyMaterialId: 'a'.repeat(64),
      principal: { type: 'User', accountId: '111122223333', accessKeyId: 'AKIAALICE' },
      requestId: 'req-0',
      time: new Date(T0).toISOString(),
      outcome: 'Succeeded',
    });

    // Stored with its members in key order (the principal's too), so the chain hashes batches on the fast path.
    for (const record of [recordsOf(events)[0], recordsOf(events)[0].principal]) expect(Object.keys(record)).toEqual(Object.keys(record).sort());

    // The next batch appends after the revision the writer knows, never with "any".
    r.record(use(5, { outcome: 'Refused', errorType: 'DisabledException', keyMaterialId: undefined }));
    await until(async () => (await usageEvents(store)).length === 2);
    expect(store.expectedRevisions).toEqual([NO_STREAM, 0]);
    expect(recordsOf(await usageEvents(store))[5]).toMatchObject({ outcome: 'Refused', errorType: 'DisabledException' });
    expect(recordsOf(await usageEvents(store))[5]).not.toHaveProperty('keyMaterialId');
  });

  it('does not wait for the interval once maxBatch records are buffered', async () => {
    const r = recorder({ flushIntervalMs: 10_000, maxBatch: 3 });
    for (let n = 0; n < 3; n++) r.record(use(n));
    await until(async () => (await usageEvents(store)).length > 0);
    expect(await usageEvents(store)).toHaveLength(1);
    expect(requestIds(await usageEvents(store))).toEqual(['req-0', 'req-1', 'req-2']);
    r.record(use(3));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(r.pending).toBe(1); // a batch that is not full waits for the interval (or a flush)
    expect(await usageEvents(store)).toHaveLength(1);
  });

  it('records that arrive while a batch is written wait for the next interval or a full batch, not a write each', async () => {
    // An append held open, as a commit under load is: what arrives meanwhile must not become a batch of its own.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const append = store.appendToStream.bind(store);
    let appends = 0;
    jest.spyOn(store, 'appendToStream').mockImplementation(async (...args) => {
      appends += 1;
      if (appends === 1) await held;
      return append(...args);
    });
    const r = recorder({ flushIntervalMs: 60_000, maxBatch: 2 });
    r.record(use(1));
    r.record(use(2)); // a full batch: written at once
    await until(() => appends === 1);
    r.record(use(3)); // arrives during that write
    release();
    await until(async () => (await usageEvents(store)).length === 1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(appends).toBe(1); // use 3 alone is not written right after
    r.record(use(4)); // a full batch again
    await until(async () => (await usageEvents(store)).length === 2);
    expect((await usageEvents(store)).map((e) => recordsOf([e]).map((x) => x.requestId))).toEqual([
      ['req-1', 'req-2'],
      ['req-3', 'req-4'],
    ]);
  });

  it('flush() resolves once the batch is appended and the read models include its position', async () => {
    const r = recorder({ flushIntervalMs: 10_000 });
    r.record(use(1));
    r.record(use(2));
    await r.flush();
    const events = await usageEvents(store);
    expect(requestIds(events)).toEqual(['req-1', 'req-2']);
    expect(progress.waited).toEqual([events[0].position]);
    expect(r.pending).toBe(0);
  });

  it('keeps only a hash of the encryption context, never its values', async () => {
    const r = recorder({ flushIntervalMs: 10_000 });
    const context = { tenant: 'acme-secret-tenant', purpose: 'payroll-2026-confidential' };
    r.record(use(1, { encryptionContext: context }));
    r.record(use(2, { encryptionContext: {} }));
    await r.flush();
    const stored = JSON.stringify(await store.readAll());
    expect(stored).not.toContain('acme-secret-tenant');
    expect(stored).not.toContain('payroll-2026-confidential');
    expect(stored).not.toContain('"tenant"');
    const [withContext, emptyContext] = recordsOf(await usageEvents(store));
    expect(withContext.encryptionContextHash).toBe(createHash('sha256').update(canonicalEncryptionContext(context)).digest('hex'));
    expect(emptyContext).not.toHaveProperty('encryptionContextHash');
  });

  it('drops nothing while the store fails: logs, keeps the records, and appends them once it recovers', async () => {
    const r = recorder({ flushIntervalMs: 5, maxRetryDelayMs: 20 });
    store.down = true;
    for (let n = 0; n < 3; n++) r.record(use(n));
    await r.flush(); // does not reject: the caller's request must not fail because usage could not be written
    await until(() => store.expectedRevisions.length >= 3); // the timer keeps retrying
    expect(await store.headPosition()).toBe(0);
    r.record(use(3));
    expect(r.pending).toBe(4);
    expect(errors).toHaveBeenCalledWith(expect.objectContaining({ msg: expect.stringContaining('could not append usage records'), streamId: STREAM, records: expect.any(Number) }));
    // Ids and counts only: nothing of the records themselves in the log lines.
    expect(JSON.stringify(errors.mock.calls)).not.toContain('req-');
    expect(JSON.stringify(errors.mock.calls)).not.toContain('AKIAALICE');

    store.down = false;
    await until(async () => (await usageEvents(store)).length > 0); // recovered by the retry timer, no flush needed
    await r.flush();
    expect(requestIds(await usageEvents(store))).toEqual(['req-0', 'req-1', 'req-2', 'req-3']);
    expect(r.pending).toBe(0);
  });

  it('after an append that committed but reported a failure, continues after it without writing the records twice', async () => {
    const r = recorder({ flushIntervalMs: 10_000 });
    r.record(use(1));
    store.failAfterCommit = true;
    await r.flush();
    r.record(use(2));
    await r.flush();
    const events = await usageEvents(store);
    expect(requestIds(events)).toEqual(['req-1', 'req-2']);
    expect(events.map((e) => e.revision)).toEqual([0, 1]);
  });

  it('caps the buffer while the store fails: the oldest waiting records are dropped, with a warning and a count', async () => {
    const r = recorder({ flushIntervalMs: 10_000, maxBatch: 2, maxBuffered: 5 });
    store.down = true;
    r.record(use(0));
    r.record(use(1));
    await r.flush(); // req-0 and req-1 are the batch being retried
    for (let n = 2; n < 8; n++) r.record(use(n));
    expect(r.pending).toBe(5);
    await r.flush();
    expect(warnings).toHaveBeenCalledWith(expect.objectContaining({ dropped: 3, buffered: 5 }));
    store.down = false;
    await r.flush();
    expect(requestIds(await usageEvents(store))).toEqual(['req-0', 'req-1', 'req-5', 'req-6', 'req-7']);
  });

  it('writes what is buffered on shutdown, and stops its timer', async () => {
    const r = recorder({ flushIntervalMs: 10_000 });
    r.record(use(1));
    await r.beforeApplicationShutdown();
    expect(requestIds(await usageEvents(store))).toEqual(['req-1']);
  });

  it('when the usage log is off, records are dropped and nothing is appended', async () => {
    const off = new DisabledUsageRecorder();
    off.record(use(1));
    await off.flush();
    expect(await store.headPosition()).toBe(0);
  });
});
