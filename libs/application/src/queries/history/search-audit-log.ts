import { Inject, Optional } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { KmsErrors, RequestScope, resolveKeyId } from '@keyledger/domain';
import { AUDIT_LOG, AuditLog, AuditPage, AuditQuery, AuditRecord } from '../../ports';

/** How many read-model pages one search may scan while filling a page with the caller's own records. */
const MAX_SCANNED_PAGES = 10;

export class SearchAuditLog {
  constructor(
    readonly scope: RequestScope,
    readonly query: AuditQuery,
  ) {}
}

/** The audit read model is not bound in this process (REST: 503). */
export class AuditLogUnavailableError extends Error {
  constructor() {
    super('The audit log is not available in this deployment.');
    this.name = 'AuditLogUnavailableError';
  }
}

/** A key filter may name the key by id or ARN; the read model knows bare key ids. */
function keyFilter(scope: RequestScope, keyId: string | undefined): string | undefined {
  if (keyId === undefined) return undefined;
  const resolved = resolveKeyId(keyId, scope, { allowAlias: false });
  if (!('keyId' in resolved)) throw KmsErrors.validation(`keyId '${keyId}' is not a key id or key ARN of this account and region.`);
  return resolved.keyId;
}

const belongsTo = (scope: RequestScope) => (record: AuditRecord) => record.principal?.accountId === scope.accountId;

/**
 * Searches the cross-key audit trail through the AUDIT_LOG port, limited to the caller's account: the port has
 * no account filter, so records of other accounts are dropped here and the search reads on (a bounded number of
 * pages) to fill the page. A page may therefore hold fewer records than asked for; `nextAfterPosition` says
 * whether to continue.
 */
@QueryHandler(SearchAuditLog)
export class SearchAuditLogHandler implements IQueryHandler<SearchAuditLog, AuditPage> {
  constructor(@Optional() @Inject(AUDIT_LOG) private readonly auditLog?: AuditLog) {}

  async execute({ scope, query }: SearchAuditLog): Promise<AuditPage> {
    if (!this.auditLog) throw new AuditLogUnavailableError();
    const keyId = keyFilter(scope, query.keyId);
    const records: AuditRecord[] = [];
    let afterPosition = query.afterPosition;
    for (let scanned = 0; scanned < MAX_SCANNED_PAGES; scanned++) {
      const page = await this.auditLog.query({ ...query, keyId, afterPosition, limit: query.limit - records.length });
      records.push(...page.records.filter(belongsTo(scope)));
      afterPosition = page.nextAfterPosition;
      if (afterPosition === undefined || records.length >= query.limit) break;
    }
    return { records, nextAfterPosition: afterPosition };
  }
}
