import type { Clock } from '@keyledger/application';

/** development or production (KEYLEDGER_MODE), for the parts that behave differently: the test clock, /health. */
export const SERVICE_MODE = Symbol('ServiceMode');
export type ServiceMode = 'development' | 'production';

/** A clock that can be moved forward: the service's own (ServiceClock), or a test's. */
export interface AdjustableClock extends Clock {
  advance(ms: number): void;
}

export const isAdjustable = (clock: Clock): clock is AdjustableClock => typeof (clock as Partial<AdjustableClock>).advance === 'function';

/**
 * The service's clock (the CLOCK port): the wall clock plus an offset that only grows. In development mode the
 * test clock (POST /v1/admin/clock) moves it forward so expiry, deletion windows and import tokens can be
 * tested in seconds; never backwards, so the log's times never run backwards either. The offset lives in memory:
 * a restart is back on the wall clock (events already recorded keep their later times).
 */
export class ServiceClock implements AdjustableClock {
  private offset = 0;

  now = (): number => Date.now() + this.offset;

  get offsetMs(): number {
    return this.offset;
  }

  advance(ms: number): void {
    if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`The clock only moves forward by whole milliseconds, not ${ms}.`);
    this.offset += ms;
  }
}

/** How far a clock runs ahead of the wall clock (a test's clock may not say, so it is measured). */
export const clockOffsetMs = (clock: Clock): number => (clock instanceof ServiceClock ? clock.offsetMs : Math.max(0, clock.now() - Date.now()));
