import type { AuditRecord } from '@keyledger/application';
import { AuditEventTypes, isRefusalStream, RequestRefusedData } from '@keyledger/audit';
import { ALIAS_STREAM_PREFIX, keyIdFromStreamId, Principal } from '@keyledger/domain';
import type { JsonObject, RecordedEvent } from '@keyledger/event-store';

/**
 * The audit record of an event, or undefined for events the audit trail does not list (digests, other
 * streams). Key events are changes that happened; `RequestRefused` events are requests that were refused.
 */
export function toAuditRecord(event: RecordedEvent): AuditRecord | undefined {
  const listed = listedUnder(event);
  if (!listed) return undefined;
  const { keyId, refusal } = listed;
  return {
    position: event.position,
    streamId: event.streamId,
    revision: event.revision,
    keyId,
    type: event.type,
    time: new Date(eventTime(event)).toISOString(),
    principal: principalOf(event.metadata),
    requestId: text(event.metadata, 'requestId'),
    operation: text(event.metadata, 'operation') ?? refusal?.operation,
    outcome: refusal ? 'Refused' : 'Succeeded',
    ...(refusal && { errorType: refusal.errorType, errorMessage: refusal.errorMessage }),
    data: event.data,
  };
}

/** What the audit read model indexes an event by (the AUDIT_LOG port's filters), or undefined if the trail does not list it. */
export function auditIndexEntry(event: RecordedEvent): { keyId?: string; time: number; principal?: string } | undefined {
  const listed = listedUnder(event);
  return listed && { keyId: listed.keyId, time: eventTime(event), principal: principalFilterValue(principalOf(event.metadata)) };
}

/** Whether the trail lists the event (a key or alias change, or a refusal), and under which key. */
function listedUnder(event: RecordedEvent): { keyId?: string; refusal?: RequestRefusedData } | undefined {
  const keyId = keyIdFromStreamId(event.streamId) ?? aliasTargetKeyId(event);
  const refused = isRefusalStream(event.streamId) && event.type === AuditEventTypes.RequestRefused;
  if (keyId === undefined && !refused) return undefined;
  const refusal = refused ? (event.data as unknown as RequestRefusedData) : undefined;
  return { keyId: keyId ?? text(event.data, 'keyId'), refusal };
}

/** Alias changes are listed under the key the alias names (its target, or the key it pointed to when deleted). */
function aliasTargetKeyId(event: RecordedEvent): string | undefined {
  if (!event.streamId.startsWith(ALIAS_STREAM_PREFIX)) return undefined;
  const data = event.data as { target?: { keyId?: unknown }; targetKeyId?: unknown };
  const keyId = data.target?.keyId ?? data.targetKeyId;
  return typeof keyId === 'string' ? keyId : undefined;
}

/** The principal as the port filters it: the access key id, or the service part's name. */
export const principalFilterValue = (principal: Principal | undefined): string | undefined => principal?.accessKeyId ?? principal?.invokedBy;

/** When it happened: the service clock's timestamp in the metadata (covered by the hash chain), else the commit time. */
function eventTime(event: RecordedEvent): number {
  const stamped = text(event.metadata, 'timestamp');
  const ms = stamped === undefined ? NaN : Date.parse(stamped);
  return Number.isNaN(ms) ? event.recordedAt : ms;
}

function principalOf(metadata: JsonObject): Principal | undefined {
  const principal = metadata.principal;
  return principal !== null && typeof principal === 'object' && !Array.isArray(principal) ? (principal as unknown as Principal) : undefined;
}

function text(object: JsonObject, name: string): string | undefined {
  const value = object[name];
  return typeof value === 'string' ? value : undefined;
}
