import type Database from 'better-sqlite3';
import { Logger } from '@nestjs/common';
import type { EventStore, RecordedEvent } from '@keyledger/event-store';
import type { ProjectionProgress } from '@keyledger/application';
import { Projection } from './projection';

const CHECKPOINT_NAME = 'read-models';

/**
 * Feeds the projections from the global log through a catch-up subscription that starts at the stored
 * checkpoint. Events are applied one at a time, in order, each in one transaction with the checkpoint, so a
 * crash at any point resumes exactly where the read models are.
 */
export class ProjectionRunner implements ProjectionProgress {
  private readonly logger = new Logger(ProjectionRunner.name);
  private readonly statements;
  private readonly applyInTransaction: (event: RecordedEvent) => void;
  private abort?: AbortController;
  private loop?: Promise<void>;
  private position = 0;
  private waiters: Array<{ position: number; resolve: (reached: boolean) => void }> = [];

  constructor(
    private readonly store: EventStore,
    private readonly db: Database.Database,
    private readonly projections: Projection[],
  ) {
    this.statements = {
      read: db.prepare('SELECT position FROM projection_checkpoints WHERE name = ?'),
      write: db.prepare(`INSERT INTO projection_checkpoints (name, position) VALUES (?, ?)
        ON CONFLICT (name) DO UPDATE SET position = excluded.position`),
    };
    this.applyInTransaction = db.transaction((event: RecordedEvent) => {
      for (const projection of this.projections) projection.apply(event);
      this.statements.write.run(CHECKPOINT_NAME, event.position);
    });
  }

  /** The last global position the read models include. */
  get checkpoint(): number {
    return this.position;
  }

  start(): void {
    if (this.loop) return;
    const row = this.statements.read.get(CHECKPOINT_NAME) as { position: number } | undefined;
    this.position = row?.position ?? 0;
    this.abort = new AbortController();
    this.loop = this.run(this.abort.signal);
  }

  async stop(): Promise<void> {
    this.abort?.abort();
    await this.loop;
    this.loop = undefined;
    for (const waiter of this.waiters.splice(0)) waiter.resolve(false);
  }

  /** Drops every read model and replays the whole log into them. */
  async rebuild(): Promise<void> {
    await this.stop();
    this.db.transaction(() => {
      for (const projection of this.projections) projection.reset();
      this.statements.write.run(CHECKPOINT_NAME, 0);
    })();
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
    try {
      for await (const event of this.store.subscribeToAll({ after: this.position, signal })) {
        this.applyInTransaction(event);
        this.position = event.position;
        this.releaseWaiters();
      }
    } catch (error) {
      if (!signal.aborted) {
        this.logger.error({ msg: 'projection subscription failed; read models stop here', position: this.position, error: (error as Error).message });
      }
    }
  }

  private releaseWaiters(): void {
    const ready = this.waiters.filter((w) => w.position <= this.position);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => w.position > this.position);
    for (const waiter of ready) waiter.resolve(true);
  }
}
