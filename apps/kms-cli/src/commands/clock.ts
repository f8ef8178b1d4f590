import { Command } from 'commander';
import { formatDuration, parseDuration } from '../clock/duration';
import { callService, serviceTarget } from '../clock/service-call';
import { writeLines } from '../output';

interface ClockReply {
  mode: string;
  now: string;
  wallClock: string;
  offsetSeconds: number;
  sweep?: { expiredMaterials: number; deletedKeys: number; deletedAliases: number; rotatedKeys: number };
}

interface ClockOptions {
  endpointUrl?: string;
  json?: boolean;
}

const ENDPOINT = '--endpoint-url <url>';
const ENDPOINT_HELP = 'the service (default: $KEYLEDGER_ENDPOINT or http://127.0.0.1:8080); signed as $AWS_ACCESS_KEY_ID (default test)';
const PATH = 'v1/admin/clock';

function describe(reply: ClockReply): string[] {
  const lines = [`service clock ${reply.now} (${formatDuration(reply.offsetSeconds)} ahead of the wall clock, ${reply.mode} mode)`];
  if (reply.sweep) {
    const s = reply.sweep;
    lines.push(`maintenance sweep: ${s.expiredMaterials} material(s) expired, ${s.deletedKeys} key(s) deleted, ${s.deletedAliases} alias(es) deleted, ${s.rotatedKeys} key(s) rotated`);
  }
  return lines;
}

/** `clock show` and `clock advance <duration>`: the test clock of a running service (development mode only). */
export function register(program: Command): void {
  const clock = program.command('clock').description("show or move forward a running service's clock (the test clock: development mode only)");
  const print = async (reply: ClockReply, options: ClockOptions) => writeLines(process.stdout, options.json ? [JSON.stringify(reply, null, 2)] : describe(reply));

  clock
    .command('show')
    .description("the service's time, mode and how far it runs ahead of the wall clock")
    .option(ENDPOINT, ENDPOINT_HELP)
    .option('--json', 'print the answer as JSON')
    .action(async (options: ClockOptions) => print(await callService<ClockReply>(serviceTarget(options.endpointUrl), 'GET', PATH), options));

  clock
    .command('advance')
    .description('move the service clock forward (then the service runs its expiry, deletion and rotation sweep at once)')
    .argument('<duration>', 'how far: 8d, 2h, 90m, 30s or combinations like 1d12h')
    .option(ENDPOINT, ENDPOINT_HELP)
    .option('--json', 'print the answer as JSON')
    .action(async (duration: string, options: ClockOptions) => {
      const advanceSeconds = parseDuration(duration);
      await print(await callService<ClockReply>(serviceTarget(options.endpointUrl), 'POST', PATH, { advanceSeconds }), options);
    });
}
