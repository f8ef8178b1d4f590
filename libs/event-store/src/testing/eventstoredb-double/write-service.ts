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
import type { ExpectedRevision, ProposedEvent, TransactionLog } from './transaction-log';
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

/** Append (client streaming), BatchAppend (bidirectional), Delete (soft); Tombstone is not modelled. */
export class WriteService {
  constructor(private readonly log: TransactionLog) {}

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
      const outcome = this.log.append(streamName, expected, events);
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
      const outcome = this.log.append(write.streamName, write.expected, write.events);
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
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  }

  delete(call: ServerUnaryCall<DeleteReq, DeleteResp>, callback: sendUnaryData<DeleteResp>): void {
    const options = call.request.getOptions();
    if (!options) return callback({ code: GrpcStatus.INVALID_ARGUMENT, details: 'Delete requires options.' });
    const streamName = streamNameOf(options.getStreamIdentifier());
    const expected = expectedOfDelete(options);
    const outcome = this.log.softDelete(streamName, expected);
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
