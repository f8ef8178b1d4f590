import type { EventStoreDBClient, Position } from '@eventstore/db-client';
import {
  isStoreUnavailableError,
  NO_STREAM,
  StoreUnavailableError,
  type AppendResult,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
} from '../event-store.port';
import { assertValidAppend, resolvePositions, resolveReadAllOptions, resolveReadStreamOptions } from '../port-arguments';
import { scanAll, SCAN_PAGE_SIZE, type PageReader } from './all-stream-scan';
import { asWrongExpectedRevision } from './client-errors';
import { dbClient } from './db-client';
import { isSystemEvent, positionOf, toEventData, toRecordedEvent } from './event-mapping';
import { LogPositions, toCommitPosition, toPortPosition } from './log-positions';
import { DEFAULT_RESUBSCRIBE_BACKOFF, resumableSubscription, type ResubscribeBackoff } from './resumable-subscription';
import { deadlineOfConnectionString, DEFAULT_STORE_TIMEOUT_MS, StoreCalls, type StoreConnectivity } from './store-calls';
import { DEFAULT_LOG_STREAM_PREFIX, StreamNamespace } from './stream-namespace';

/** The head is usually among the last few records, so search backwards in small pages. */
const HEAD_SEARCH_PAGE_SIZE = 32;
/** How many single-record reads readEventsAt keeps in flight (a page of the audit trail is up to 1000 positions). */
const READS_AT_ONCE = 32;

export interface EventStoreDbEventStoreOptions {
  /**
   * A client shared with this process's other EventStoreDB adapters (the vault, the checkpoint store); close() then
   * leaves it open for its owner to dispose. See openSharedEventStoreDbClient.
   */
  client?: EventStoreDBClient;
  /** e.g. `esdb://localhost:2113?tls=false`, or a cluster: `esdb+discover://...`. */
  connectionString: string;
  /**
   * Every port stream `s` is stored as `${streamPrefix}${s}`, and the store's global log is the part of
   * `$all` in those streams. Default `keyledger-log-`. Deployments sharing a cluster use distinct prefixes.
   */
  streamPrefix?: string;
  /** Pause before re-opening a dropped subscription (exponential, capped). */
  resubscribeBackoff?: Partial<ResubscribeBackoff>;
  /**
   * How long one round trip to the server may take (ms) before the call fails with
   * StoreUnavailableError('timeout'). Default: the connection string's `defaultDeadline`, else 5 s.
   */
  timeoutMs?: number;
}

