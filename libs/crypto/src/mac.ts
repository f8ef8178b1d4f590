/** GenerateMac/VerifyMac (kms-api-reference.md §3): HMAC (RFC 2104) over the raw key material. */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type MacAlgorithm = 'HMAC_SHA_224' | 'HMAC_SHA_256' | 'HMAC_SHA_384' | 'HMAC_SHA_512';

const HASH: Record<MacAlgorithm, string> = {
  HMAC_SHA_224: 'sha224',
  HMAC_SHA_256: 'sha256',
  HMAC_SHA_384: 'sha384',
  HMAC_SHA_512: 'sha512',
};

export function generateMac(input: { material: Buffer; algorithm: MacAlgorithm; message: Buffer }): Buffer {
  if (!Object.hasOwn(HASH, input.algorithm)) throw new TypeError('Unknown MAC algorithm.');
  return createHmac(HASH[input.algorithm], input.material).update(input.message).digest();
}

/** Constant-time comparison (timingSafeEqual on equal lengths; different lengths are simply false). */
export function verifyMac(input: { material: Buffer; algorithm: MacAlgorithm; message: Buffer; mac: Buffer }): boolean {
  const expected = generateMac(input);
  // The expected length is public (it is fixed by the algorithm), so the early return leaks nothing.
  return input.mac.length === expected.length && timingSafeEqual(input.mac, expected);
}
