import type { AppendNotifier } from './append-notifier';
import { isStoreUnavailableError, type RecordedEvent, type SubscribeOptions } from './event-store.port';

/** Page size while catching up; small enough to keep each synchronous read short. */
export const CATCH_UP_PAGE_SIZE = 500;
/** Pause before reading again after the store was unavailable (busy). */
const UNAVAILABLE_RETRY_MS = 100;

export interface CatchUpSource {
  /** Events with position > `after`, in position order, at most `maxCount`. */
  readPage(after: number, maxCount: number): Promise<RecordedEvent[]>;
  /** Notifications of appends: those made through this store instance, and any the store notices from elsewhere. */
  appends: AppendNotifier;
  /** Pause before reading again after the store was unavailable (default UNAVAILABLE_RETRY_MS). */
  retryAfterUnavailableMs?: number;
}

/**
 * The one subscribeToAll loop both adapters share: page through the log from the checkpoint, then
 * sleep until an append is notified and page again. Ends when the signal aborts or the store closes.
 * A read failing with StoreUnavailableError (e.g. SQLite busy) is retried after a pause, never the end.
 */
export async function* catchUpSubscription(
  source: CatchUpSource,
  { after, signal }: SubscribeOptions,
): AsyncGenerator<RecordedEvent, void, undefined> {
  let checkpoint = after;
  const isOver = (): boolean => signal.aborted || source.appends.isClosed;

  while (!isOver()) {
    // Taken before reading so an append racing with the read still wakes the wait below.
    const seenVersion = source.appends.version;
    let page: RecordedEvent[];
    try {
      page = await source.readPage(checkpoint, CATCH_UP_PAGE_SIZE);
    } catch (error) {
      if (!isStoreUnavailableError(error)) throw error;
      await source.appends.waitForAppend(seenVersion, signal, source.retryAfterUnavailableMs ?? UNAVAILABLE_RETRY_MS);
      continue;
    }
    for (const event of page) {
      if (isOver()) {
        return;
      }
      yield event;
      checkpoint = event.position;
    }
    if (page.length < CATCH_UP_PAGE_SIZE) {
      await source.appends.waitForAppend(seenVersion, signal);
    }
  }
}
