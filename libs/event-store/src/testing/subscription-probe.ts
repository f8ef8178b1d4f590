import type { EventStore, RecordedEvent } from '../event-store.port';

const DEFAULT_WAIT_MS = 5000;

/**
 * Test helper: consumes `store.subscribeToAll` in the background, records what it receives and lets a
 * test wait for a number of events or for the loop to end, with timeouts instead of hanging.
 */
export class SubscriptionProbe {
  readonly received: RecordedEvent[] = [];
  private readonly controller = new AbortController();
  private readonly loop: Promise<void>;
  private ended = false;
  private failure: unknown;
  private readonly onChange = new Set<() => void>();

  constructor(store: EventStore, after: number) {
    this.loop = this.consume(store, after, this.controller.signal);
  }

  get hasEnded(): boolean {
    return this.ended;
  }

  /** Resolves with the first `count` events once they have arrived. */
  async waitForCount(count: number, timeoutMs = DEFAULT_WAIT_MS): Promise<RecordedEvent[]> {
    await this.waitUntil(
      () => this.received.length >= count,
      timeoutMs,
      () => `expected ${count} events, received ${this.received.length}`,
    );
    return this.received.slice(0, count);
  }

  /** Resolves once the for-await loop has finished (rejects with the error if it threw). */
  async waitForEnd(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    await this.waitUntil(() => this.ended, timeoutMs, () => 'the subscription did not end');
    await this.loop;
  }

  abort(): void {
    this.controller.abort();
  }

  /** Aborts and waits for the loop to finish. */
  async stop(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    this.abort();
    await this.waitForEnd(timeoutMs);
  }

  private async consume(store: EventStore, after: number, signal: AbortSignal): Promise<void> {
    try {
      for await (const event of store.subscribeToAll({ after, signal })) {
        this.received.push(event);
        this.notify();
      }
    } catch (error) {
      // Surfaced through waitForCount/waitForEnd rather than as an unhandled rejection.
      this.failure = error ?? new Error('subscription failed');
    } finally {
      this.ended = true;
      this.notify();
    }
  }

  private waitUntil(condition: () => boolean, timeoutMs: number, describeTimeout: () => string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (this.failure !== undefined) {
          finish();
          reject(this.failure);
        } else if (condition()) {
          finish();
          resolve();
        } else if (this.ended) {
          finish();
          reject(new Error(`Subscription ended early: ${describeTimeout()}`));
        }
      };
      const finish = (): void => {
        clearTimeout(timer);
        this.onChange.delete(check);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`Timed out after ${timeoutMs} ms: ${describeTimeout()}`));
      }, timeoutMs);
      this.onChange.add(check);
      check();
    });
  }

  private notify(): void {
    for (const check of [...this.onChange]) {
      check();
    }
  }
}
