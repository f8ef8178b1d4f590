/**
 * The double's storage: an in-memory model of EventStoreDB's transaction log, reduced to the rules the
 * Keyledger adapters depend on. Everything here is plain data; the gRPC layer translates to the wire.
 *
 * Modelled after the server (see docs/eventstoredb.md, "The protocol double"):
 * - `$all` is one ordered log; a record's position is a byte offset (commit == prepare for the
 *   non-transactional appends the gRPC API makes), so positions are sparse, not 1, 2, 3...
 * - a fresh log already holds system events, so user events never start at position 0;
 * - stream revisions are 0-based; the expected-revision check follows the server's CheckCommit
 *   (no idempotent re-appends by event id, and no explicit transactions);
 * - stream metadata lives as `$metadata` events in `$$<stream>`; `$maxCount` and `$tb` truncate reads;
 * - a soft delete writes `$tb = long.MaxValue` (the stream reads as not found, its events stay in `$all`);
 *   appending with NO_STREAM or the last revision un-deletes it and numbering continues;
 * - scavenging drops truncated and deleted events but, like the server, always keeps a stream's last event.
 */

import { randomUUID } from 'node:crypto';

/** long.MaxValue, the `$tb` the server writes on a soft delete. Kept as text: it does not fit a JS number. */
export const SOFT_DELETED_TRUNCATE_BEFORE = '9223372036854775807';
/** The server's default `--max-append-size` (1 MiB). */
export const DEFAULT_MAX_APPEND_SIZE = 1_048_576;

/** Bytes a prepare record takes besides its variable parts; only needs to be realistic, not exact. */
const RECORD_OVERHEAD_BYTES = 98n;
const TICKS_PER_MILLISECOND = 10_000n;

export interface ProposedEvent {
  id: string;
  type: string;
  contentType: string;
  data: Buffer;
  customMetadata: Buffer;
}

export interface LogRecord extends ProposedEvent {
  /** Byte offset in the log; commit and prepare position at once. */
  position: bigint;
  streamName: string;
  revision: bigint;
  /** .NET ticks (100 ns) since the Unix epoch, as the server sends `created`. */
  createdTicks: bigint;
}

export type ExpectedRevision =
  | { kind: 'any' }
  | { kind: 'no_stream' }
  | { kind: 'stream_exists' }
  | { kind: 'revision'; revision: bigint };

export type CurrentRevision = bigint | 'no_stream';

export type WriteOutcome =
  | { kind: 'success'; lastRevision: CurrentRevision; position: bigint }
  | { kind: 'wrong_expected_version'; current: CurrentRevision }
  | { kind: 'stream_deleted' }
  | { kind: 'maximum_append_size_exceeded'; maxAppendSize: number };

export type StreamRead = { found: false } | { found: true; records: LogRecord[] };

interface StreamState {
  /** In revision order; scavenging may remove a prefix. */
  records: LogRecord[];
  /** -1n until the first event. */
  lastRevision: bigint;
}

type StreamMetadata = Record<string, unknown>;

export class TransactionLog {
  /** Every record in `$all` order. */
  private readonly all: LogRecord[] = [];
  private readonly streams = new Map<string, StreamState>();
  private readonly appendListeners = new Set<() => void>();
  /** Every position a record was ever written at; scavenging does not make them invalid to read from. */
  private readonly recordPositions = new Set<bigint>();
  private nextPosition = 0n;

  constructor(readonly maxAppendSize = DEFAULT_MAX_APPEND_SIZE) {
    this.writeSystemEventsOfAFreshNode();
  }

  /** Appends atomically after the expected-revision check. */
  append(streamName: string, expected: ExpectedRevision, events: readonly ProposedEvent[]): WriteOutcome {
    const size = events.reduce((sum, e) => sum + e.data.length + e.customMetadata.length + Buffer.byteLength(e.type), 0);
    if (size > this.maxAppendSize) return { kind: 'maximum_append_size_exceeded', maxAppendSize: this.maxAppendSize };

    const check = this.checkExpected(streamName, expected);
    if (check.kind !== 'ok') return check;
    if (events.length === 0) {
      const current = this.currentRevision(streamName);
      return { kind: 'success', lastRevision: current, position: this.lastPosition() };
    }
    if (this.isSoftDeleted(streamName)) {
      // The server un-deletes by truncating before the next revision, so only the new events are readable.
      this.writeMetadata(streamName, { ...this.metadataOf(streamName), $tb: Number(this.stream(streamName).lastRevision + 1n) });
    }
    const last = this.writeEvents(streamName, events);
    this.notifyAppended();
    return { kind: 'success', lastRevision: last.revision, position: last.position };
  }

