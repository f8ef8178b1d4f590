import { parseInstant, parseIsoTime, toIso } from './time';

describe('toIso', () => {
  const expected = (ms: number) => new Date(ms).toISOString();

  it('is Date.prototype.toISOString for whole milliseconds, in the same second or not, in any order', () => {
    const base = Date.UTC(2026, 11, 5, 13, 40, 7);
    const times = [base, base + 1, base + 9, base + 10, base + 99, base + 100, base + 999, base + 1000, base + 5, base - 1, base - 1000, base + 1005];
    for (let i = 0; i < 5000; i++) times.push(base + Math.floor((Math.random() - 0.5) * 4000));
    for (const ms of times) expect(toIso(ms)).toBe(expected(ms));
  });

  it('is Date.prototype.toISOString at the edges: before 1970, fractional milliseconds, years beyond four digits', () => {
    for (const ms of [0, -1, -999, -1000, -1001, 1.5, 1000.999, -0.5, Date.UTC(10000, 0, 1), Date.UTC(10000, 0, 1) + 7, Date.UTC(-1, 0, 1) + 3, 8.64e15]) {
      expect(toIso(ms)).toBe(expected(ms));
      expect(toIso(ms)).toBe(expected(ms)); // again, as the second just remembered
    }
  });

  it('throws for what Date cannot represent, as toISOString does', () => {
    expect(() => toIso(Number.NaN)).toThrow(RangeError);
    expect(() => toIso(8.64e15 + 1)).toThrow(RangeError);
  });
});

describe('parseIsoTime', () => {
  it('reads ISO-8601 dates and date-times with a zone, leap days included', () => {
    expect(parseIsoTime('2026-11-22T10:00:00Z')).toBe(Date.UTC(2026, 10, 22, 10));
    expect(parseIsoTime('2026-11-22T10:00:00.123+02:00')).toBe(Date.UTC(2026, 10, 22, 8, 0, 0, 123));
    expect(parseIsoTime('2026-11-22')).toBe(Date.UTC(2026, 10, 22));
    expect(parseIsoTime('2028-02-29T00:00:00Z')).toBe(Date.UTC(2028, 1, 29));
    expect(parseIsoTime('2027-01-31')).toBe(Date.UTC(2027, 0, 31));
  });

  it('refuses days the month does not have, which Date.parse moves into the next month', () => {
    expect(Date.parse('2027-02-30T00:00:00Z')).toBe(Date.UTC(2027, 2, 2));
    for (const text of ['2027-02-30T00:00:00Z', '2027-02-29', '2027-04-31', '2027-06-31T12:00:00Z', '2027-13-01', '2027-00-10', '2027-01-00']) {
      expect(parseIsoTime(text)).toBeUndefined();
    }
  });

  it('refuses zoneless date-times and anything that is not ISO-8601', () => {
    for (const text of ['2026-11-22T10:00:00', '-5', 'key 12', 'Dec 5, 2026', '1700000000000', '', '2026-11-22T25:00:00Z']) {
      expect(parseIsoTime(text)).toBeUndefined();
    }
  });
});

describe('parseInstant', () => {
  it('takes epoch milliseconds of up to 15 digits or ISO-8601, and nothing else', () => {
    expect(parseInstant('1700000000000')).toBe(1_700_000_000_000);
    expect(parseInstant('999999999999999')).toBe(999_999_999_999_999);
    expect(parseInstant('2026-11-22T10:00:00Z')).toBe(Date.UTC(2026, 10, 22, 10));
    for (const text of ['9999999999999999', '-5', '1.5', '2027-02-30T00:00:00Z', 'now']) expect(parseInstant(text)).toBeUndefined();
  });
});
