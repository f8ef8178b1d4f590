/**
 * Key-material wrapping for ImportKeyMaterial (kms-api-reference.md §5, §6.2, §6.3).
 * The client wraps with the public key from GetParametersForImport; the service unwraps with the private key.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type RSAKeyPairOptions,
} from 'node:crypto';
import { promisify } from 'node:util';
import type { WrappingAlgorithm, WrappingKeySpec } from '../../domain/src/key-spec';

const generateKeyPairAsync = promisify(generateKeyPair);

/** Thrown for every unwrap failure. Deliberately vague and byte-free: it ends up in API errors and logs. */
export class KeyMaterialUnwrapError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyMaterialUnwrapError';
  }
}

const MODULUS_BITS: Record<WrappingKeySpec, number> = { RSA_2048: 2048, RSA_3072: 3072, RSA_4096: 4096 };
const RSA_PUBLIC_EXPONENT = 0x10001;

type OaepHash = 'sha1' | 'sha256';
const OAEP_HASH: Record<WrappingAlgorithm, OaepHash> = {
  RSAES_OAEP_SHA_1: 'sha1',
  RSAES_OAEP_SHA_256: 'sha256',
  RSA_AES_KEY_WRAP_SHA_1: 'sha1',
  RSA_AES_KEY_WRAP_SHA_256: 'sha256',
};
const HASH_BYTES: Record<OaepHash, number> = { sha1: 20, sha256: 32 };

/** RFC 5649 alternative initial value; node's *-wrap-pad ciphers take its 4 bytes as the IV. */
const KWP_IV = Buffer.from('A65959A6', 'hex');
const KWP_CIPHER_BY_KEY_BYTES: Record<number, string> = {
  16: 'id-aes128-wrap-pad',
  24: 'id-aes192-wrap-pad',
  32: 'id-aes256-wrap-pad',
};
const CLIENT_AES_KEY_BYTES = 32;
/** KWP output is at least two 64-bit blocks and always a whole number of them. */
const KWP_MIN_BYTES = 16;
const KWP_BLOCK_BYTES = 8;

export function isRsaAesKeyWrap(algorithm: WrappingAlgorithm): boolean {
  return algorithm === 'RSA_AES_KEY_WRAP_SHA_1' || algorithm === 'RSA_AES_KEY_WRAP_SHA_256';
}

/** node:crypto's generateKeyPair('rsa', …) options for a wrapping key pair: DER SPKI public, DER PKCS#8 private key. */
export function wrappingKeyPairOptions(spec: WrappingKeySpec): RSAKeyPairOptions<'der', 'der'> {
  return {
    modulusLength: MODULUS_BITS[spec],
    publicExponent: RSA_PUBLIC_EXPONENT,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  };
}

/** An RSA wrapping key pair: DER SPKI public key, DER PKCS#8 private key. */
export interface WrappingKeyPair {
  publicKeyDer: Buffer;
  privateKeyDer: Buffer;
}

/** A fresh wrapping key pair (async: RSA_4096 takes seconds and must not block the event loop). */
export async function generateWrappingKeyPair(spec: WrappingKeySpec): Promise<WrappingKeyPair> {
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', wrappingKeyPairOptions(spec));
  return { publicKeyDer: publicKey, privateKeyDer: privateKey };
}

/** Largest material RSAES_OAEP_* can wrap in one block: k - 2*hLen - 2 (RFC 8017 §7.1.1). */
export function oaepCapacity(spec: WrappingKeySpec, algorithm: 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256'): number {
  return oaepCapacityForModulusBytes(MODULUS_BITS[spec] / 8, OAEP_HASH[algorithm]);
}

/** The client side of the import: wraps material under the wrapping public key (DER SPKI). */
export function wrapKeyMaterial(algorithm: WrappingAlgorithm, publicKeyDer: Buffer, material: Buffer): Buffer {
  if (material.length === 0) throw new RangeError('Key material to wrap must not be empty.');
  const publicKey = createPublicKey({ key: publicKeyDer, format: 'der', type: 'spki' });
  const rsaBlockBytes = rsaModulusBytes(publicKey);
  if (rsaBlockBytes === null) throw new TypeError('The wrapping public key is not an RSA key.');
  const hash: OaepHash | undefined = OAEP_HASH[algorithm];
  if (hash === undefined) throw new TypeError('The wrapping algorithm is not supported.');
  if (!isRsaAesKeyWrap(algorithm)) {
    const capacity = oaepCapacityForModulusBytes(rsaBlockBytes, hash);
    if (material.length > capacity) {
      throw new RangeError(`${algorithm} with this wrapping key can wrap at most ${capacity} bytes, got ${material.length}.`);
    }
    return oaepEncrypt(publicKey, hash, material);
  }
  const aesKey = randomBytes(CLIENT_AES_KEY_BYTES);
  const wrappedMaterial = aesKeyWrapWithPadding(aesKey, material);
  return Buffer.concat([oaepEncrypt(publicKey, hash, aesKey), wrappedMaterial]);
}

