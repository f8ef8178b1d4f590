import { parseIsoTime } from '@keyledger/domain';

export { parseIsoTime };

const EPOCH_MILLIS = /^\d{1,15}$/;

/** A moment in a query parameter: ISO-8601 (libs/domain parseIsoTime) or epoch milliseconds. */
export function parseInstant(text: string): number | undefined {
  return EPOCH_MILLIS.test(text) ? Number(text) : parseIsoTime(text);
}

export const toIsoTime = (epochMillis: number): string => new Date(epochMillis).toISOString();
