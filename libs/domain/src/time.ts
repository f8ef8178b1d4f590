/** Time in the domain is plain data: epoch milliseconds in state, ISO-8601 strings in events. */
export type EpochMillis = number;

export const MINUTE_MS = 60 * 1000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export const toIso = (ms: EpochMillis): string => new Date(ms).toISOString();
export const fromIso = (iso: string): EpochMillis => Date.parse(iso);
