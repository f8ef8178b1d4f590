import type Database from 'better-sqlite3';

/**
 * Notices commits that other connections (another SqliteEventStore on the same file, another process) make to the
 * database: every `intervalMs` it reads SQLite's `PRAGMA data_version`, which changes only when another connection
 * has committed, and calls `onCommitted` when it has. A tick costs one pragma (a few microseconds) instead of a page
 * read and a subscription woken per tick: an idle service's poll was most of its idle CPU. This connection's own
 * commits do not change the value; the store announces those itself.
 */
export class OtherConnectionsCommitWatch {
  private readonly dataVersion: Database.Statement<[], number>;
  private timer?: NodeJS.Timeout;
  private seen = 0;

  constructor(
    private readonly db: Database.Database,
    private readonly intervalMs: number,
    private readonly onCommitted: () => void,
  ) {
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
  }

  /** Starts watching, if not already. */
  start(): void {
    if (this.timer) return;
    this.seen = this.read() ?? 0;
    this.timer = setInterval(() => this.check(), this.intervalMs).unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private check(): void {
    if (!this.db.open) return this.stop();
    const version = this.read();
    // An unreadable version (the file busy or failing) wakes the subscriptions too: their read reports it and retries.
    if (version === this.seen) return;
    if (version !== undefined) this.seen = version;
    this.onCommitted();
  }

  private read(): number | undefined {
    try {
      return this.dataVersion.get();
    } catch {
      return undefined;
    }
  }
}
