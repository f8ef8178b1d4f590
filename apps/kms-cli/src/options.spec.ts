import { CliError } from './cli-error';
import { parseTime } from './options';

describe('parseTime (--as-of, --from, --to)', () => {
  it('takes ISO-8601 with a zone, a date, epoch milliseconds and now', () => {
    expect(parseTime('2026-11-22T07:47:40Z', '--as-of')).toBe(Date.UTC(2026, 10, 22, 7, 47, 40));
    expect(parseTime('2026-11-22', '--from')).toBe(Date.UTC(2026, 10, 22));
    expect(parseTime('1700000000000', '--to')).toBe(1_700_000_000_000);
    expect(parseTime('0', '--from')).toBe(0);
    const before = Date.now();
    expect(parseTime('now', '--as-of')).toBeGreaterThanOrEqual(before);
  });

  it('refuses, with one line, what Date.parse would have read loosely or could not hold', () => {
    const refused = (value: string) => new CliError(
      `--as-of: '${value}' is not a time (use ISO-8601 with a zone, e.g. 2026-11-22T10:00:00Z, a date such as 2026-11-22, epoch milliseconds, or 'now').`,
    );
    // Date.parse reads these as 2001-05-01, 2001-12-01, March 2nd and a local time; the last two are beyond a Date.
    for (const value of ['-5', 'key 12', '2027-02-30T00:00:00Z', '2026-12-07T01:32:00', '99999999999999999999', '8640000000000001']) {
      expect(() => parseTime(value, '--as-of')).toThrow(refused(value));
    }
  });
});
