import { AppendNotifier } from './append-notifier';
import { catchUpSubscription } from './catch-up-subscription';
import {
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type JsonObject,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
} from './event-store.port';
import { assertValidAppend, resolveReadAllOptions, resolvePositions, resolveReadStreamOptions } from './port-arguments';

/**
 * Event store held in process memory, for unit tests. Behaves like the SQLite adapter (same contract
 * suite), including JSON round-tripping of payloads so tests cannot depend on object identity.
 */
export class InMemoryEventStore implements EventStore {
  /** The global log; the event at index i has position i + 1. */
  private readonly log: RecordedEvent[] = [];
  private readonly streams = new Map<string, RecordedEvent[]>();
  private readonly appends = new AppendNotifier();
  private closed = false;

  async appendToStream(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    this.assertOpen();
    assertValidAppend(streamId, events, expectedRevision);

    const stream = this.streams.get(streamId) ?? [];
    const actualRevision = stream.length - 1;
    if (actualRevision !== expectedRevision) {
      throw new WrongExpectedRevisionError(streamId, expectedRevision, actualRevision);
    }

    // Build the whole batch before touching state, so a failure leaves nothing half-written.
    const recordedAt = Date.now();
    const recorded = events.map(
      (event, index): RecordedEvent => ({
        streamId,
        revision: actualRevision + 1 + index,
        position: this.log.length + 1 + index,
        type: event.type,
        data: cloneJson(event.data),
        metadata: cloneJson(event.metadata),
        recordedAt,
      }),
    );
    for (const event of recorded) {
      this.log.push(event);
      stream.push(event);
    }
    this.streams.set(streamId, stream);
    this.appends.notifyAppended();

    const last = recorded[recorded.length - 1];
    return { nextExpectedRevision: last.revision, position: last.position };
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { fromRevision, maxCount } = resolveReadStreamOptions(options);
    // A stream's event at index i has revision i.
    return (this.streams.get(streamId) ?? []).slice(fromRevision, fromRevision + maxCount).map(cloneEvent);
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { after, maxCount } = resolveReadAllOptions(options);
    return this.log.slice(after, after + maxCount).map(cloneEvent);
  }

  async readEventsAt(positions: readonly number[]): Promise<RecordedEvent[]> {
    this.assertOpen();
    // The event at position p is the log's entry p - 1.
    return resolvePositions(positions).flatMap((position) => (position <= this.log.length ? [cloneEvent(this.log[position - 1])] : []));
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    return this.log.length;
  }

  subscribeToAll(options: SubscribeOptions): AsyncIterable<RecordedEvent> {
    return catchUpSubscription(
      { readPage: (after, maxCount) => this.readAll({ after, maxCount }), appends: this.appends },
      options,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    this.appends.close();
  }

  private assertOpen(): void {
    if (this.closed) {
      throw new Error('InMemoryEventStore is closed');
    }
  }
}

/** Same semantics as storing JSON text: no shared references, non-JSON values dropped. */
function cloneJson(value: JsonObject): JsonObject {
  return JSON.parse(JSON.stringify(value)) as JsonObject;
}

function cloneEvent(event: RecordedEvent): RecordedEvent {
  return { ...event, data: cloneJson(event.data), metadata: cloneJson(event.metadata) };
}
