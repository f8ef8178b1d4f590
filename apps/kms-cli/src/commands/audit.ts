import { Command } from 'commander';
import { toAuditRow } from '../audit/audit-row';
import { summarizeEvent } from '../audit/event-summary';
import { readKeyHistory, readKeyStream } from '../audit/key-history';
import { keyUsageRows, renderUsage } from '../audit/key-usage';
import { renderTimeline } from '../audit/timeline';
import { withEventLog } from '../event-log/read-only-event-log';
import { parseKeyReference, resolveDataDir, withDataDir } from '../options';
import { writeLines } from '../output';

interface AuditOptions {
  dataDir?: string;
  json?: boolean;
  usage?: boolean;
}

/** `audit <keyId>`: the key's history as a timeline (or JSON), read from the log; `--usage`: who used the key, when. */
export function register(program: Command): void {
  withDataDir(
    program
      .command('audit')
      .description("show a key's history: every event of its stream, of its aliases' streams and refused requests about it, oldest first")
      .argument('<keyId>', 'key id or key ARN')
      .option('--usage', "show the key's usage log instead: every cryptographic use and refused attempt (time, who, operation, outcome)")
      .option('--json', 'print a JSON array of audit records (with --usage: usage records) instead of the table'),
  ).action(async (key: string, options: AuditOptions) => {
    const keyId = parseKeyReference(key);
    const lines = await withEventLog(resolveDataDir(options.dataDir), (log) => {
      if (options.usage) {
        const created = readKeyStream(log, keyId)[0];
        const rows = keyUsageRows(log.readUsage(), keyId);
        if (options.json) return [JSON.stringify(rows, null, 2)];
        return renderUsage(keyId, typeof created.data.arn === 'string' ? created.data.arn : '', rows);
      }
      const history = readKeyHistory(log, keyId);
      if (!options.json) return renderTimeline(keyId, history.streamId, history.timeline);
      const records = history.timeline.map((event) => ({ ...toAuditRow(event), summary: summarizeEvent(event) }));
      return [JSON.stringify(records, null, 2)];
    });
    await writeLines(process.stdout, lines);
  });
}
