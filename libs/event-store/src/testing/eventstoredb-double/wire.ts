/**
 * Translation between the client's generated protobuf messages and the double's log model, including the
 * error shapes the server uses: exceptions as gRPC trailers (`exception: wrong-expected-version`, ...) on
 * unary calls, and google.rpc.Status with packed details inside BatchAppend responses.
 */
import { Metadata, status as GrpcStatus, type ServerWritableStream, type StatusObject } from '@grpc/grpc-js';
import { Any } from 'google-protobuf/google/protobuf/any_pb';
import { Empty as ProtobufEmpty } from 'google-protobuf/google/protobuf/empty_pb';
import {
  AppendReq,
  AppendResp,
  BatchAppendReq,
  BatchAppendResp,
  DeleteReq,
  ReadReq,
  ReadResp,
} from '@eventstore/db-client/generated/streams_pb';
import {
  AllStreamPosition,
  Empty,
  MaximumAppendSizeExceeded,
  StreamDeleted,
  StreamIdentifier,
  UUID,
  WrongExpectedVersion,
} from '@eventstore/db-client/generated/shared_pb';
import { Status } from '@eventstore/db-client/generated/status_pb';
import { Code } from '@eventstore/db-client/generated/code_pb';
import type { CurrentRevision, ExpectedRevision, LogRecord, ProposedEvent } from './transaction-log';

export type RpcError = Partial<StatusObject> & { code: GrpcStatus };

export function streamNameOf(identifier: StreamIdentifier | undefined): string {
  return Buffer.from(identifier?.getStreamName_asU8() ?? new Uint8Array()).toString('utf8');
}

export function streamIdentifier(streamName: string): StreamIdentifier {
  return new StreamIdentifier().setStreamName(Buffer.from(streamName, 'utf8'));
}

