import type { Principal } from '@keyledger/domain';

export const AUDIT_LOG = Symbol('AuditLog');

/**
 * One line of the cross-key audit trail: a recorded change of a key, or a refused security-relevant request
 * (recorded in an audit stream of its own). Never contains key material or import tokens.
 */
export interface AuditRecord {
  /** Global position of the event in the log (the cursor for paging). */
  position: number;
  streamId: string;
  revision: number;
  keyId?: string;
  /** Event type, e.g. `KeyMaterialImported.v1` or `RequestRefused.v1`. */
  type: string;
  /** ISO-8601 time the event was recorded. */
  time: string;
  principal?: Principal;
  requestId?: string;
  operation?: string;
  outcome: 'Succeeded' | 'Refused';
  /** For refusals: the AWS error name and message returned to the caller. */
  errorType?: string;
  errorMessage?: string;
  /** The event payload (no secrets). */
  data: Record<string, unknown>;
}

export interface AuditQuery {
  keyId?: string;
  type?: string;
  /** Access key id of the principal, or the service's `invokedBy` name. */
  principal?: string;
  /** Inclusive lower bound, epoch ms. */
  from?: number;
  /** Exclusive upper bound, epoch ms. */
  to?: number;
  /** Return records after this position (exclusive); from the cursor of the previous page. */
  afterPosition?: number;
  limit: number;
}

export interface AuditPage {
  records: AuditRecord[];
  /** Position to pass as `afterPosition` for the next page; absent on the last page. */
  nextAfterPosition?: number;
}

/** The cross-key audit read model (a projection of the whole log). */
export interface AuditLog {
  query(query: AuditQuery): Promise<AuditPage>;
}
