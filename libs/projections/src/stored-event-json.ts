import type { RecordedEvent } from '@keyledger/event-store';

/**
 * Where an event read straight from a log row may carry its data's stored JSON text (a replay reads rows, not
 * the store's API): a projection that stores the data as JSON splices that text in instead of serialising the
 * parsed object again. Absent on events from a live subscription; the result is the same either way.
 */
export const STORED_DATA_JSON = Symbol.for('keyledger.storedDataJson');

export type WithStoredDataJson = RecordedEvent & { [STORED_DATA_JSON]?: string };

export const storedDataJson = (event: RecordedEvent): string | undefined => (event as WithStoredDataJson)[STORED_DATA_JSON];