export function uuidToString(uuid: UUID | undefined): string {
  if (!uuid) return '';
  if (!uuid.hasStructured()) return uuid.getString();
  const structured = uuid.getStructured()!;
  const bytes = Buffer.alloc(16);
  bytes.writeBigInt64BE(BigInt(structured.getMostSignificantBits()), 0);
  bytes.writeBigInt64BE(BigInt(structured.getLeastSignificantBits()), 8);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function uuidMessage(id: string, option: ReadReq.Options.UUIDOption | undefined): UUID {
  const uuid = new UUID();
  if (option?.hasStructured()) {
    const bytes = Buffer.from(id.replace(/-/g, ''), 'hex');
    uuid.setStructured(
      new UUID.Structured()
        .setMostSignificantBits(bytes.readBigInt64BE(0).toString())
        .setLeastSignificantBits(bytes.readBigInt64BE(8).toString()),
    );
  } else {
    uuid.setString(id);
  }
  return uuid;
}

export function proposedEvent(message: AppendReq.ProposedMessage | BatchAppendReq.ProposedMessage): ProposedEvent {
  const metadata = message.getMetadataMap();
  return {
    id: uuidToString(message.getId()),
    type: metadata.get('type') ?? '',
    contentType: metadata.get('content-type') ?? 'application/octet-stream',
    data: Buffer.from(message.getData_asU8()),
    customMetadata: Buffer.from(message.getCustomMetadata_asU8()),
  };
}

export function expectedOfAppend(options: AppendReq.Options): ExpectedRevision {
  switch (options.getExpectedStreamRevisionCase()) {
    case AppendReq.Options.ExpectedStreamRevisionCase.REVISION:
      return { kind: 'revision', revision: BigInt(options.getRevision()) };
    case AppendReq.Options.ExpectedStreamRevisionCase.NO_STREAM:
      return { kind: 'no_stream' };
    case AppendReq.Options.ExpectedStreamRevisionCase.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    default:
      return { kind: 'any' };
  }
}

export function expectedOfBatchAppend(options: BatchAppendReq.Options): ExpectedRevision {
  switch (options.getExpectedStreamPositionCase()) {
    case BatchAppendReq.Options.ExpectedStreamPositionCase.STREAM_POSITION:
      return { kind: 'revision', revision: BigInt(options.getStreamPosition()) };
    case BatchAppendReq.Options.ExpectedStreamPositionCase.NO_STREAM:
      return { kind: 'no_stream' };
    case BatchAppendReq.Options.ExpectedStreamPositionCase.STREAM_EXISTS:
      return { kind: 'stream_exists' };
    default:
      return { kind: 'any' };
  }
}

export function expectedOfDelete(options: DeleteReq.Options): ExpectedRevision {
  if (options.hasRevision()) return { kind: 'revision', revision: BigInt(options.getRevision()) };
  if (options.hasNoStream()) return { kind: 'no_stream' };
  if (options.hasStreamExists()) return { kind: 'stream_exists' };
  return { kind: 'any' };
}

/** A recorded event as the server sends it; since 22.6 stream reads carry the `$all` position too. */
export function eventResponse(record: LogRecord, uuidOption: ReadReq.Options.UUIDOption | undefined): ReadResp {
  const recorded = new ReadResp.ReadEvent.RecordedEvent()
    .setId(uuidMessage(record.id, uuidOption))
    .setStreamIdentifier(streamIdentifier(record.streamName))
    .setStreamRevision(record.revision.toString())
    .setCommitPosition(record.position.toString())
    .setPreparePosition(record.position.toString())
    .setData(record.data)
    .setCustomMetadata(record.customMetadata);
  recorded
    .getMetadataMap()
    .set('type', record.type)
    .set('content-type', record.contentType)
    .set('created', record.createdTicks.toString());
  const event = new ReadResp.ReadEvent().setEvent(recorded).setCommitPosition(record.position.toString());
  return new ReadResp().setEvent(event);
}

export function appendSuccess(lastRevision: CurrentRevision, position: bigint): AppendResp {
  const success = new AppendResp.Success().setPosition(
    new AppendResp.Position().setCommitPosition(position.toString()).setPreparePosition(position.toString()),
  );
  if (lastRevision === 'no_stream') success.setNoStream(new Empty());
  else success.setCurrentRevision(lastRevision.toString());
  return new AppendResp().setSuccess(success);
}

/** Since 20.10 the server reports a conflict on Append in the response body, not as an error. */
export function appendWrongExpectedVersion(expected: ExpectedRevision, current: CurrentRevision): AppendResp {
  const wrong = new AppendResp.WrongExpectedVersion();
  if (current === 'no_stream') wrong.setCurrentNoStream(new Empty());
  else wrong.setCurrentRevision(current.toString());
  switch (expected.kind) {
    case 'revision':
      wrong.setExpectedRevision(expected.revision.toString());
      break;
    case 'no_stream':
      wrong.setExpectedNoStream(new Empty());
      break;
    case 'stream_exists':
      wrong.setExpectedStreamExists(new Empty());
      break;
    case 'any':
      wrong.setExpectedAny(new Empty());
      break;
  }
  return new AppendResp().setWrongExpectedVersion(wrong);
}

export function batchAppendSuccess(correlationId: UUID | undefined, streamName: string, lastRevision: CurrentRevision, position: bigint): BatchAppendResp {
  const success = new BatchAppendResp.Success().setPosition(
    new AllStreamPosition().setCommitPosition(position.toString()).setPreparePosition(position.toString()),
  );
  if (lastRevision === 'no_stream') success.setNoStream(new ProtobufEmpty());
  else success.setCurrentRevision(lastRevision.toString());
  return new BatchAppendResp().setCorrelationId(correlationId).setStreamIdentifier(streamIdentifier(streamName)).setSuccess(success);
}

/** BatchAppend failures travel as google.rpc.Status with the error's message packed into `details`. */
export function batchAppendFailure(correlationId: UUID | undefined, streamName: string, error: Status): BatchAppendResp {
  return new BatchAppendResp().setCorrelationId(correlationId).setStreamIdentifier(streamIdentifier(streamName)).setError(error);
}

export function wrongExpectedVersionStatus(expected: ExpectedRevision, current: CurrentRevision): Status {
  const details = new WrongExpectedVersion();
  if (current === 'no_stream') details.setCurrentNoStream(new ProtobufEmpty());
  else details.setCurrentStreamRevision(current.toString());
  switch (expected.kind) {
    case 'revision':
      details.setExpectedStreamPosition(expected.revision.toString());
      break;
    case 'no_stream':
      details.setExpectedNoStream(new ProtobufEmpty());
      break;
    case 'stream_exists':
      details.setExpectedStreamExists(new ProtobufEmpty());
      break;
    case 'any':
      details.setExpectedAny(new ProtobufEmpty());
      break;
  }
  return packedStatus(Code.FAILED_PRECONDITION, 'Wrong expected version.', details.serializeBinary(), 'event_store.client.WrongExpectedVersion');
}

export function streamDeletedStatus(streamName: string): Status {
  const details = new StreamDeleted().setStreamIdentifier(streamIdentifier(streamName));
  return packedStatus(Code.FAILED_PRECONDITION, `Event stream '${streamName}' is deleted.`, details.serializeBinary(), 'event_store.client.StreamDeleted');
}

export function maximumAppendSizeStatus(maxAppendSize: number): Status {
  const details = new MaximumAppendSizeExceeded().setMaxappendsize(maxAppendSize);
  return packedStatus(Code.INVALID_ARGUMENT, `Maximum Append Size of ${maxAppendSize} Exceeded.`, details.serializeBinary(), 'event_store.client.MaximumAppendSizeExceeded');
}

function packedStatus(code: Code, message: string, details: Uint8Array, typeName: string): Status {
  const any = new Any();
  any.pack(details, typeName);
  return new Status().setCode(code).setMessage(message).setDetails(any);
}

/** The server's RpcExceptions: a status plus `exception` and context in the trailers. */
export function rpcException(code: GrpcStatus, details: string, trailers: Record<string, string>): RpcError {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(trailers)) metadata.set(key, value);
  return { code, details, metadata };
}

