import type Database from 'better-sqlite3';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import type { EventStore, RecordedEvent } from '@keyledger/event-store';
import type { ProjectionProgress } from '@keyledger/application';
import { Projection } from './projection';
import { READ_MODELS_CHECKPOINT, readStoredCheckpoint } from './read-model-database';
import { CHECKPOINT_MISMATCH, checkpointAgainstLog, type CheckpointAgainstLog, type StoredCheckpoint } from './read-models-against-log';

/** Most events applied in one transaction. */
export const DEFAULT_PROJECTION_BATCH = 4000;

export interface ProjectionRunnerOptions {
  /** Most events applied in one transaction (default DEFAULT_PROJECTION_BATCH). */
  batchSize?: number;
  /** Called after each committed batch with the checkpoint it reached and how many events it applied. */
  onBatch?: (position: number, events: number) => void;
}

/**
 * Feeds the projections from the global log through a catch-up subscription that starts at the stored
 * checkpoint. Events are applied in order, in batches: each batch in one transaction with the checkpoint, so a
 * crash at any point resumes exactly where the read models are (the interrupted batch is applied again).
 *
 * A batch holds what the subscription delivers without waiting: the events it hands out back to back (a page
 * of the log) are collected until the batch is full or the subscription has to wait for the store, which a
 * macrotask scheduled at the batch's first event detects. So a live append is applied, and its waiters are
 * released, as soon as it arrives; only a catch-up fills whole batches.
 */
export class ProjectionRunner implements ProjectionProgress {
  private readonly logger = new Logger(ProjectionRunner.name);
  private readonly writeCheckpoint: Database.Statement<[string, number, number | null]>;
  private readonly applyBatch: (events: RecordedEvent[]) => void;
  private readonly batchSize: number;
  private abort?: AbortController;
  private loop?: Promise<void>;
  private position = 0;
  private waiters: Array<{ position: number; resolve: (reached: boolean) => void }> = [];
  /** Set by rebuild() until the runner has caught up with the log: the projections are bulk loading. */
  private rebuilding?: { synchronous: number };

  constructor(
    private readonly store: EventStore,
    private readonly db: Database.Database,
    private readonly projections: Projection[],
    private readonly options: ProjectionRunnerOptions = {},
  ) {
    this.batchSize = Math.max(1, options.batchSize ?? DEFAULT_PROJECTION_BATCH);
    this.writeCheckpoint = db.prepare(`INSERT INTO projection_checkpoints (name, position, recorded_at) VALUES (?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET position = excluded.position, recorded_at = excluded.recorded_at`);
    this.applyBatch = db.transaction((events: RecordedEvent[]) => {
      for (const event of events) {
        for (const projection of this.projections) projection.apply(event);
      }
      for (const projection of this.projections) projection.flush?.();
      const last = events[events.length - 1];
      this.writeCheckpoint.run(READ_MODELS_CHECKPOINT, last.position, last.recordedAt);
    });
  }

  /** The last global position the read models include. */
  get checkpoint(): number {
    return this.position;
  }

