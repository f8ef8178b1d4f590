import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM as CLIENT_NO_STREAM,
  StreamNotFoundError,
  type Position,
} from '@eventstore/db-client';
import {
  NO_STREAM,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type RecordedEvent,
  type SubscribeOptions,
} from '../event-store.port';
import { assertValidAppend, resolveReadAllOptions } from '../port-arguments';
import { scanAll } from './all-stream-scan';
import { asWrongExpectedRevision } from './client-errors';
import { isSystemEvent, positionOf, toEventData, toRecordedEvent } from './event-mapping';
import { LogPositions, toPortPosition } from './log-positions';
import { DEFAULT_RESUBSCRIBE_BACKOFF, resumableSubscription, type ResubscribeBackoff } from './resumable-subscription';
import { DEFAULT_LOG_STREAM_PREFIX, StreamNamespace } from './stream-namespace';

/** The head is usually among the last few records, so search backwards in small pages. */
const HEAD_SEARCH_PAGE_SIZE = 32;

export interface EventStoreDbEventStoreOptions {
  /** e.g. `esdb://localhost:2113?tls=false`, or a cluster: `esdb+discover://...`. */
  connectionString: string;
  /**
   * Every port stream `s` is stored as `${streamPrefix}${s}`, and the store's global log is the part of
   * `$all` in those streams. Default `keyledger-log-`. Deployments sharing a cluster use distinct prefixes.
   */
  streamPrefix?: string;
  /** Pause before re-opening a dropped subscription (exponential, capped). */
  resubscribeBackoff?: Partial<ResubscribeBackoff>;
}

/**
 * The EventStore port on EventStoreDB (gRPC, @eventstore/db-client). Appends always name the revision read
 * (NO_STREAM or an exact revision, never "any"); positions map from commit positions (see LogPositions);
 * readAll, headPosition and subscribeToAll see the namespace's events without system events.
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly namespace: StreamNamespace;
  private readonly positions: LogPositions;
  private readonly backoff: ResubscribeBackoff;
  private readonly closing = new AbortController();

  constructor(options: EventStoreDbEventStoreOptions) {
    this.namespace = new StreamNamespace(options.streamPrefix ?? DEFAULT_LOG_STREAM_PREFIX);
    this.client = EventStoreDBClient.connectionString(options.connectionString);
    this.positions = new LogPositions(this.client, this.namespace);
    this.backoff = { ...DEFAULT_RESUBSCRIBE_BACKOFF, ...options.resubscribeBackoff };
  }

  get streamPrefix(): string {
    return this.namespace.prefix;
  }

  async appendToStream(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    this.assertOpen();
    assertValidAppend(streamId, events, expectedRevision);
    let result;
    try {
      result = await this.client.appendToStream(this.namespace.toServer(streamId), events.map(toEventData), {
        expectedRevision: expectedRevision === NO_STREAM ? CLIENT_NO_STREAM : BigInt(expectedRevision),
      });
    } catch (error) {
      throw asWrongExpectedRevision(error, streamId, expectedRevision) ?? error;
    }
    if (!result.position) throw new Error(`EventStoreDB did not report the position of the append to '${streamId}'`);
    return {
      nextExpectedRevision: Number(result.nextExpectedRevision),
      // The server reports the commit position of the last event written.
      position: toPortPosition(result.position.commit, await this.positions.requireOrigin()),
    };
  }

  async readStream(streamId: string): Promise<RecordedEvent[]> {
    this.assertOpen();
    const events = [];
    try {
      for await (const resolved of this.client.readStream(this.namespace.toServer(streamId), { direction: FORWARDS })) {
        if (resolved.event) events.push(resolved.event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    if (events.length === 0) return [];
    const origin = await this.positions.requireOrigin();
    return events.map((event) => toRecordedEvent(event, this.namespace, origin));
  }

  async readAll(options?: ReadAllOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { after, maxCount } = resolveReadAllOptions(options);
    const start = await this.positions.exactStartFor(after);
    if (start === undefined) return [];
    const { origin, from } = start;
    const page: RecordedEvent[] = [];
    for await (const event of scanAll(this.client, from, FORWARDS)) {
      if (!this.namespace.contains(event.streamId) || isSystemEvent(event)) continue;
      const recorded = toRecordedEvent(event, this.namespace, origin);
      if (recorded.position <= after) continue;
      page.push(recorded);
      if (page.length === maxCount) break;
    }
    return page;
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    const origin = await this.positions.findOrigin();
    if (origin === undefined) return 0;
    for await (const event of scanAll(this.client, END, BACKWARDS, HEAD_SEARCH_PAGE_SIZE)) {
      const position: Position = positionOf(event);
      if (position.commit < origin) break;
      if (this.namespace.contains(event.streamId) && !isSystemEvent(event)) return toPortPosition(position.commit, origin);
    }
    return 0;
  }

  /** Once the store is closed, subscriptions end (and new ones yield nothing). */
  subscribeToAll(options: SubscribeOptions): AsyncIterable<RecordedEvent> {
    const source = { client: this.client, namespace: this.namespace, positions: this.positions, backoff: this.backoff };
    return resumableSubscription(source, options.after, AbortSignal.any([options.signal, this.closing.signal]));
  }

  /** Ends every subscription, then releases the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    await this.client.dispose();
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw new Error('The EventStoreDB event store is closed');
  }
}