export function wrongExpectedVersionException(streamName: string, expected: ExpectedRevision, current: CurrentRevision): RpcError {
  const trailers: Record<string, string> = {
    exception: 'wrong-expected-version',
    'stream-name': streamName,
    'expected-version': expected.kind === 'revision' ? expected.revision.toString() : expected.kind === 'no_stream' ? '-1' : expected.kind === 'any' ? '-2' : '-4',
  };
  if (current !== 'no_stream') trailers['actual-version'] = current.toString();
  return rpcException(GrpcStatus.FAILED_PRECONDITION, `Append failed due to WrongExpectedVersion. Stream: ${streamName}`, trailers);
}

export function streamDeletedException(streamName: string): RpcError {
  return rpcException(GrpcStatus.FAILED_PRECONDITION, `Event stream '${streamName}' is deleted.`, {
    exception: 'stream-deleted',
    'stream-name': streamName,
  });
}

export function maximumAppendSizeException(maxAppendSize: number): RpcError {
  return rpcException(GrpcStatus.INVALID_ARGUMENT, `Maximum Append Size of ${maxAppendSize} Exceeded.`, {
    exception: 'maximum-append-size-exceeded',
    'maximum-append-size': String(maxAppendSize),
  });
}

/** Writes with backpressure, so a large backlog is not buffered in memory at once. */
export async function writeResponse(call: ServerWritableStream<ReadReq, ReadResp>, response: ReadResp): Promise<void> {
  if (call.write(response)) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      for (const event of ['drain', 'cancelled', 'close']) call.off(event, done);
      resolve();
    };
    for (const event of ['drain', 'cancelled', 'close']) call.on(event, done);
  });
}

