/** GenerateDataKeyPair (kms-api-reference.md §3): a fresh asymmetric key pair handed to the caller. */
import { generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';
import { ECC_CURVE, isEccKeySpec, isRsaKeySpec, RSA_MODULUS_BITS, type EccKeySpec, type RsaKeySpec } from './curves';

export type DataKeyPairSpec = RsaKeySpec | EccKeySpec | 'ECC_NIST_EDWARDS25519';

const generateKeyPairAsync = promisify(generateKeyPair);

/**
 * A fresh key pair: private half as unencrypted PKCS#8 DER (RFC 5958), public half as DER SubjectPublicKeyInfo
 * (for Ed25519: RFC 8410). Async because RSA_4096 generation takes seconds and would otherwise block the server's
 * event loop.
 */
export async function generateDataKeyPair(spec: DataKeyPairSpec): Promise<{ privateKeyDer: Buffer; publicKeyDer: Buffer }> {
  let pair: { publicKey: Buffer; privateKey: Buffer };
  // The encodings are spelled out in each call: node's typings pick the Buffer-returning overload only that way.
  if (isRsaKeySpec(spec)) {
    pair = await generateKeyPairAsync('rsa', {
      modulusLength: RSA_MODULUS_BITS[spec],
      publicExponent: 0x10001,
      publicKeyEncoding: { type: 'spki', format: 'der' },
      privateKeyEncoding: { type: 'pkcs8', format: 'der' },
    });
  } else if (isEccKeySpec(spec)) {
    pair = await generateKeyPairAsync('ec', {
      namedCurve: ECC_CURVE[spec],
      publicKeyEncoding: { type: 'spki', format: 'der' },
      privateKeyEncoding: { type: 'pkcs8', format: 'der' },
    });
  } else if (spec === 'ECC_NIST_EDWARDS25519') {
    pair = await generateKeyPairAsync('ed25519', {
      publicKeyEncoding: { type: 'spki', format: 'der' },
      privateKeyEncoding: { type: 'pkcs8', format: 'der' },
    });
  } else {
    throw new TypeError('Unsupported data key pair spec.');
  }
  return { privateKeyDer: pair.privateKey, publicKeyDer: pair.publicKey };
}
