import Database from 'better-sqlite3';
import { AppendNotifier } from './append-notifier';
import { catchUpSubscription } from './catch-up-subscription';
import {
  NO_STREAM,
  StoreUnavailableError,
  WrongExpectedRevisionError,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type JsonObject,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
} from './event-store.port';
import { assertValidAppend, resolvePositions, resolveReadAllOptions, resolveReadStreamOptions } from './port-arguments';
import { OtherConnectionsCommitWatch } from './sqlite-commit-watch';
import { recordedEventFromRow, SqliteEventRow } from './sqlite-event-row';
import { BUSY_TIMEOUT_MS, limitBy, LOG_SYNCHRONOUS, openEventDatabase, SELECT_LOG_HEAD } from './sqlite-schema';

export interface SqliteEventStoreOptions {
  /** Database file path, or ':memory:' for a private in-memory database. */
  filename: string;
  /** How often subscriptions check for commits by other connections (default 50 ms): see OtherConnectionsCommitWatch. */
  pollIntervalMs?: number;
  /**
   * How long a call waits for another connection's lock (SQLite's busy_timeout) before it fails with
   * StoreUnavailableError('busy'). Default 5000 ms. The wait blocks the event loop (better-sqlite3 is
   * synchronous), so keep it short where other processes may hold long write transactions.
   */
  busyTimeoutMs?: number;
}

export const DEFAULT_POLL_INTERVAL_MS = 50;

type EventRow = SqliteEventRow;

/** One event ready for INSERT, minus the commit time (stamped inside the transaction). */
interface SerializedEvent {
  streamId: string;
  revision: number;
  type: string;
  data: string;
  metadata: string;
}

type EventInsert = SerializedEvent & { recordedAt: number };

/** An append waiting for the next group commit. */
interface QueuedAppend {
  streamId: string;
  rows: SerializedEvent[];
  expectedRevision: number;
  deferred: boolean;
  resolve: (result: AppendResult) => void;
  reject: (error: unknown) => void;
}

const EVENT_COLUMNS = 'position, stream_id, revision, type, data, metadata, recorded_at';

/** A range of the UNIQUE (stream_id, revision) index: the cost is the rows returned, not the stream's length. */
export const SELECT_STREAM_RANGE = `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision ${limitBy()}`;

