import type { EventData, Position, ResolvedEvent } from '@eventstore/db-client';
import type { JsonObject, NewEvent, RecordedEvent } from '../event-store.port';
import { dbClient } from './db-client';
import { toPortPosition } from './log-positions';
import type { StreamNamespace } from './stream-namespace';

type ClientRecordedEvent = NonNullable<ResolvedEvent['event']>;

/** ulong.MaxValue: what servers before 22.6 send instead of a position on stream reads. */
const NO_POSITION = 18446744073709551615n;

export function toEventData(event: NewEvent): EventData {
  return dbClient().jsonEvent({ type: event.type, data: event.data, metadata: event.metadata });
}

/** System events: `$`-prefixed types (`$metadata`, `$>` links, ...) or streams (`$settings`, `$$meta`...). */
export function isSystemEvent(event: ClientRecordedEvent): boolean {
  return event.type.startsWith('$') || event.streamId.startsWith('$');
}

/** The event's `$all` position; stream reads carry it since EventStoreDB 22.6 (required). */
export function positionOf(event: ClientRecordedEvent): Position {
  const position = event.position;
  if (!position || position.commit === NO_POSITION) {
    throw new Error(
      `EventStoreDB sent event ${event.streamId}@${event.revision} without its $all position; Keyledger needs EventStoreDB 22.6 or later`,
    );
  }
  return position;
}

export function toRecordedEvent(event: ClientRecordedEvent, namespace: StreamNamespace, origin: bigint): RecordedEvent {
  if (!event.isJson) throw new TypeError(`Event ${event.streamId}@${event.revision} is not JSON`);
  return {
    streamId: namespace.fromServer(event.streamId),
    revision: Number(event.revision),
    position: toPortPosition(positionOf(event).commit, origin),
    type: event.type,
    // The client parses the JSON afresh for every read, so callers cannot mutate what the store holds.
    data: event.data as JsonObject,
    metadata: isJsonObject(event.metadata) ? event.metadata : {},
    recordedAt: event.created.getTime(),
  };
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}
