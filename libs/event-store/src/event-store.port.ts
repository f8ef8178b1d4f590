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

/**
 * Why a store could not serve a call: it could not be reached (connection refused or lost, no leader), it did
 * not answer within its deadline, or (embedded) another connection held the write lock past the busy timeout.
 */
export type StoreUnavailableReason = 'unreachable' | 'timeout' | 'busy';

const STORE_UNAVAILABLE = Symbol.for('keyledger.StoreUnavailableError');

/**
 * Thrown by every adapter when the store itself is unavailable, whatever the store: a retryable server-side
 * fault, never a statement about the request. It is never thrown for a conflict (WrongExpectedRevisionError
 * stays what it is) nor for a refusal of the arguments.
 *
 * `outcomeUnknown` is set on an append that was (or may have been) sent without an answer: the events may or
 * may not be in the log. Such an append is never reported as a success. Retrying is safe, because every writer
 * re-reads the stream and re-decides before appending again, and every append names the revision it read: if
 * the lost append did land, the retry either decides that nothing is left to do or conflicts and re-decides;
 * it can never write the same change twice.
 */
export class StoreUnavailableError extends Error {
  readonly retryable = true;
  readonly outcomeUnknown: boolean;

  constructor(
    readonly reason: StoreUnavailableReason,
    message: string,
    options: { outcomeUnknown?: boolean; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StoreUnavailableError';
    this.outcomeUnknown = options.outcomeUnknown ?? false;
    Object.defineProperty(this, STORE_UNAVAILABLE, { value: true });
  }
}

/**
 * Whether `error` is a StoreUnavailableError. Recognised by a registered symbol rather than `instanceof`, so it
 * also holds where this module is loaded more than once (jest gives each test file its own module registry).
 */
export function isStoreUnavailableError(error: unknown): error is StoreUnavailableError {
  return typeof error === 'object' && error !== null && (error as Record<symbol, unknown>)[STORE_UNAVAILABLE] === true;
}

export interface ReadAllOptions {
  /** Exclusive: return events whose position is greater than this. 0 (default) = from the start. */
  after?: number;
  /** Maximum number of events returned (default 1000). */
  maxCount?: number;
}

/** A range of one stream, so a reader pays for the events it asks for, not for the whole history. */
export interface ReadStreamOptions {
  /** Inclusive: return events whose revision is at least this. 0 (default) = from the first event. */
  fromRevision?: number;
  /** Maximum number of events returned (default: no limit). */
  maxCount?: number;
}

export interface SubscribeOptions {
  /** Exclusive checkpoint: deliver events whose position is greater than this. 0 = from the start. */
  after: number;
  /** Stops the subscription: the iterator finishes after the signal is aborted. */
  signal: AbortSignal;
}

export interface AppendOptions {
  /**
   * 'durable' (the default): the append has reached the disk when it resolves. 'deferred': it is committed
   * (readable, ordered, survives a process crash) but may reach the disk only with a later durable commit, so an
   * OS crash or power loss can lose it, and only it and other deferred appends after the last durable commit. For
   * records whose loss in a power cut is acceptable and whose volume would otherwise cost an fsync each (usage).
   * Stores without the distinction treat every append as durable.
   */
  durability?: 'durable' | 'deferred';
}

/**
 * Every method may reject with StoreUnavailableError when the store cannot be reached or does not answer in
 * time (each adapter bounds its calls); subscriptions wait for the store to come back instead of ending.
 */
export interface EventStore {
  /**
   * Appends atomically. Throws WrongExpectedRevisionError if the stream's last revision is not
   * `expectedRevision` (NO_STREAM when it must not exist). `events` must not be empty (RangeError).
   */
  appendToStream(streamId: string, events: NewEvent[], expectedRevision: ExpectedRevision, options?: AppendOptions): Promise<AppendResult>;

  /**
   * Events of one stream in revision order: those with revision >= `fromRevision`, at most `maxCount` (default:
   * all of them); an empty array if the stream does not exist or has nothing in that range. Invalid options are
   * a RangeError.
   */
  readStream(streamId: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;

  /** A page of the global log in position order. */
  readAll(options?: ReadAllOptions): Promise<RecordedEvent[]>;

  /**
   * The events at these positions of the global log (positions this store reported), in position order, each
   * once; a position that holds no event of this store is left out. For read models that index the log
   * rather than copy it (the audit trail): a page of them is read back by position.
   */
  readEventsAt(positions: readonly number[]): Promise<RecordedEvent[]>;

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
