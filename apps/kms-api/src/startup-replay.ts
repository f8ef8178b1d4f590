import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import type pino from 'pino';
import { eventLogFile, SELECT_LOG_HEAD } from '@keyledger/event-store';
import { CHECKPOINT_MISMATCH, checkpointAgainstLog, storedReadModelsCheckpoint, type LogPositions } from '@keyledger/projections';
import type { KeyledgerConfig } from './config/config';

const runFile = promisify(execFile);

/**
 * Before the service opens its read models: when the read-models file is missing, or does not match the log at its
 * checkpoint (a power cut lost commits it kept: checkpointAgainstLog), and the embedded log holds at least
 * `startupReplayMinEvents` events, rebuilds them with `keyledger replay` (the two-lane bulk load, several times
 * faster than the service's own catch-up, which applies the log in one lane while it serves: docs/cli.md).
 * The replay runs as a child process, so the API never loads the CLI's code. The service then starts at the head
 * the replay reached and catches up on anything appended since, as after any restart. If the replay fails, that
 * is logged and the service catches up (or rebuilds) by itself.
 */
export async function replayReadModelsBeforeStart(config: KeyledgerConfig, log: pino.Logger): Promise<void> {
  if (config.eventStoreUrl || config.startupReplayMinEvents === 0) return;
  const present = existsSync(config.readModelsFile);
  const checkpoint = present ? storedReadModelsCheckpoint(config.readModelsFile) : undefined;
  const embedded = readEmbeddedLog(eventLogFile(config.dataDir), checkpoint?.position ?? 0);
  const found = checkpoint ? await checkpointAgainstLog(embedded, checkpoint) : undefined;
  const events = embedded.head;
  if ((present && (found === undefined || found === 'consistent')) || events < config.startupReplayMinEvents) return;
  if (found === 'ahead' || found === 'diverged') {
    log.warn({ events, checkpoint: checkpoint?.position, readModelsFile: config.readModelsFile }, `${CHECKPOINT_MISMATCH[found]}: rebuilding them with keyledger replay before serving`);
  } else {
    log.info({ events, readModelsFile: config.readModelsFile }, 'no read models: rebuilding them with keyledger replay before serving');
  }
  const started = Date.now();
  try {
    const args = [cliEntry(), 'replay', '--data-dir', config.dataDir, '--read-models', config.readModelsFile, '--no-progress'];
    const { stdout } = await runFile(process.execPath, args, { env: process.env });
    // The CLI's report, less its advice to start the service (which is what happens next).
    const report = stdout.trim().split('\n').filter((line) => !line.startsWith('start the service'));
    log.info({ seconds: (Date.now() - started) / 1000, replay: report }, 'read models rebuilt before start');
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    log.warn({ error: stderr?.trim() || message }, 'keyledger replay failed before start; the service catches up by itself');
  }
}

/**
 * The embedded log's head (its event count, give or take gaps) and the commit time of its event at `position`, read
 * once from the file, as checkpointAgainstLog asks for them. Head 0 when the log is missing or cannot be read (the
 * store says why later).
 */
function readEmbeddedLog(file: string, position: number): LogPositions & { head: number } {
  let head = 0;
  let recordedAt: number | undefined;
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      head = db.prepare(SELECT_LOG_HEAD).pluck().get() as number;
      recordedAt = db.prepare('SELECT recorded_at FROM events WHERE position = ?').pluck().get(position) as number | undefined;
    } finally {
      db.close();
    }
  } catch {
    // head 0: nothing to replay
  }
  return {
    head,
    headPosition: async () => head,
    readEventsAt: async (positions) => (recordedAt !== undefined && positions.includes(position) ? [{ recordedAt }] : []),
  };
}

/** bin/keyledger-cli.js of this checkout, from the compiled code (dist/apps/kms-api/src) or the sources alike. */
function cliEntry(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const entry = join(dir, 'bin', 'keyledger-cli.js');
    if (existsSync(entry)) return entry;
  }
  throw new Error('bin/keyledger-cli.js not found above ' + __dirname);
}
