import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { STATE_NEUTRAL_KEY_EVENT_TYPES } from '@keyledger/domain';
import { AuditProjection, auditIndexBulkLoad, openReadModelDatabase, ProjectionRunner, readModelProjections } from '@keyledger/projections';
import { CliError } from '../cli-error';
import { ReadOnlyEventLog } from '../event-log/read-only-event-log';
import { assertNotInUse, removeAbandonedTempFiles, removeDatabaseFiles, replaceDatabaseFile, replayTempFile } from './read-models-file';
import { ReplayFeed } from './replay-feed';
import { startSqlBulkLoad, type SqlBulkLoadThread } from './sql-bulk-load-thread';

export interface RebuildOptions {
  dataDir: string;
  /** The read-models database to replace. */
  target: string;
  /** Events read and applied per transaction (default 2000). */
  pageSize?: number;
  /** Called once before the first event (applied = 0) and after each committed page. */
  onProgress?: (applied: number, total: number) => void;
  /** Stops the replay after the current page (Ctrl-C); the target is then left unchanged. */
  interrupt?: AbortSignal;
}

export interface RebuildResult {
  target: string;
  /** Events replayed (every event of the log up to `headPosition`). */
  events: number;
  headPosition: number;
  seconds: number;
  eventsPerSecond: number;
  projections: string[];
  /** Rows per read-model table in the rebuilt database. */
  rows: Record<string, number>;
}

/** Positions per statement of the audit lane: a progress report each, and how far Ctrl-C may run on. */
const AUDIT_LANE_STEP = 50_000;

/**
 * Folded keys the folding lane holds in memory between pages (KeyProjectionOptions): each key of a log with up to
 * this many keys is written once, at the end. A few KiB per key at most; beyond it, they are written and dropped.
 */
const KEYS_HELD_IN_MEMORY = 50_000;

/**
 * A private file being bulk loaded, thrown away unless the replay completes: no write-ahead log to write every
 * page twice, no fsync, room to sort the indexes built at the end in memory. Named `main.`: without a schema,
 * journal_mode would also switch the attached log out of WAL mode (a write to the log).
 */
const BULK_LOAD_PRAGMAS = ['main.journal_mode = MEMORY', 'main.synchronous = OFF', 'main.cache_size = -131072'];

/**
 * Rebuilds every projection from position 0 with the service's own projections, then renames the result over
 * the target. The log is read-only and read up to the head it had when the replay started; a service started
 * afterwards catches up from there. Two lanes use two cores:
 *
 * - the audit index, one row per event, is loaded by SQL straight from the log (auditIndexBulkLoad, held equal
 *   to the projection by its spec) on a thread of its own, into the temporary file next to the target;
 * - this thread folds the other projections with the service's ProjectionRunner (a page of the log per
 *   transaction, as a bulk load: see ProjectionRunner.rebuild) into a side file, reading the log without
 *   metadata, which none of them reads;
 *
 * and the side file's tables, one row per key or alias or group of usage records, are then copied into the temporary file.
 */
