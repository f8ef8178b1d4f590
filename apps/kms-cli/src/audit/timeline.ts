import type { RecordedEvent } from '@keyledger/event-store';
import { toAuditRow } from './audit-row';
import { summarizeEvent } from './event-summary';
import { printable, renderTable } from './text-table';

const HEADER = ['TIME', 'REV', 'EVENT', 'WHO', 'OPERATION', 'REQUEST ID', 'SUMMARY'] as const;

/**
 * A key's history as terminal lines: one row per event (its stream's events and any refusals about it), in log
 * order. Refusals live in their own streams, so their REV column shows `-`.
 */
export function renderTimeline(keyId: string, streamId: string, events: readonly RecordedEvent[]): string[] {
  const created = events.find((e) => e.streamId === streamId && e.revision === 0);
  const arn = typeof created?.data.arn === 'string' ? created.data.arn : '';
  const ownEvents = events.filter((e) => e.streamId === streamId).length;
  const refusals = events.length - ownEvents;
  const title =
    `Key ${printable(keyId)}${arn ? `  ${printable(arn)}` : ''}\n` +
    `${ownEvents} event${ownEvents === 1 ? '' : 's'} in stream ${streamId}` +
    (refusals > 0 ? `, ${refusals} refused request${refusals === 1 ? '' : 's'}` : '');
  const rows = events.map((event) => {
    const row = toAuditRow(event);
    return [
      row.time,
      event.streamId === streamId ? String(event.revision) : '-',
      event.type,
      row.principalName ?? '-',
      row.operation ?? '-',
      row.requestId ?? '-',
      summarizeEvent(event),
    ];
  });
  return [title, '', ...renderTable(HEADER, rows)];
}
