import { performance } from 'node:perf_hooks';

/** How long the first response of a batch may wait for the rest of its turn before the batch goes out anyway. */
export const MAX_BATCH_WAIT_MS = 1;

/**
 * Runs queued response writes together, in the order they were queued: at the end of the event loop's current
 * turn (one setImmediate, after the poll phase that read the requests), or as soon as the batch's first write has
 * waited MAX_BATCH_WAIT_MS.
 *
 * Why: a client on the same host (a test suite, the benchmark's driver) sleeps in epoll between responses, and
 * each response written on its own wakes it; the kernel charges that wake-up to the service's write. Written back
 * to back, the first response of a batch wakes the client and the rest find it awake. Measured on Decrypt at 16
 * connections (--cpu-prof, 8 s): the socket write cost 56 µs of service CPU per request, 15 µs with the writes of
 * a turn together, and the client woke 0.1 times per response instead of 0.7 (README, Benchmarks, has the
 * throughput). The wait bound keeps a burst's first answers from waiting for its last: a turn that reads a burst of
 * GetParametersForImport calls (over a millisecond each on a fresh service) would otherwise hold every answer until
 * the slowest was ready.
 */
export class TurnEndWrites {
  private queue: Array<() => void> = [];
  private firstQueuedAt = 0;
  private flushScheduled = false;

  /**
   * @param reportFailure what to do with a write that threw, after its batch's other writes have run; by default
   *   it is rethrown outside the loop, as an uncaught exception, which is what it would have been unqueued.
   * @param now the clock of the wait bound (a test's own)
   */
  constructor(
    private readonly reportFailure: (error: unknown) => void = (error) => process.nextTick(() => { throw error; }),
    private readonly maxWaitMs = MAX_BATCH_WAIT_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Queues `write` for the end of this turn, or runs its batch now if the batch has waited long enough. */
  defer(write: () => void): void {
    if (this.queue.push(write) === 1) this.firstQueuedAt = this.now();
    else if (this.now() - this.firstQueuedAt >= this.maxWaitMs) return this.flush();
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushAtTurnEnd);
    }
  }

  private readonly flushAtTurnEnd = (): void => {
    this.flushScheduled = false;
    this.flush();
  };

  private flush(): void {
    const due = this.queue;
    this.queue = [];
    for (const write of due) {
      try {
        write();
      } catch (error) {
        this.reportFailure(error);
      }
    }
  }
}
