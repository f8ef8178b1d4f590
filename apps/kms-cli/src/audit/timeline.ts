import type { RecordedEvent } from '@keyledger/event-store';
import { isAliasEvent, toAuditRow } from './audit-row';
import { summarizeEvent } from './event-summary';
import { printable, renderTable } from './text-table';

const HEADER = ['TIME', 'REV', 'EVENT', 'WHO', 'OPERATION', 'REQUEST ID', 'SUMMARY'] as const;

const count = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;

/**
 * A key's history as terminal lines: one row per event (its stream's events, the events of aliases that point or
 * pointed at it, and any refusals about it), in log order. Alias events and refusals live in streams of their own,
 * so their REV column shows `-`.
 */
export function renderTimeline(keyId: string, streamId: string, events: readonly RecordedEvent[]): string[] {
  const created = events.find((e) => e.streamId === streamId && e.revision === 0);
  const arn = typeof created?.data.arn === 'string' ? created.data.arn : '';
  const ownEvents = events.filter((e) => e.streamId === streamId).length;
  const aliasEvents = events.filter(isAliasEvent).length;
  const refusals = events.length - ownEvents - aliasEvents;
  const title =
    `Key ${printable(keyId)}${arn ? `  ${printable(arn)}` : ''}\n` +
    `${count(ownEvents, 'event')} in stream ${streamId}` +
    (aliasEvents > 0 ? `, ${count(aliasEvents, 'alias event')}` : '') +
    (refusals > 0 ? `, ${count(refusals, 'refused request')}` : '');
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
