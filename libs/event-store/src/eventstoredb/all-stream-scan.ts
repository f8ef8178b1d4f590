import { BACKWARDS, END, FORWARDS, START, type EventStoreDBClient, type Position, type ResolvedEvent } from '@eventstore/db-client';

/** Records read per round trip while scanning `$all`. */
export const SCAN_PAGE_SIZE = 500;

export type ScannedEvent = NonNullable<ResolvedEvent['event']> & { position: Position };

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
): AsyncGenerator<ScannedEvent, void, undefined> {
  let fromPosition = from;
  let last: Position | undefined;
  for (;;) {
    const page = await readFully(client.readAll({ fromPosition, direction, maxCount: pageSize }));
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
 */
export async function readFully<T>(read: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of read) items.push(item);
  return items;
}

function isBeyond(position: Position, last: Position, direction: typeof FORWARDS | typeof BACKWARDS): boolean {
  const order = compare(position, last);
  return direction === FORWARDS ? order > 0 : order < 0;
}

function compare(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}
