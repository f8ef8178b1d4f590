export * from './event-store.port';
export { InMemoryEventStore } from './in-memory-event-store';
export { recordedEventFromRow, type SqliteEventRow } from './sqlite-event-row';
export { SqliteEventStore, DEFAULT_POLL_INTERVAL_MS, type SqliteEventStoreOptions } from './sqlite-event-store';
export { eventLogFile, limitBy, SELECT_LOG_HEAD, switchToWal } from './sqlite-schema';
export { storeUnavailableOf } from './store-unavailable';
export * from './eventstoredb';
