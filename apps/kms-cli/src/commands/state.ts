import { Command, InvalidArgumentError } from 'commander';
import { keyStreamId } from '@keyledger/domain';
import { keyNotFound } from '../audit/key-history';
import { MASTER_KEY_STREAM_ID } from '../audit/master-key-seals';
import { withEventLog } from '../event-log/read-only-event-log';
import { parseKeyReference, parseTime, resolveDataDir, withDataDir } from '../options';
import { writeLines } from '../output';
import { keyStateAtInPages, keyStateView } from '../state/key-state-at';

interface StateOptions {
  dataDir?: string;
  asOf?: string;
  revision?: number;
}

function parseRevision(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError('a stream revision is an integer >= 0.');
  return Number(value);
}

/**
 * `state <keyId> [--as-of <time>] [--revision <n>]`: DescribeKey's KeyMetadata as it was at a moment, with the
 * key's tags, aliases, rotation settings and materials, and whether it was deleted.
 */
export function register(program: Command): void {
  withDataDir(
    program
      .command('state')
      .description("print the key's KeyMetadata (as DescribeKey returns it), tags, aliases and rotation as they were at a moment, folded from the log")
      .argument('<keyId>', 'key id or key ARN')
      .option('--as-of <time>', "ISO-8601 time, epoch milliseconds or 'now' (default: now)")
      .option('--revision <n>', 'stop after this revision of the stream (evaluated at its time unless --as-of is given)', parseRevision),
  ).action(async (key: string, options: StateOptions) => {
    const keyId = parseKeyReference(key);
    const bound = {
      asOf: options.asOf !== undefined ? parseTime(options.asOf, '--as-of') : options.revision === undefined ? Date.now() : undefined,
      revision: options.revision,
    };
    const output = await withEventLog(resolveDataDir(options.dataDir), async (log) => {
      // In pages, and only up to the moment asked for: a long history costs what precedes it, not all of it.
      const at = await keyStateAtInPages(keyId, (fromRevision, maxCount) => log.readStream(keyStreamId(keyId), { fromRevision, maxCount }), bound);
      if (!at) throw keyNotFound(log, keyId);
      return keyStateView(at, log.readAliasEvents(), log.readStream(MASTER_KEY_STREAM_ID));
    });
    await writeLines(process.stdout, [JSON.stringify(output, null, 2)]);
  });
}
