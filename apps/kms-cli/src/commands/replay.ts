import { Command } from 'commander';
import { resolveDataDir, withDataDir } from '../options';
import { writeLines } from '../output';
import { replayProgressBar } from '../replay/progress-bar';
import { defaultReadModelsFile } from '../replay/read-models-file';
import type { RebuildResult } from '../replay/rebuild-read-models';

interface ReplayOptions {
  dataDir?: string;
  readModels?: string;
  progress: boolean;
}

const count = (n: number): string => n.toLocaleString('en-US');

function summary(result: RebuildResult): string[] {
  const tables = Object.entries(result.rows).map(([table, rows]) => `${table} ${count(rows)}`).join(', ');
  return [
    `replayed ${count(result.events)} events (log head ${result.headPosition}) in ${result.seconds.toFixed(2)} s: ${count(Math.round(result.eventsPerSecond))} events/s`,
    `projections: ${result.projections.join(', ')} -> ${result.target}`,
    `rows: ${tables || 'none'}`,
    'start the service to serve them; it catches up from the log head above.',
  ];
}

/** `replay`: rebuilds every read model from the log into a new read-models database. */
export function register(program: Command): void {
  withDataDir(
    program
      .command('replay')
      .description('rebuild every projection from the whole log into a new read-models database (stop the service first)')
      .option('--read-models <file>', 'the database to replace (default: $KEYLEDGER_READ_MODELS_FILE or <data-dir>/read-models.sqlite)')
      .option('--no-progress', 'do not draw the progress bar'),
  ).action(async (options: ReplayOptions) => {
    const dataDir = resolveDataDir(options.dataDir);
    const bar = options.progress ? replayProgressBar() : undefined;
    // Loaded here, not at start-up: the projections bring in the application library and NestJS.
    const { rebuildReadModels } = await import('../replay/rebuild-read-models');
    // Ctrl-C or SIGTERM: finish the current page, drop the temporary file, leave the read models as they were.
    const interrupt = new AbortController();
    const stop = () => interrupt.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    let result: RebuildResult;
    try {
      result = await rebuildReadModels({
        dataDir,
        target: options.readModels ?? defaultReadModelsFile(dataDir),
        onProgress: bar?.update,
        interrupt: interrupt.signal,
      });
    } finally {
      bar?.stop();
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
    }
    await writeLines(process.stdout, summary(result));
  });
}
