/** ISO-8601 date, or date-time with an explicit zone (a zoneless time would depend on the server's zone). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;
const EPOCH_MILLIS = /^\d{1,15}$/;

/** Parses an ISO-8601 time to epoch milliseconds; undefined if it is not one. */
export function parseIsoTime(text: string): number | undefined {
  if (!ISO_8601.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A moment in a query parameter: ISO-8601 or epoch milliseconds. */
export function parseInstant(text: string): number | undefined {
  return EPOCH_MILLIS.test(text) ? Number(text) : parseIsoTime(text);
}

export const toIsoTime = (epochMillis: number): string => new Date(epochMillis).toISOString();
