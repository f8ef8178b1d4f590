import { Logger } from '@nestjs/common';
import { generateWrappingKeyPair } from '@keyledger/crypto';
import type { WrappingKeySpec } from '@keyledger/domain';
import { WrappingKeySource } from '../ports';

type KeyPair = { publicKeyDer: Buffer; privateKeyDer: Buffer };

/**
 * Keeps a few RSA wrapping key pairs ready per spec, because generating an RSA_4096 pair takes seconds.
 * Each pair is handed out once (a fresh pair per GetParametersForImport, as AWS does) and the pool refills
 * in the background on libuv's thread pool.
 */
export class WrappingKeyPool implements WrappingKeySource {
  private readonly logger = new Logger(WrappingKeyPool.name);
  private readonly ready = new Map<WrappingKeySpec, KeyPair[]>();
  private readonly refilling = new Set<WrappingKeySpec>();
  private closed = false;

  constructor(private readonly targetSize: Record<WrappingKeySpec, number>) {}

  /** Starts filling every spec's pool; returns without waiting. */
  warmUp(): void {
    for (const spec of Object.keys(this.targetSize) as WrappingKeySpec[]) this.refill(spec);
  }

  async take(spec: WrappingKeySpec): Promise<KeyPair> {
    const pair = this.ready.get(spec)?.shift();
    this.refill(spec);
    return pair ?? generateWrappingKeyPair(spec);
  }

  close(): void {
    this.closed = true;
  }

  private refill(spec: WrappingKeySpec): void {
    if (this.closed || this.refilling.has(spec)) return;
    const pairs = this.ready.get(spec) ?? [];
    this.ready.set(spec, pairs);
    if (pairs.length >= this.targetSize[spec]) return;
    this.refilling.add(spec);
    generateWrappingKeyPair(spec).then(
      (pair) => {
        this.refilling.delete(spec);
        if (!this.closed) pairs.push(pair);
        this.refill(spec);
      },
      // No retry loop on failure: the next take() generates on demand and tries to refill again.
      (error: Error) => {
        this.refilling.delete(spec);
        this.logger.error({ msg: 'wrapping key generation failed', spec, error: error.message });
      },
    );
  }
}
