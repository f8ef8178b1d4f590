import { Logger } from '@nestjs/common';
import { generateWrappingKeyPair } from '@keyledger/crypto';
import type { WrappingKeySpec } from '@keyledger/domain';
import { WrappingKeySource } from '../ports';

type KeyPair = { publicKeyDer: Buffer; privateKeyDer: Buffer };
type Generate = (spec: WrappingKeySpec) => Promise<KeyPair>;

/**
 * How long after a pair is handed out from a full enough pool the refill starts. RSA generation takes both cores
 * for a while; started at the first take of a burst it would slow the rest of the burst down (measured: burst of 8
 * p50 ~39 ms refilling at once, ~17 ms refilling after 100 ms, on a loaded 2-core machine).
 */
export const REFILL_DELAY_MS = 100;

interface SpecState {
  ready: KeyPair[];
  waiting: Array<{ resolve: (pair: KeyPair) => void; reject: (error: Error) => void }>;
  generating: number;
  /** The pending delayed refill, if any: until it fires, the spec is not refilled in the background. */
  refill?: NodeJS.Timeout;
}

/**
 * Hands out RSA wrapping key pairs for GetParametersForImport, each pair once (a fresh pair per call, as AWS
 * does). Generating an RSA_4096 pair takes seconds, so the pool keeps `targetSize` pairs ready per spec and
 * refills in the background on libuv's thread pool. A pair taken from the pool is replaced after
 * REFILL_DELAY_MS, so a burst served from the pool is not competing with the generations it triggers.
 *
 * `maxParallel` (the core count) bounds generation twice:
 * - background refills, all specs together: a fill never takes more of libuv's thread pool than the machine has
 *   cores, so the log's file writes and DNS lookups, which share that pool, are not queued behind seconds of RSA
 *   generation (the entry point sizes the thread pool above the core count, see thread-pool.ts);
 * - a caller who finds the pool empty waits for the next pair of its spec to finish, and gets a generation started
 *   at once whatever is refilling, at most `maxParallel` per spec, so a burst queues instead of making every
 *   generation slower.
 */
export class WrappingKeyPool implements WrappingKeySource {
  private readonly logger = new Logger(WrappingKeyPool.name);
  private readonly specs = new Map<WrappingKeySpec, SpecState>();
  private closed = false;

  constructor(
    private readonly targetSize: Record<WrappingKeySpec, number>,
    private readonly maxParallel = 2,
    private readonly generate: Generate = generateWrappingKeyPair,
    private readonly refillDelayMs = REFILL_DELAY_MS,
  ) {}

  /** Starts filling every spec's pool (in the order of `targetSize`); returns without waiting. */
  warmUp(): void {
    this.refillInBackground();
  }

  take(spec: WrappingKeySpec): Promise<KeyPair> {
    const state = this.state(spec);
    const pair = state.ready.shift();
    if (!pair) {
      const taken = new Promise<KeyPair>((resolve, reject) => state.waiting.push({ resolve, reject }));
      this.serveWaiting(spec);
      this.refillInBackground();
      return taken;
    }
    state.refill ??= setTimeout(() => {
      state.refill = undefined;
      this.refillInBackground();
    }, this.refillDelayMs).unref();
    return Promise.resolve(pair);
  }

  /** How many pairs are ready per spec (for health and tests). */
  readyCount(spec: WrappingKeySpec): number {
    return this.state(spec).ready.length;
  }

  close(): void {
    this.closed = true;
    for (const state of this.specs.values()) clearTimeout(state.refill);
  }

  private state(spec: WrappingKeySpec): SpecState {
    let state = this.specs.get(spec);
    if (!state) this.specs.set(spec, (state = { ready: [], waiting: [], generating: 0 }));
    return state;
  }

  /** Starts a generation for each caller of `spec` that no generation in flight will serve, up to maxParallel for the spec. */
  private serveWaiting(spec: WrappingKeySpec): void {
    const state = this.state(spec);
    while (state.waiting.length > state.generating && state.generating < this.maxParallel) this.startGeneration(spec, state);
  }

  /** Generations in flight, all specs together. */
  private generatingInAll(): number {
    let total = 0;
    for (const state of this.specs.values()) total += state.generating;
    return total;
  }

  /** Tops the pools up in the order of `targetSize` while fewer than maxParallel generations run in all. */
  private refillInBackground(): void {
    if (this.closed) return;
    for (const spec of Object.keys(this.targetSize) as WrappingKeySpec[]) {
      const state = this.state(spec);
      if (state.refill) continue;
      const wanted = state.waiting.length + Math.max(0, (this.targetSize[spec] ?? 0) - state.ready.length);
      while (this.generatingInAll() < this.maxParallel && state.generating < wanted) this.startGeneration(spec, state);
    }
  }

  private startGeneration(spec: WrappingKeySpec, state: SpecState): void {
    state.generating++;
    this.generate(spec).then(
      (pair) => {
        state.generating--;
        const waiter = state.waiting.shift();
        if (waiter) waiter.resolve(pair);
        else if (!this.closed) state.ready.push(pair);
        this.serveWaiting(spec);
        this.refillInBackground();
      },
      (error: Error) => {
        state.generating--;
        this.logger.error({ msg: 'wrapping key generation failed', spec, error: error.message });
        // A caller waiting for this pair gets the error; the others get generations of their own. The background
        // refill does not retry in a loop: it resumes when a pair is next taken or another generation ends.
        state.waiting.shift()?.reject(error);
        this.serveWaiting(spec);
      },
    );
  }
}
