import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { keyArn, KmsErrors, keyStreamId, RequestScope, type KeyState } from '@keyledger/domain';
import { EventStore, RecordedEvent } from '@keyledger/event-store';
import type { LoadedKey } from '../../key-command-executor';
import { keyIdOrThrow } from '../../key-resolution';

/** How many events a history read takes from the store at once; the event loop runs between pages. */
export const HISTORY_PAGE_SIZE = 500;

/** The key's current state, as the executor loads it (cached, flat in the key's history). */
export interface KeyLoader {
  load(keyId: string): Promise<LoadedKey>;
}

/**
 * The key a caller in `scope` names, with its current state. A key of another account or region is reported
 * exactly like a key that does not exist, as DescribeKey does (a deleted key still has its history).
 */
export async function loadKeyInScope(keys: KeyLoader, scope: RequestScope, keyIdInput: string): Promise<{ keyId: string } & LoadedKey> {
  const keyId = keyIdOrThrow(keyIdInput, scope, { allowAlias: false });
  const loaded = await keys.load(keyId);
  if (!createdIn(scope, loaded.state)) throw KmsErrors.keyNotFound(keyArn(scope, keyId));
  return { keyId, ...loaded };
}

const createdIn = (scope: RequestScope, state: KeyState): boolean => state.key?.accountId === scope.accountId && state.key.region === scope.region;

/**
 * A key's stream, oldest first, in pages of at most `pageSize` events read by revision range, yielding to the
 * event loop between pages so a long history never holds it for long. A caller that stops early reads no more.
 */
export async function* keyStreamPages(store: EventStore, keyId: string, pageSize = HISTORY_PAGE_SIZE): AsyncGenerator<RecordedEvent[]> {
  for (let fromRevision = 0; ; ) {
    const page = await store.readStream(keyStreamId(keyId), { fromRevision, maxCount: pageSize });
    if (page.length > 0) yield page;
    if (page.length < pageSize) return;
    fromRevision = page[page.length - 1].revision + 1;
    await yieldToEventLoop();
  }
}

/** The time an event was decided: the service clock's timestamp in its metadata (the store's commit time as fallback). */
export function eventTime(event: RecordedEvent): number {
  const timestamp = event.metadata.timestamp;
  const parsed = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
  return Number.isFinite(parsed) ? parsed : event.recordedAt;
}
