import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { writeLines } from '../output';
import { loadSeedFile } from '../seed/seed-file';
import { seedKeys, type SeededKey, type SeedTarget } from '../seed/seed-keys';
import { shortId } from '../audit/event-summary';

interface SeedOptions {
  endpointUrl?: string;
  region?: string;
  out?: string;
  json?: boolean;
}

const DEFAULT_ENDPOINT = 'http://127.0.0.1:8080';

/** One line per key; what the run changed besides creating and importing follows in brackets, e.g. `[tagged env=prod; disabled]`. */
const line = (key: SeededKey): string =>
  `${key.action.padEnd(9)}  ${key.keyId}  ${key.keySpec.padEnd(17)}  material ${key.keyMaterialId ? shortId(key.keyMaterialId) : '-'}  ` +
  `${key.validTo ? `expires ${key.validTo}` : 'never expires'}  ${JSON.stringify(key.description)}` +
  (key.changes.length > 0 ? `  [${key.changes.join('; ')}]` : '');

/**
 * `seed <file>`: creates keys with known material in a running service, through its real import flow, and gives
 * them the file's aliases, tags, enabled state and on-demand rotation.
 */
export function register(program: Command): void {
  program
    .command('seed')
    .description(
      'create keys with known key material in a running service (CreateKey, GetParametersForImport, ImportKeyMaterial), with their aliases, tags, enabled state and rotation',
    )
    .argument('<file>', 'seed file (JSON, see docs/cli.md)')
    .option('--endpoint-url <url>', `the service (default: the file's "endpoint", $KEYLEDGER_ENDPOINT or ${DEFAULT_ENDPOINT})`)
    .option('--region <region>', `region of the keys (default: the file's "region", $AWS_REGION or us-east-1)`)
    .option('--out <file>', 'also write the seeded keys (ids, ARNs, material ids) to this JSON file')
    .option('--json', 'print the seeded keys as JSON instead of one line each')
    .action(async (file: string, options: SeedOptions) => {
      const seed = loadSeedFile(file);
      const target: SeedTarget = {
        endpoint: options.endpointUrl ?? seed.endpoint ?? process.env.KEYLEDGER_ENDPOINT ?? DEFAULT_ENDPOINT,
        region: options.region ?? seed.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
        accessKeyId: seed.accessKeyId ?? process.env.AWS_ACCESS_KEY_ID ?? 'test',
      };
      const print = options.json ? undefined : (key: SeededKey) => void writeLines(process.stdout, [line(key)]);
      const keys = await seedKeys(seed, target, print);
      const record = { endpoint: target.endpoint, region: target.region, keys };
      if (options.json) await writeLines(process.stdout, [JSON.stringify(record, null, 2)]);
      if (options.out !== undefined) writeFileSync(options.out, `${JSON.stringify(record, null, 2)}\n`);
    });
}
