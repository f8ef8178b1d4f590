import type Database from 'better-sqlite3';

/**
 * The usage read model's table: one row per group of a usage batch's records (usage-groups.ts: the records with
 * the same key, account, region, operation, principal and outcome), keyed by the position of its
 * `KeyUsageRecorded` event and the group's first index within that batch (which makes applying an event twice a
 * no-op), with the columns the USAGE_LOG port filters on, the group's indexes (as ranges) and its time span. The
 * records themselves stay in the log (SqliteUsageLog reads them back by position).
 *
 * Returns true when the table was just created: in a database that already had read models, the runner's
 * checkpoint is then past events this model never saw, so the caller resets it and the log is replayed. The
 * one-row-per-record table of earlier versions (`usage_records`) is dropped then.
 */
export function createUsageTables(db: Database.Database): boolean {
  const existed = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'usage_groups'").get() !== undefined;
  db.exec(`
    DROP TABLE IF EXISTS usage_records;
    CREATE TABLE IF NOT EXISTS usage_groups (
      position INTEGER NOT NULL,
      first_idx INTEGER NOT NULL,
      last_idx INTEGER NOT NULL,
      indexes TEXT NOT NULL,
      key_id TEXT NOT NULL,
      account_id TEXT NOT NULL,
      region TEXT NOT NULL,
      operation TEXT NOT NULL,
      principal TEXT,
      outcome TEXT NOT NULL,
      min_time INTEGER NOT NULL,
      max_time INTEGER NOT NULL,
      PRIMARY KEY (position, first_idx)
    );
    CREATE INDEX IF NOT EXISTS usage_groups_by_key ON usage_groups (key_id, position, first_idx);
    CREATE INDEX IF NOT EXISTS usage_groups_by_key_outcome ON usage_groups (key_id, outcome, position, last_idx);
  `);
  return !existed;
}
