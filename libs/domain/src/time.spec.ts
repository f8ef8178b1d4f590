import { toIso } from './time';

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
