import { randomUUID } from 'node:crypto';
import { status as GrpcStatus, type ServerWritableStream } from '@grpc/grpc-js';
import { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import type { EventFilter } from './event-filter';
import { StallGate } from './stall-gate';
import type { LogRecord, TransactionLog } from './transaction-log';
import { eventResponse, writeResponse } from './wire';

export type SubscriptionSource =
  | { kind: 'all'; from: 'start' | 'end' | bigint; filter?: EventFilter }
  | { kind: 'stream'; streamName: string; from: 'start' | 'end' | bigint };

/**
 * One catch-up subscription, as the server runs it: a confirmation, the backlog after the start point,
 * `CaughtUp` (23.10+), then live events, with a checkpoint every `checkpointInterval` considered records
 * when the `$all` subscription is filtered. Catch-up and live share one loop that always re-reads the log
 * from its cursor, so an append racing with delivery is never skipped.
 */
export class Subscription {
  readonly id = randomUUID();
  private ended = false;
  private wake: (() => void) | undefined;
  private appendedSinceRead = false;

  constructor(
    private readonly log: TransactionLog,
    private readonly call: ServerWritableStream<ReadReq, ReadResp>,
    private readonly source: SubscriptionSource,
    private readonly gate = new StallGate(),
  ) {}

  /** Runs until the client cancels or the double drops the subscription. */
  async run(): Promise<void> {
    const stopListening = this.log.onAppended(() => {
      this.appendedSinceRead = true;
      this.wake?.();
    });
    this.call.on('cancelled', () => this.end());
    try {
      await this.pump();
    } finally {
      stopListening();
    }
  }

  /** Ends the call with an error status, as a server restart or a dropped connection would. */
  drop(code: GrpcStatus = GrpcStatus.UNAVAILABLE): void {
    if (this.ended) return;
    this.end();
    this.call.emit('error', { code, details: 'Subscription dropped by the EventStoreDB test double' });
  }

  private end(): void {
    this.ended = true;
    this.wake?.();
  }

  private async pump(): Promise<void> {
    const uuidOption = this.call.request.getOptions()?.getUuidOption();
    await this.send(new ReadResp().setConfirmation(new ReadResp.SubscriptionConfirmation().setSubscriptionId(this.id)));
    let cursor = this.startCursor();
    let considered = 0;
    let caughtUp = false;
    while (!this.ended) {
      this.appendedSinceRead = false;
      for (const record of this.recordsFrom(cursor)) {
        if (this.ended) return;
        cursor = this.source.kind === 'all' ? record.position + 1n : record.revision + 1n;
        const filter = this.source.kind === 'all' ? this.source.filter : undefined;
        if (!filter || filter.matches(record)) await this.send(eventResponse(record, uuidOption));
        considered += 1;
        if (filter && considered % filter.checkpointInterval === 0) await this.send(checkpoint(record.position));
      }
      if (!caughtUp) {
        caughtUp = true;
        await this.send(new ReadResp().setCaughtUp(new ReadResp.CaughtUp()));
      }
      if (!this.appendedSinceRead && !this.ended) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    }
  }

  /**
   * Where delivery starts. From a position the server reads the first record at or after it and continues
   * after that one: exclusive of the event at that position, but it skips the next event when that record
   * is gone (scavenged).
   */
  private startCursor(): bigint {
    const { from } = this.source;
    if (this.source.kind === 'all') {
      if (from === 'start') return 0n;
      if (from === 'end') return this.log.endPosition();
      const first = this.log.recordAtOrAfter(from);
      return first ? first.position + 1n : from;
    }
    if (from === 'start') return 0n;
    if (from === 'end') {
      const current = this.log.currentRevision(this.source.streamName);
      return current === 'no_stream' ? 0n : current + 1n;
    }
    return from + 1n;
  }

  private recordsFrom(cursor: bigint): LogRecord[] {
    if (this.source.kind === 'all') return this.log.forwardFrom(cursor);
    const read = this.log.readStream(this.source.streamName);
    return read.found ? read.records.filter((r) => r.revision >= cursor) : [];
  }

  private async send(response: ReadResp): Promise<void> {
    // A stalled node delivers nothing until the stall ends.
    if (this.gate.holdsReads && !(await this.gate.pass())) this.end();
    if (!this.ended) await writeResponse(this.call, response);
  }
}

function checkpoint(position: bigint): ReadResp {
  return new ReadResp().setCheckpoint(
    new ReadResp.Checkpoint().setCommitPosition(position.toString()).setPreparePosition(position.toString()),
  );
}
