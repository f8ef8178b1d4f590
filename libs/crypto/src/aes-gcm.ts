import { createCipheriv, createDecipheriv } from 'node:crypto';
import { RandomNonces } from './nonces';

/** AES-256-GCM with the sizes every sealed format in this library uses. */
export const GCM_NONCE_BYTES = 12;
export const GCM_TAG_BYTES = 16;
const AES_256_KEY_BYTES = 32;
const nonces = new RandomNonces(GCM_NONCE_BYTES);

export interface GcmSealed {
  nonce: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

/** Encrypts under a fresh random nonce; a nonce is never reused with the same key. */
export function gcmSeal(key: Buffer, plaintext: Buffer, aad: Buffer): GcmSealed {
  assertKeyLength(key);
  const nonce = nonces.next();
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = withFinalBlock(cipher.update(plaintext), cipher.final());
  return { nonce, tag: cipher.getAuthTag(), ciphertext };
}

/** Returns null when authentication fails (wrong key, wrong AAD, any modified byte). */
export function gcmOpen(key: Buffer, sealed: GcmSealed, aad: Buffer): Buffer | null {
  assertKeyLength(key);
  // Fixed sizes are enforced so a truncated tag can never weaken the check.
  if (sealed.nonce.length !== GCM_NONCE_BYTES || sealed.tag.length !== GCM_TAG_BYTES) return null;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.nonce, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(sealed.tag);
    return withFinalBlock(decipher.update(sealed.ciphertext), decipher.final());
  } catch {
    return null;
  }
}

/** Splits `nonce || tag || ciphertext` starting at `offset`; null if too short. */
export function readGcmParts(blob: Buffer, offset: number): GcmSealed | null {
  if (blob.length < offset + GCM_NONCE_BYTES + GCM_TAG_BYTES) return null;
  const tagStart = offset + GCM_NONCE_BYTES;
  const bodyStart = tagStart + GCM_TAG_BYTES;
  return {
    nonce: blob.subarray(offset, tagStart),
    tag: blob.subarray(tagStart, bodyStart),
    ciphertext: blob.subarray(bodyStart),
  };
}

/** `prefix || nonce || tag || ciphertext` in one copy (every format here puts its header in front). */
export function gcmPartsToBuffer(sealed: GcmSealed, prefix?: Buffer): Buffer {
  const parts = [sealed.nonce, sealed.tag, sealed.ciphertext];
  return Buffer.concat(prefix === undefined ? parts : [prefix, ...parts]);
}

/** GCM is a stream mode, so `final()` yields no bytes: the body is returned as is rather than copied. */
function withFinalBlock(body: Buffer, final: Buffer): Buffer {
  return final.length === 0 ? body : Buffer.concat([body, final]);
}

function assertKeyLength(key: Buffer): void {
  if (key.length !== AES_256_KEY_BYTES) throw new RangeError(`AES-256-GCM needs a ${AES_256_KEY_BYTES}-byte key.`);
}
