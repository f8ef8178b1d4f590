import { performance } from 'node:perf_hooks';

/** Latency summary in milliseconds; percentiles use the nearest-rank method over all recorded samples. */
export interface LatencyStats {
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

export const now = (): number => performance.now();

/** Aborted on SIGINT/SIGTERM: every measurement loop stops starting new operations. */
export const benchAbort = new AbortController();
const aborted = (): boolean => benchAbort.signal.aborted;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Nearest-rank percentile of an ascending array (p in 0..100); NaN for an empty array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Arithmetic mean of the values; NaN for none. */
export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((total, value) => total + value, 0) / values.length;
}

/** Median of the values (the mean of the middle two for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function summarize(samples: readonly number[]): LatencyStats {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((total, value) => total + value, 0);
  return {
    count: sorted.length,
    min: sorted.length ? sorted[0] : Number.NaN,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1] : Number.NaN,
    mean: sorted.length ? sum / sorted.length : Number.NaN,
  };
}

/** Counts failures without stopping the measurement; keeps the first message for the report. */
export class ErrorTally {
  count = 0;
  first?: string;

  record(error: unknown): void {
    this.count += 1;
    if (this.first === undefined) {
      const e = error as { name?: string; message?: string };
      this.first = `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`.slice(0, 200);
    }
  }
}

/**
 * Runs the calls all at once (a burst) and waits for every one: each success's latency, from its own start, goes to
 * `latencies`; each failure to `errors`.
 */
export async function timedBurst(calls: ReadonlyArray<() => Promise<unknown>>, latencies: number[], errors: ErrorTally): Promise<void> {
  await Promise.all(
    calls.map(async (call) => {
      const t0 = now();
      try {
        await call();
        latencies.push(now() - t0);
      } catch (error) {
        errors.record(error);
      }
    }),
  );
}

export interface LoopResult {
  concurrency: number;
  /** Operations that completed successfully inside the measured window. */
  operations: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  perSecond: number;
  latency: LatencyStats;
}

export interface ClosedLoopOptions {
  concurrency: number;
  /** Operations run (and discarded) before the measured window, same concurrency. */
  warmupMs: number;
  durationMs: number;
  /** Hard cap on measured operations (the loop also ends at durationMs). */
  maxOperations: number;
  /** One operation; worker is 0..concurrency-1. */
  op: (worker: number) => Promise<void>;
  /** Called when the measured window starts (after the warm-up) and when it ends. */
  onWindowStart?: () => void;
  onWindowEnd?: () => void;
}

/**
 * Closed-loop load: `concurrency` workers, each starting its next operation as soon as the previous one
 * ends. No operation starts after the deadline or beyond maxOperations; the ones in flight are awaited and
 * counted, and the elapsed time runs until the last of them ends.
 */
export async function runClosedLoop(options: ClosedLoopOptions): Promise<LoopResult> {
  if (options.warmupMs > 0) {
    await drive(options.concurrency, now() + options.warmupMs, Number.MAX_SAFE_INTEGER, options.op, new ErrorTally(), []);
  }
  const errors = new ErrorTally();
  const latencies: number[] = [];
  options.onWindowStart?.();
  const start = now();
  await drive(options.concurrency, start + options.durationMs, options.maxOperations, options.op, errors, latencies);
  const elapsedMs = now() - start;
  options.onWindowEnd?.();
  return {
    concurrency: options.concurrency,
    operations: latencies.length,
    errors: errors.count,
    firstError: errors.first,
    elapsedMs,
    perSecond: latencies.length / (elapsedMs / 1000),
    latency: summarize(latencies),
  };
}

async function drive(
  concurrency: number,
  deadline: number,
  maxOperations: number,
  op: (worker: number) => Promise<void>,
  errors: ErrorTally,
  latencies: number[],
): Promise<void> {
  let started = 0;
  const worker = async (index: number): Promise<void> => {
    while (now() < deadline && started < maxOperations && !aborted()) {
      started += 1;
      const t0 = now();
      try {
        await op(index);
        latencies.push(now() - t0);
      } catch (error) {
        errors.record(error);
        // A failing operation must not turn into a hot loop against a broken service.
        await sleep(5);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, index) => worker(index)));
}

/** Runs `op` one call at a time, at most `count` times and not past `maxMs`; `gapMs` of idle time between calls. */
export async function runSequential(options: {
  count: number;
  maxMs: number;
  gapMs?: number;
  op: (index: number) => Promise<number>;
}): Promise<{ latencies: number[]; errors: ErrorTally; elapsedMs: number; timedOut: boolean }> {
  const latencies: number[] = [];
  const errors = new ErrorTally();
  const start = now();
  const deadline = start + options.maxMs;
  let index = 0;
  for (; index < options.count && now() < deadline && !aborted(); index++) {
    if (index > 0 && options.gapMs) await sleep(Math.min(options.gapMs, deadline - now()));
    if (now() >= deadline || aborted()) break;
    try {
      latencies.push(await options.op(index));
    } catch (error) {
      errors.record(error);
    }
  }
  return { latencies, errors, elapsedMs: now() - start, timedOut: index < options.count };
}
