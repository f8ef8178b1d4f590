import { clockOffsetMs, ServiceClock } from './service-clock';

describe('ServiceClock', () => {
  it('follows the wall clock until moved, then runs ahead by the sum of the moves', () => {
    const clock = new ServiceClock();
    expect(Math.abs(clock.now() - Date.now())).toBeLessThan(5);
    clock.advance(2 * 3600_000);
    clock.advance(1000);
    expect(clockOffsetMs(clock)).toBe(7_201_000);
    expect(clock.now() - Date.now()).toBeGreaterThanOrEqual(7_200_995);
  });

  it('never goes back', () => {
    const clock = new ServiceClock();
    for (const ms of [-1, 0.5, Number.NaN]) expect(() => clock.advance(ms)).toThrow(RangeError);
    expect(clock.offsetMs).toBe(0);
  });

  it('measures how far a test clock runs ahead', () => {
    expect(clockOffsetMs({ now: () => Date.now() + 5000 })).toBeGreaterThanOrEqual(4999);
  });
});
