import { Logger } from '@nestjs/common';
import { generateWrappingKeyPair, type WrappingKeyPair } from '@keyledger/crypto';
import type { WrappingKeySpec } from '@keyledger/domain';
import { WrappingKeySource } from '../ports';

type Generate = (spec: WrappingKeySpec) => Promise<WrappingKeyPair>;

/** Where the pool's own fills and refills are generated (the service: LowPriorityKeyGenerator). */
export interface BackgroundGenerator {
  generate: Generate;
  close(): void;
}

export interface WrappingKeyPoolOptions {
  /** Generations for callers who find the pool empty (default generateWrappingKeyPair: libuv's pool, normal priority). */
  generate?: Generate;
  /** The pool's own fills (default `generate`; closed with the pool). */
  background?: BackgroundGenerator;
  refillDelayMs?: number;
}

/**
 * How long after a pair is handed out from a full enough pool the refill starts, so the rest of a burst is handled
 * before any generation starts. Measured when refills still ran at normal priority on both cores: a burst of 8 had
 * p50 ~39 ms refilling at once, ~17 ms refilling after 100 ms (loaded 2-core machine). At low priority a refill
 * takes far less from a burst, but a worker thread starting up still costs some CPU.
 */
export const REFILL_DELAY_MS = 100;

interface SpecState {
  ready: WrappingKeyPair[];
  waiting: Array<{ resolve: (pair: WrappingKeyPair) => void; reject: (error: Error) => void }>;
  /** Generations started for callers who found the pool empty (`generate`, normal priority). */
  forCallers: number;
  /** Generations started to fill the pool (the background generator). */
  forPool: number;
  /** The pending delayed refill, if any: until it fires, the spec is not refilled in the background. */
  refill?: NodeJS.Timeout;
}

/**
 * Hands out RSA wrapping key pairs for GetParametersForImport, each pair once (a fresh pair per call, as AWS
 * does). Generating an RSA_4096 pair takes seconds, so the pool keeps `targetSize` pairs ready per spec and
 * fills and refills them through the background generator: in the service, a low-priority worker thread, so a
 * fill takes only CPU that requests leave idle. A pair taken from the pool is replaced after REFILL_DELAY_MS, so a
 * burst served from the pool is not competing with the generations it triggers.
 *
 * A caller who finds the pool empty does not wait on a low-priority generation: it gets one of its own from
 * `generate` (libuv's thread pool, normal priority) at once, at most `maxParallel` (the core count) per spec, so a
 * burst queues instead of making every generation slower; whichever pair of its spec finishes first serves it.
 * The pool's own generations make up only its shortfall, at most `maxParallel` in flight, all specs together.
 */
export class WrappingKeyPool implements WrappingKeySource {
  private readonly logger = new Logger(WrappingKeyPool.name);
  private readonly specs = new Map<WrappingKeySpec, SpecState>();
  private closed = false;
  private readonly generate: Generate;
  private readonly background: BackgroundGenerator;
  private readonly refillDelayMs: number;

  constructor(
    private readonly targetSize: Record<WrappingKeySpec, number>,
    private readonly maxParallel = 2,
    options: WrappingKeyPoolOptions = {},
  ) {
    this.generate = options.generate ?? generateWrappingKeyPair;
    this.background = options.background ?? { generate: this.generate, close: () => undefined };
    this.refillDelayMs = options.refillDelayMs ?? REFILL_DELAY_MS;
  }

  /** Starts filling every spec's pool (in the order of `targetSize`); returns without waiting. */
  warmUp(): void {
    this.refillInBackground();
  }

  take(spec: WrappingKeySpec): Promise<WrappingKeyPair> {
    const state = this.state(spec);
    const pair = state.ready.shift();
    if (!pair) {
      const taken = new Promise<WrappingKeyPair>((resolve, reject) => state.waiting.push({ resolve, reject }));
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
    this.background.close();
  }

  private state(spec: WrappingKeySpec): SpecState {
    let state = this.specs.get(spec);
    if (!state) this.specs.set(spec, (state = { ready: [], waiting: [], forCallers: 0, forPool: 0 }));
    return state;
  }

  /** Starts a normal-priority generation for each caller of `spec` that none of those in flight will serve, up to maxParallel for the spec. */
  private serveWaiting(spec: WrappingKeySpec): void {
    const state = this.state(spec);
    while (state.waiting.length > state.forCallers && state.forCallers < this.maxParallel) this.startGeneration(spec, state, 'forCallers');
  }

  /** Pool generations in flight, all specs together. */
  private fillingInAll(): number {
    let total = 0;
    for (const state of this.specs.values()) total += state.forPool;
    return total;
  }

  /** Tops the pools up in the order of `targetSize` while fewer than maxParallel pool generations run in all. */
  private refillInBackground(): void {
    if (this.closed) return;
    for (const spec of Object.keys(this.targetSize) as WrappingKeySpec[]) {
      const state = this.state(spec);
      if (state.refill) continue;
      // Callers' own generations that no caller is left to take end up in the pool as well.
      const arriving = state.forPool + Math.max(0, state.forCallers - state.waiting.length);
      const missing = (this.targetSize[spec] ?? 0) - state.ready.length - arriving;
      for (let i = 0; i < missing && this.fillingInAll() < this.maxParallel; i++) this.startGeneration(spec, state, 'forPool');
    }
  }

  private startGeneration(spec: WrappingKeySpec, state: SpecState, purpose: 'forCallers' | 'forPool'): void {
    state[purpose]++;
    (purpose === 'forCallers' ? this.generate(spec) : this.background.generate(spec)).then(
      (pair) => {
        state[purpose]--;
        const waiter = state.waiting.shift();
        if (waiter) waiter.resolve(pair);
        else if (!this.closed) state.ready.push(pair);
        this.serveWaiting(spec);
        this.refillInBackground();
      },
      (error: Error) => {
        state[purpose]--;
        if (this.closed && purpose === 'forPool') return; // the background generator stops with the pool
        this.logger.error({ msg: 'wrapping key generation failed', spec, purpose, error: error.message });
        // A caller's own generation failing fails that caller; the others keep or get generations of their own. A
        // pool generation failing fails nobody. The refill does not retry in a loop: it resumes when a pair is next
        // taken or another generation ends.
        if (purpose === 'forCallers') state.waiting.shift()?.reject(error);
        this.serveWaiting(spec);
      },
    );
  }
}
