import type { AuditRecord } from '@keyledger/application';
import { ALIAS_STREAM_PREFIX, keyIdFromStreamId, type Principal } from '@keyledger/domain';
import type { JsonObject, RecordedEvent } from '@keyledger/event-store';
// The audit read model's own mapping (what the service's audit API returns), imported on its own: the projections'
// index loads the application library and NestJS, which would triple the CLI's start-up time.
import { toAuditRecord } from '../../../../libs/projections/src/audit-record';

/**
 * One event of the log as the CLI shows and exports it: the service's AuditRecord of the event (so `export` and
 * the audit API describe an event the same way), plus where and when it was stored. Events the audit trail does
 * not list (log digests, streams added later) are exported too, as records built the same way.
 */
export interface AuditRow extends AuditRecord {
  /** When the store committed the event (ISO-8601); `time` is the service clock's timestamp in the metadata. */
  recordedAt: string;
  accountId?: string;
  region?: string;
  correlationId?: string;
  /** The principal in one word: its access key id, or `service:<invokedBy>` for Keyledger's own jobs. */
  principalName?: string;
}

/** Refused requests are recorded as `RequestRefused.*` events in `kms-refusals-*` streams (libs/audit). */
export const isRefusal = (event: Pick<RecordedEvent, 'type' | 'streamId'>): boolean =>
  event.type.startsWith('RequestRefused.') || event.streamId.startsWith('kms-refusals-');

const text = (object: JsonObject | undefined, name: string): string | undefined => {
  const value = object?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
};

/** The time an event happened: the service clock's `metadata.timestamp`, or the commit time when absent. */
export function eventTime(event: RecordedEvent): number {
  const stamped = text(event.metadata, 'timestamp');
  const ms = stamped === undefined ? NaN : Date.parse(stamped);
  return Number.isNaN(ms) ? event.recordedAt : ms;
}

export const isAliasEvent = (event: Pick<RecordedEvent, 'streamId'>): boolean => event.streamId.startsWith(ALIAS_STREAM_PREFIX);

/** The keys an alias event names: the key it points at (after the change), then the key it pointed at before. */
export function aliasKeyIds(event: RecordedEvent): string[] {
  const target = event.data.target;
  const ids = [
    target !== null && typeof target === 'object' && !Array.isArray(target) ? text(target, 'keyId') : undefined,
    text(event.data, 'targetKeyId'),
    text(event.data, 'previousTargetKeyId'),
  ];
  return [...new Set(ids.filter((id): id is string => id !== undefined))];
}

/**
 * The key an event concerns: the key of its stream; for audit streams the key id named in the payload; for alias
 * streams the key the alias points at after the event (or pointed at, for a deletion).
 */
export function keyIdOf(event: RecordedEvent): string | undefined {
  return keyIdFromStreamId(event.streamId) ?? (isAliasEvent(event) ? aliasKeyIds(event)[0] : text(event.data, 'keyId'));
}

/** Whether an event concerns the key: keyIdOf, or for an alias event any key it names (an alias moved away too). */
export function concernsKey(event: RecordedEvent, keyId: string): boolean {
  return isAliasEvent(event) ? aliasKeyIds(event).includes(keyId) : keyIdOf(event) === keyId;
}

export function principalOf(event: RecordedEvent): Principal | undefined {
  const principal = event.metadata.principal;
  return principal !== null && typeof principal === 'object' && !Array.isArray(principal) ? (principal as unknown as Principal) : undefined;
}

export function principalName(principal: Principal | undefined): string | undefined {
  if (!principal) return undefined;
  if (principal.type === 'Service') return `service:${principal.invokedBy ?? 'keyledger'}`;
  return principal.accessKeyId ?? `account:${principal.accountId}`;
}

/** The record of an event the audit trail does not list, in the same shape. */
function unlistedRecord(event: RecordedEvent): AuditRecord {
  return {
    position: event.position,
    streamId: event.streamId,
    revision: event.revision,
    keyId: keyIdOf(event),
    type: event.type,
    time: new Date(eventTime(event)).toISOString(),
    principal: principalOf(event),
    requestId: text(event.metadata, 'requestId'),
    operation: text(event.metadata, 'operation'),
    outcome: isRefusal(event) ? 'Refused' : 'Succeeded',
    data: event.data,
  };
}

export function toAuditRow(event: RecordedEvent): AuditRow {
  const record = toAuditRecord(event) ?? unlistedRecord(event);
  // The record is a fresh object: extending it in place is several times faster than copying it (export speed).
  return Object.assign(record, {
    recordedAt: new Date(event.recordedAt).toISOString(),
    accountId: text(event.metadata, 'accountId'),
    region: text(event.metadata, 'region'),
    correlationId: text(event.metadata, 'correlationId'),
    principalName: principalName(record.principal),
  });
}
