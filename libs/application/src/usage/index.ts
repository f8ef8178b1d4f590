import { GetKeyLastUsageHandler } from './get-key-last-usage';
import { ListKeyUsageHandler } from './list-key-usage';

export * from './batching-usage-recorder';
export * from './disabled-usage-recorder';
export * from './get-key-last-usage';
export * from './list-key-usage';
export * from './usage-batch';
export * from './usage-events';

/** Queries over the usage log: a key's last use, and its uses page by page. */
export const USAGE_QUERY_HANDLERS = [GetKeyLastUsageHandler, ListKeyUsageHandler];
