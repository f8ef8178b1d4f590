import { Command, Option } from 'commander';
import { toAuditRow } from '../audit/audit-row';
import { withEventLog } from '../event-log/read-only-event-log';
import { auditFilter } from '../export/audit-filter';
import { EXPORT_FORMATS, exportFormatter, type ExportFormat } from '../export/audit-formats';
import { ExportSink } from '../export/export-sink';
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

/** `export`: every event of the log (key changes and refused requests) as JSON Lines or CSV. */
export function register(program: Command): void {
  withDataDir(
    program
      .command('export')
      .description('export the audit trail (every event of the log, refusals included) as JSON Lines or CSV')
      .addOption(new Option('--format <format>', 'output format').choices(EXPORT_FORMATS).default('jsonl'))
      .option('--key <keyId>', "only this key's events (key id or ARN)")
      .option('--type <types>', 'only these event types, comma-separated (version suffix optional: KeyMaterialImported)')
      .option('--principal <name>', 'only events by this access key id, or by this service (keyledger-expiry)')
      .option('--from <time>', 'only events at or after this time (ISO-8601)')
      .option('--to <time>', 'only events before this time (ISO-8601)')
      .option('--out <file>', 'write to this file instead of stdout'),
  ).action(async (options: ExportOptions) => {
    const matches = auditFilter({
      keyId: options.key === undefined ? undefined : parseKeyReference(options.key),
      types: options.type?.split(',').map((type) => type.trim()).filter(Boolean),
      principal: options.principal,
      from: options.from === undefined ? undefined : parseTime(options.from, '--from'),
      to: options.to === undefined ? undefined : parseTime(options.to, '--to'),
    });
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
