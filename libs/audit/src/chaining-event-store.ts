import {
  NO_STREAM,
  WrongExpectedRevisionError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type JsonObject,
  type NewEvent,
  type ReadAllOptions,
  type RecordedEvent,
  type SubscribeOptions,
} from '@keyledger/event-store';
import { eventHash, withPreviousEventHash } from './event-chain';

const DEFAULT_MAX_CACHED_STREAMS = 10_000;

/**
 * Decorates an EventStore so every append links each event to its predecessor in the stream
 * (`metadata.previousEventHash`). It is the one writer-side place the chain is made, so every writer (key
 * commands, refusals, digests, anything added later) is chained without knowing about it.
 *
 * The previous event's hash comes from a small cache of stream heads this process has read or written; a
 * command reads the stream right before appending, so the cache almost always answers. On a miss the stream is
 * read. Linking to the event at `expectedRevision` is safe under optimistic concurrency: if that is no longer
 * the stream's last event, the store refuses the append anyway.
 */
export class ChainingEventStore implements EventStore {
  private readonly heads = new Map<string, { revision: number; hash: string }>();

  constructor(
    private readonly inner: EventStore,
    private readonly options: { maxCachedStreams?: number } = {},
  ) {}

  async appendToStream(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    // Invalid arguments are the inner store's to refuse, with its own errors.
    if (events.length === 0 || !Number.isInteger(expectedRevision) || expectedRevision < NO_STREAM) {
      return this.inner.appendToStream(streamId, events, expectedRevision);
    }
    let previousHash = expectedRevision === NO_STREAM ? null : await this.hashAtRevision(streamId, expectedRevision);
    const chained = events.map((event, index) => {
      // Through JSON once, so the hash is computed over exactly what the store will keep.
      const normalized = { type: event.type, data: asJson(event.data), metadata: withPreviousEventHash(asJson(event.metadata), previousHash) };
      previousHash = eventHash({ streamId, revision: expectedRevision + 1 + index, ...normalized });
      return normalized;
    });
    const result = await this.inner.appendToStream(streamId, chained, expectedRevision);
    this.remember(streamId, result.nextExpectedRevision, previousHash!);
    return result;
  }

  async readStream(streamId: string): Promise<RecordedEvent[]> {
    const events = await this.inner.readStream(streamId);
    const last = events[events.length - 1];
    if (last) this.remember(streamId, last.revision, eventHash(last));
    return events;
  }

  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.inner.readAll(options);
  }

  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }

  subscribeToAll(options: SubscribeOptions): AsyncIterable<RecordedEvent> {
    return this.inner.subscribeToAll(options);
  }

  close(): Promise<void> {
    this.heads.clear();
    return this.inner.close();
  }

  /** Hash of the stream's event at `revision`, which must be its last; otherwise the append would conflict. */
  private async hashAtRevision(streamId: string, revision: number): Promise<string> {
    const cached = this.heads.get(streamId);
    if (cached?.revision === revision) return cached.hash;
    const events = await this.readStream(streamId);
    const last = events[events.length - 1];
    if (!last || last.revision !== revision) {
      throw new WrongExpectedRevisionError(streamId, revision, last ? last.revision : NO_STREAM);
    }
    return this.heads.get(streamId)!.hash;
  }

  private remember(streamId: string, revision: number, hash: string): void {
    this.heads.delete(streamId); // re-inserted last: the map's order is least recently used first
    this.heads.set(streamId, { revision, hash });
    if (this.heads.size > (this.options.maxCachedStreams ?? DEFAULT_MAX_CACHED_STREAMS)) {
      this.heads.delete(this.heads.keys().next().value!);
    }
  }
}

const asJson = (value: JsonObject): JsonObject => JSON.parse(JSON.stringify(value)) as JsonObject;
