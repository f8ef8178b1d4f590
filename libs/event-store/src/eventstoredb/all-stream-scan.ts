import type { BACKWARDS, END, FORWARDS, START, EventStoreDBClient, Position, ResolvedEvent } from '@eventstore/db-client';
import { dbClient } from './db-client';

/** Records read per round trip while scanning `$all`. */
export const SCAN_PAGE_SIZE = 500;

export type ScannedEvent = NonNullable<ResolvedEvent['event']> & { position: Position };

/**
 * Reads one bounded read to its end. The adapters pass StoreCalls.read (one deadline per page); the default
 * has no deadline of its own.
 */
export type PageReader = <T>(what: string, open: () => AsyncIterable<T>) => Promise<T[]>;
export const readUnbounded: PageReader = (_what, open) => readFully(open());

/**
 * Pages through `$all` from `from` in one direction. @eventstore/db-client 6.2.1 cannot filter reads on the
 * server (only subscriptions), so callers filter what they need. Pages overlap by one record whatever the
 * server's inclusivity at a page boundary, so each record is yielded exactly once. Each page is read
 * completely before anything is yielded, so a caller may stop early.
 */
export async function* scanAll(
  client: EventStoreDBClient,
  from: Position | typeof START | typeof END,
  direction: typeof FORWARDS | typeof BACKWARDS,
  pageSize = SCAN_PAGE_SIZE,
  readPage: PageReader = readUnbounded,
): AsyncGenerator<ScannedEvent, void, undefined> {
  let fromPosition = from;
  let last: Position | undefined;
  for (;;) {
    const page = await readPage('readAll', () => client.readAll({ fromPosition, direction, maxCount: pageSize }));
    for (const resolved of page) {
      const event = resolved.event;
      if (!event?.position) continue;
      if (last && !isBeyond(event.position, last, direction)) continue;
      last = event.position;
      yield event as ScannedEvent;
    }
    if (page.length < pageSize || !last) return;
    fromPosition = last;
  }
}

/**
 * Reads a (bounded) read to its end. A read abandoned half-way keeps its gRPC call open, and the client's
 * dispose() then waits for it forever, so every read is bounded by maxCount and consumed completely.
 *
 * When `signal` aborts first, the read's gRPC call is cancelled and this rejects with the signal's reason. The
 * items read so far are never returned: after a cancel the client ends the read as if it were complete.
 */
export async function readFully<T>(read: AsyncIterable<T>, signal?: AbortSignal): Promise<T[]> {
  const reading = (async () => {
    const items: T[] = [];
    for await (const item of read) items.push(item);
    return items;
  })();
  if (!signal) return reading;
  reading.catch(() => undefined);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => {
      const cancel = (read as { cancel?: () => Promise<void> }).cancel;
      if (typeof cancel === 'function') cancel.call(read).catch(() => undefined);
      reject(signal.reason);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([reading, aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

function isBeyond(position: Position, last: Position, direction: typeof FORWARDS | typeof BACKWARDS): boolean {
  const order = compare(position, last);
  return direction === dbClient().FORWARDS ? order > 0 : order < 0;
}

function compare(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}
