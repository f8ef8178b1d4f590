import { keyStreamId } from '@keyledger/domain';
import type { RecordedEvent } from '@keyledger/event-store';
import { CliError } from '../cli-error';
import type { ReadOnlyEventLog } from '../event-log/read-only-event-log';
import { concernsKey, keyIdOf } from './audit-row';

export interface KeyHistory {
  keyId: string;
  streamId: string;
  /** The key's stream in revision order. */
  stream: RecordedEvent[];
  /** The stream plus refused requests about the key, in log order. */
  withRefusals: RecordedEvent[];
  /** The stream, the events of aliases that point or pointed at the key, and refused requests about it, in log order. */
  timeline: RecordedEvent[];
}

/** Reads a key's stream in revision order; a key without a stream is a CliError. */
export function readKeyStream(log: ReadOnlyEventLog, keyId: string): RecordedEvent[] {
  const stream = log.readStream(keyStreamId(keyId));
  if (stream.length === 0) throw keyNotFound(log, keyId);
  return stream;
}

export const keyNotFound = (log: ReadOnlyEventLog, keyId: string): CliError =>
  new CliError(`Key '${keyId}' not found: stream ${keyStreamId(keyId)} has no events in ${log.filename}.`);

/** The events of alias streams that name the key (as target now or before), in log order. */
export const aliasEventsOfKey = (log: ReadOnlyEventLog, keyId: string): RecordedEvent[] =>
  log.readAliasEvents().filter((event) => concernsKey(event, keyId));

/** Reads a key's stream, the alias events that name it and the refusals that name it. */
export function readKeyHistory(log: ReadOnlyEventLog, keyId: string): KeyHistory {
  const streamId = keyStreamId(keyId);
  const stream = readKeyStream(log, keyId);
  const refusals = log.readRefusals().filter((event) => keyIdOf(event) === keyId);
  const byPosition = (a: RecordedEvent, b: RecordedEvent) => a.position - b.position;
  const withRefusals = [...stream, ...refusals].sort(byPosition);
  const timeline = [...withRefusals, ...aliasEventsOfKey(log, keyId)].sort(byPosition);
  return { keyId, streamId, stream, withRefusals, timeline };
}