  start(): void {
    if (this.loop) return;
    this.position = this.storedCheckpoint().position;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  /**
   * start(), once the read models are known to match the log at their checkpoint; if they do not, they are
   * rebuilt. On the embedded store they may not after an OS crash or power cut: most usage batches are committed
   * without an fsync, the read models (a database of their own) may have kept one the log lost, and the log then
   * hands the lost positions out again, to new events the read models would skip (checkpointAgainstLog). If the
   * log cannot be asked, the read models start as they are.
   */
  async startCheckingLog(): Promise<'resumed' | 'rebuilt'> {
    if (this.loop) return 'resumed';
    const checkpoint = this.storedCheckpoint();
    let found: CheckpointAgainstLog = 'consistent';
    try {
      found = await checkpointAgainstLog(this.store, checkpoint);
    } catch (error) {
      this.logger.warn({ msg: 'could not check the read models against the event log; starting them as they are', error: (error as Error).message });
    }
    if (found === 'consistent') {
      this.start();
      return 'resumed';
    }
    this.logger.warn({ msg: `${CHECKPOINT_MISMATCH[found]}: rebuilding them`, checkpoint: checkpoint.position });
    await this.rebuild();
    return 'rebuilt';
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.loop = undefined;
    this.endRebuild();
    for (const waiter of this.waiters.splice(0)) waiter.resolve(false);
  }

  /**
   * Drops every read model and replays the whole log into them. Until it has caught up, the database is a bulk
   * load: projections may drop secondary indexes (built once at the end) and commits skip fsync (a crash
   * leaves read models that are rebuildable by definition; the checkpoint is only ever behind them).
   */
  async rebuild(): Promise<void> {
    await this.stop();
    this.db.transaction(() => {
      for (const projection of this.projections) projection.reset();
      for (const projection of this.projections) projection.beginRebuild?.();
      this.writeCheckpoint.run(READ_MODELS_CHECKPOINT, 0, null);
    })();
    this.rebuilding = { synchronous: this.db.pragma('synchronous', { simple: true }) as number };
    this.db.pragma('synchronous = OFF');
    this.start();
  }

  waitForPosition(position: number, timeoutMs: number): Promise<boolean> {
    if (this.position >= position) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const waiter: { position: number; resolve: (reached: boolean) => void } = { position, resolve };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      waiter.resolve = (reached: boolean) => {
        clearTimeout(timer);
        resolve(reached);
      };
      this.waiters.push(waiter);
    });
  }

  private async run(signal: AbortSignal): Promise<void> {
    let batch: RecordedEvent[] = [];
    let pending: NodeJS.Immediate | undefined;
    /** Applies the collected events; false when that failed (the read models then stop here). */
    const flush = (): boolean => {
      if (pending) clearImmediate(pending);
      pending = undefined;
      if (batch.length === 0) return true;
      const events = batch;
      batch = [];
      try {
        this.commit(events);
        return true;
      } catch (error) {
        this.logger.error({ msg: 'applying events failed; read models stop here', position: this.position, error: (error as Error).message });
        this.abort?.abort();
        return false;
      }
    };
    const flushWhenIdle = (): void => {
      pending = undefined;
      if (flush() && this.rebuilding) void this.endRebuildWhenCaughtUp();
    };
    try {
      for await (const event of this.store.subscribeToAll({ after: this.position, signal })) {
        batch.push(event);
        if (batch.length >= this.batchSize) {
          if (!flush()) return;
          await nextMacrotask(); // a long catch-up lets timers and requests in between batches
        } else if (!pending) {
          pending = setImmediate(flushWhenIdle);
        }
      }
    } catch (error) {
      if (!signal.aborted) {
        this.logger.error({ msg: 'projection subscription failed; read models stop here', position: this.position, error: (error as Error).message });
      }
    } finally {
      flush(); // what was delivered before the subscription ended
    }
  }

  private commit(events: RecordedEvent[]): void {
    try {
      this.applyBatch(events);
    } catch (error) {
      for (const projection of this.projections) projection.discard?.();
      throw error;
    }
    this.position = events[events.length - 1].position;
    this.options.onBatch?.(this.position, events.length);
    this.releaseWaiters();
  }

  private storedCheckpoint(): StoredCheckpoint {
    return readStoredCheckpoint(this.db) ?? { position: 0, recordedAt: null };
  }

  private async endRebuildWhenCaughtUp(): Promise<void> {
    try {
      if (this.rebuilding && this.position >= (await this.store.headPosition())) this.endRebuild();
    } catch {
      // The store is unavailable: the next idle moment asks again.
    }
  }

  private endRebuild(): void {
    if (!this.rebuilding) return;
    const { synchronous } = this.rebuilding;
    this.rebuilding = undefined;
    this.db.transaction(() => {
      for (const projection of this.projections) projection.endRebuild?.();
    })();
    this.db.pragma(`synchronous = ${synchronous}`);
  }

  private releaseWaiters(): void {
    const ready = this.waiters.filter((w) => w.position <= this.position);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.position > this.position);
    for (const waiter of ready) waiter.resolve(true);
  }
}
