import { Inject, Optional } from '@nestjs/common';
import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { KmsErrors, RequestScope, resolveKeyId } from '@keyledger/domain';
import { AUDIT_LOG, AuditLog, AuditQuery, AuditRecord } from '../../ports';

/** How many read-model pages one search may scan while filling a page with the caller's own records. */
const MAX_SCANNED_PAGES = 10;

export class SearchAuditLog {
  constructor(
    readonly scope: RequestScope,
    readonly query: AuditQuery,
  ) {}
}

/**
 * A record as the searching account sees it. `revision` is absent from a requester's own refusal filed under a
 * key: that stream counts every refusal about the key id, by anyone, the owner's included (asSeenBy).
 */
export type VisibleAuditRecord = Omit<AuditRecord, 'revision'> & { revision?: number };

export interface VisibleAuditPage {
  records: VisibleAuditRecord[];
  nextAfterPosition?: number;
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

const REQUEST_REFUSED = 'RequestRefused.v1';
/** Refusal parameters that come from opening the import token the caller sent, not from the request itself. */
const TOKEN_FACTS = ['importTokenId', 'importTokenKeyArn', 'importTokenValidTo', 'wrappingAlgorithm', 'wrappingKeySpec'] as const;
const ARN_ACCOUNT = /^arn:aws[a-z-]*:kms:[a-z0-9-]*:(\d*):/;

type RefusalData = { keyAccountId?: unknown; keyRevision?: unknown; parameters?: Record<string, unknown> };

/**
 * What the caller's account may see: what its principals did and what was refused to them, and refused requests
 * of other accounts that named one of its keys (`keyAccountId`, recorded when the key exists and belongs to an
 * account other than the requester's).
 */
const visibleTo = (scope: RequestScope) => (record: AuditRecord) =>
  record.principal?.accountId === scope.accountId ||
  (record.type === REQUEST_REFUSED && (record.data as RefusalData).keyAccountId === scope.accountId);

/**
 * A refusal as the requesting account sees it: to the requester another account's key was "not found", so the
 * facts the service learned beyond what the request said are left out: the owner account, the key's revision
 * (which would confirm that the key exists), and what opening an import token issued for another account's key
 * revealed (its id, key ARN, expiry and wrapping parameters; the token itself was opaque to the requester). The
 * record's own revision goes too whenever it is filed under a key: its refusal stream counts every refusal about
 * that key id, so a revision above the requester's own count would say that someone (the owner, say) uses the id.
 * Left out alike for every key, the requester's own included, so that its absence says nothing either. The
 * owner's view of other accounts' probes keeps everything.
 */
function asSeenBy(scope: RequestScope, record: AuditRecord): VisibleAuditRecord {
  if (record.type !== REQUEST_REFUSED || record.principal?.accountId !== scope.accountId) return record;
  const data = record.data as RefusalData & Record<string, unknown>;
  const foreignKey = data.keyAccountId !== undefined && data.keyAccountId !== scope.accountId;
  const tokenArn = data.parameters?.importTokenKeyArn;
  const foreignToken = typeof tokenArn === 'string' && ARN_ACCOUNT.exec(tokenArn)?.[1] !== scope.accountId;
  const { revision: _streamRevision, ...withoutRevision } = record;
  const seen: VisibleAuditRecord = record.keyId !== undefined ? withoutRevision : record;
  if (!foreignKey && !foreignToken) return seen;
  const { keyAccountId: _owner, keyRevision: _revision, ...kept } = data;
  const parameters = { ...(data.parameters ?? {}) };
  if (foreignToken) for (const name of TOKEN_FACTS) delete parameters[name];
  return { ...seen, data: { ...(foreignKey ? kept : data), parameters } };
}

/**
 * Searches the cross-key audit trail through the AUDIT_LOG port, limited to what the caller's account may see
 * (visibleTo): the port has no account filter, so other records are dropped here and the search reads on (a
 * bounded number of pages) to fill the page. A page may therefore hold fewer records than asked for;
 * `nextAfterPosition` says whether to continue.
 */
@QueryHandler(SearchAuditLog)
export class SearchAuditLogHandler implements IQueryHandler<SearchAuditLog, VisibleAuditPage> {
  constructor(@Optional() @Inject(AUDIT_LOG) private readonly auditLog?: AuditLog) {}

  async execute({ scope, query }: SearchAuditLog): Promise<VisibleAuditPage> {
    if (!this.auditLog) throw new AuditLogUnavailableError();
    const keyId = keyFilter(scope, query.keyId);
    const records: VisibleAuditRecord[] = [];
    let afterPosition = query.afterPosition;
    for (let scanned = 0; scanned < MAX_SCANNED_PAGES; scanned++) {
      const page = await this.auditLog.query({ ...query, keyId, afterPosition, limit: query.limit - records.length });
      records.push(...page.records.filter(visibleTo(scope)).map((record) => asSeenBy(scope, record)));
      afterPosition = page.nextAfterPosition;
      if (afterPosition === undefined || records.length >= query.limit) break;
    }
    return { records, nextAfterPosition: afterPosition };
  }
}
