import Database from 'better-sqlite3';
import { switchToWal } from '@keyledger/event-store';
import { createAliasTables } from './alias-schema';
import { createAuditTables } from './audit-schema';
import { createKeyTables } from './key-schema';
import type { StoredCheckpoint } from './read-models-against-log';
import { createUsageTables } from './usage-schema';

/** The row of projection_checkpoints that says how far the read models have applied the log. */
export const READ_MODELS_CHECKPOINT = 'read-models';

/** How long a read-model statement waits for another connection's lock. */
const READ_MODELS_BUSY_TIMEOUT_MS = 5000;

/**
 * The read models' own SQLite database. It holds only what can be rebuilt from the log, so it trades the
 * event store's fsync-per-commit for speed (synchronous=NORMAL): after a process crash it is at worst behind, and
 * the checkpoint, written in the same transaction as the rows, says exactly how far. After an OS crash it can also
 * be ahead of the log, or differ from it at the checkpoint (the log commits most usage batches without an fsync too);
 * ProjectionRunner.startCheckingLog rebuilds it then.
 */
export function openReadModelDatabase(filename: string): Database.Database {
  const db = new Database(filename);
  db.pragma(`busy_timeout = ${READ_MODELS_BUSY_TIMEOUT_MS}`);
  switchToWal(db, READ_MODELS_BUSY_TIMEOUT_MS);
  db.pragma('synchronous = NORMAL');
  // 2 MiB page cache (SQLite's default; better-sqlite3's build sets 16 MiB, which the usage log's inserts fill).
  db.pragma('cache_size = -2000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS projection_checkpoints (
      name TEXT PRIMARY KEY,
      position INTEGER NOT NULL,
      recorded_at INTEGER
    );
  `);
  // recorded_at (the checkpoint event's commit time, checked against the log at start) came later: add it to an older file.
  const columns = db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('projection_checkpoints');
  if (!columns.includes('recorded_at')) db.exec('ALTER TABLE projection_checkpoints ADD COLUMN recorded_at INTEGER');
  // A read model added to an existing database starts empty: replay the log into every model from the start.
  // (Both create their tables whatever the other returns.)
  const added = [createKeyTables(db), createAliasTables(db), createAuditTables(db), createUsageTables(db)];
  if (added.includes(true)) db.prepare('DELETE FROM projection_checkpoints').run();
  return db;
}

/** The read models' checkpoint row in an open read-models database (undefined when none is stored). */
export function readStoredCheckpoint(db: Database.Database): StoredCheckpoint | undefined {
  // SELECT *: a file of the earlier format, read without openReadModelDatabase's upgrade, has no recorded_at.
  const row = db.prepare('SELECT * FROM projection_checkpoints WHERE name = ?').get(READ_MODELS_CHECKPOINT) as { position: number; recorded_at?: number | null } | undefined;
  return row && { position: row.position, recordedAt: row.recorded_at ?? null };
}

/** The checkpoint stored in a read-models file, read without writing (undefined when it has none: new, empty or unreadable). */
export function storedReadModelsCheckpoint(filename: string): StoredCheckpoint | undefined {
  try {
    const db = new Database(filename, { readonly: true, fileMustExist: true });
    try {
      return readStoredCheckpoint(db);
    } finally {
      db.close();
    }
  } catch {
    return undefined;
  }
}
