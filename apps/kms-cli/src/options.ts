import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { CliError } from './cli-error';
import { parseInstant } from '@keyledger/domain';

/** `--data-dir`, shared by every offline command: the service's DATA_DIR (default: $DATA_DIR or ./data). */
export const dataDirOption = (): Option =>
  new Option('--data-dir <dir>', 'the data directory holding events.sqlite (default: $DATA_DIR or ./data)');

export function resolveDataDir(option: string | undefined): string {
  return resolve(option ?? process.env.DATA_DIR ?? './data');
}

/** Adds `--data-dir` to an offline command. */
export const withDataDir = (command: Command): Command => command.addOption(dataDirOption());

/**
 * A point in time given on the command line: ISO-8601 (`2026-11-22T10:00:00Z`, `2026-11-22`), `now`, or epoch
 * milliseconds. Returns epoch milliseconds.
 */
export function parseTime(value: string, optionName: string): number {
  if (value === 'now') return Date.now();
  // Read as the REST API reads its moments (one reader for both): epoch milliseconds of at most 15 digits, or ISO-8601
  // (a date, or a date-time with its zone, and only days the month has).
  const ms = parseInstant(value);
  if (ms === undefined) {
    throw new CliError(
      `${optionName}: '${value}' is not a time (use ISO-8601 with a zone, e.g. 2026-11-22T10:00:00Z, a date such as 2026-11-22, epoch milliseconds, or 'now').`,
    );
  }
  return ms;
}

const KEY_ID_IN_ARN = /^arn:aws[a-z-]*:kms:[^:]*:\d{12}:key\/(.+)$/;

/** Accepts a key id or a key ARN and returns the key id (the log names streams after key ids). */
export function parseKeyReference(value: string): string {
  const arn = KEY_ID_IN_ARN.exec(value);
  if (arn) return arn[1];
  if (value.startsWith('alias/') || value.startsWith('arn:')) {
    throw new CliError(`'${value}': give a key id or a key ARN (aliases are not supported).`);
  }
  return value;
}
