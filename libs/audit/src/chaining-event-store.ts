import {
  NO_STREAM,
  WrongExpectedRevisionError,
  type AppendOptions,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type JsonObject,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
} from '@keyledger/event-store';
import { eventHash, withPreviousEventHash } from './event-chain';

const DEFAULT_MAX_CACHED_STREAMS = 10_000;

/**
 * The last event this process saw of a stream: hashed already (it wrote it), or kept as JSON text to be hashed
 * only if an append links to it. Text, not the object handed to the reader, so a caller mutating what it read
 * cannot change what gets hashed.
 */
type Head = { revision: number; hash: string } | { revision: number; streamId: string; type: string; content: string };

/**
 * Decorates an EventStore so every append links each event to its predecessor in the stream
 * (`metadata.previousEventHash`). It is the one writer-side place the chain is made, so every writer (key
 * commands, refusals, digests, anything added later) is chained without knowing about it.
 *
 * The previous event's hash comes from a bounded cache of the last event this process read or wrote per stream;
 * reads never hash (canonical JSON and SHA-256 cost more than the read), an append hashes the event it links to
 * if it only read it. A command reads the stream right before appending, so the cache almost always answers; on a
 * miss only the event at `expectedRevision` is read. Linking to that event is safe under optimistic concurrency:
 * if it is no longer the stream's last event, the store refuses the append anyway.
 */
export class ChainingEventStore implements EventStore {
  private readonly heads = new Map<string, Head>();

  constructor(
    private readonly inner: EventStore,
    private readonly options: { maxCachedStreams?: number } = {},
  ) {}

  async appendToStream(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision, options?: AppendOptions): Promise<AppendResult> {
    // Invalid arguments are the inner store's to refuse, with its own errors.
    if (events.length === 0 || !Number.isInteger(expectedRevision) || expectedRevision < NO_STREAM) {
      return this.inner.appendToStream(streamId, events, expectedRevision, options);
    }
    let previousHash = expectedRevision === NO_STREAM ? null : await this.hashAtRevision(streamId, expectedRevision);
    const chained = events.map((event, index) => {
      // Through JSON once, so the hash is computed over exactly what the store will keep.
      const normalized = { type: event.type, data: asJson(event.data), metadata: withPreviousEventHash(asJson(event.metadata), previousHash) };
      previousHash = eventHash({ streamId, revision: expectedRevision + 1 + index, ...normalized });
      return normalized;
    });
    const result = await this.inner.appendToStream(streamId, chained, expectedRevision, options);
    this.remember(streamId, { revision: result.nextExpectedRevision, hash: previousHash! });
    return result;
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    const events = await this.inner.readStream(streamId, options);
    const last = events[events.length - 1];
    if (last) this.rememberRead(last);
    return events;
  }

  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    return this.inner.readAll(options);
  }

  readEventsAt(positions: readonly number[]): Promise<RecordedEvent[]> {
    return this.inner.readEventsAt(positions);
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
    let head = this.heads.get(streamId);
    if (head?.revision !== revision) {
      const [event] = await this.inner.readStream(streamId, { fromRevision: revision, maxCount: 1 });
      if (!event) {
        // The stream ends before `revision` (a caller bug, or a stale cache): say where it really ends. Rare, so
        // the whole stream may be read.
        const all = await this.inner.readStream(streamId);
        throw new WrongExpectedRevisionError(streamId, revision, all.length > 0 ? all[all.length - 1].revision : NO_STREAM);
      }
      head = this.rememberRead(event);
    }
    if ('hash' in head) return head.hash;
    const { data, metadata } = JSON.parse(head.content) as { data: JsonObject; metadata: JsonObject };
    const hash = eventHash({ streamId: head.streamId, revision: head.revision, type: head.type, data, metadata });
    this.remember(streamId, { revision: head.revision, hash });
    return hash;
  }

  /** Remembers an event read, unless a later one of the stream is known already (a page of older history). */
  private rememberRead(event: RecordedEvent): Head {
    const known = this.heads.get(event.streamId);
    if (known && known.revision >= event.revision) {
      this.remember(event.streamId, known);
      return known;
    }
    const head: Head = { revision: event.revision, streamId: event.streamId, type: event.type, content: JSON.stringify({ data: event.data, metadata: event.metadata }) };
    this.remember(event.streamId, head);
    return head;
  }

  private remember(streamId: string, head: Head): void {
    this.heads.delete(streamId); // re-inserted last: the map's order is least recently used first
    this.heads.set(streamId, head);
    if (this.heads.size > (this.options.maxCachedStreams ?? DEFAULT_MAX_CACHED_STREAMS)) {
      this.heads.delete(this.heads.keys().next().value!);
    }
  }
}

const asJson = (value: JsonObject): JsonObject => JSON.parse(JSON.stringify(value)) as JsonObject;