  /** Soft delete: `$tb = long.MaxValue` in the stream's metadata; the events stay in `$all` until scavenged. */
  softDelete(streamName: string, expected: ExpectedRevision): WriteOutcome {
    const check = this.checkExpected(streamName, expected);
    if (check.kind !== 'ok') return check;
    const record = this.writeMetadata(streamName, { ...this.metadataOf(streamName), $tb: SOFT_DELETED_TRUNCATE_BEFORE });
    this.notifyAppended();
    return { kind: 'success', lastRevision: this.currentRevision(streamName), position: record.position };
  }

  /** The readable events of a stream (after `$tb` and `$maxCount`), or not found (missing or soft-deleted). */
  readStream(streamName: string): StreamRead {
    const state = this.streams.get(streamName);
    if (!state || state.lastRevision < 0n || this.isSoftDeleted(streamName)) return { found: false };
    const first = this.firstReadableRevision(streamName, state);
    return { found: true, records: state.records.filter((r) => r.revision >= first) };
  }

  /** Records of `$all` at or after `position` (inclusive), in order. */
  forwardFrom(position: bigint): LogRecord[] {
    return this.all.slice(this.indexAtOrAfter(position));
  }

  /** Records of `$all` before `position` (exclusive), newest first. */
  backwardFrom(position: bigint): LogRecord[] {
    return this.all.slice(0, this.indexAtOrAfter(position)).reverse();
  }

  /** The first record at or after `position`, if any. */
  recordAtOrAfter(position: bigint): LogRecord | undefined {
    return this.all[this.indexAtOrAfter(position)];
  }

  /**
   * Whether reading from `position` is meaningful: a record starts (or started, before a scavenge) there, or
   * it is the end of the log. A real server reads from other positions as if a record started there.
   */
  isRecordBoundary(position: bigint): boolean {
    return this.recordPositions.has(position) || position === this.nextPosition;
  }

  /** The position just past the last record (where the next one will be written). */
  endPosition(): bigint {
    return this.nextPosition;
  }

  isSoftDeleted(streamName: string): boolean {
    const tb = this.metadataOf(streamName).$tb;
    // long.MaxValue parses to a float above every real revision.
    return typeof tb === 'number' && tb > Number.MAX_SAFE_INTEGER;
  }

  currentRevision(streamName: string): CurrentRevision {
    const last = this.streams.get(streamName)?.lastRevision ?? -1n;
    return last < 0n ? 'no_stream' : last;
  }

  /** Calls `listener` after every committed write; returns the unsubscribe function. */
  onAppended(listener: () => void): () => void {
    this.appendListeners.add(listener);
    return () => this.appendListeners.delete(listener);
  }

  /**
   * Physically removes what the server's scavenge would: events before `$tb` (all of them for a soft-deleted
   * stream) or beyond `$maxCount`, and superseded metadata, except that a stream's last event is always kept.
   */
  scavenge(): void {
    const discarded = new Set<LogRecord>();
    for (const [name, state] of this.streams) {
      // Metadata streams behave as if `$maxCount` were 1; a soft-deleted stream keeps only its last event.
      const first =
        name.startsWith('$$') || this.isSoftDeleted(name) ? state.lastRevision : this.firstReadableRevision(name, state);
      const keepFrom = first > state.lastRevision ? state.lastRevision : first;
      for (const record of state.records) {
        if (record.revision < keepFrom) discarded.add(record);
      }
      state.records = state.records.filter((r) => !discarded.has(r));
    }
    for (let i = this.all.length - 1; i >= 0; i -= 1) {
      if (discarded.has(this.all[i])) this.all.splice(i, 1);
    }
  }

