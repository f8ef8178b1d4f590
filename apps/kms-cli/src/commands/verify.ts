import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { Command } from 'commander';
import { DEV_PUBLIC_KEY_FILE, LogSource, parsePublicKey, verifyAuditLog, type VerificationProblem, type VerificationReport } from '@keyledger/audit';
import { CliError } from '../cli-error';
import { ReadOnlyEventLog, withEventLog } from '../event-log/read-only-event-log';
import { resolveDataDir, withDataDir } from '../options';
import { writeLines } from '../output';

/** Exit code when the log fails verification (1 stays "the command could not run"). */
export const VERIFICATION_FAILED_EXIT_CODE = 3;

interface VerifyOptions {
  dataDir?: string;
  publicKey: string[];
  expectDigest: string[];
  json?: boolean;
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `verify`: recomputes the log's hash chains and checks its signed digests with the public key(s). */
export function register(program: Command): void {
  withDataDir(
    program
      .command('verify')
      .description("check the audit trail's tamper evidence: every event's hash chain and every signed digest")
      .option('--public-key <file>', `digest signing public key (PEM or base64 SPKI); repeat to trust several (default: <data-dir>/${DEV_PUBLIC_KEY_FILE})`, collect, [])
      .option('--expect-digest <hash>', 'a digest hash that must still be in the log (from the service log or an earlier verify); repeatable', collect, [])
      .option('--json', 'print the whole verification report as JSON'),
  ).action(async (options: VerifyOptions) => {
    const dataDir = resolveDataDir(options.dataDir);
    const publicKeys = readPublicKeys(options.publicKey, dataDir);
    const report = await withEventLog(dataDir, (log) =>
      verifyAuditLog(snapshotOf(log), { publicKeys, expectedDigestHashes: options.expectDigest }),
    );
    await writeLines(process.stdout, options.json ? [JSON.stringify(report, null, 2)] : renderReport(report));
    if (!report.ok) throw new CliError(`the audit trail failed verification (${report.problemCount} problem(s))`, VERIFICATION_FAILED_EXIT_CODE);
  });
}

function readPublicKeys(files: string[], dataDir: string): KeyObject[] {
  if (files.length === 0) {
    const devKey = join(dataDir, DEV_PUBLIC_KEY_FILE);
    if (!existsSync(devKey)) throw new CliError(`No --public-key given and no development public key at ${devKey}.`);
    process.stderr.write(`keyledger: verifying with the development public key ${devKey}; it lives beside the log, so pass the public key you keep elsewhere for a real check.\n`);
    files = [devKey];
  }
  return files.map((file) => {
    try {
      return parsePublicKey(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new CliError(`--public-key ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
  });
}

/** The log as it is now: events a running service appends during the check are left for the next one. */
function snapshotOf(log: ReadOnlyEventLog): LogSource {
  const head = log.headPosition();
  return {
    readAll: async ({ after = 0, maxCount = 1000 } = {}) => log.readPage(after, head, maxCount),
    readStream: async (streamId) => log.readStream(streamId).filter((event) => event.position <= head),
  };
}

export function renderReport(report: VerificationReport): string[] {
  const digests = report.lastDigest
    ? `${report.digestCount} signed digest(s) verified; the last, signed ${report.lastDigest.signedAt}, covers up to position ${report.lastDigest.toPosition} (digest ${report.lastDigest.hash})`
    : 'no signed digest';
  const lines = [`${report.ok ? 'OK' : 'FAILED'}: ${report.eventCount} event(s) in ${report.streamCount} stream(s) up to position ${report.headPosition}; ${digests}.`];
  for (const problem of report.problems) lines.push(`  ${describeProblem(problem)}`);
  if (report.problemCount > report.problems.length) lines.push(`  ... and ${report.problemCount - report.problems.length} more problem(s)`);
  for (const warning of report.warnings) lines.push(`warning: ${warning}`);
  return lines;
}

function describeProblem(problem: VerificationProblem): string {
  const where = [
    problem.position !== undefined && `position ${problem.position}`,
    problem.streamId !== undefined && `stream ${problem.streamId}`,
    problem.revision !== undefined && `revision ${problem.revision}`,
  ].filter(Boolean);
  return `${problem.kind}${where.length > 0 ? ` at ${where.join(', ')}` : ''}: ${problem.message}`;
}
