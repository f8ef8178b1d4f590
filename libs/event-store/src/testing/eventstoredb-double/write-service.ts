import {
  status as GrpcStatus,
  type sendUnaryData,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import {
  AppendReq,
  AppendResp,
  BatchAppendReq,
  BatchAppendResp,
  DeleteReq,
  DeleteResp,
  TombstoneReq,
  TombstoneResp,
} from '@eventstore/db-client/generated/streams_pb';
import { StallGate } from './stall-gate';
import type { ExpectedRevision, ProposedEvent, TransactionLog, WriteOutcome } from './transaction-log';
import {
  appendSuccess,
  appendWrongExpectedVersion,
  batchAppendFailure,
  batchAppendSuccess,
  expectedOfAppend,
  expectedOfBatchAppend,
  expectedOfDelete,
  maximumAppendSizeException,
  maximumAppendSizeStatus,
  proposedEvent,
  streamDeletedException,
  streamDeletedStatus,
  streamNameOf,
  wrongExpectedVersionException,
  wrongExpectedVersionStatus,
} from './wire';

/**
 * Append (client streaming), BatchAppend (bidirectional), Delete (soft); Tombstone is not modelled. While the
 * gate stalls, writes are held before they are written, or (commitWrites) written and their answers held.
 */
export class WriteService {
  constructor(
    private readonly log: TransactionLog,
    private readonly gate = new StallGate(),
  ) {}

  /**
   * Writes and answers, as the gate allows. A unary call the client gave up on while held before writing is
   * not written; a BatchAppend request is (its stream is shared, and stays open), as a node catching up with
   * its queue would.
   */
  private writeThenAnswer(write: () => WriteOutcome, answer: (outcome: WriteOutcome) => void, isAbandoned: () => boolean): void {
    if (this.gate.commitsWrites) {
      const outcome = write();
      this.gate.after(() => answer(outcome));
    } else {
      this.gate.after(() => {
        if (!isAbandoned()) answer(write());
      });
    }
  }

  append(call: ServerReadableStream<AppendReq, AppendResp>, callback: sendUnaryData<AppendResp>): void {
    let options: AppendReq.Options | undefined;
    const events: ProposedEvent[] = [];
    call.on('data', (request: AppendReq) => {
      if (request.hasOptions()) options = request.getOptions();
      else if (request.hasProposedMessage()) events.push(proposedEvent(request.getProposedMessage()!));
    });
    call.on('end', () => {
      if (!options) return callback({ code: GrpcStatus.INVALID_ARGUMENT, details: 'The first message must carry the options.' });
      const streamName = streamNameOf(options.getStreamIdentifier());
      const expected = expectedOfAppend(options);
      this.writeThenAnswer(
        () => this.log.append(streamName, expected, events),
        (outcome) => {
          if (call.cancelled) return;
          switch (outcome.kind) {
            case 'success':
              return callback(null, appendSuccess(outcome.lastRevision, outcome.position));
            case 'wrong_expected_version':
              return callback(null, appendWrongExpectedVersion(expected, outcome.current));
            case 'stream_deleted':
              return callback(streamDeletedException(streamName));
            case 'maximum_append_size_exceeded':
              return callback(maximumAppendSizeException(outcome.maxAppendSize));
          }
        },
        () => call.cancelled,
      );
    });
  }

  /** Requests are grouped by correlation id; the write happens on the request marked final. */
  batchAppend(call: ServerDuplexStream<BatchAppendReq, BatchAppendResp>): void {
    const pending = new Map<string, { streamName: string; expected: ExpectedRevision; events: ProposedEvent[] }>();
    call.on('data', (request: BatchAppendReq) => {
      const correlationId = request.getCorrelationId();
      const key = correlationId?.getString() ?? '';
      const options = request.getOptions();
      if (options) {
        pending.set(key, { streamName: streamNameOf(options.getStreamIdentifier()), expected: expectedOfBatchAppend(options), events: [] });
      }
      const write = pending.get(key);
      if (!write) return;
      write.events.push(...request.getProposedMessagesList().map(proposedEvent));
      if (!request.getIsFinal()) return;
      pending.delete(key);
      const open = (): boolean => !call.cancelled && !call.destroyed;
      this.writeThenAnswer(
        () => this.log.append(write.streamName, write.expected, write.events),
        (outcome) => {
          if (!open()) return;
          switch (outcome.kind) {
            case 'success':
              call.write(batchAppendSuccess(correlationId, write.streamName, outcome.lastRevision, outcome.position));
              return;
            case 'wrong_expected_version':
              call.write(batchAppendFailure(correlationId, write.streamName, wrongExpectedVersionStatus(write.expected, outcome.current)));
              return;
            case 'stream_deleted':
              call.write(batchAppendFailure(correlationId, write.streamName, streamDeletedStatus(write.streamName)));
              return;
            case 'maximum_append_size_exceeded':
              call.write(batchAppendFailure(correlationId, write.streamName, maximumAppendSizeStatus(outcome.maxAppendSize)));
              return;
          }
        },
        () => !open(),
      );
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  }

  delete(call: ServerUnaryCall<DeleteReq, DeleteResp>, callback: sendUnaryData<DeleteResp>): void {
    const options = call.request.getOptions();
    if (!options) return callback({ code: GrpcStatus.INVALID_ARGUMENT, details: 'Delete requires options.' });
    const streamName = streamNameOf(options.getStreamIdentifier());
    const expected = expectedOfDelete(options);
    this.writeThenAnswer(
      () => this.log.softDelete(streamName, expected),
      (outcome) => {
        if (!call.cancelled) this.answerDelete(streamName, expected, outcome, callback);
      },
      () => call.cancelled,
    );
  }

  private answerDelete(streamName: string, expected: ExpectedRevision, outcome: WriteOutcome, callback: sendUnaryData<DeleteResp>): void {
    switch (outcome.kind) {
      case 'success': {
        const position = new DeleteResp.Position().setCommitPosition(outcome.position.toString()).setPreparePosition(outcome.position.toString());
        return callback(null, new DeleteResp().setPosition(position));
      }
      case 'wrong_expected_version':
        return callback(wrongExpectedVersionException(streamName, expected, outcome.current));
      case 'stream_deleted':
        return callback(streamDeletedException(streamName));
      case 'maximum_append_size_exceeded':
        return callback(maximumAppendSizeException(outcome.maxAppendSize));
    }
  }

  tombstone(_call: ServerUnaryCall<TombstoneReq, TombstoneResp>, callback: sendUnaryData<TombstoneResp>): void {
    callback({ code: GrpcStatus.UNIMPLEMENTED, details: 'The EventStoreDB test double does not model hard deletes.' });
  }
}
