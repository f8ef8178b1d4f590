import type Database from 'better-sqlite3';

/** Bumped whenever the key tables' shape changes: older tables are dropped and rebuilt from the log. */
const KEY_TABLES_VERSION = 2;

/**
 * The key read model: one row per key with its folded state, the columns ListKeys and the maintenance job
 * query (when deletion and automatic rotation are due, whether the key is deleted), and the material expiry
 * schedule. Returns true when the tables were (re)created, so the caller replays the log into them.
 */
export function createKeyTables(db: Database.Database): boolean {
  const version = db.pragma('user_version', { simple: true }) as number;
  const existed = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'key_summaries'").get() !== undefined;
  if (existed && version >= KEY_TABLES_VERSION) return false;
  db.exec(`
    DROP TABLE IF EXISTS key_summaries;
    DROP TABLE IF EXISTS material_expiry_schedule;
    CREATE TABLE key_summaries (
      key_id TEXT PRIMARY KEY,
      account_id TEXT NOT NULL,
      region TEXT NOT NULL,
      arn TEXT NOT NULL,
      created_position INTEGER NOT NULL,
      state TEXT NOT NULL,
      last_position INTEGER NOT NULL,
      deleted INTEGER NOT NULL DEFAULT 0,
      deletion_due INTEGER,
      rotation_due INTEGER
    );
    CREATE INDEX key_summaries_by_scope ON key_summaries (account_id, region, created_position);
    CREATE INDEX key_summaries_by_deletion_due ON key_summaries (deletion_due) WHERE deletion_due IS NOT NULL;
    CREATE INDEX key_summaries_by_rotation_due ON key_summaries (rotation_due) WHERE rotation_due IS NOT NULL;
    CREATE TABLE material_expiry_schedule (
      key_id TEXT NOT NULL,
      key_material_id TEXT NOT NULL,
      valid_to INTEGER NOT NULL,
      PRIMARY KEY (key_id, key_material_id)
    );
    CREATE INDEX material_expiry_by_time ON material_expiry_schedule (valid_to);
  `);
  db.pragma(`user_version = ${KEY_TABLES_VERSION}`);
  return true;
}
