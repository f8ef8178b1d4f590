import { status as GrpcStatus, type ServerWritableStream } from '@grpc/grpc-js';
import { ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { eventFilterOf, type EventFilter } from './event-filter';
import { StallGate } from './stall-gate';
import { Subscription, type SubscriptionSource } from './subscription';
import type { LogRecord, TransactionLog } from './transaction-log';
import { eventResponse, streamIdentifier, streamNameOf, writeResponse } from './wire';

/** The Read RPC: one-shot reads of a stream or `$all` (either direction), or a catch-up subscription. */
export class ReadService {
  private readonly active = new Set<Subscription>();

  constructor(
    private readonly log: TransactionLog,
    private readonly gate = new StallGate(),
  ) {}

  async read(call: ServerWritableStream<ReadReq, ReadResp>): Promise<void> {
    // A stalled node answers nothing; the read runs (on the log as it is then) once the stall ends.
    if (this.gate.holdsReads && (!(await this.gate.pass()) || call.cancelled)) return;
    const options = call.request.getOptions();
    if (!options) {
      call.emit('error', { code: GrpcStatus.INVALID_ARGUMENT, details: 'Read requires options.' });
      return;
    }
    const filter = options.hasFilter() ? eventFilterOf(options.getFilter()!) : undefined;
    const allPosition = options.getAll()?.getPosition();
    if (allPosition && !this.log.isRecordBoundary(BigInt(allPosition.getCommitPosition()))) {
      // Stricter than the server, which would misread or fail: a client must never send such a position.
      call.emit('error', { code: GrpcStatus.INVALID_ARGUMENT, details: `No record starts at position ${allPosition.getCommitPosition()}.` });
      return;
    }
    if (options.hasSubscription()) {
      await this.subscribe(call, subscriptionSource(options, filter));
      return;
    }
    const streamName = options.hasStream() ? streamNameOf(options.getStream()!.getStreamIdentifier()) : undefined;
    const records = streamName === undefined ? this.readAll(options, filter) : this.readStream(streamName, options);
    if (records === 'not-found') {
      await writeResponse(call, new ReadResp().setStreamNotFound(new ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(streamName!))));
    } else {
      const uuidOption = options.getUuidOption();
      const limit = Math.min(records.length, Number(options.getCount() || '0'));
      for (const record of records.slice(0, limit)) {
        if (call.cancelled) return;
        await writeResponse(call, eventResponse(record, uuidOption));
      }
    }
    call.end();
  }

  /** Ends every active subscription with `code` (default UNAVAILABLE, as when a node goes away). */
  dropSubscriptions(code?: GrpcStatus): number {
    const dropped = [...this.active];
    for (const subscription of dropped) subscription.drop(code);
    return dropped.length;
  }

  private async subscribe(call: ServerWritableStream<ReadReq, ReadResp>, source: SubscriptionSource): Promise<void> {
    const subscription = new Subscription(this.log, call, source, this.gate);
    this.active.add(subscription);
    try {
      await subscription.run();
    } finally {
      this.active.delete(subscription);
    }
    if (!call.cancelled && !call.destroyed) call.end();
  }

  /** Forwards is inclusive of the start position; backwards returns what lies before it. */
  private readAll(options: ReadReq.Options, filter: EventFilter | undefined): LogRecord[] {
    const all = options.getAll()!;
    const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    const from = all.hasPosition() ? BigInt(all.getPosition()!.getCommitPosition()) : all.hasEnd() ? this.log.endPosition() : 0n;
    const records = backwards ? this.log.backwardFrom(from) : this.log.forwardFrom(from);
    return filter ? records.filter((r) => filter.matches(r)) : records;
  }

  /** Both directions include the start revision. */
  private readStream(streamName: string, options: ReadReq.Options): LogRecord[] | 'not-found' {
    const read = this.log.readStream(streamName);
    if (!read.found) return 'not-found';
    const stream = options.getStream()!;
    const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    const last = read.records.length > 0 ? read.records[read.records.length - 1].revision : -1n;
    // From the end: the last event backwards, nothing forwards.
    const end = backwards ? last : last + 1n;
    const from = stream.hasRevision() ? BigInt(stream.getRevision()) : stream.hasEnd() ? end : 0n;
    return backwards ? read.records.filter((r) => r.revision <= from).reverse() : read.records.filter((r) => r.revision >= from);
  }
}

function subscriptionSource(options: ReadReq.Options, filter: EventFilter | undefined): SubscriptionSource {
  if (options.hasStream()) {
    const stream = options.getStream()!;
    const from = stream.hasRevision() ? BigInt(stream.getRevision()) : stream.hasEnd() ? 'end' : 'start';
    return { kind: 'stream', streamName: streamNameOf(stream.getStreamIdentifier()), from };
  }
  const all = options.getAll()!;
  const from = all.hasPosition() ? BigInt(all.getPosition()!.getCommitPosition()) : all.hasEnd() ? 'end' : 'start';
  return { kind: 'all', from, filter };
}
