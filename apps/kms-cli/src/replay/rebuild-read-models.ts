import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { openReadModelDatabase, ProjectionRunner } from '@keyledger/projections';
import { CliError } from '../cli-error';
import { ReadOnlyEventLog } from '../event-log/read-only-event-log';
import { readModelProjections } from '@keyledger/projections';
import { assertNotInUse, removeAbandonedTempFiles, removeDatabaseFiles, replaceDatabaseFile, replayTempFile } from './read-models-file';
import { MMAP_BYTES, ReplayFeed } from './replay-feed';

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

/**
 * Rebuilds every projection from position 0 into a temporary file next to the target with the service's own
 * ProjectionRunner (a page of the log per transaction, as a bulk load: see ProjectionRunner.rebuild), then
 * renames it over the target. The log is read-only and read up to the head it had when
 * the replay started; a service started afterwards catches up from there.
 */
export async function rebuildReadModels(options: RebuildOptions): Promise<RebuildResult> {
  const target = resolve(options.target);
  const log = ReadOnlyEventLog.open(options.dataDir);
  assertNotInUse(target); // fail before the long part; checked again just before the rename
  mkdirSync(dirname(target), { recursive: true });
  removeAbandonedTempFiles(target);
  const temp = replayTempFile(target);
  removeDatabaseFiles(temp);
  let db: ReturnType<typeof openReadModelDatabase> | undefined;
  try {
    const headPosition = log.headPosition();
    const total = log.countUpTo(headPosition);
    db = openReadModelDatabase(temp);
    // The temporary file is private and thrown away unless the replay completes: no write-ahead log to write
    // every page twice, room to sort the indexes built at the end in memory, and the table scans that build
    // them read through a memory map instead of a read() per page.
    db.pragma('journal_mode = MEMORY');
    db.pragma('cache_size = -131072');
    db.pragma(`mmap_size = ${MMAP_BYTES}`);
    const projections = readModelProjections(db);
    const pageSize = options.pageSize ?? 2000;
    const feed = new ReplayFeed(log, { until: headPosition, pageSize, interrupt: options.interrupt });
    let applied = 0;
    const runner = new ProjectionRunner(feed, db, projections, {
      batchSize: pageSize,
      onBatch: (_position, events) => {
        applied += events;
        options.onProgress?.(applied, total);
      },
    });
    options.onProgress?.(0, total);
    const started = process.hrtime.bigint();
    await runner.rebuild();
    await feed.finished;
    await runner.stop();
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    if (options.interrupt?.aborted) {
      throw new CliError(`Replay interrupted at position ${runner.checkpoint} of ${headPosition}; ${target} was left unchanged.`, 130);
    }
    if (runner.checkpoint !== headPosition) {
      throw new CliError(`Replay stopped at position ${runner.checkpoint} of ${headPosition} (see the error above); ${target} was left unchanged.`);
    }
    const rows = countRows(db);
    db.close();
    replaceDatabaseFile(temp, target);
    return {
      target,
      events: applied,
      headPosition,
      seconds,
      eventsPerSecond: seconds > 0 ? applied / seconds : 0,
      projections: projections.map((p) => p.name),
      rows,
    };
  } finally {
    if (db?.open) db.close();
    removeDatabaseFiles(temp);
    log.close();
  }
}

function countRows(db: ReturnType<typeof openReadModelDatabase>): Record<string, number> {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'projection_checkpoints' ORDER BY name")
    .pluck()
    .all() as string[];
  return Object.fromEntries(tables.map((table) => [table, db.prepare(`SELECT COUNT(*) FROM "${table}"`).pluck().get() as number]));
}
