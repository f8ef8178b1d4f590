import { Worker } from 'node:worker_threads';
import type { SqlBulkLoad } from '@keyledger/projections';

export interface SqlBulkLoadOptions {
  /** The database file the load writes; no other connection may write it meanwhile. */
  file: string;
  /** Databases attached by schema name, for the load's statements to read (the log; better-sqlite3 has no read-only attach, so only the statements keep them unchanged). */
  attach: Record<string, string>;
  /** Pragmas run first, after the attachments: the file's journal and cache, the log's memory map. Name the schema (`main.`, `log.`): some pragmas without one apply to every attached database. */
  pragmas: string[];
  load: SqlBulkLoad;
  /** The position range the load covers, (from, until], and the positions per statement. */
  from: number;
  until: number;
  step: number;
  /** Called with the position reached after each statement. */
  onProgress?: (position: number) => void;
}

export interface SqlBulkLoadThread {
  /** Settles when the load is complete and its connection closed; rejects with the load's error. */
  readonly done: Promise<void>;
  /** Ends the thread once the statement it is running returns (termination stops JavaScript, not SQLite); `done` then rejects. */
  stop(): Promise<void>;
}

/**
 * The thread's program, as source: a worker started from a file would need the compiled output, which the tests
 * (run on the TypeScript sources) do not load. It is only this loop: everything it runs arrives as SQL.
 */
const PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const { file, attach, pragmas, load, from, until, step } = workerData;
let db;
try {
  db = new Database(file);
  for (const [schema, path] of Object.entries(attach)) db.prepare('ATTACH DATABASE ? AS "' + schema + '"').run(path);
  for (const pragma of pragmas) db.pragma(pragma);
  for (const statement of load.before) db.exec(statement);
  const insert = db.prepare(load.insert);
  for (let after = from; after < until; ) {
    const to = Math.min(after + step, until);
    insert.run(after, to);
    after = to;
    parentPort.postMessage(to);
  }
  for (const statement of load.after) db.exec(statement);
} catch (error) {
  // better-sqlite3's errors reach the parent thread as { code } alone: send what happened as a plain Error.
  throw new Error(error && error.code ? error.code + ': ' + error.message : String(error && error.message || error));
} finally {
  if (db) db.close();
}
`;

/**
 * Runs a SQL bulk load (better-sqlite3 is synchronous) on a thread of its own, so that it uses another core while
 * this thread does other work: the replay loads the audit index this way while it folds the key states.
 */
export function startSqlBulkLoad(options: SqlBulkLoadOptions): SqlBulkLoadThread {
  const { onProgress, ...work } = options;
  const worker = new Worker(PROGRAM, { eval: true, workerData: { ...work, driver: require.resolve('better-sqlite3') } });
  worker.on('message', (position: number) => onProgress?.(position));
  let stopped = false;
  const done = new Promise<void>((resolve, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (stopped) reject(new Error('the bulk load was stopped'));
      else if (code === 0) resolve();
      else reject(new Error(`the bulk load thread ended with exit code ${code}`));
    });
  });
  done.catch(() => undefined); // observed by the caller; never an unhandled rejection while it is busy elsewhere
  return {
    done,
    stop: async () => {
      stopped = true;
      await worker.terminate();
    },
  };
}
