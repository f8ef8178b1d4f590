import type { RecordedEvent } from '@keyledger/event-store';
import { concernsKey, eventTime, principalOf } from '../audit/audit-row';

export interface AuditFilter {
  keyId?: string;
  /** Event types, with or without their version suffix (`KeyMaterialImported` matches `KeyMaterialImported.v1`). */
  types?: string[];
  /** Access key id, or a service principal's name (`keyledger-expiry` or `service:keyledger-expiry`). */
  principal?: string;
  /** Inclusive, epoch ms. */
  from?: number;
  /** Exclusive, epoch ms. */
  to?: number;
}

const unversioned = (type: string): string => type.replace(/\.v\d+$/, '');

function matchesPrincipal(event: RecordedEvent, wanted: string): boolean {
  const principal = principalOf(event);
  if (!principal) return false;
  const name = wanted.startsWith('service:') ? wanted.slice('service:'.length) : wanted;
  return principal.accessKeyId === wanted || (principal.type === 'Service' && principal.invokedBy === name);
}

/** The predicate `export` applies to every event of the log (the audit port's AuditQuery, on the command line). */
export function auditFilter(filter: AuditFilter): (event: RecordedEvent) => boolean {
  const types = filter.types?.map(unversioned);
  return (event) => {
    if (filter.keyId !== undefined && !concernsKey(event, filter.keyId)) return false;
    if (types !== undefined && !types.includes(unversioned(event.type))) return false;
    if (filter.principal !== undefined && !matchesPrincipal(event, filter.principal)) return false;
    if (filter.from !== undefined || filter.to !== undefined) {
      const time = eventTime(event);
      if (filter.from !== undefined && time < filter.from) return false;
      if (filter.to !== undefined && time >= filter.to) return false;
    }
    return true;
  };
}