export async function rebuildReadModels(options: RebuildOptions): Promise<RebuildResult> {
  const target = resolve(options.target);
  const log = ReadOnlyEventLog.open(options.dataDir);
  assertNotInUse(target); // fail before the long part; checked again just before the rename
  mkdirSync(dirname(target), { recursive: true });
  removeAbandonedTempFiles(target);
  const temp = replayTempFile(target);
  const side = `${temp}-side`;
  removeDatabaseFiles(temp);
  removeDatabaseFiles(side);
  let db: ReturnType<typeof openReadModelDatabase> | undefined;
  let auditLane: SqlBulkLoadThread | undefined;
  try {
    const headPosition = log.headPosition();
    const total = log.countUpTo(headPosition);
    const progress = combinedProgress(total, headPosition, options.onProgress);
    openReadModelDatabase(temp).close(); // every table; the audit lane fills its own, the side file's are copied in
    db = openReadModelDatabase(side);
    for (const pragma of BULK_LOAD_PRAGMAS) db.pragma(pragma);
    const projections = readModelProjections(db, { keys: { heldAcrossBatches: KEYS_HELD_IN_MEMORY } });
    const pageSize = options.pageSize ?? 2000;
    // A failed audit lane stops the other one at its next page, as Ctrl-C does.
    const auditLaneFailed = new AbortController();
    const interrupt = options.interrupt ? AbortSignal.any([options.interrupt, auditLaneFailed.signal]) : auditLaneFailed.signal;
    // Not read at all: the events no projection of this lane changes anything for. The key projection leaves a row
    // as it is for a state-neutral key event (a third of a typical log is ImportParametersIssued); aliases and usage
    // are other streams. The spec holds the result equal to the service's runner, which applies every event.
    const feed = new ReplayFeed(log, { until: headPosition, pageSize, interrupt, omitMetadata: true, skipTypes: [...STATE_NEUTRAL_KEY_EVENT_TYPES] });
    const runner = new ProjectionRunner(
      feed,
      db,
      projections.filter((projection) => !(projection instanceof AuditProjection)),
      { batchSize: pageSize, onBatch: (position) => progress.folded(position) },
    );
    progress.folded(0);
    const started = process.hrtime.bigint();
    auditLane = startAuditLane(temp, log.filename, headPosition, progress.indexed);
    auditLane.done.catch(() => auditLaneFailed.abort());
    await runner.rebuild();
    await feed.finished;
    await runner.stop();
    if (options.interrupt?.aborted) {
      throw new CliError(`Replay interrupted at position ${runner.checkpoint} of ${headPosition}; ${target} was left unchanged.`, 130);
    }
    await auditLane.done.catch((error: Error) => {
      throw new CliError(`Replay failed while loading the audit index: ${error.message}; ${target} was left unchanged.`);
    });
    if (!feed.completed || runner.checkpoint !== feed.lastDelivered) {
      throw new CliError(`Replay stopped at position ${runner.checkpoint} of ${headPosition} (see the error above); ${target} was left unchanged.`);
    }
    // The skipped events after the last one applied changed nothing: the read models are at the log head, whose
    // event's commit time the service's start-up check compares with the log's (checkpointAgainstLog).
    const headRecordedAt = log.readPage(headPosition - 1, headPosition, 1)[0]?.recordedAt ?? null;
    db.prepare('UPDATE projection_checkpoints SET position = ?, recorded_at = ?').run(headPosition, headRecordedAt);
    progress.folded(headPosition);
    db.close();
    copySideTables(temp, side);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const rows = countRows(temp);
    replaceDatabaseFile(temp, target);
    return {
      target,
      events: total,
      headPosition,
      seconds,
      eventsPerSecond: seconds > 0 ? total / seconds : 0,
      projections: projections.map((p) => p.name),
      rows,
    };
  } finally {
    await auditLane?.stop();
    if (db?.open) db.close();
    removeDatabaseFiles(temp);
    removeDatabaseFiles(side);
    log.close();
  }
}

/** The audit index loaded from the log into `file` on a thread of its own. */
function startAuditLane(file: string, logFile: string, headPosition: number, onProgress: (position: number) => void): SqlBulkLoadThread {
  return startSqlBulkLoad({
    file,
    attach: { log: logFile },
    // The log through SQLite's page cache, not a second memory map of it: as fast for this one scan (measured on a
    // million events), and the process's resident size does not count the whole log twice.
    pragmas: BULK_LOAD_PRAGMAS,
    load: auditIndexBulkLoad('log'),
    from: 0,
    until: headPosition,
    step: AUDIT_LANE_STEP,
    onProgress,
  });
}

/** What the progress bar shows: the events both lanes are past (each reports the position it reached). */
function combinedProgress(total: number, headPosition: number, report?: (applied: number, total: number) => void) {
  let folded = 0;
  let indexed = 0;
  let shown = -1;
  const show = () => {
    const reached = Math.min(folded, indexed);
    const applied = headPosition > 0 ? Math.floor((total * reached) / headPosition) : total;
    if (applied <= shown) return;
    shown = applied;
    report?.(applied, total);
  };
  return {
    folded: (position: number) => {
      folded = position;
      show();
    },
    indexed: (position: number) => {
      indexed = position;
      show();
    },
  };
}

/** Copies every table of the side file but the audit lane's (and the checkpoint, which both lanes have reached) into the file. */
function copySideTables(file: string, side: string): void {
  const db = new Database(file);
  try {
    for (const pragma of BULK_LOAD_PRAGMAS) db.pragma(pragma);
    db.prepare('ATTACH DATABASE ? AS side').run(side);
    const tables = db.prepare("SELECT name FROM side.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'audit_entries'").pluck().all() as string[];
    db.transaction(() => {
      for (const table of tables) db.exec(`INSERT OR REPLACE INTO main."${table}" SELECT * FROM side."${table}"`);
    })();
    db.exec('DETACH DATABASE side');
  } finally {
    db.close();
  }
}

/** Rows per read-model table of the file (the checkpoint table aside). */
function countRows(file: string): Record<string, number> {
  const db = new Database(file, { readonly: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'projection_checkpoints' ORDER BY name")
      .pluck()
      .all() as string[];
    return Object.fromEntries(tables.map((table) => [table, db.prepare(`SELECT COUNT(*) FROM "${table}"`).pluck().get() as number]));
  } finally {
    db.close();
  }
}
