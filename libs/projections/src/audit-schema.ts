import type Database from 'better-sqlite3';

/**
 * The audit read model's table: one row per audited event, keyed by its global position (which makes applying an
 * event twice a no-op), with the columns the AUDIT_LOG port filters on and the whole AuditRecord as JSON.
 *
 * Returns true when the table was just created: in a database that already had read models, the runner's
 * checkpoint is then past events this model never saw, so the caller resets it and the log is replayed.
 */
export function createAuditTables(db: Database.Database): boolean {
  const existed = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_records'").get() !== undefined;
  db.exec(`
    CREATE TABLE IF NOT EXISTS audit_records (
      position INTEGER PRIMARY KEY,
      key_id TEXT,
      type TEXT NOT NULL,
      time INTEGER NOT NULL,
      principal TEXT,
      record TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS audit_records_by_key ON audit_records (key_id, position);
    CREATE INDEX IF NOT EXISTS audit_records_by_type ON audit_records (type, position);
    CREATE INDEX IF NOT EXISTS audit_records_by_principal ON audit_records (principal, position);
    CREATE INDEX IF NOT EXISTS audit_records_by_time ON audit_records (time);
  `);
  return !existed;
}
