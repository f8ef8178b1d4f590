import { KeyEventTypes, keyArn, KmsErrors, keyStreamId, RequestScope } from '@keyledger/domain';
import { EventStore, RecordedEvent } from '@keyledger/event-store';
import { keyIdOrThrow } from '../../key-resolution';

export interface KeyStream {
  keyId: string;
  events: RecordedEvent[];
}

/**
 * Reads a key's stream straight from the event store (not the projection) for a caller in `scope`. A key of
 * another account or region is reported exactly like a key that does not exist, as DescribeKey does.
 */
export async function readKeyStream(store: EventStore, scope: RequestScope, keyIdInput: string): Promise<KeyStream> {
  const keyId = keyIdOrThrow(keyIdInput, scope, { allowAlias: false });
  const events = await store.readStream(keyStreamId(keyId));
  const created = events.find((e) => e.type === KeyEventTypes.KeyCreated);
  if (!created || created.data.accountId !== scope.accountId || created.data.region !== scope.region) {
    throw KmsErrors.keyNotFound(keyArn(scope, keyId));
  }
  return { keyId, events };
}

/** The time an event was decided: the service clock's timestamp in its metadata (the store's commit time as fallback). */
export function eventTime(event: RecordedEvent): number {
  const timestamp = event.metadata.timestamp;
  const parsed = typeof timestamp === 'string' ? Date.parse(timestamp) : NaN;
  return Number.isFinite(parsed) ? parsed : event.recordedAt;
}
