import { isKeyEventType, KeyEvent } from '@keyledger/domain';
import { RecordedEvent } from '@keyledger/event-store';

/**
 * Turns stored events into domain events. This is the one place where old event versions would be upcast;
 * events of types the domain does not know are skipped (evolve would ignore them anyway).
 */
export function toKeyEvent(recorded: RecordedEvent): KeyEvent | undefined {
  if (!isKeyEventType(recorded.type)) return undefined;
  return { type: recorded.type, data: recorded.data } as unknown as KeyEvent;
}

export const toKeyEvents = (recorded: RecordedEvent[]): KeyEvent[] =>
  recorded.map(toKeyEvent).filter((e): e is KeyEvent => e !== undefined);

/**
 * The domain events as a read would return them after `events` are appended: data round-trips through JSON as
 * every store keeps it, so a state folded from them equals one folded from the store.
 */
export const asStoredKeyEvents = (events: ReadonlyArray<{ type: string; data: unknown }>): KeyEvent[] =>
  events.filter((event) => isKeyEventType(event.type)).map((event) => ({ type: event.type, data: JSON.parse(JSON.stringify(event.data)) }) as unknown as KeyEvent);
