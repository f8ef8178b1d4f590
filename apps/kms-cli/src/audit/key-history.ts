import { keyStreamId } from '@keyledger/domain';
import type { RecordedEvent } from '@keyledger/event-store';
import { CliError } from '../cli-error';
import type { ReadOnlyEventLog } from '../event-log/read-only-event-log';
import { keyIdOf } from './audit-row';

export interface KeyHistory {
  keyId: string;
  streamId: string;
  /** The key's stream in revision order. */
  stream: RecordedEvent[];
  /** The stream plus refused requests about the key, in log order. */
  withRefusals: RecordedEvent[];
}

/** Reads a key's stream in revision order; a key without a stream is a CliError. */
export function readKeyStream(log: ReadOnlyEventLog, keyId: string): RecordedEvent[] {
  const streamId = keyStreamId(keyId);
  const stream = log.readStream(streamId);
  if (stream.length === 0) throw new CliError(`Key '${keyId}' not found: stream ${streamId} has no events in ${log.filename}.`);
  return stream;
}

/** Reads a key's stream and the refusals that name it. */
export function readKeyHistory(log: ReadOnlyEventLog, keyId: string): KeyHistory {
  const streamId = keyStreamId(keyId);
  const stream = readKeyStream(log, keyId);
  const refusals = log.readRefusals().filter((event) => keyIdOf(event) === keyId);
  const withRefusals = [...stream, ...refusals].sort((a, b) => a.position - b.position);
  return { keyId, streamId, stream, withRefusals };
}
