import type Database from 'better-sqlite3';

/** The alias read model (ListAliases, the aliases of a key). Returns true when just created: replay the log. */
export function createAliasTables(db: Database.Database): boolean {
  const existed = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'aliases'").get() !== undefined;
  db.exec(`
    CREATE TABLE IF NOT EXISTS aliases (
      account_id TEXT NOT NULL,
      region TEXT NOT NULL,
      alias_name TEXT NOT NULL,
      alias_arn TEXT NOT NULL,
      target_key_id TEXT NOT NULL,
      creation_date INTEGER NOT NULL,
      last_updated_date INTEGER NOT NULL,
      last_position INTEGER NOT NULL,
      PRIMARY KEY (account_id, region, alias_name)
    );
    CREATE INDEX IF NOT EXISTS aliases_by_key ON aliases (target_key_id, alias_name);
  `);
  return !existed;
}
