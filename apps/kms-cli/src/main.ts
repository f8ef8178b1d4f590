import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error';
import * as commands from './commands';

/** The `keyledger` operator CLI: offline commands on a data directory, and `seed` against a running service. */
export function buildProgram(): Command {
  const program = new Command('keyledger')
    .description('Keyledger operator CLI: audit, point-in-time state, export and replay on a data directory; seed a running service')
    .showHelpAfterError()
    .exitOverride();
  for (const register of Object.values(commands)) register(program);
  return program;
}

/** `keyledger export | head`: the reader went away; nothing more to say. */
function exitQuietlyOnClosedPipe(error: NodeJS.ErrnoException): void {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
}

/** Runs the CLI; resolves with the exit code (errors are reported on stderr, never thrown). */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  // Once per process: main() may run many times in one process (the e2e tests call it in-process).
  if (!process.stdout.listeners('error').includes(exitQuietlyOnClosedPipe)) process.stdout.on('error', exitQuietlyOnClosedPipe);
  try {
    await buildProgram().parseAsync(argv);
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode; // commander has printed the usage error or help
    if (error instanceof CliError) {
      process.stderr.write(`keyledger: ${error.message}\n`);
      return error.exitCode;
    }
    process.stderr.write(`keyledger: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
    return 70; // EX_SOFTWARE
  }
}
