import type { RecordedEvent } from '@keyledger/event-store';
// The usage log's own event definitions, imported on their own: the application library's index loads NestJS,
// which would triple the CLI's start-up time.
import { usageRecordsOf } from '../../../../libs/application/src/usage/usage-batch';
import { isUsageStream, type UsageRecordData } from '../../../../libs/application/src/usage/usage-events';
import { principalName } from './audit-row';
import { shortId } from './event-summary';
import { printable, renderTable } from './text-table';

/** One use of a key as the CLI shows and prints it: the stored record, plus where it is in the log. */
export interface UsageRow extends UsageRecordData {
  /** Position of the batch (`KeyUsageRecorded` event) in the log, and the record's index in it. */
  position: number;
  index: number;
  streamId: string;
  /** The principal in one word: its access key id, or `service:<invokedBy>`. */
  principalName?: string;
}

const isRecord = (value: unknown): value is UsageRecordData =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && typeof (value as UsageRecordData).keyId === 'string';

/** The key's usage records in log order, from the usage batches (events of the `kms-usage-*` streams). */
export function keyUsageRows(events: Iterable<RecordedEvent>, keyId: string): UsageRow[] {
  const rows: UsageRow[] = [];
  for (const event of events) {
    const records = isUsageStream(event.streamId) ? usageRecordsOf(event) : undefined;
    records?.forEach((record, index) => {
      if (!isRecord(record) || record.keyId !== keyId) return;
      rows.push({ ...record, position: event.position, index, streamId: event.streamId, principalName: principalName(record.principal) });
    });
  }
  return rows;
}

const HEADER = ['TIME', 'WHO', 'OPERATION', 'OUTCOME', 'KEY MATERIAL', 'REQUEST ID'] as const;

/** A key's uses as terminal lines: one row per use (or refused attempt), oldest first. */
export function renderUsage(keyId: string, arn: string, rows: readonly UsageRow[]): string[] {
  const refused = rows.filter((r) => r.outcome === 'Refused').length;
  const title =
    `Key ${printable(keyId)}${arn ? `  ${printable(arn)}` : ''}\n` +
    `${rows.length} use${rows.length === 1 ? '' : 's'} recorded in the usage log` +
    (refused > 0 ? `, ${refused} refused` : '');
  const table = rows.map((r) => [
    r.time,
    r.principalName ?? '-',
    r.operation,
    r.outcome === 'Refused' ? `Refused: ${r.errorType ?? '?'}` : r.outcome,
    r.keyMaterialId ? shortId(r.keyMaterialId) : '-',
    r.requestId || '-',
  ]);
  return [title, '', ...renderTable(HEADER, table)];
}
