import { performance } from 'node:perf_hooks';

/** How long the first response of a batch may wait for the rest of its turn before the batch goes out anyway. */
export const MAX_BATCH_WAIT_MS = 1;

/**
 * Runs queued response writes together, in the order they were queued. A write for a request read in this turn
 * of the event loop waits for the turn's end (one setImmediate, after the poll phase that read the requests), or
 * until the batch's first write has waited MAX_BATCH_WAIT_MS. A write released after that turn ended (by the group
 * commit at its end, the read models catching up, the signing thread's reply) goes out once the microtasks that
 * release it with others have run.
 *
 * Why: a client on the same host (a test suite, the benchmark's driver) sleeps in epoll between responses, and
 * each response written on its own wakes it; the kernel charges that wake-up to the service's write. Written back
 * to back, the first response of a batch wakes the client and the rest find it awake. Measured on Decrypt at 16
 * connections (--cpu-prof, 8 s): the socket write cost 56 µs of service CPU per request, 15 µs with the writes of
 * a turn together, and the client woke 0.1 times per response instead of 0.7 (README, Benchmarks, has the
 * throughput). The wait bound keeps a burst's first answers from waiting for its last: a turn that reads a burst of
 * GetParametersForImport calls (over a millisecond each on a fresh service) would otherwise hold every answer until
 * the slowest was ready. A write released after its turn must not wait for the next turn's end: that turn reads
 * other requests first, so an answer ready at the end of one turn would wait for all the work of the next (a
 * CreateKey at 4 connections waited 1-2 ms that way, a burst's first GetParametersForImport 7 ms).
 */
export class TurnEndWrites {
  private queue: Array<() => void> = [];
  private firstQueuedAt = 0;
  /** This turn handles requests (handlingRequest), and its end (an immediate) has not come yet. */
  private turnHandlesRequests = false;
  private releasedFlushQueued = false;

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

  /**
   * Called as a request is read, and again when it resumes after waiting on other I/O than a commit (its
   * signature from the signing thread): this turn handles requests, and the writes queued until its end go out with
   * it.
   */
  handlingRequest(): void {
    if (this.turnHandlesRequests) return;
    this.turnHandlesRequests = true;
    setImmediate(this.turnEnded);
  }

  /**
   * Queues `write` for the end of this turn, or runs its batch now if the batch has waited long enough; outside a
   * turn that read requests, queues it for the end of the current microtasks.
   */
  defer(write: () => void): void {
    if (!this.turnHandlesRequests) {
      this.queue.push(write);
      if (!this.releasedFlushQueued) {
        this.releasedFlushQueued = true;
        // Queued from a microtask, a tick runs once the microtask queue is empty: after the others released with it.
        process.nextTick(this.flushReleased);
      }
      return;
    }
    if (this.queue.push(write) === 1) this.firstQueuedAt = this.now();
    else if (this.now() - this.firstQueuedAt >= this.maxWaitMs) this.flush();
  }

  private readonly turnEnded = (): void => {
    this.turnHandlesRequests = false;
    this.flush();
  };

  private readonly flushReleased = (): void => {
    this.releasedFlushQueued = false;
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
