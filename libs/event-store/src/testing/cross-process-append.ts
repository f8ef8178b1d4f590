/**
 * Cross-process test support: child Node processes run the real SqliteEventStore (this TypeScript
 * source, transpiled on load with the `typescript` package) and race each other on one database file.
 *
 * Protocol over the IPC channel: child -> { ready }, parent -> 'go', child -> { report } | { error }.
 * The 'go' is sent to every worker at once, after all are ready, so their appends really overlap.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { NO_STREAM, WrongExpectedRevisionError, type NewEvent } from '../event-store.port';
import { SqliteEventStore } from '../sqlite-event-store';

export interface AppendWorkerTask {
  filename: string;
  workerId: string;
  /** Every worker appends `contestEvents(workerId)` here with NO_STREAM: exactly one may win. */
  contestedStreamId: string;
  /** Then each appends this many events, one append each, to `ownStreamId(workerId)`. */
  ownEventCount: number;
}

export interface AppendWorkerReport {
  workerId: string;
  wonContest: boolean;
  /** actualRevision of the WrongExpectedRevisionError, when the worker lost. */
  conflictActualRevision?: number;
  /** Positions returned by the appends to the worker's own stream. */
  ownPositions: number[];
}

type ChildMessage = { ready: true } | { report: AppendWorkerReport } | { error: string };

export function contestEvents(workerId: string): NewEvent[] {
  return [0, 1].map((index) => ({ type: `Contest.${index}`, data: { workerId, index }, metadata: { workerId } }));
}

export function ownStreamId(workerId: string): string {
  return `own-${workerId}`;
}

/** Parent side: starts one process per task, releases them together, returns their reports. */
export async function raceAppendWorkers(tasks: AppendWorkerTask[]): Promise<AppendWorkerReport[]> {
  const workers = tasks.map(startWorker);
  try {
    await Promise.all(workers.map((worker) => worker.ready));
    for (const worker of workers) {
      worker.child.send('go');
    }
    return await Promise.all(workers.map((worker) => worker.report));
  } finally {
    for (const worker of workers) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill();
      }
    }
  }
}

/** Child side: entry point called by the bootstrap script. */
export async function runAppendWorker(task: AppendWorkerTask): Promise<void> {
  const send = (message: ChildMessage): Promise<void> =>
    new Promise((resolve, reject) => process.send!(message, undefined, {}, (error) => (error ? reject(error) : resolve())));
  // Never outlive the parent.
  const exitWhenOrphaned = (): never => process.exit(1);
  process.on('disconnect', exitWhenOrphaned);

  let store: SqliteEventStore | undefined;
  try {
    store = new SqliteEventStore({ filename: task.filename });
    const go = new Promise<void>((resolve) => process.once('message', () => resolve()));
    await send({ ready: true });
    await go;
    const report = await performTask(store, task);
    await send({ report });
  } catch (error) {
    await send({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
    process.exitCode = 1;
  } finally {
    await store?.close();
    process.off('disconnect', exitWhenOrphaned);
    process.disconnect();
  }
}

async function performTask(store: SqliteEventStore, task: AppendWorkerTask): Promise<AppendWorkerReport> {
  const report: AppendWorkerReport = { workerId: task.workerId, wonContest: false, ownPositions: [] };
  try {
    await store.appendToStream(task.contestedStreamId, contestEvents(task.workerId), NO_STREAM);
    report.wonContest = true;
  } catch (error) {
    if (!(error instanceof WrongExpectedRevisionError)) throw error;
    report.conflictActualRevision = error.actualRevision;
  }
  for (let revision = NO_STREAM; revision < task.ownEventCount - 1; revision += 1) {
    const event: NewEvent = { type: 'Own', data: { workerId: task.workerId }, metadata: {} };
    const { position } = await store.appendToStream(ownStreamId(task.workerId), [event], revision);
    report.ownPositions.push(position);
  }
  return report;
}

/** Registers a `.ts` loader in the child, then hands the task to `runAppendWorker`. */
const BOOTSTRAP = `
const [typescriptPath, workerModulePath, taskJson] = process.argv.slice(1);
const ts = require(typescriptPath);
const fs = require('node:fs');
require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
  });
  module._compile(outputText, filename);
};
require(workerModulePath).runAppendWorker(JSON.parse(taskJson));
`;

interface WorkerHandle {
  child: ChildProcess;
  ready: Promise<void>;
  report: Promise<AppendWorkerReport>;
}

function startWorker(task: AppendWorkerTask): WorkerHandle {
  const child = spawn(process.execPath, ['-e', BOOTSTRAP, require.resolve('typescript'), __filename, JSON.stringify(task)], {
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));

  let markReady!: () => void;
  let settle!: (report: AppendWorkerReport) => void;
  let fail!: (error: Error) => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  const report = new Promise<AppendWorkerReport>((resolve, reject) => {
    settle = resolve;
    fail = reject;
  });
  // `ready` must also fail if the worker dies before reporting ready.
  const readyOrFailure = Promise.race([ready, report.then(() => undefined)]);

  child.on('message', (message: ChildMessage) => {
    if ('ready' in message) markReady();
    else if ('report' in message) settle(message.report);
    else fail(new Error(`worker ${task.workerId} failed: ${message.error}`));
  });
  child.on('error', (error) => fail(error));
  child.on('exit', (code, signal) =>
    fail(new Error(`worker ${task.workerId} exited (code ${code}, signal ${signal}) without a report. ${stderr}`)),
  );
  return { child, ready: readyOrFailure, report };
}
