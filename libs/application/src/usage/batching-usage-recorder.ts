import { randomUUID } from 'node:crypto';
import { BeforeApplicationShutdown, Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { toIso } from '@keyledger/domain';
import { EventStore, JsonObject, NewEvent, NO_STREAM, WrongExpectedRevisionError } from '@keyledger/event-store';
import { CLOCK, Clock, EVENT_STORE, KeyUseRecord, PROJECTION_PROGRESS, ProjectionProgress, UsageRecorder } from '../ports';
import { encodeUsageBatch, usageRecordCount } from './usage-batch';
import { toUsageRecordData, UsageEventTypes, UsageRecordData, usageStreamId } from './usage-events';

export const USAGE_RECORDER_OPTIONS = Symbol('UsageRecorderOptions');
export const DEFAULT_USAGE_FLUSH_INTERVAL_MS = 25;
/** A usage batch waits for the disk at least this often (the others are committed without an fsync). */
const DURABLE_EVERY_MS = 1000;

export interface UsageRecorderOptions {
  /**
   * Buffered records are written at least this often (group commit). Default 25 ms: each write is a commit with an
   * fsync on the event loop (0.1-5 ms here), so writing more often costs every request latency and throughput.
   */
  flushIntervalMs?: number;
  /** ...and as soon as this many are buffered; also the most records one event holds. Default 256. */
  maxBatch?: number;
  /** The most records kept while the store refuses appends; beyond it the oldest are dropped. Default 10,000. */
  maxBuffered?: number;
  /** This process's usage stream. Default `kms-usage-<random uuid>`, new at every start. */
  streamId?: string;
  /** How long flush() waits for the read models to include what it wrote. Default 5000 ms. */
  catchUpTimeoutMs?: number;
  /** While appends fail, retries back off from flushIntervalMs up to this. Default 1000 ms. */
  maxRetryDelayMs?: number;
  /** Told the size of every batch written (the service's metrics). */
  onBatchWritten?: (records: number) => void;
}

interface Buffered {
  /** Order of acceptance, so flush() knows which records were recorded before it was called. */
  seq: number;
  data: UsageRecordData;
}

/**
 * The usage log's writer. `record` only converts the use to its stored form (the encryption context becomes a
 * hash right away, so its values are never kept) and buffers it: no I/O, no fsync on the request path. The
 * buffer is written in batches, one `KeyUsageRecorded.v2` event per batch, to this process's own stream
 * (`kms-usage-<uuid>`), every `flushIntervalMs` or as soon as `maxBatch` records wait (group commit). Appends
 * go through the same EVENT_STORE as every write, so they are hash-chained and signed like the rest of the log,
 * and use the revision the writer knows (NO_STREAM first), never "any".
 *
 * Durability bound: a process crash loses at most the records not yet written (one flush interval's worth, or
 * whatever was buffered while the store refused appends). Batches are appended as 'deferred' (no fsync of their
 * own, see AppendOptions) except one at least every DURABLE_EVERY_MS and the last one at shutdown, so an OS crash
 * or power cut can lose about one second more; key events are never deferred. A failed append is logged with ids
 * and counts only and retried later (backing off up to `maxRetryDelayMs`) without ever blocking a caller; the
 * records stay buffered, up to `maxBuffered`, past which the oldest waiting records are dropped with a warning.
 * The batch being retried is never dropped, so a retry after an append whose outcome was unknown can tell what
 * was already written.
 */
@Injectable()
export class BatchingUsageRecorder implements UsageRecorder, BeforeApplicationShutdown {
  readonly streamId: string;
  private readonly logger = new Logger(BatchingUsageRecorder.name);
  private readonly flushIntervalMs: number;
  private readonly maxBatch: number;
  private readonly maxBuffered: number;
  private readonly catchUpTimeoutMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly onBatchWritten?: (records: number) => void;
  private buffer: Buffered[] = [];
  private nextSeq = 1;
  /** The revision of this process's usage stream as last written (NO_STREAM until the first batch). */
  private revision = NO_STREAM;
  /** Global position of the last batch written, for flush()'s read-your-writes wait. */
  private lastPosition = 0;
  private writing?: Promise<boolean>;
  private pumping = false;
  private timer?: NodeJS.Timeout;
  private immediate?: NodeJS.Immediate;
  private failures = 0;
  /** When the last batch that waited for the disk was written (monotonic ms). */
  private lastDurableAt = -Infinity;
  private dropped = 0;
  private stopped = false;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PROJECTION_PROGRESS) private readonly progress: ProjectionProgress,
    @Optional() @Inject(USAGE_RECORDER_OPTIONS) options: UsageRecorderOptions = {},
  ) {
    this.streamId = options.streamId ?? usageStreamId(randomUUID());
    this.onBatchWritten = options.onBatchWritten;
    this.flushIntervalMs = options.flushIntervalMs ?? DEFAULT_USAGE_FLUSH_INTERVAL_MS;
    this.maxBatch = Math.max(1, options.maxBatch ?? 256);
    this.maxBuffered = Math.max(this.maxBatch, options.maxBuffered ?? 10_000);
    this.catchUpTimeoutMs = options.catchUpTimeoutMs ?? 5000;
    this.maxRetryDelayMs = Math.max(this.flushIntervalMs, options.maxRetryDelayMs ?? 1000);
  }

  /** Records waiting to be written. */
  get pending(): number {
    return this.buffer.length;
  }

  record(entry: KeyUseRecord): void {
    let data: UsageRecordData;
    try {
      data = toUsageRecordData(entry);
    } catch (error) {
      // Never the caller's problem (e.g. an invalid time); ids only.
      this.logger.error({ msg: 'usage record not recorded', keyId: entry.keyId, requestId: entry.requestId, operation: entry.operation, error: (error as Error).message });
      return;
    }
    this.buffer.push({ seq: this.nextSeq++, data });
    if (this.buffer.length > this.maxBuffered) this.dropOldest(this.buffer.length - this.maxBuffered);
    this.schedule();
  }

  /**
   * Writes what was recorded before the call, then waits until the read models include it. Never rejects: if the
   * store refuses the append, that is logged, the records stay buffered for the next attempt, and flush resolves.
   */
  async flush(): Promise<void> {
    const written = await this.drain(this.nextSeq - 1);
    if (!written) {
      this.schedule();
      return;
    }
    if (this.lastPosition > 0) await this.progress.waitForPosition(this.lastPosition, this.catchUpTimeoutMs);
  }

  /** Writes the buffer before the stores close (they close in onApplicationShutdown). */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.cancelTimers();
    if (!(await this.drain(Infinity)) && this.buffer.length > 0) {
      this.logger.error({ msg: 'usage records lost at shutdown: the store refused them', streamId: this.streamId, records: this.buffer.length });
    }
  }

  /** Starts a write soon: right away (next turn of the event loop) once a batch is full, else after the interval. */
  private schedule(): void {
    if (this.stopped || this.buffer.length === 0) return;
    if (this.buffer.length >= this.maxBatch && this.failures === 0 && !this.pumping && !this.immediate) {
      this.immediate = setImmediate(() => {
        this.immediate = undefined;
        void this.pump();
      });
    }
    if (!this.timer) {
      const delay = this.failures === 0 ? this.flushIntervalMs : Math.min(this.maxRetryDelayMs, this.flushIntervalMs * 2 ** Math.min(this.failures, 20));
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.pump();
      }, delay);
      this.timer.unref();
    }
  }

  private cancelTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  /**
   * The background writer: writes what was buffered when it started, then leaves what arrived meanwhile to the
   * next interval (or a full batch). Draining to empty instead kept a write in flight all the time under load,
   * each with the few records that came during the last: about five a batch, with a commit, a projection
   * transaction and a chain hash each, which doubled an Encrypt's CPU. After a failure, schedules the retry.
   */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      await this.drain(this.nextSeq - 1);
    } finally {
      this.pumping = false;
    }
    if (this.failures > 0 && this.timer) {
      // Retry after the back-off, not at the next short interval a new record set up.
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.schedule();
  }

  /**
   * Writes batches until no record with seq <= `upTo` is buffered. One append at a time (the stream's revision
   * is known only after the previous one). Returns false after an attempt failed.
   */
  private async drain(upTo: number): Promise<boolean> {
    for (;;) {
      if (this.writing) {
        await this.writing;
        continue;
      }
      const head = this.buffer[0];
      if (!head || head.seq > upTo) return true;
      const write = this.writeBatch().finally(() => (this.writing = undefined));
      this.writing = write;
      if (!(await write)) return false;
    }
  }

  private async writeBatch(): Promise<boolean> {
    const batch = this.buffer.slice(0, this.maxBatch);
    const event: NewEvent = {
      type: UsageEventTypes.KeyUsageRecorded,
      data: encodeUsageBatch(batch.map((b) => b.data)) as unknown as JsonObject,
      metadata: { timestamp: toIso(this.clock.now()), operation: 'RecordKeyUsage', recordCount: batch.length },
    };
    try {
      const durable = this.stopped || performance.now() - this.lastDurableAt >= DURABLE_EVERY_MS;
      const appended = await this.store.appendToStream(this.streamId, [event], this.revision, { durability: durable ? 'durable' : 'deferred' });
      if (durable) this.lastDurableAt = performance.now();
      this.written(batch.length, appended.nextExpectedRevision, appended.position);
      return true;
    } catch (error) {
      if (error instanceof WrongExpectedRevisionError && (await this.catchUpWithStream())) return true;
      this.failures++;
      this.logger.error({
        msg: 'could not append usage records; they stay buffered and are retried',
        streamId: this.streamId,
        records: batch.length,
        buffered: this.buffer.length,
        failures: this.failures,
        error: (error as Error).message,
      });
      return false;
    } finally {
      this.reportDrops();
    }
  }

  private written(records: number, revision: number, position: number): void {
    this.buffer.splice(0, records);
    this.onBatchWritten?.(records);
    this.revision = revision;
    this.lastPosition = position;
    if (this.failures > 0) this.logger.log({ msg: 'usage records are written again', streamId: this.streamId, failures: this.failures });
    this.failures = 0;
  }

  /**
   * The stream is past the revision this writer knows: only an earlier append of its own whose outcome was
   * unknown (a timeout) can have done that, since no one else writes to this stream. Those events hold the
   * oldest buffered records, in order: count them as written and continue after them.
   */
  private async catchUpWithStream(): Promise<boolean> {
    try {
      const events = await this.store.readStream(this.streamId);
      const later = events.filter((e) => e.revision > this.revision);
      if (later.length === 0) {
        // Behind what this writer knows (the stream was cut short?): a failure; the retry appends after its end.
        this.revision = events.length > 0 ? events[events.length - 1].revision : NO_STREAM;
        return false;
      }
      const records = later.reduce((n, e) => n + usageRecordCount(e), 0);
      const last = later[later.length - 1];
      this.written(Math.min(records, this.buffer.length), last.revision, last.position);
      return true;
    } catch {
      return false;
    }
  }

  /** Drops the oldest records waiting, never the batch being written or retried. */
  private dropOldest(count: number): void {
    const protectedHead = Math.min(this.maxBatch, this.buffer.length);
    const removed = this.buffer.splice(protectedHead, Math.min(count, this.buffer.length - protectedHead));
    // Reported at the next write attempt (at most one warning per attempt, however many records arrive).
    this.dropped += removed.length;
  }

  private reportDrops(): void {
    if (this.dropped === 0) return;
    this.logger.warn({ msg: 'usage buffer full: oldest usage records dropped', streamId: this.streamId, dropped: this.dropped, buffered: this.buffer.length });
    this.dropped = 0;
  }
}
