/** DeriveSharedSecret (kms-api-reference.md §3): ECDH between a KMS private key and a caller-supplied public key. */
import { createPublicKey, diffieHellman, KeyObject } from 'node:crypto';
import { isSingleDerSequence } from './der';
import { privateKeyObject, type PrivateKeyInput } from './private-key';

export type PublicKeyProblem = 'unparsable' | 'wrong-curve';

/**
 * ECDH: the shared secret (the x-coordinate, as OpenSSL derives it) between our PKCS#8 EC private key and the
 * peer's DER SubjectPublicKeyInfo. The peer key comes straight from the request, so every failure is a result,
 * never an exception.
 */
export function deriveSharedSecret(input: {
  /** PKCS#8 DER, or the KeyObject made from it. */
  privateKeyDer: PrivateKeyInput;
  peerPublicKeyDer: Buffer;
}): { secret: Buffer } | { problem: PublicKeyProblem } {
  const privateKey = privateKeyObject(input.privateKeyDer);
  const ourCurve = privateKey.asymmetricKeyDetails?.namedCurve;
  if (privateKey.asymmetricKeyType !== 'ec' || ourCurve === undefined) throw new TypeError('ECDH needs an EC key on a named curve.');

  const peerKey = parseSpki(input.peerPublicKeyDer);
  if (peerKey === null || peerKey.asymmetricKeyType !== 'ec') return { problem: 'unparsable' };
  // OpenSSL also reports namedCurve for explicit parameters that match a named curve; other explicit ones have none.
  if (peerKey.asymmetricKeyDetails?.namedCurve !== ourCurve) return { problem: 'wrong-curve' };
  try {
    return { secret: diffieHellman({ privateKey, publicKey: peerKey }) };
  } catch {
    return { problem: 'unparsable' };
  }
}

/** DER SPKI only. OpenSSL rejects points that are not on the curve while parsing; trailing bytes are caught here. */
function parseSpki(der: Buffer): KeyObject | null {
  if (!isSingleDerSequence(der)) return null;
  try {
    return createPublicKey({ key: der, format: 'der', type: 'spki' });
  } catch {
    return null;
  }
}
