/**
 * The event-store port. Every adapter (in-memory, SQLite, later EventStoreDB) implements exactly this and
 * passes the one contract suite in `testing/event-store.contract.ts`.
 *
 * Conventions (the same as EventStoreDB's):
 * - stream revisions are 0-based; `NO_STREAM` (-1) is the expected revision of a stream that does not exist;
 * - the global log is totally ordered by `position` (a positive, strictly increasing integer);
 * - concurrency is always checked: an append names the revision it read, never "any".
 */

/** Expected revision meaning "the stream must not exist yet". */
export const NO_STREAM = -1;

/** The revision the appender last read (0-based), or NO_STREAM. */
export type ExpectedRevision = number;

/** JSON-safe value. Event payloads and metadata must be plain JSON. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface NewEvent {
  /** Explicit, versioned type string, e.g. `KeyMaterialImported.v1`. */
  type: string;
  data: JsonObject;
  metadata: JsonObject;
}

export interface RecordedEvent {
  streamId: string;
  /** 0-based revision of this event within its stream. */
  revision: number;
  /** Position in the global log; strictly increasing across all streams, starts at 1. */
  position: number;
  type: string;
  data: JsonObject;
  metadata: JsonObject;
  /** Unix epoch milliseconds at which the store committed the event. */
  recordedAt: number;
}

export interface AppendResult {
  /** The revision of the last event appended (pass it as `expectedRevision` next time). */
  nextExpectedRevision: number;
  /** Global position of the last event appended. */
  position: number;
}

/** Thrown by every adapter when the stream's current revision is not the expected one. */
export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expectedRevision: ExpectedRevision,
    readonly actualRevision: number,
  ) {
    super(`Stream '${streamId}' is at revision ${actualRevision}, expected ${expectedRevision}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

export interface ReadAllOptions {
  /** Exclusive: return events whose position is greater than this. 0 (default) = from the start. */
  after?: number;
  /** Maximum number of events returned (default 1000). */
  maxCount?: number;
}

export interface SubscribeOptions {
  /** Exclusive checkpoint: deliver events whose position is greater than this. 0 = from the start. */
  after: number;
  /** Stops the subscription: the iterator finishes after the signal is aborted. */
  signal: AbortSignal;
}

export interface EventStore {
  /**
   * Appends atomically. Throws WrongExpectedRevisionError if the stream's last revision is not
   * `expectedRevision` (NO_STREAM when it must not exist). `events` must not be empty (RangeError).
   */
  appendToStream(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult>;

  /** All events of one stream in revision order; an empty array if the stream does not exist. */
  readStream(streamId: string): Promise<RecordedEvent[]>;

  /** A page of the global log in position order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;

  /** The position of the last event in the global log (0 if the log is empty). */
  headPosition(): Promise<number>;

  /**
   * Catch-up subscription to the global log: yields every event after `after` in order, then keeps
   * yielding new events as they are committed (by this process or, for shared stores, by others) until
   * the signal aborts or the store is closed. Consume with `for await`.
   */
  subscribeToAll(options: SubscribeOptions): AsyncIterable<RecordedEvent>;

  /** Releases the store and ends its subscriptions. Idempotent. */
  close(): Promise<void>;
}
