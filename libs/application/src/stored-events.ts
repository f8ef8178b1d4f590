import { isKeyEventType, KeyEvent } from '@keyledger/domain';
import { RecordedEvent } from '@keyledger/event-store';

/**
 * Turns stored events into domain events. This is the one place where old event versions would be upcast;
 * events of types the domain does not know are skipped (evolve would ignore them anyway).
 */
export function toKeyEvent(recorded: Pick<RecordedEvent, 'type' | 'data'>): KeyEvent | undefined {
  if (!isKeyEventType(recorded.type)) return undefined;
  // The stored event itself, not a copy: its data is not touched here, so a feed that parses data on first read
  // (the replay's) never parses the events evolve ignores.
  return recorded as unknown as KeyEvent;
}

export const toKeyEvents = (recorded: ReadonlyArray<Pick<RecordedEvent, 'type' | 'data'>>): KeyEvent[] =>
  recorded.map(toKeyEvent).filter((e): e is KeyEvent => e !== undefined);

/**
 * The domain events as a read would return them after `events` are appended: data round-trips through JSON as
 * every store keeps it, so a state folded from them equals one folded from the store.
 */
export const asStoredKeyEvents = (events: ReadonlyArray<Pick<RecordedEvent, 'type' | 'data'>>): KeyEvent[] =>
  toKeyEvents(events.map(({ type, data }) => ({ type, data: JSON.parse(JSON.stringify(data)) as RecordedEvent['data'] })));
