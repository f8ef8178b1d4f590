import { closeSync, existsSync, fsyncSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { CliError } from '../cli-error';

/** Where the service keeps its read models: $KEYLEDGER_READ_MODELS_FILE, else <DATA_DIR>/read-models.sqlite. */
export function defaultReadModelsFile(dataDir: string): string {
  return process.env.KEYLEDGER_READ_MODELS_FILE || join(dataDir, 'read-models.sqlite');
}

const SIDE_FILES = ['-wal', '-shm', '-journal'];

/** Removes a SQLite database file and its WAL, shared-memory and rollback-journal files. */
export function removeDatabaseFiles(file: string): void {
  for (const suffix of ['', ...SIDE_FILES]) rmSync(`${file}${suffix}`, { force: true });
}

const tempPrefix = (target: string): string => `.${basename(target)}.replay-`;

/** The temporary file a rebuild writes, next to the target so the final rename stays on one file system. */
export const replayTempFile = (target: string): string => join(dirname(target), `${tempPrefix(target)}${process.pid}`);

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** Removes the temporary files of replays that were killed (their process is gone). */
export function removeAbandonedTempFiles(target: string): void {
  const directory = dirname(target);
  if (!existsSync(directory)) return;
  const prefix = tempPrefix(target);
  for (const name of readdirSync(directory)) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number.parseInt(name.slice(prefix.length), 10); // '<pid>' or '<pid>-wal'
    if (pid > 0 && !isRunning(pid)) rmSync(join(directory, name), { force: true });
  }
}

/**
 * Refuses to replace read models that another connection (a running service) has open. Switching a WAL
 * database back to rollback-journal mode needs every other connection to be closed, so it is a reliable test;
 * it also folds a WAL left by a crash into the file, leaving nothing behind to mix with the new file.
 */
export function assertNotInUse(target: string): void {
  if (!existsSync(target)) return;
  let db: Database.Database | undefined;
  try {
    db = new Database(target, { timeout: 250 });
    db.pragma('journal_mode = DELETE');
  } catch (error) {
    const busy = (error as { code?: string }).code === 'SQLITE_BUSY';
    throw new CliError(
      busy
        ? `${target} is in use (is the service running?). Stop the service, run the replay, then start it again.`
        : `Cannot check ${target}: ${(error as Error).message}. Move it away to replay into a fresh file.`,
    );
  } finally {
    db?.close();
  }
}

/** Atomically puts the finished file in place of the target and makes the rename durable. */
export function replaceDatabaseFile(built: string, target: string): void {
  assertNotInUse(target);
  for (const suffix of SIDE_FILES) rmSync(`${target}${suffix}`, { force: true });
  renameSync(built, target);
  const directory = openSync(dirname(target), 'r');
  try {
    fsyncSync(directory);
  } finally {
    closeSync(directory);
  }
}
