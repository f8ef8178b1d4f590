import type Database from 'better-sqlite3';

/** The audit table's secondary indexes, one per filter of the AUDIT_LOG port. */
const AUDIT_INDEXES: Record<string, string> = {
  audit_records_by_key: 'audit_records (key_id, position)',
  audit_records_by_type: 'audit_records (type, position)',
  audit_records_by_principal: 'audit_records (principal, position)',
  audit_records_by_time: 'audit_records (time)',
};

/** Creates the audit indexes that are missing (all of them after a bulk load, none otherwise). */
export function createAuditIndexes(db: Database.Database): void {
  for (const [name, on] of Object.entries(AUDIT_INDEXES)) db.exec(`CREATE INDEX IF NOT EXISTS ${name} ON ${on}`);
}

/** Drops the audit indexes before a bulk load: building them once at the end is cheaper than row by row. */
export function dropAuditIndexes(db: Database.Database): void {
  for (const name of Object.keys(AUDIT_INDEXES)) db.exec(`DROP INDEX IF EXISTS ${name}`);
}

/**
 * The audit read model's table: one row per audited event, keyed by its global position (which makes applying an
 * event twice a no-op), with the columns the AUDIT_LOG port filters on and the whole AuditRecord as JSON.
 * Opening the database also restores indexes a bulk load dropped, should it have been stopped half way.
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
  `);
  createAuditIndexes(db);
  return !existed;
}
