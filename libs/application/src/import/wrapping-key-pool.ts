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
  /** The pending delayed refill, if any. */
  refill?: NodeJS.Timeout;
}

/**
 * Hands out RSA wrapping key pairs for GetParametersForImport, each pair once (a fresh pair per call, as AWS
 * does). Generating an RSA_4096 pair takes seconds, so the pool keeps `targetSize` pairs ready per spec and
 * refills in the background on libuv's thread pool. A caller that finds the pool empty waits for the next
 * pair to finish rather than starting a generation of its own, and at most `maxParallel` generations run per
 * spec, so a burst queues instead of making every generation slower. A pair taken from the pool is replaced
 * after REFILL_DELAY_MS, so a burst served from the pool is not competing with the generations it triggers.
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

  /** Starts filling every spec's pool; returns without waiting. */
  warmUp(): void {
    for (const spec of Object.keys(this.targetSize) as WrappingKeySpec[]) this.fill(spec);
  }

  take(spec: WrappingKeySpec): Promise<KeyPair> {
    const state = this.state(spec);
    const pair = state.ready.shift();
    if (!pair) {
      // A caller who has to wait gets the next generation started now.
      const taken = new Promise<KeyPair>((resolve, reject) => state.waiting.push({ resolve, reject }));
      this.fill(spec);
      return taken;
    }
    state.refill ??= setTimeout(() => {
      state.refill = undefined;
      this.fill(spec);
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

  /** Starts as many generations as waiting callers plus the refill need, within the parallelism cap. */
  private fill(spec: WrappingKeySpec): void {
    const state = this.state(spec);
    const refill = this.closed ? 0 : Math.max(0, (this.targetSize[spec] ?? 0) - state.ready.length);
    const needed = state.waiting.length + refill - state.generating;
    for (let i = 0; i < needed && state.generating < this.maxParallel; i++) {
      state.generating++;
      this.generate(spec).then(
        (pair) => {
          state.generating--;
          const waiter = state.waiting.shift();
          if (waiter) waiter.resolve(pair);
          else if (!this.closed) state.ready.push(pair);
          this.fill(spec);
        },
        (error: Error) => {
          state.generating--;
          this.logger.error({ msg: 'wrapping key generation failed', spec, error: error.message });
          // A caller waiting for this pair gets the error; the background refill does not retry in a loop.
          state.waiting.shift()?.reject(error);
        },
      );
    }
  }
}
