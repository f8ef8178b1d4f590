/**
 * A hung node, for tests of deadlines: while stalled, the double accepts calls but answers none of them. With
 * `commitWrites`, appends are written to the log before the (withheld) answer, so the client cannot know
 * whether they were: the "outcome unknown" case. Held calls go on when the stall ends (late answers, as from a
 * node that recovers) or are abandoned when the server shuts down.
 */
export interface StallOptions {
  /** Write appends before holding their answer (default false: hold them before writing). */
  commitWrites?: boolean;
  /** Hold reads and subscription deliveries too (default true); false stalls writes only. */
  reads?: boolean;
}

export class StallGate {
  private stalled: StallOptions | undefined;
  private waiting = new Set<(proceed: boolean) => void>();

  get isStalled(): boolean {
    return this.stalled !== undefined;
  }

  /** Whether reads (and subscription deliveries) are held. */
  get holdsReads(): boolean {
    return this.stalled !== undefined && this.stalled.reads !== false;
  }

  /** Whether appends are written while their answers are held. */
  get commitsWrites(): boolean {
    return this.stalled?.commitWrites === true;
  }

  stall(options: StallOptions = {}): void {
    this.stalled = { ...options };
  }

  /** Ends the stall; held calls proceed. */
  release(): void {
    this.stalled = undefined;
    this.settle(true);
  }

  /** Ends the stall; held calls are abandoned (the server went away). */
  abandon(): void {
    this.stalled = undefined;
    this.settle(false);
  }

  /** Runs `then` now when not stalled (synchronously, so ordering is as without a gate), else when released. */
  after(then: () => void): void {
    if (!this.stalled) return then();
    void this.pass().then((proceed) => {
      if (proceed) then();
    });
  }

  /** Resolves true at once when not stalled, else when the stall ends (false if the held call is abandoned). */
  pass(): Promise<boolean> {
    if (!this.stalled) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => this.waiting.add(resolve));
  }

  private settle(proceed: boolean): void {
    const waiting = [...this.waiting];
    this.waiting = new Set();
    for (const resolve of waiting) resolve(proceed);
  }
}
