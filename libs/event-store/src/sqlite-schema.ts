import { join } from 'node:path';
import Database from 'better-sqlite3';

/** Where the embedded store keeps its log in a data directory: for the service, the CLI and the start-up replay alike. */
export const eventLogFile = (dataDir: string): string => join(dataDir, 'events.sqlite');

/** The log's last position (0 when empty), as `head`: for the store, the CLI's read-only log and the start-up replay. */
export const SELECT_LOG_HEAD = 'SELECT COALESCE(MAX(position), 0) AS head FROM events';

/**
 * `LIMIT` by a bound parameter (`?`, or a named one such as `@limit`), for every statement prepared once and run
 * many times. SQLite (3.53, as better-sqlite3 builds it) plans a bare `LIMIT ?` with the value bound, so it throws
 * the plan away and prepares the statement again on every run; cast, the value stays a run-time operand and the
 * plan is kept. Measured with a perf probe on sqlite3Reprepare: one per run before (every catch-up poll, key load and
 * alias lookup), none after; ~6 µs a run on a small log.
 */
export const limitBy = (parameter = '?'): string => `LIMIT CAST(${parameter} AS INTEGER)`;

/**
 * Schema migrations, applied in order; PRAGMA user_version records how many have run.
 * Append new entries, never edit old ones.
 */
const MIGRATIONS: readonly string[] = [
  // 1: the global log. AUTOINCREMENT so a position is never handed out twice, even after deletes.
  `CREATE TABLE IF NOT EXISTS events (
     position    INTEGER PRIMARY KEY AUTOINCREMENT,
     stream_id   TEXT    NOT NULL,
     revision    INTEGER NOT NULL CHECK (revision >= 0),
     type        TEXT    NOT NULL,
     data        TEXT    NOT NULL,
     metadata    TEXT    NOT NULL,
     recorded_at INTEGER NOT NULL,
     UNIQUE (stream_id, revision)
   ) STRICT`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export const BUSY_TIMEOUT_MS = 5000;

/** The log's durability: a commit is on disk (WAL fsynced) before appendToStream resolves. */
export const LOG_SYNCHRONOUS = 'FULL';

/** How long switchToWal sleeps between attempts. */
const WAL_SWITCH_RETRY_MS = 10;

/**
 * PRAGMA journal_mode = WAL, tried again until `timeoutMs` has passed. On a file still in rollback mode (a fresh
 * one that two instances open at the same moment), another connection's write lock can make SQLite answer the
 * switch SQLITE_BUSY at once, without waiting in the busy handler as every other statement does (0 ms with
 * busy_timeout 2000 in sqlite-wal-switch.spec.ts; two service instances starting together failed so in CI). Once the
 * file is in WAL mode the pragma needs no lock. Runs only while a database is opened, so the pause may block.
 */
export function switchToWal(db: Database.Database, timeoutMs: number): void {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      db.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, WAL_SWITCH_RETRY_MS);
    }
  }
}

/** Opens (creating if needed) an event database with the connection settings the store relies on. */
export function openEventDatabase(filename: string, busyTimeoutMs = BUSY_TIMEOUT_MS): Database.Database {
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new RangeError(`busyTimeoutMs must be an integer >= 0, got ${busyTimeoutMs}`);
  const db = new Database(filename, { timeout: busyTimeoutMs });
  try {
    // busy_timeout first: switching to WAL may need to wait for another connection.
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    switchToWal(db, busyTimeoutMs);
    db.pragma(`synchronous = ${LOG_SYNCHRONOUS}`);
    db.pragma('foreign_keys = ON');
    // better-sqlite3 builds SQLite with a 16 MiB page cache per connection, which appends fill; SQLite's own
    // default (2 MiB) keeps the log's hot pages, and the OS cache holds the rest.
    db.pragma('cache_size = -2000');
    migrate(db);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

function migrate(db: Database.Database): void {
  // IMMEDIATE: two processes opening a fresh file must not both run the same migration.
  db.transaction(() => {
    const applied = db.pragma('user_version', { simple: true }) as number;
    if (applied > SCHEMA_VERSION) {
      throw new Error(
        `Event database '${db.name}' has schema version ${applied}; this build only knows up to ${SCHEMA_VERSION}`,
      );
    }
    for (let version = applied + 1; version <= SCHEMA_VERSION; version += 1) {
      db.exec(MIGRATIONS[version - 1]);
      db.pragma(`user_version = ${version}`);
    }
  }).immediate();
}
