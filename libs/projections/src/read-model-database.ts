import Database from 'better-sqlite3';
import { createAuditTables } from './audit-schema';

/**
 * The read models' own SQLite database. It holds only what can be rebuilt from the log, so it trades the
 * event store's fsync-per-commit for speed (synchronous=NORMAL): after a crash it is at worst behind, and the
 * checkpoint, written in the same transaction as the rows, says exactly how far.
 */
export function openReadModelDatabase(filename: string): Database.Database {
  const db = new Database(filename);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`
    CREATE TABLE IF NOT EXISTS projection_checkpoints (
      name TEXT PRIMARY KEY,
      position INTEGER NOT NULL
    );
    CREATE TABLE IF NOT EXISTS key_summaries (
      key_id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL,
      region TEXT NOT NULL,
      arn TEXT NOT NULL,
      created_position INTEGER NOT NULL,
      state TEXT NOT NULL,
      last_position INTEGER NOT NULL
    );
    CREATE INDEX IF NOT EXISTS key_summaries_by_scope ON key_summaries (account_id, region, created_position);
    CREATE TABLE IF NOT EXISTS material_expiry_schedule (
      key_id TEXT NOT NULL,
      key_material_id TEXT NOT NULL,
      valid_to INTEGER NOT NULL,
      PRIMARY KEY (key_id, key_material_id)
    );
    CREATE INDEX IF NOT EXISTS material_expiry_by_time ON material_expiry_schedule (valid_to);
  `);
  // A read model added to an existing database starts empty: replay the log into every model from the start.
  if (createAuditTables(db)) db.prepare('DELETE FROM projection_checkpoints').run();
  return db;
}