/**
 * Durable event store on one SQLite file (better-sqlite3, WAL). Safe to share between connections and
 * OS processes: the revision check and the insert happen in one IMMEDIATE transaction, which holds
 * the database's single write lock, and UNIQUE(stream_id, revision) backs that up.
 *
 * Group commit: appends made in the same turn of the event loop (e.g. a burst of requests) are committed
 * together, in one transaction and so with one fsync, at the next check phase (setImmediate). Each keeps its
 * own expected-revision check in its own savepoint, so a conflicting one fails alone; each resolves only after
 * the shared commit, so every result is durable. A single append waits one event-loop hop more, no fsync more.
 *
 * A group made only of deferred appends (AppendOptions) commits with synchronous=NORMAL: no fsync, the WAL reaches
 * the disk with the next durable commit or checkpoint. WAL frames are checksummed in order, so a power cut loses
 * a suffix of the log, never a hole: a durable commit makes everything before it durable too.
 *
 * A lock another connection holds past the busy timeout (SQLITE_BUSY) fails the call with
 * StoreUnavailableError('busy'); nothing was written then (the write lock is taken before anything else).
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly appends = new AppendNotifier();
  private readonly busyTimeoutMs: number;
  /** Wakes the subscriptions when another connection commits; started by the first subscription. */
  private readonly otherCommits: OtherConnectionsCommitWatch;

  private readonly selectLastRevision: Database.Statement<[string], { revision: number }>;
  private readonly insertEvent: Database.Statement<[EventInsert], { position: number }>;
  private readonly selectStream: Database.Statement<[string, number, number], EventRow>;
  private readonly selectPage: Database.Statement<[number, number], EventRow>;
  private readonly selectAtPositions: Database.Statement<[string], EventRow>;
  private readonly selectHead: Database.Statement<[], { head: number }>;
  /** One append inside the group's transaction: a savepoint, so its failure undoes only its own rows. */
  private readonly appendOne: (append: QueuedAppend) => AppendResult;
  /** The group's IMMEDIATE transaction: each append's result or error, in queue order. */
  private readonly commitGroup: (group: QueuedAppend[]) => Array<{ ok: AppendResult } | { error: unknown }>;
  private queue: QueuedAppend[] = [];

  constructor(options: SqliteEventStoreOptions) {
    const pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    if (!(pollIntervalMs > 0)) {
      throw new RangeError(`pollIntervalMs must be positive, got ${options.pollIntervalMs}`);
    }
    this.busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
    this.db = openEventDatabase(options.filename, this.busyTimeoutMs);
    this.otherCommits = new OtherConnectionsCommitWatch(this.db, pollIntervalMs, () => this.appends.notifyAppended());

    this.selectLastRevision = this.db.prepare(
      'SELECT revision FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
    );
    this.insertEvent = this.db.prepare(
      `INSERT INTO events (stream_id, revision, type, data, metadata, recorded_at)
       VALUES (@streamId, @revision, @type, @data, @metadata, @recordedAt)
       RETURNING position`,
    );
    this.selectStream = this.db.prepare(SELECT_STREAM_RANGE);
    this.selectPage = this.db.prepare(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position ${limitBy()}`,
    );
    // The positions go in as one JSON array: one statement, whatever their number, each an INTEGER PRIMARY KEY lookup.
    this.selectAtPositions = this.db.prepare(`SELECT ${EVENT_COLUMNS} FROM events WHERE position IN (SELECT value FROM json_each(?)) ORDER BY position`);
    this.selectHead = this.db.prepare(SELECT_LOG_HEAD);

    // Called inside a transaction, a better-sqlite3 transaction function runs as a savepoint.
    this.appendOne = this.db.transaction((append: QueuedAppend) => this.checkAndInsert(append.streamId, append.rows, append.expectedRevision));
    const group = this.db.transaction((appends: QueuedAppend[]) =>
      appends.map((append) => {
        try {
          return { ok: this.appendOne(append) };
        } catch (error) {
          return { error };
        }
      }),
    );
    // IMMEDIATE takes the write lock before any revision is read, so no other connection can commit
    // to a stream between our check and our insert.
    this.commitGroup = (appends) => group.immediate(appends);
  }

  async appendToStream(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision, options: AppendOptions = {}): Promise<AppendResult> {
    assertValidAppend(streamId, events, expectedRevision);
    // Serialize before taking the write lock, to hold it as briefly as possible.
    const rows = events.map(
      (event, index): SerializedEvent => ({
        streamId,
        revision: expectedRevision + 1 + index,
        type: event.type,
        data: JSON.stringify(event.data),
        metadata: JSON.stringify(event.metadata),
      }),
    );

    if (!this.db.open) throw new TypeError('The database connection is not open');
    return new Promise<AppendResult>((resolve, reject) => {
      const deferred = options.durability === 'deferred';
      if (this.queue.push({ streamId, rows, expectedRevision, deferred, resolve, reject }) === 1) setImmediate(() => this.commitQueued());
    });
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    const { fromRevision, maxCount } = resolveReadStreamOptions(options);
    // LIMIT -1: no limit.
    const limit = maxCount === Infinity ? -1 : maxCount;
    return this.guard(() => this.selectStream.all(streamId, fromRevision, limit)).map(toRecordedEvent);
  }


  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    const { after, maxCount } = resolveReadAllOptions(options);
    return this.guard(() => this.selectPage.all(after, maxCount)).map(toRecordedEvent);
  }

  async readEventsAt(positions: readonly number[]): Promise<RecordedEvent[]> {
    const wanted = resolvePositions(positions);
    if (wanted.length === 0) return [];
    return this.guard(() => this.selectAtPositions.all(JSON.stringify(wanted))).map(toRecordedEvent);
  }

  async headPosition(): Promise<number> {
    return this.guard(() => this.selectHead.get())?.head ?? 0;
  }

  subscribeToAll(options: SubscribeOptions): AsyncIterable<RecordedEvent> {
    this.otherCommits.start();
    return catchUpSubscription({ readPage: (after, maxCount) => this.readAll({ after, maxCount }), appends: this.appends }, options);
  }

  async close(): Promise<void> {
    // Appends already accepted are committed (or fail) before the connection goes.
    if (this.db.open) this.commitQueued();
    this.otherCommits.stop();
    this.appends.close();
    if (this.db.open) {
      this.db.close();
    }
  }

  /** Commits every queued append in one transaction and settles each with its own outcome. */
  private commitQueued(): void {
    const group = this.queue;
    if (group.length === 0) return;
    this.queue = [];
    let outcomes: Array<{ ok: AppendResult } | { error: unknown }>;
    const deferred = group.every((append) => append.deferred);
    try {
      if (deferred) this.db.pragma('synchronous = NORMAL');
      outcomes = this.commitGroup(group);
    } catch (error) {
      // BEGIN (busy) or COMMIT failed: the whole transaction was rolled back, so none of them was written.
      const failure = this.asBusy(error) ?? error;
      for (const append of group) append.reject(failure);
      return;
    } finally {
      if (deferred) this.db.pragma(`synchronous = ${LOG_SYNCHRONOUS}`);
    }
    if (outcomes.some((outcome) => 'ok' in outcome)) this.appends.notifyAppended();
    group.forEach((append, index) => {
      const outcome = outcomes[index];
      if ('ok' in outcome) append.resolve(outcome.ok);
      else append.reject(this.appendError(append, outcome.error));
    });
  }

  private appendError({ streamId, expectedRevision }: QueuedAppend, error: unknown): unknown {
    if (isStreamRevisionConflict(error)) {
      try {
        return new WrongExpectedRevisionError(streamId, expectedRevision, this.guard(() => this.currentRevision(streamId)));
      } catch (readError) {
        return readError;
      }
    }
    return this.asBusy(error) ?? error;
  }

  /** Runs inside the IMMEDIATE transaction, in the append's own savepoint. */
  private checkAndInsert(streamId: string, rows: SerializedEvent[], expectedRevision: number): AppendResult {
    const actualRevision = this.currentRevision(streamId);
    if (actualRevision !== expectedRevision) {
      throw new WrongExpectedRevisionError(streamId, expectedRevision, actualRevision);
    }
    const recordedAt = Date.now();
    let position = 0;
    for (const row of rows) {
      position = this.insertEvent.get({ ...row, recordedAt })!.position;
    }
    return { nextExpectedRevision: rows[rows.length - 1].revision, position };
  }

  private currentRevision(streamId: string): number {
    return this.selectLastRevision.get(streamId)?.revision ?? NO_STREAM;
  }

  /** Runs a statement; SQLITE_BUSY past the busy timeout becomes StoreUnavailableError('busy'). */
  private guard<T>(statement: () => T): T {
    try {
      return statement();
    } catch (error) {
      throw this.asBusy(error) ?? error;
    }
  }

  private asBusy(error: unknown): StoreUnavailableError | undefined {
    if (!isBusy(error)) return undefined;
    return new StoreUnavailableError('busy', `The SQLite event store stayed locked by another connection for more than ${this.busyTimeoutMs} ms (${(error as Error).message})`, { cause: error });
  }
}

/** SQLITE_BUSY and its extended codes (SQLITE_BUSY_SNAPSHOT, _RECOVERY, _TIMEOUT); by code, as for conflicts. */
function isBusy(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
}

/**
 * The UNIQUE(stream_id, revision) backstop fired: someone else wrote those revisions first. Recognised by its
 * SQLite error code, not by class: the native addon registers its error class once per process, so where the
 * JavaScript module is loaded more than once (jest gives each test file its own registry) `instanceof` fails.
 */
function isStreamRevisionConflict(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

const toRecordedEvent = recordedEventFromRow;
