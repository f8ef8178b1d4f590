import type { EventStoreDBClient, Position } from '@eventstore/db-client';
import { isStoreUnavailableError } from '../event-store.port';
import { readUnbounded, scanAll, SCAN_PAGE_SIZE, type PageReader, type ScannedEvent } from './all-stream-scan';
import { dbClient } from './db-client';
import type { StreamNamespace } from './stream-namespace';

/**
 * The port's `position` is one increasing integer starting at 1; EventStoreDB positions are byte offsets in
 * its transaction log (a commit/prepare pair, equal for the non-transactional appends the gRPC API makes).
 * The mapping is affine:
 *
 *     position = commit − origin + 1        commit = position + origin − 1
 *
 * where `origin` is the commit position of the first event in this store's namespace. It is derived from
 * the data, so every process on the cluster computes the same value, and it never moves as long as that
 * first event is never deleted or truncated (Keyledger never deletes its log streams). Positions are sparse:
 * the next event is not `position + 1`.
 */
export class LogPositions {
  private origin: bigint | undefined;
  /** The namespace had no event up to and including this record, so the next search can start there. */
  private searchedThrough: Position | undefined;
  private search: Promise<bigint | undefined> | undefined;

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly namespace: StreamNamespace,
    private readonly readPage: PageReader = readUnbounded,
  ) {}

  /** The origin, or undefined while the namespace has no event yet. */
  async findOrigin(): Promise<bigint | undefined> {
    if (this.origin !== undefined) return this.origin;
    // One search at a time: concurrent callers share it.
    this.search ??= this.searchOrigin().finally(() => (this.search = undefined));
    return this.search;
  }

  /** Like findOrigin, for callers that hold an event of the namespace (so the origin exists). */
  async requireOrigin(): Promise<bigint> {
    const origin = await this.findOrigin();
    if (origin === undefined) throw new Error(`No event found under stream prefix '${this.namespace.prefix}'`);
    return origin;
  }

  /**
   * A record position from which the log can be read (forwards, inclusively) or subscribed to (exclusively)
   * to see every event after `after`. The server must only ever be given positions where a record starts:
   * from anywhere else it may fail, misread, or (subscriptions) skip an event. `after` maps to such a
   * position when it came from this store; that is checked with a one-record read, and otherwise (a
   * hand-made value, or a scavenged record) the origin is used, which is position 1 and so never wanted.
   * Undefined while the namespace is empty.
   */
  async exactStartFor(after: number): Promise<{ origin: bigint; from: Position } | undefined> {
    const origin = await this.findOrigin();
    if (origin === undefined) return undefined;
    const atOrigin = { origin, from: { commit: origin, prepare: origin } };
    if (after === 0) return atOrigin;
    const record = await this.recordAt(toCommitPosition(after, origin));
    return record ? { origin, from: record.position } : atOrigin;
  }

  /**
   * The record that starts exactly at `commit` (one single-record read of `$all`), or undefined: a later record
   * was found, the log ends first, or the server refused the position. An unavailable server says nothing about
   * the position, so it is an error, not an answer.
   */
  async recordAt(commit: bigint): Promise<ScannedEvent | undefined> {
    try {
      const [first] = await this.readPage('readAll', () => this.client.readAll({ fromPosition: { commit, prepare: commit }, direction: dbClient().FORWARDS, maxCount: 1 }));
      const event = first?.event;
      return event?.position?.commit === commit ? (event as ScannedEvent) : undefined;
    } catch (error) {
      if (isStoreUnavailableError(error)) throw error;
      return undefined;
    }
  }

  private async searchOrigin(): Promise<bigint | undefined> {
    const { FORWARDS, START } = dbClient();
    for await (const event of scanAll(this.client, this.searchedThrough ?? START, FORWARDS, SCAN_PAGE_SIZE, this.readPage)) {
      if (this.namespace.contains(event.streamId)) {
        this.origin = event.position.commit;
        return this.origin;
      }
      this.searchedThrough = event.position;
    }
    return undefined;
  }
}

export function toPortPosition(commit: bigint, origin: bigint): number {
  const position = commit - origin + 1n;
  if (position < 1n || position > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`Commit position ${commit} lies outside the log that starts at ${origin}`);
  }
  return Number(position);
}

export function toCommitPosition(position: number, origin: bigint): bigint {
  return BigInt(position) + origin - 1n;
}
