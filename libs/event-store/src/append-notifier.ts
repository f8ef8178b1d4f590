/**
 * Wakes waiting subscriptions when a store commits an append, or notices one another connection committed. A
 * version counter (rather than a bare event) lets a subscriber notice an append that landed between its last
 * read and its wait.
 */
export class AppendNotifier {
  private appendCount = 0;
  private closed = false;
  private readonly wakers = new Set<() => void>();

  /** Changes on every append; take it before reading, pass it to `waitForAppend` after. */
  get version(): number {
    return this.appendCount;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  notifyAppended(): void {
    this.appendCount += 1;
    this.wakeAll();
  }

  /** Wakes every waiter for good: the store is going away. */
  close(): void {
    this.closed = true;
    this.wakeAll();
  }

  /**
   * Resolves once the version differs from `seenVersion`, the notifier closes, the signal aborts or,
   * if given, `timeoutMs` elapses (used for polling commits made by other connections). Never rejects.
   */
  waitForAppend(seenVersion: number, signal: AbortSignal, timeoutMs?: number): Promise<void> {
    if (this.appendCount !== seenVersion || this.closed || signal.aborted) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', wake);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = timeoutMs === undefined ? undefined : setTimeout(wake, timeoutMs);
      this.wakers.add(wake);
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.wakers]) {
      wake();
    }
  }
}