  private checkExpected(
    streamName: string,
    expected: ExpectedRevision,
  ): { kind: 'ok' } | Extract<WriteOutcome, { kind: 'wrong_expected_version' | 'stream_deleted' }> {
    const current = this.currentRevision(streamName);
    const wrong = { kind: 'wrong_expected_version', current } as const;
    const softDeleted = this.isSoftDeleted(streamName);
    switch (expected.kind) {
      case 'any':
        return { kind: 'ok' };
      case 'stream_exists':
        if (softDeleted) return { kind: 'stream_deleted' };
        return current === 'no_stream' ? wrong : { kind: 'ok' };
      case 'no_stream':
        return current === 'no_stream' || softDeleted ? { kind: 'ok' } : wrong;
      case 'revision':
        return current === expected.revision ? { kind: 'ok' } : wrong;
    }
  }

  private firstReadableRevision(streamName: string, state: StreamState): bigint {
    const metadata = this.metadataOf(streamName);
    let first = 0n;
    if (typeof metadata.$tb === 'number') first = BigInt(metadata.$tb);
    if (typeof metadata.$maxCount === 'number' && metadata.$maxCount > 0) {
      const byCount = state.lastRevision - BigInt(metadata.$maxCount) + 1n;
      if (byCount > first) first = byCount;
    }
    return first;
  }

  /** The latest `$metadata` event of `$$<stream>`, parsed; `{}` when there is none. */
  private metadataOf(streamName: string): StreamMetadata {
    if (streamName.startsWith('$$')) return {};
    const records = this.streams.get(`$$${streamName}`)?.records;
    const latest = records?.[records.length - 1];
    if (!latest) return {};
    try {
      const parsed: unknown = JSON.parse(latest.data.toString('utf8'));
      return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as StreamMetadata) : {};
    } catch {
      return {};
    }
  }

  private writeMetadata(streamName: string, metadata: StreamMetadata): LogRecord {
    // long.MaxValue is written with all its digits, as the server does; a JS number cannot hold them.
    const json = JSON.stringify(metadata).replace(`"$tb":"${SOFT_DELETED_TRUNCATE_BEFORE}"`, `"$tb":${SOFT_DELETED_TRUNCATE_BEFORE}`);
    return this.writeEvents(`$$${streamName}`, [
      { id: randomUUID(), type: '$metadata', contentType: 'application/json', data: Buffer.from(json), customMetadata: Buffer.alloc(0) },
    ]);
  }

  private writeEvents(streamName: string, events: readonly ProposedEvent[]): LogRecord {
    const state = this.stream(streamName);
    const createdTicks = BigInt(Date.now()) * TICKS_PER_MILLISECOND;
    let record: LogRecord | undefined;
    for (const event of events) {
      record = { ...event, streamName, revision: state.lastRevision + 1n, position: this.nextPosition, createdTicks };
      this.nextPosition += RECORD_OVERHEAD_BYTES + BigInt(Buffer.byteLength(streamName) + Buffer.byteLength(event.type) + event.data.length + event.customMetadata.length);
      this.recordPositions.add(record.position);
      state.records.push(record);
      state.lastRevision = record.revision;
      this.all.push(record);
    }
    return record!;
  }

  private stream(streamName: string): StreamState {
    let state = this.streams.get(streamName);
    if (!state) {
      state = { records: [], lastRevision: -1n };
      this.streams.set(streamName, state);
    }
    return state;
  }

  private lastPosition(): bigint {
    return this.all[this.all.length - 1]?.position ?? 0n;
  }

  private indexAtOrAfter(position: bigint): number {
    let low = 0;
    let high = this.all.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.all[middle].position < position) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  private notifyAppended(): void {
    for (const listener of [...this.appendListeners]) listener();
  }

  /** A new node writes its epoch and default settings before any client connects (names as on 23.10). */
  private writeSystemEventsOfAFreshNode(): void {
    const json = (value: unknown) => Buffer.from(JSON.stringify(value));
    const system = (type: string, data: Buffer): ProposedEvent => ({
      id: randomUUID(),
      type,
      contentType: 'application/json',
      data,
      customMetadata: Buffer.alloc(0),
    });
    this.nextPosition = 0n;
    this.writeEvents('$epoch-information', [system('$epoch-information', json({ epochNumber: 0, epochPosition: 0 }))]);
    this.writeEvents('$settings', [system('$update-default-acl', json({ $userStreamAcl: {}, $systemStreamAcl: {} }))]);
  }
}

