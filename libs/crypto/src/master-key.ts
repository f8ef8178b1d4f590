/** The service's root secret, from configuration. Everything at rest is sealed under keys derived from it. */
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

const MASTER_KEY_BYTES = 32;
const DERIVED_KEY_BYTES = 32;
const ID_PREFIX = Buffer.from('keyledger:master-key-id:v1\0', 'utf8');
const HKDF_SALT = Buffer.from('keyledger:hkdf-salt:v1', 'utf8');
/** Standard base64 alphabet with canonical padding; whitespace and base64url are rejected. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Messages say what is wrong with a configured key but never repeat the value. */
export class InvalidMasterKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidMasterKeyError';
  }
}

export class MasterKey {
  /** 16 lowercase hex chars naming this key (for rotation and error messages) without revealing it. */
  readonly id: string;
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = Buffer.from(key);
    this.id = createHash('sha256').update(ID_PREFIX).update(this.#key).digest('hex').slice(0, 16);
  }

  static fromBase64(text: string): MasterKey {
    if (typeof text !== 'string' || text.length === 0) throw new InvalidMasterKeyError('The master key is empty.');
    if (!BASE64.test(text)) {
      throw new InvalidMasterKeyError('The master key is not valid base64 (standard alphabet with = padding, no whitespace).');
    }
    const key = Buffer.from(text, 'base64');
    if (key.length !== MASTER_KEY_BYTES) {
      throw new InvalidMasterKeyError(`The master key must decode to ${MASTER_KEY_BYTES} bytes, got ${key.length}.`);
    }
    // Non-zero unused bits in the last character would let two spellings name one key.
    if (key.toString('base64') !== text) throw new InvalidMasterKeyError('The master key is not canonical base64.');
    return new MasterKey(key);
  }

  static generate(): MasterKey {
    return new MasterKey(randomBytes(MASTER_KEY_BYTES));
  }

  toBase64(): string {
    return this.#key.toString('base64');
  }

  /** A 32-byte key for one purpose (HKDF-SHA256, info = purpose), so no two uses share a key. */
  deriveKey(purpose: string): Buffer {
    if (purpose.length === 0) throw new RangeError('deriveKey needs a non-empty purpose.');
    return Buffer.from(hkdfSync('sha256', this.#key, HKDF_SALT, Buffer.from(purpose, 'utf8'), DERIVED_KEY_BYTES));
  }

  /** Keeps the key out of logs and serialized objects by accident. */
  toJSON(): { id: string } {
    return { id: this.id };
  }

  [inspect.custom](): string {
    return `MasterKey(${this.id})`;
  }
}

/**
 * The configured master keys during a rotation: `current` seals, `previous` only open what was sealed before.
 * Ids must be distinct (the same key listed twice is collapsed; listing the current key as previous is ignored).
 */
export interface MasterKeyRing {
  current: MasterKey;
  previous: readonly MasterKey[];
}

/** Normalizes a key or a ring to a ring with distinct ids, the current key first. */
export function toMasterKeyRing(keys: MasterKey | MasterKeyRing): MasterKeyRing {
  if (keys instanceof MasterKey) return { current: keys, previous: [] };
  const seen = new Set([keys.current.id]);
  const previous = keys.previous.filter((key) => !seen.has(key.id) && seen.add(key.id));
  return { current: keys.current, previous };
}
