import { ReadReq } from '@eventstore/db-client/generated/streams_pb';
import type { LogRecord } from './transaction-log';

/** The server's default search window when the client asks for `count` (ReadBatchSize). */
const DEFAULT_MAX_SEARCH_WINDOW = 32;

export interface EventFilter {
  matches(record: LogRecord): boolean;
  /** A checkpoint is sent after this many records were considered (search window × multiplier). */
  checkpointInterval: number;
}

/** Server-side `$all` filters: on stream name or event type, by prefixes or a regular expression. */
export function eventFilterOf(options: ReadReq.Options.FilterOptions): EventFilter {
  const onStreamName = options.hasStreamIdentifier();
  const expression = onStreamName ? options.getStreamIdentifier()! : options.getEventType()!;
  const prefixes = expression.getPrefixList();
  const regex = expression.getRegex() ? new RegExp(expression.getRegex()) : undefined;
  const window = options.hasMax() ? options.getMax() : DEFAULT_MAX_SEARCH_WINDOW;
  const multiplier = options.getCheckpointintervalmultiplier() || 1;
  return {
    matches(record) {
      const subject = onStreamName ? record.streamName : record.type;
      if (prefixes.length > 0) return prefixes.some((prefix) => subject.startsWith(prefix));
      return regex ? regex.test(subject) : true;
    },
    checkpointInterval: window * multiplier,
  };
}
