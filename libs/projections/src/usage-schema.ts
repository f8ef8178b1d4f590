import type Database from 'better-sqlite3';

/**
 * The usage read model's table: one row per recorded use, keyed by the position of its `KeyUsageRecorded` event
 * and its index within that batch (which makes applying an event twice a no-op), with the columns the USAGE_LOG
 * port filters on; the record itself stays in the log (SqliteUsageLog reads it back by position).
 *
 * Returns true when the table was just created: in a database that already had read models, the runner's
 * checkpoint is then past events this model never saw, so the caller resets it and the log is replayed. The table
 * of earlier versions also held a JSON copy of each record (`record`): that column is dropped, without a replay.
 */
export function createUsageTables(db: Database.Database): boolean {
  const existed = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'usage_records'").get() !== undefined;
  db.exec(`
    CREATE TABLE IF NOT EXISTS usage_records (
      position INTEGER NOT NULL,
      idx INTEGER NOT NULL,
      key_id TEXT NOT NULL,
      account_id TEXT NOT NULL,
      region TEXT NOT NULL,
      time INTEGER NOT NULL,
      operation TEXT NOT NULL,
      principal TEXT,
      outcome TEXT NOT NULL,
      PRIMARY KEY (position, idx)
    );
    CREATE INDEX IF NOT EXISTS usage_records_by_key ON usage_records (key_id, position, idx);
    CREATE INDEX IF NOT EXISTS usage_records_by_key_outcome ON usage_records (key_id, outcome, position, idx);
  `);
  const columns = db.prepare("SELECT name FROM pragma_table_info('usage_records')").pluck().all() as string[];
  if (columns.includes('record')) db.exec('ALTER TABLE usage_records DROP COLUMN record');
  return !existed;
}
