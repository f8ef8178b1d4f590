import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import type pino from 'pino';
import { eventLogFile, SELECT_LOG_HEAD } from '@keyledger/event-store';
import { storedReadModelsCheckpoint } from '@keyledger/projections';
import type { KeyledgerConfig } from './config/config';

const runFile = promisify(execFile);

/**
 * Before the service opens its read models: when the read-models file is missing, or ahead of the log (a power cut
 * lost commits it kept: ProjectionRunner.startCheckingLog), and the embedded log holds at least
 * `startupReplayMinEvents` events, rebuilds them with `keyledger replay` (the two-lane bulk load, several times
 * faster than the service's own catch-up, which applies the log in one lane while it serves: docs/cli.md).
 * The replay runs as a child process, so the API never loads the CLI's code. The service then starts at the head
 * the replay reached and catches up on anything appended since, as after any restart. If the replay fails, that
 * is logged and the service catches up (or rebuilds) by itself.
 */
export async function replayReadModelsBeforeStart(config: KeyledgerConfig, log: pino.Logger): Promise<void> {
  if (config.eventStoreUrl || config.startupReplayMinEvents === 0) return;
  const events = logHead(eventLogFile(config.dataDir));
  const present = existsSync(config.readModelsFile);
  const checkpoint = present ? storedReadModelsCheckpoint(config.readModelsFile) : undefined;
  const ahead = checkpoint !== undefined && checkpoint > events;
  if ((present && !ahead) || events < config.startupReplayMinEvents) return;
  if (ahead) {
    log.warn({ events, checkpoint, readModelsFile: config.readModelsFile }, 'the read models are ahead of the event log (commits lost in a crash, or another log): rebuilding them with keyledger replay before serving');
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

/** The log's last position (its event count, give or take gaps); 0 when it is missing or cannot be read (the store says why later). */
function logHead(file: string): number {
  try {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(SELECT_LOG_HEAD).pluck().get() as number;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
}

/** bin/keyledger-cli.js of this checkout, from the compiled code (dist/apps/kms-api/src) or the sources alike. */
function cliEntry(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const entry = join(dir, 'bin', 'keyledger-cli.js');
    if (existsSync(entry)) return entry;
  }
  throw new Error('bin/keyledger-cli.js not found above ' + __dirname);
}
