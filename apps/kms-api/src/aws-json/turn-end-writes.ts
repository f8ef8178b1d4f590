/**
 * Runs queued response writes together at the end of the event loop's current turn (one setImmediate, after the
 * poll phase that read the requests), in the order they were queued.
 *
 * Why: a client on the same host (a test suite, the benchmark's driver) sleeps in epoll between responses, and
 * each response written on its own wakes it; the kernel charges that wake-up to the service's write. Written back
 * to back, the first response of a turn wakes the client and the rest find it awake. Measured on Decrypt at 16
 * connections (--cpu-prof, 8 s): the socket write cost 56 µs of service CPU per request, 15 µs with the writes of
 * a turn together, and the client woke 0.7 times per response instead of 0.1 (docs/benchmarks.md has the
 * throughput). The price: a response waits for the rest of its turn, time the event loop is busy either way.
 */
export class TurnEndWrites {
  private queue: Array<() => void> = [];

  /**
   * @param reportFailure what to do with a write that threw, after the turn's other writes have run; by default
   *   it is rethrown outside the loop, as an uncaught exception, which is what it would have been unqueued.
   */
  constructor(private readonly reportFailure: (error: unknown) => void = (error) => process.nextTick(() => { throw error; })) {}

  /** Queues `write` for the end of this turn. */
  defer(write: () => void): void {
    if (this.queue.push(write) === 1) setImmediate(this.flush);
  }

  private readonly flush = (): void => {
    const due = this.queue;
    this.queue = [];
    for (const write of due) {
      try {
        write();
      } catch (error) {
        this.reportFailure(error);
      }
    }
  };
}
