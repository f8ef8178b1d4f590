import type { EventMetadata, Principal, RequestScope } from '@keyledger/domain';

/**
 * Who is asking, in which account and region, and which request this is. Built once per request by the
 * API's identity resolver; every event the request causes carries it as metadata.
 */
export interface RequestContext extends RequestScope {
  principal: Principal;
  requestId: string;
  /** Ties together everything one client action caused; defaults to the request id. */
  correlationId: string;
  operation: string;
  /**
   * The key stream revision the client last read (REST `If-Match`). When set, the command is refused with
   * StaleRevisionError if the key changed since, instead of being re-decided against the new state.
   */
  expectedRevision?: number;
}

/** Context for work Keyledger does on its own (the expiry job). */
export function serviceContext(scope: RequestScope, invokedBy: string, requestId: string, operation: string): RequestContext {
  return {
    ...scope,
    principal: { type: 'Service', accountId: scope.accountId, invokedBy },
    requestId,
    correlationId: requestId,
    operation,
  };
}

export function eventMetadata(ctx: RequestContext, timestamp: string, initiatedBy?: 'service'): EventMetadata {
  const principal: Principal =
    initiatedBy === 'service' ? { type: 'Service', accountId: ctx.accountId, invokedBy: 'keyledger-expiry' } : ctx.principal;
  return {
    accountId: ctx.accountId,
    region: ctx.region,
    principal,
    requestId: ctx.requestId,
    correlationId: ctx.correlationId,
    causationId: ctx.requestId,
    operation: initiatedBy === 'service' ? 'DeleteExpiredKeyMaterial' : ctx.operation,
    timestamp,
  };
}
