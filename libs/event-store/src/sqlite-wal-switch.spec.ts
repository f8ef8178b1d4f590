import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { switchToWal } from './sqlite-schema';

/**
 * Another connection (on a thread of its own, so this one can block) creates the file in rollback mode, as an
 * instance's first migration does before the file's header says WAL, and holds its write lock for `holdMs`.
 * Returns once it holds the lock, with a promise of its end.
 */
function holdWriteLock(filename: string, holdMs: number): Promise<void> {
  const locked = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const Database = require(workerData.module);
     const db = new Database(workerData.filename);
     db.exec('CREATE TABLE IF NOT EXISTS t (x)');
     db.exec('BEGIN IMMEDIATE; INSERT INTO t VALUES (1)');
     Atomics.store(workerData.locked, 0, 1);
     Atomics.notify(workerData.locked, 0);
     Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.holdMs);
     db.exec('COMMIT');
     db.close();`,
    { eval: true, workerData: { module: require.resolve('better-sqlite3'), filename, holdMs, locked } },
  );
  Atomics.wait(locked, 0, 0, 5000);
  if (Atomics.load(locked, 0) !== 1) throw new Error('the lock holder did not take the lock');
  return new Promise((resolve) => worker.once('exit', () => resolve()));
}

describe('switchToWal (a fresh file that two instances open at once)', () => {
  let dir: string;
  let filename: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyledger-wal-switch-'));
    filename = path.join(dir, 'shared.sqlite');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("waits out another connection's write lock, which the bare pragma meets with SQLITE_BUSY at once", async () => {
    const released = holdWriteLock(filename, 300);
    const db = new Database(filename, { timeout: 2000 });
    try {
      db.pragma('busy_timeout = 2000');
      const startedAt = Date.now();
      expect(() => db.pragma('journal_mode = WAL')).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
      expect(Date.now() - startedAt).toBeLessThan(200); // the busy handler was not consulted
      switchToWal(db, 2000);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
      await released;
    }
  });

  it('gives up after its timeout with the SQLITE_BUSY error', async () => {
    const released = holdWriteLock(filename, 1500);
    const db = new Database(filename, { timeout: 100 });
    try {
      const startedAt = Date.now();
      expect(() => switchToWal(db, 150)).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(150);
    } finally {
      db.close();
      await released;
    }
  });
});
