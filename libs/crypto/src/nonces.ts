import { randomFillSync } from 'node:crypto';

/**
 * Random GCM nonces drawn from a block of CSPRNG output instead of one randomBytes() call each: the call's fixed
 * cost (a job object and a buffer per call) was 4 % of an Encrypt. Every nonce is a copy of bytes handed out
 * once; a spent block is replaced by a new buffer, never refilled in place, so no byte is ever served twice.
 */
export class RandomNonces {
  #block: Buffer;
  #offset: number;

  constructor(
    private readonly nonceBytes: number,
    private readonly blockBytes = 4096,
  ) {
    if (blockBytes < nonceBytes) throw new RangeError('The random block must hold at least one nonce.');
    this.#block = Buffer.alloc(0);
    this.#offset = 0;
  }

  next(): Buffer {
    if (this.#offset + this.nonceBytes > this.#block.length) {
      this.#block = randomFillSync(Buffer.allocUnsafeSlow(this.blockBytes));
      this.#offset = 0;
    }
    const nonce = Buffer.from(this.#block.subarray(this.#offset, this.#offset + this.nonceBytes));
    this.#offset += this.nonceBytes;
    return nonce;
  }
}
