import type Database from 'better-sqlite3';

/** The audit index's secondary indexes, one per filter of the AUDIT_LOG port. */
const AUDIT_INDEXES: Record<string, string> = {
  audit_entries_by_key: 'audit_entries (key_id, position)',
  audit_entries_by_type: 'audit_entries (type, position)',
  audit_entries_by_principal: 'audit_entries (principal, position)',
  audit_entries_by_time: 'audit_entries (time)',
};

/** The statements that create the audit indexes that are missing, for a connection of another thread (the replay's). */
export const createAuditIndexesSql = (): string[] => Object.entries(AUDIT_INDEXES).map(([name, on]) => `CREATE INDEX IF NOT EXISTS ${name} ON ${on}`);

/** The statements that drop the audit indexes before a bulk load. */
export const dropAuditIndexesSql = (): string[] => Object.keys(AUDIT_INDEXES).map((name) => `DROP INDEX IF EXISTS ${name}`);

/** Creates the audit indexes that are missing (all of them after a bulk load, none otherwise). */
export function createAuditIndexes(db: Database.Database): void {
  for (const statement of createAuditIndexesSql()) db.exec(statement);
}

/** Drops the audit indexes before a bulk load: building them once at the end is cheaper than row by row. */
export function dropAuditIndexes(db: Database.Database): void {
  for (const statement of dropAuditIndexesSql()) db.exec(statement);
}

/**
 * The audit read model's table: an index of the log, not a copy of it. One row per audited event, keyed by its
 * global position (which makes applying an event twice a no-op), with the columns the AUDIT_LOG port filters on;
 * the events themselves are read back from the log by position (SqliteAuditLog). Opening the database also
 * restores indexes a bulk load dropped, should it have been stopped half way.
 *
 * Returns true when the table was just created empty: in a database that already had read models, the runner's
 * checkpoint is then past events this model never saw, so the caller resets it and the log is replayed. The
 * table of earlier versions (`audit_records`, the same columns plus a copy of every audited event) is turned
 * into this one without a replay: its filter columns are kept and the copies dropped.
 */
export function createAuditTables(db: Database.Database): boolean {
  const has = (table: string) => db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table) !== undefined;
  const existed = has('audit_entries');
  const copied = !existed && has('audit_records');
  db.transaction(() => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS audit_entries (
        position INTEGER PRIMARY KEY,
        key_id TEXT,
        type TEXT NOT NULL,
        time INTEGER NOT NULL,
        principal TEXT
      );
    `);
    if (copied) db.exec('INSERT INTO audit_entries (position, key_id, type, time, principal) SELECT position, key_id, type, time, principal FROM audit_records');
    db.exec('DROP TABLE IF EXISTS audit_records');
  })();
  createAuditIndexes(db);
  return !existed && !copied;
}
