import { Command, Option } from 'commander';
import type { RecordedEvent } from '@keyledger/event-store';
import { toAuditRow } from '../audit/audit-row';
import { withEventLog } from '../event-log/read-only-event-log';
import { CliError } from '../cli-error';
import { auditFilter, type AuditFilter } from '../export/audit-filter';
import { EXPORT_FORMATS, exportFormatter, type ExportFormat } from '../export/audit-formats';
import { CloudTrailConverter, CloudTrailFiles } from '../export/cloudtrail-files';
import { cannotWriteAsCliError, ExportSink } from '../export/export-sink';
import { parseKeyReference, parseTime, resolveDataDir, withDataDir } from '../options';

interface ExportOptions {
  dataDir?: string;
  format: ExportFormat;
  key?: string;
  type?: string;
  principal?: string;
  from?: string;
  to?: string;
  out?: string;
}

/**
 * `export`: every event of the log (key changes and refused requests) as JSON Lines or CSV; or, with
 * `--format cloudtrail --out <dir>`, the audit trail (calls, refusals and each use of a key) as CloudTrail files.
 */
export function register(program: Command): void {
  withDataDir(
    program
      .command('export')
      .description('export the audit trail (every event of the log, refusals included) as JSON Lines, CSV or CloudTrail log files')
      .addOption(new Option('--format <format>', 'output format').choices(EXPORT_FORMATS).default('jsonl'))
      .option('--key <keyId>', "only this key's events (key id or ARN)")
      .option('--type <types>', 'only these event types, comma-separated (version suffix optional: KeyMaterialImported)')
      .option('--principal <name>', 'only events by this access key id, or by this service (keyledger-expiry)')
      .option('--from <time>', 'only events at or after this time (ISO-8601)')
      .option('--to <time>', 'only events before this time (ISO-8601)')
      .option('--out <path>', 'write to this file instead of stdout (cloudtrail: the directory the AWSLogs/ tree is written into; required)'),
  ).action(async (options: ExportOptions) => {
    const filter: AuditFilter = {
      keyId: options.key === undefined ? undefined : parseKeyReference(options.key),
      types: options.type?.split(',').map((type) => type.trim()).filter(Boolean),
      principal: options.principal,
      from: options.from === undefined ? undefined : parseTime(options.from, '--from'),
      to: options.to === undefined ? undefined : parseTime(options.to, '--to'),
    };
    const matches = auditFilter(filter);
    if (options.format === 'cloudtrail') return exportCloudTrail(resolveDataDir(options.dataDir), options.out, matches, filter);
    const format = exportFormatter(options.format);
    const exported = await withEventLog(resolveDataDir(options.dataDir), async (log) => {
      const sink = ExportSink.open(options.out);
      try {
        let count = 0;
        if (format.header) await sink.add(format.header);
        for (const event of log.readAll()) {
          if (!matches(event)) continue;
          await sink.add(format.line(toAuditRow(event)));
          count += 1;
        }
        await sink.complete();
        return count;
      } catch (error) {
        sink.abandon();
        throw error;
      }
    });
    if (options.out !== undefined) process.stderr.write(`exported ${exported} events to ${options.out}\n`);
  });
}

/** `--format cloudtrail`: hourly CloudTrail files under `<out>/AWSLogs/`. */
async function exportCloudTrail(dataDir: string, out: string | undefined, matches: (event: RecordedEvent) => boolean, filter: AuditFilter): Promise<void> {
  if (out === undefined) throw new CliError('--format cloudtrail writes a directory of hourly files: give it with --out <dir>.');
  const files = new CloudTrailFiles();
  await withEventLog(dataDir, async (log) => {
    const converter = new CloudTrailConverter(files, matches, filter);
    for (const event of log.readAll()) converter.add(event);
    converter.flush();
  });
  const written = cannotWriteAsCliError(out, () => files.writeTo(out));
  process.stderr.write(`exported ${files.recordCount} CloudTrail records in ${written.length} file(s) to ${out}\n`);
}
