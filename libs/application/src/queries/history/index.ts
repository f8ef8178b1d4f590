import { DescribeKeyAsOfHandler } from './describe-key-as-of';
import { GetKeyHistoryHandler } from './key-history';
import { GetKeyRevisionHandler } from './key-revision';
import { SearchAuditLogHandler } from './search-audit-log';

export * from './describe-key-as-of';
export * from './key-history';
export * from './key-revision';
export { eventTime } from './key-stream';
export * from './search-audit-log';

/** Queries over recorded history: a key's stream (as of a moment, paged, its revision) and the audit log. */
export const HISTORY_QUERY_HANDLERS = [DescribeKeyAsOfHandler, GetKeyHistoryHandler, GetKeyRevisionHandler, SearchAuditLogHandler];
