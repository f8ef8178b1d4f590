import { isStoreUnavailableError, type StoreUnavailableError } from './event-store.port';
import { asStoreUnavailable } from './eventstoredb/store-calls';

/**
 * The StoreUnavailableError an error means, if it means one: the port's own error, from any adapter, or an
 * EventStoreDB client error saying the server is unavailable that reached the caller unconverted (the material
 * vault talks to the same server through its own client). For the API layer, which answers every such error
 * the same way (a retryable server fault) without knowing which store is configured.
 */
export function storeUnavailableOf(error: unknown): StoreUnavailableError | undefined {
  if (isStoreUnavailableError(error)) return error;
  return asStoreUnavailable(error, 'EventStoreDB call');
}
