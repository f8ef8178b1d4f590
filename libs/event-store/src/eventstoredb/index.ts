export { EventStoreDbEventStore, type EventStoreDbEventStoreOptions } from './eventstoredb-event-store';
export { EventStoreDbCheckpointStore, type EventStoreDbCheckpointStoreOptions } from './eventstoredb-checkpoint-store';
export { DEFAULT_RESUBSCRIBE_BACKOFF, type ResubscribeBackoff } from './resumable-subscription';
export { asStoreUnavailable, deadlineOfConnectionString, DEFAULT_STORE_TIMEOUT_MS, StoreCalls, StoreConnectivity } from './store-calls';
export {
  DEFAULT_CHECKPOINT_STREAM_PREFIX,
  DEFAULT_LOG_STREAM_PREFIX,
  DEFAULT_VAULT_STREAM_PREFIX,
  keyledgerStreamPrefixes,
  StreamNamespace,
  type KeyledgerStreamPrefixes,
} from './stream-namespace';
// For sibling adapters on the same server (the material vault in @keyledger/application).
export { dbClient, openSharedEventStoreDbClient } from './db-client';
export { readFully, readUnbounded, scanAll, type PageReader, type ScannedEvent } from './all-stream-scan';
export { keepOnlyLatestEvent, readLatestEvent, type LatestEvent } from './latest-event';