/**
 * The EventStore port on EventStoreDB (gRPC, @eventstore/db-client). Appends always name the revision read
 * (NO_STREAM or an exact revision, never "any"); positions map from commit positions (see LogPositions);
 * readAll, headPosition and subscribeToAll see the namespace's events without system events.
 *
 * Every round trip has a deadline (`timeoutMs`); a server that cannot be reached or does not answer in time
 * makes the call fail with StoreUnavailableError (see StoreCalls), never hang. The client reconnects by itself
 * on the next call, and subscriptions resume once the server is back (see resumableSubscription).
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly ownsClient: boolean;
  private readonly namespace: StreamNamespace;
  private readonly positions: LogPositions;
  private readonly backoff: ResubscribeBackoff;
  private readonly closing = new AbortController();
  private readonly calls: StoreCalls;
  private readonly readPage: PageReader;

  constructor(options: EventStoreDbEventStoreOptions) {
    this.namespace = new StreamNamespace(options.streamPrefix ?? DEFAULT_LOG_STREAM_PREFIX);
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? dbClient().EventStoreDBClient.connectionString(options.connectionString);
    this.calls = new StoreCalls(options.timeoutMs ?? deadlineOfConnectionString(options.connectionString) ?? DEFAULT_STORE_TIMEOUT_MS);
    this.readPage = async (what, open) => {
      const items = await this.calls.read(what, open);
      // close() cancels reads in flight, and the client then ends them as if they were complete.
      this.assertOpen();
      return items;
    };
    this.positions = new LogPositions(this.client, this.namespace, this.readPage);
    this.backoff = { ...DEFAULT_RESUBSCRIBE_BACKOFF, ...options.resubscribeBackoff };
  }

  get streamPrefix(): string {
    return this.namespace.prefix;
  }

  /** The deadline of one round trip, in ms. */
  get timeoutMs(): number {
    return this.calls.timeoutMs;
  }

  /** Whether the server answered the last call (and, if not, why). */
  get connectivity(): Pick<StoreConnectivity, 'unavailable' | 'outages'> {
    return this.calls.connectivity;
  }

  async appendToStream(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    this.assertOpen();
    assertValidAppend(streamId, events, expectedRevision);
    let result;
    try {
      // An append that times out or loses its connection is never reported as written: the caller gets
      // StoreUnavailableError with outcomeUnknown, and the events may or may not be in the log. Retrying is
      // safe: every writer re-reads the stream and re-decides, and appends name the revision they read, so a
      // retry after an append that did land either finds nothing left to do or conflicts and re-decides.
      result = await this.calls.run(
        'appendToStream',
        () =>
          this.client.appendToStream(this.namespace.toServer(streamId), events.map(toEventData), {
            expectedRevision: expectedRevision === NO_STREAM ? dbClient().NO_STREAM : BigInt(expectedRevision),
            // Asks the server to give up too (BatchAppend carries it; Append uses it as the call's deadline).
            deadline: this.calls.timeoutMs,
          }),
        { write: true },
      );
    } catch (error) {
      throw asWrongExpectedRevision(error, streamId, expectedRevision) ?? error;
    }
    if (!result.position) throw new Error(`EventStoreDB did not report the position of the append to '${streamId}'`);
    let origin: bigint;
    try {
      origin = await this.positions.requireOrigin();
    } catch (error) {
      // Written, but not reportable as written without its position: the caller must treat it as unknown.
      if (!isStoreUnavailableError(error)) throw error;
      throw new StoreUnavailableError(error.reason, `The append to '${streamId}' was written, but its position could not be read: ${error.message}`, {
        outcomeUnknown: true,
        cause: error,
      });
    }
    return {
      nextExpectedRevision: Number(result.nextExpectedRevision),
      // The server reports the commit position of the last event written.
      position: toPortPosition(result.position.commit, origin),
    };
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]> {
    this.assertOpen();
    const { fromRevision, maxCount } = resolveReadStreamOptions(options);
    const { FORWARDS, StreamNotFoundError } = dbClient();
    const range = { direction: FORWARDS as typeof FORWARDS, fromRevision: BigInt(fromRevision), ...(maxCount !== Infinity && { maxCount }) };
    const events = [];
    try {
      // One bounded round trip reads the range (callers page long streams with maxCount).
      for (const resolved of await this.readPage('readStream', () => this.client.readStream(this.namespace.toServer(streamId), range))) {
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
    for await (const event of scanAll(this.client, from, dbClient().FORWARDS, SCAN_PAGE_SIZE, this.readPage)) {
      if (!this.namespace.contains(event.streamId) || isSystemEvent(event)) continue;
      const recorded = toRecordedEvent(event, this.namespace, origin);
      if (recorded.position <= after) continue;
      page.push(recorded);
      if (page.length === maxCount) break;
    }
    return page;
  }

  /**
   * One single-record read of `$all` per position (LogPositions.recordAt), at most READS_AT_ONCE in flight: the
   * server has no read of several positions. The positions must be ones this store reported (records start there);
   * no record there, another namespace's or a system event means no event of ours.
   */
  async readEventsAt(positions: readonly number[]): Promise<RecordedEvent[]> {
    this.assertOpen();
    const wanted = resolvePositions(positions);
    const origin = wanted.length === 0 ? undefined : await this.positions.findOrigin();
    if (origin === undefined) return [];
    const readOne = async (position: number): Promise<RecordedEvent | undefined> => {
      const event = await this.positions.recordAt(toCommitPosition(position, origin));
      if (!event || !this.namespace.contains(event.streamId) || isSystemEvent(event)) return undefined;
      return toRecordedEvent(event, this.namespace, origin);
    };
    const found: RecordedEvent[] = [];
    for (let i = 0; i < wanted.length; i += READS_AT_ONCE) {
      for (const event of await Promise.all(wanted.slice(i, i + READS_AT_ONCE).map(readOne))) if (event) found.push(event);
    }
    return found;
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    const origin = await this.positions.findOrigin();
    if (origin === undefined) return 0;
    const { BACKWARDS, END } = dbClient();
    for await (const event of scanAll(this.client, END, BACKWARDS, HEAD_SEARCH_PAGE_SIZE, this.readPage)) {
      const position: Position = positionOf(event);
      if (position.commit < origin) break;
      if (this.namespace.contains(event.streamId) && !isSystemEvent(event)) return toPortPosition(position.commit, origin);
    }
    return 0;
  }

  /** Once the store is closed, subscriptions end (and new ones yield nothing). */
  subscribeToAll(options: SubscribeOptions): AsyncIterable<RecordedEvent> {
    const source = { client: this.client, namespace: this.namespace, positions: this.positions, backoff: this.backoff, calls: this.calls };
    return resumableSubscription(source, options.after, AbortSignal.any([options.signal, this.closing.signal]));
  }

  /** Ends every subscription, then releases the connection unless it is shared. Idempotent. */
  async close(): Promise<void> {
    if (this.closing.signal.aborted) return;
    this.closing.abort();
    if (this.ownsClient) await this.client.dispose();
  }

  private assertOpen(): void {
    if (this.closing.signal.aborted) throw new Error('The EventStoreDB event store is closed');
  }
}
