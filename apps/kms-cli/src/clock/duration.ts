import { CliError } from '../cli-error';

const UNIT_SECONDS: Record<string, number> = { d: 86_400, h: 3_600, m: 60, s: 1 };
const DURATION = /^(?:\d+[dhms])+$/;

/** `8d`, `2h`, `90m`, `30s` or combinations (`1d12h`), in seconds. */
export function parseDuration(text: string): number {
  if (!DURATION.test(text)) throw new CliError(`'${text}' is not a duration: use days, hours, minutes or seconds, like 8d, 2h, 90m, 30s or 1d12h.`);
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([dhms])/g)) seconds += Number(amount) * UNIT_SECONDS[unit];
  if (seconds === 0) throw new CliError(`'${text}' is no time at all; the clock only moves forward.`);
  return seconds;
}

/** 691200 -> `8d`, 5400 -> `1h30m`, 0 -> `0s`. */
export function formatDuration(totalSeconds: number): string {
  let rest = Math.round(totalSeconds);
  if (rest === 0) return '0s';
  const parts: string[] = [];
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    const amount = Math.floor(rest / size);
    if (amount > 0) parts.push(`${amount}${unit}`);
    rest -= amount * size;
  }
  return parts.join('');
}
