/** Time in the domain is plain data: epoch milliseconds in state, ISO-8601 strings in events. */
export type EpochMillis = number;

export const MINUTE_MS = 60 * 1000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** The second toIso last formatted, and its text up to the milliseconds ("2026-12-05T13:40:07."). */
let formattedSecond = Number.NaN;
let formattedPrefix = '';

/**
 * Date.prototype.toISOString, remembering the last second it formatted: records made in the same second (every
 * use of a key is one) then cost a concatenation instead of a Date. Only for whole milliseconds of four-digit
 * years, the text's only shape with 24 characters; anything else is formatted afresh.
 */
export function toIso(ms: EpochMillis): string {
  if (!Number.isInteger(ms)) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000);
  if (second !== formattedSecond) {
    const iso = new Date(ms).toISOString();
    if (iso.length !== 24) return iso;
    formattedSecond = second;
    formattedPrefix = iso.slice(0, 20);
    return iso;
  }
  const millis = ms - second * 1000;
  return `${formattedPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

export const fromIso = (iso: string): EpochMillis => Date.parse(iso);
