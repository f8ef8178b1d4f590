import type { EventStoreDBClient } from '@eventstore/db-client';
import { NO_STREAM } from '../event-store.port';
import { asWrongExpectedRevision } from './client-errors';
import { dbClient } from './db-client';
import { keepOnlyLatestEvent, readLatestEvent } from './latest-event';
import { deadlineOfConnectionString, DEFAULT_STORE_TIMEOUT_MS, StoreCalls } from './store-calls';
import { DEFAULT_CHECKPOINT_STREAM_PREFIX, StreamNamespace } from './stream-namespace';

export const CHECKPOINT_EVENT_TYPE = 'ProjectionCheckpointReached.v1';

export interface EventStoreDbCheckpointStoreOptions {
  connectionString: string;
  /** A client shared with this process's other EventStoreDB adapters; close() then leaves it open for its owner. */
  client?: EventStoreDBClient;
  /** Whose checkpoint this is: one stream per projection-runner instance. */
  instanceId: string;
  /** Default `keyledger-checkpoint-`. */
  streamPrefix?: string;
  /** Deadline of one round trip (ms); default the connection string's `defaultDeadline`, else 5 s. */
  timeoutMs?: number;
}

/**
 * A projection checkpoint (the last position a runner applied) kept in EventStoreDB, in the stream
 * `${streamPrefix}${instanceId}`. Each write appends an event; the stream's `$maxCount: 1` lets a scavenge
 * drop the superseded ones. Writes are checked against the revision last seen, so a second process writing
 * the same instance's checkpoint fails with WrongExpectedRevisionError instead of silently interleaving.
 */
export class EventStoreDbCheckpointStore {
  readonly streamName: string;
  private readonly client: EventStoreDBClient;
  private readonly ownsClient: boolean;
  private readonly calls: StoreCalls;
  /** The stream's last revision as this store last saw it; undefined until read. */
  private revision: number | undefined;

  constructor(options: EventStoreDbCheckpointStoreOptions) {
    if (typeof options.instanceId !== 'string' || options.instanceId.length === 0) {
      throw new TypeError('instanceId must be a non-empty string');
    }
    this.streamName = new StreamNamespace(options.streamPrefix ?? DEFAULT_CHECKPOINT_STREAM_PREFIX).toServer(options.instanceId);
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? dbClient().EventStoreDBClient.connectionString(options.connectionString);
    this.calls = new StoreCalls(options.timeoutMs ?? deadlineOfConnectionString(options.connectionString) ?? DEFAULT_STORE_TIMEOUT_MS);
  }

  /** The stored checkpoint, 0 if none was ever written. */
  async read(): Promise<number> {
    const latest = await readLatestEvent(this.client, this.streamName, (what, open) => this.calls.read(what, open));
    this.revision = latest ? Number(latest.revision) : NO_STREAM;
    const position = (latest?.data as { position?: unknown } | undefined)?.position;
    return typeof position === 'number' ? position : 0;
  }

  async write(position: number): Promise<void> {
    if (!Number.isSafeInteger(position) || position < 0) {
      throw new RangeError(`A checkpoint must be an integer >= 0, got ${position}`);
    }
    if (this.revision === undefined) await this.read();
    const expected = this.revision!;
    if (expected === NO_STREAM) await keepOnlyLatestEvent(this.client, this.streamName, (what, call) => this.calls.run(what, call, { write: true }));
    try {
      const result = await this.calls.run(
        'appendToStream',
        () =>
          this.client.appendToStream(this.streamName, dbClient().jsonEvent({ type: CHECKPOINT_EVENT_TYPE, data: { position } }), {
            expectedRevision: expected === NO_STREAM ? dbClient().NO_STREAM : BigInt(expected),
            deadline: this.calls.timeoutMs,
          }),
        { write: true },
      );
      this.revision = Number(result.nextExpectedRevision);
    } catch (error) {
      this.revision = undefined;
      throw asWrongExpectedRevision(error, this.streamName, expected) ?? error;
    }
  }

  async close(): Promise<void> {
    if (this.ownsClient) await this.client.dispose();
  }
}
