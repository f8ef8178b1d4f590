import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type Database from 'better-sqlite3';
import type { AppendResult, EventStore, ReadAllOptions, ReadStreamOptions, RecordedEvent, SubscribeOptions } from '@keyledger/event-store';
import { CliError } from '../cli-error';
import type { ReadOnlyEventLog } from '../event-log/read-only-event-log';

export interface ReplayFeedOptions {
  /** Last position to deliver: the head of the log when the replay started. */
  until: number;
  pageSize: number;
  /** The read-models database being rebuilt: each page is applied in one transaction of it. */
  readModels: Database.Database;
  /** Called after each page is committed, with the number of events applied so far. */
  onPage?: (applied: number) => void;
  /** Ends the subscription after the current page. */
  interrupt?: AbortSignal;
}

/**
 * The event source a ProjectionRunner replays from: the read-only log, page by page, up to a fixed position,
 * after which the subscription ends (a live store's subscription would wait for more).
 *
 * Speed: the runner applies each event in a transaction of its own. The feed opens one transaction around each
 * page, so those become savepoints and the database commits once per page instead of once per event. The
 * runner asks for the next event only after applying the previous one, so when the page's last event has been
 * handed out and the runner comes back, the whole page is applied and can be committed.
 */
export class ReplayFeed implements EventStore {
  private applied = 0;
  private resolveFinished!: () => void;
  /** Settles when the subscription has ended: every event delivered, the runner stopped, or it failed. */
  readonly finished = new Promise<void>((resolve) => (this.resolveFinished = resolve));

  constructor(
    private readonly log: ReadOnlyEventLog,
    private readonly options: ReplayFeedOptions,
  ) {}

  get eventsApplied(): number {
    return this.applied;
  }

  async *subscribeToAll({ after, signal }: SubscribeOptions): AsyncGenerator<RecordedEvent> {
    const { readModels: db, until, pageSize, onPage, interrupt } = this.options;
    let position = after;
    try {
      while (!signal.aborted && !interrupt?.aborted) {
        const page = this.log.readPage(position, until, pageSize);
        if (page.length === 0) return;
        db.exec('BEGIN');
        for (const event of page) {
          yield event;
          position = event.position;
        }
        db.exec('COMMIT');
        this.applied += page.length;
        onPage?.(this.applied);
        await yieldToEventLoop(); // lets the progress bar redraw and Ctrl-C through
      }
    } finally {
      if (db.inTransaction) db.exec('ROLLBACK');
      this.resolveFinished();
    }
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    return this.log.readStream(streamId, options);
  }

  async readAll(options: ReadAllOptions = {}): Promise<RecordedEvent[]> {
    return this.log.readPage(options.after ?? 0, this.options.until, options.maxCount ?? 1000);
  }

  async headPosition(): Promise<number> {
    return this.options.until;
  }

  async appendToStream(): Promise<AppendResult> {
    throw new CliError('A replay never appends to the log.');
  }

  async close(): Promise<void> {
    // The log belongs to the caller.
  }
}
