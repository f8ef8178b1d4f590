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

/** ISO-8601 date, or date-time with an explicit zone (a zoneless time would depend on the reader's zone). */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/**
 * A time given as ISO-8601 text, in epoch milliseconds; undefined if it is not one. Date.parse alone would read a
 * day the month does not have (2027-02-30) as the next month's (March 2): such a date is refused instead.
 */
export function parseIsoTime(text: string): EpochMillis | undefined {
  const parts = ISO_8601.exec(text);
  if (!parts) return undefined;
  const [year, month, day] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return undefined;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Epoch milliseconds as text: at most 15 digits, so always a time a Date can hold. */
const EPOCH_MILLIS = /^\d{1,15}$/;

/** A moment given as text, by REST query parameters and the CLI's time options: ISO-8601 (parseIsoTime) or epoch milliseconds. */
export function parseInstant(text: string): EpochMillis | undefined {
  return EPOCH_MILLIS.test(text) ? Number(text) : parseIsoTime(text);
}