/** The service side of the import. Throws KeyMaterialUnwrapError on any failure. */
export function unwrapKeyMaterial(algorithm: WrappingAlgorithm, privateKeyDer: Buffer, encrypted: Buffer): Buffer {
  const privateKey = loadWrappingPrivateKey(privateKeyDer);
  const rsaBlockBytes = rsaModulusBytes(privateKey);
  if (rsaBlockBytes === null) throw new KeyMaterialUnwrapError('The wrapping private key is not an RSA key.');
  // Checked at run time too: node would silently fall back to SHA-1 for an unknown name.
  const hash: OaepHash | undefined = OAEP_HASH[algorithm];
  if (hash === undefined) throw new KeyMaterialUnwrapError('The wrapping algorithm is not supported.');
  if (!isRsaAesKeyWrap(algorithm)) {
    if (encrypted.length !== rsaBlockBytes) throw new KeyMaterialUnwrapError('Encrypted key material has the wrong length.');
    return oaepDecrypt(privateKey, hash, encrypted);
  }
  const wrappedMaterialBytes = encrypted.length - rsaBlockBytes;
  if (wrappedMaterialBytes < KWP_MIN_BYTES || wrappedMaterialBytes % KWP_BLOCK_BYTES !== 0) {
    throw new KeyMaterialUnwrapError('Encrypted key material has the wrong length.');
  }
  // RSA-wrapped AES key first, then the AES-KWP-wrapped material (§6.3 step 4).
  const aesKey = oaepDecrypt(privateKey, hash, encrypted.subarray(0, rsaBlockBytes));
  try {
    return aesKeyUnwrapWithPadding(aesKey, encrypted.subarray(rsaBlockBytes));
  } finally {
    aesKey.fill(0);
  }
}

function oaepCapacityForModulusBytes(k: number, hash: OaepHash): number {
  return k - 2 * HASH_BYTES[hash] - 2;
}

/** The RSA block size k in bytes, or null for a key that is not plain RSA. */
function rsaModulusBytes(key: KeyObject): number | null {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (key.asymmetricKeyType !== 'rsa' || bits === undefined) return null;
  return Math.ceil(bits / 8);
}

function loadWrappingPrivateKey(privateKeyDer: Buffer): KeyObject {
  try {
    return createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' });
  } catch {
    throw new KeyMaterialUnwrapError('The wrapping private key could not be loaded.');
  }
}

// MGF1 uses the OAEP hash and the label is empty (§6.2); node does both when only oaepHash is given.
function oaepEncrypt(publicKey: KeyObject, hash: OaepHash, data: Buffer): Buffer {
  return publicEncrypt({ key: publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, data);
}

function oaepDecrypt(privateKey: KeyObject, hash: OaepHash, data: Buffer): Buffer {
  try {
    return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, data);
  } catch {
    throw new KeyMaterialUnwrapError('The encrypted key material could not be decrypted with the wrapping key.');
  }
}

function aesKeyWrapWithPadding(aesKey: Buffer, material: Buffer): Buffer {
  const cipher = createCipheriv(KWP_CIPHER_BY_KEY_BYTES[aesKey.length], aesKey, KWP_IV);
  return Buffer.concat([cipher.update(material), cipher.final()]);
}

function aesKeyUnwrapWithPadding(aesKey: Buffer, wrapped: Buffer): Buffer {
  const cipherName = KWP_CIPHER_BY_KEY_BYTES[aesKey.length];
  if (cipherName === undefined) throw new KeyMaterialUnwrapError('The wrapped AES key has an unsupported length.');
  try {
    // The RFC 5649 integrity check (IV and padding) fails here for a wrong AES key or any modified byte.
    const decipher = createDecipheriv(cipherName, aesKey, KWP_IV);
    return Buffer.concat([decipher.update(wrapped), decipher.final()]);
  } catch {
    throw new KeyMaterialUnwrapError('The wrapped key material failed its integrity check.');
  }
}
