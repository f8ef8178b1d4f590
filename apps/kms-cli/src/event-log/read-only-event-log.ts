import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { RecordedEvent } from '@keyledger/event-store';
// The light module directly: the library's index also loads the EventStoreDB client, slowing CLI start-up.
import { recordedEventFromRow, type SqliteEventRow } from '../../../../libs/event-store/src/sqlite-event-row';
import { eventLogFile, limitBy, SELECT_LOG_HEAD } from '../../../../libs/event-store/src/sqlite-schema';
import { CliError } from '../cli-error';

type EventRow = SqliteEventRow;

const EVENT_COLUMNS = 'position, stream_id, revision, type, data, metadata, recorded_at';
/** Refusal audit streams (`kms-refusals-*`), as an index range: '.' is the character after '-'. */
const REFUSAL_STREAMS = { from: 'kms-refusals-', to: 'kms-refusals.' };
/** Alias streams (`kms-alias-<account>:<region>:<name>`), as an index range. */
const ALIAS_STREAMS = { from: 'kms-alias-', to: 'kms-alias.' };
/** Usage log streams (`kms-usage-<instance>`, one per service process start), as an index range. */
const USAGE_STREAMS = { from: 'kms-usage-', to: 'kms-usage.' };

export { eventLogFile };

/**
 * The event log of a data directory, opened read-only so the CLI can run beside a live service (SQLite WAL
 * lets readers and the service's writer work at the same time). Rows come back as the store's RecordedEvent.
 */
export class ReadOnlyEventLog {
  private readonly db: Database.Database;
  private readonly statements;

  private constructor(readonly filename: string) {
    this.db = new Database(filename, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 5000');
    this.statements = {
      // LIMIT -1: no limit. A range of the (stream_id, revision) index, as in the store.
      stream: this.db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision ${limitBy()}`),
      page: this.db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? AND position <= ? ORDER BY position ${limitBy()}`),
      head: this.db.prepare(SELECT_LOG_HEAD),
      count: this.db.prepare('SELECT COUNT(*) AS count FROM events WHERE position <= ?'),
      refusals: this.db.prepare(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id >= ? AND stream_id < ? ORDER BY position`,
      ),
      usage: this.db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id >= ? AND stream_id < ? ORDER BY position`),
      aliases: this.db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id >= ? AND stream_id < ? ORDER BY position`),
    };
  }

  static open(dataDir: string): ReadOnlyEventLog {
    const filename = eventLogFile(dataDir);
    if (!existsSync(filename)) throw new CliError(`No event log at ${filename} (use --data-dir or DATA_DIR).`);
    try {
      return new ReadOnlyEventLog(filename);
    } catch (error) {
      throw new CliError(`Cannot open the event log ${filename}: ${(error as Error).message}`);
    }
  }

  /** Events of one stream in revision order from `fromRevision`, at most `maxCount` (default: all; empty if none). */
  readStream(streamId: string, range: { fromRevision?: number; maxCount?: number } = {}): RecordedEvent[] {
    return (this.statements.stream.all(streamId, range.fromRevision ?? 0, range.maxCount ?? -1) as EventRow[]).map(toRecordedEvent);
  }

  /** Events of every `kms-refusals-*` stream, in log order (none until refusals are recorded). */
  readRefusals(): RecordedEvent[] {
    return (this.statements.refusals.all(REFUSAL_STREAMS.from, REFUSAL_STREAMS.to) as EventRow[]).map(toRecordedEvent);
  }

  /** Events of every alias stream (`kms-alias-*`), in log order. */
  readAliasEvents(): RecordedEvent[] {
    return (this.statements.aliases.all(ALIAS_STREAMS.from, ALIAS_STREAMS.to) as EventRow[]).map(toRecordedEvent);
  }

  /** Events of every `kms-usage-*` stream (batches of key usage records), in log order, one at a time. */
  *readUsage(): Generator<RecordedEvent> {
    for (const row of this.statements.usage.iterate(USAGE_STREAMS.from, USAGE_STREAMS.to) as Iterable<EventRow>) yield toRecordedEvent(row);
  }

  /** A page of the global log: events with `after < position <= until`, at most `limit`. */
  readPage(after: number, until: number, limit: number): RecordedEvent[] {
    return (this.statements.page.all(after, until, limit) as EventRow[]).map(toRecordedEvent);
  }

  /** The whole log up to `until` (default: the head when called), page by page. */
  *readAll(options: { until?: number; pageSize?: number } = {}): Generator<RecordedEvent> {
    const until = options.until ?? this.headPosition();
    const pageSize = options.pageSize ?? 1000;
    let after = 0;
    for (;;) {
      const page = this.readPage(after, until, pageSize);
      yield* page;
      if (page.length < pageSize) return;
      after = page[page.length - 1].position;
    }
  }

  headPosition(): number {
    return (this.statements.head.get() as { head: number }).head;
  }

  /** How many events the log holds up to `position` (positions may have gaps). */
  countUpTo(position: number): number {
    return (this.statements.count.get(position) as { count: number }).count;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

/** Opens the log, runs `body`, and closes the log whatever happens. */
export async function withEventLog<T>(dataDir: string, body: (log: ReadOnlyEventLog) => T | Promise<T>): Promise<T> {
  const log = ReadOnlyEventLog.open(dataDir);
  try {
    return await body(log);
  } finally {
    log.close();
  }
}

const toRecordedEvent = recordedEventFromRow;
