import { createPrivateKey, KeyObject } from 'node:crypto';

/**
 * An asymmetric private key as the operations take it: PKCS#8 DER bytes, or the KeyObject already made from them.
 * Making one from DER is the slow part of a signature (OpenSSL 3's decoders: about 0.5 ms for P-256, 1 ms for
 * RSA, against 0.07 ms for the signature itself), so callers that use a key often pass a cached KeyObject.
 */
export type PrivateKeyInput = Buffer | KeyObject;

export function privateKeyObject(input: PrivateKeyInput): KeyObject {
  return input instanceof KeyObject ? input : createPrivateKey({ key: input, format: 'der', type: 'pkcs8' });
}
