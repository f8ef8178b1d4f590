/**
 * Sign/Verify (kms-api-reference.md §3): RSASSA-PSS, RSASSA-PKCS1-v1_5 and ECDSA over a RAW message or a
 * precomputed DIGEST.
 *
 * RAW uses node's sign/verify. node:crypto has no pre-hashed signing API (sign(null, ...) silently hashes with
 * SHA-256), so DIGEST mode is built from primitives: for RSA the EMSA-PSS / EMSA-PKCS1-v1_5 encoding of RFC 8017
 * is computed here and only the bare RSA operation is left to OpenSSL (privateEncrypt/publicDecrypt with
 * RSA_NO_PADDING); ECDSA over a digest is left to @noble/curves (audited) with the key's own scalar and point.
 * Either way a DIGEST signature over H(m) is byte-for-byte the kind of signature a RAW signature over m is, so the
 * two verify each other.
 */
import { p256, p384, p521 } from '@noble/curves/nist';
import { secp256k1 } from '@noble/curves/secp256k1';
import {
  constants,
  createHash,
  createPublicKey,
  KeyObject,
  privateEncrypt,
  publicDecrypt,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { eccKeySpecOfCurve, type EccKeySpec } from './curves';
import { privateKeyObject, type PrivateKeyInput } from './private-key';

export type SigningAlgorithm =
  | 'RSASSA_PSS_SHA_256'
  | 'RSASSA_PSS_SHA_384'
  | 'RSASSA_PSS_SHA_512'
  | 'RSASSA_PKCS1_V1_5_SHA_256'
  | 'RSASSA_PKCS1_V1_5_SHA_384'
  | 'RSASSA_PKCS1_V1_5_SHA_512'
  | 'ECDSA_SHA_256'
  | 'ECDSA_SHA_384'
  | 'ECDSA_SHA_512';
export type MessageType = 'RAW' | 'DIGEST';

type Hash = 'sha256' | 'sha384' | 'sha512';
type Scheme = 'pss' | 'pkcs1' | 'ecdsa';

const HASH_BYTES: Record<Hash, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** ASN.1 DigestInfo header for each hash (RFC 8017 §9.2 note 1); the digest itself follows. */
const DIGEST_INFO_PREFIX: Record<Hash, Buffer> = {
  sha256: Buffer.from('3031300d060960864801650304020105000420', 'hex'),
  sha384: Buffer.from('3041300d060960864801650304020205000430', 'hex'),
  sha512: Buffer.from('3051300d060960864801650304020305000440', 'hex'),
};

function hashOf(algorithm: SigningAlgorithm): Hash {
  if (algorithm.endsWith('_256')) return 'sha256';
  if (algorithm.endsWith('_384')) return 'sha384';
  if (algorithm.endsWith('_512')) return 'sha512';
  throw new TypeError('Unknown signing algorithm.');
}

function schemeOf(algorithm: SigningAlgorithm): Scheme {
  if (algorithm.startsWith('RSASSA_PSS_')) return 'pss';
  if (algorithm.startsWith('RSASSA_PKCS1_V1_5_')) return 'pkcs1';
  if (algorithm.startsWith('ECDSA_')) return 'ecdsa';
  throw new TypeError('Unknown signing algorithm.');
}

/** Byte length of the digest the algorithm uses (32/48/64): DIGEST messages must have exactly this length. */
export function digestLength(algorithm: SigningAlgorithm): number {
  return HASH_BYTES[hashOf(algorithm)];
}

/**
 * Signs with the PKCS#8 DER private key. RAW: the message is hashed with the algorithm's hash. DIGEST: the message
 * IS the digest (not hashed again). PSS: MGF1 with the same hash, salt length = hash length. ECDSA: DER-encoded
 * (r,s) signature. Throws for a key that does not fit the algorithm or a digest of the wrong length: the caller
 * validates both before it gets here.
 */
export function signMessage(input: {
  /** PKCS#8 DER, or the KeyObject made from it. */
  privateKeyDer: PrivateKeyInput;
  algorithm: SigningAlgorithm;
  message: Buffer;
  messageType: MessageType;
}): Buffer {
  const { algorithm, message, messageType } = input;
  const privateKey = privateKeyObject(input.privateKeyDer);
  const scheme = schemeOf(algorithm);
  const hash = hashOf(algorithm);
  if (!keyFits(privateKey, scheme)) throw new TypeError(`The key cannot be used with ${algorithm}.`);
  if (messageType === 'RAW') return sign(hash, message, nodeSignOptions(privateKey, scheme, hash));
  if (messageType !== 'DIGEST') throw new TypeError('Unknown message type.');
  if (message.length !== HASH_BYTES[hash]) throw new RangeError(`A ${algorithm} digest must be ${HASH_BYTES[hash]} bytes.`);
  switch (scheme) {
    case 'pss':
      return rsaPrivateOperation(privateKey, emsaPssEncode(message, hash, modulusBits(privateKey)));
    case 'pkcs1':
      return rsaPrivateOperation(privateKey, emsaPkcs1v15Encode(message, hash, modulusBytes(privateKey)));
    case 'ecdsa':
      return ecdsaSignDigest(privateKey, message);
  }
}

/**
 * True only for a signature that verifies with the key's public half; false for anything else (never throws on
 * garbage signatures). Accepts privateKeyDer (PKCS#8) — derive the public key.
 */
export function verifySignature(input: {
  /** PKCS#8 DER, or the KeyObject made from it. */
  privateKeyDer: PrivateKeyInput;
  algorithm: SigningAlgorithm;
  message: Buffer;
  messageType: MessageType;
  signature: Buffer;
}): boolean {
  const { algorithm, message, messageType, signature } = input;
  const publicKey = createPublicKey(privateKeyObject(input.privateKeyDer));
  const scheme = schemeOf(algorithm);
  const hash = hashOf(algorithm);
  if (!keyFits(publicKey, scheme)) return false;
  // An RSA signature is exactly as long as the modulus (RFC 8017 §8.1.2, §8.2.2). OpenSSL also accepts it with
  // leading zero bytes stripped, which would make two byte strings verify as one signature.
  if (scheme !== 'ecdsa' && signature.length !== modulusBytes(publicKey)) return false;
  try {
    if (messageType === 'RAW') return verify(hash, message, nodeSignOptions(publicKey, scheme, hash), signature);
    if (messageType !== 'DIGEST' || message.length !== HASH_BYTES[hash]) return false;
    switch (scheme) {
      case 'pss': {
        const encoded = rsaPublicOperation(publicKey, signature);
        return encoded !== null && emsaPssVerify(message, encoded, hash, modulusBits(publicKey));
      }
      case 'pkcs1': {
        // Compare the whole encoded block instead of parsing it: parsing is where PKCS#1 v1.5 forgeries hide.
        const encoded = rsaPublicOperation(publicKey, signature);
        return encoded !== null && encoded.equals(emsaPkcs1v15Encode(message, hash, modulusBytes(publicKey)));
      }
      case 'ecdsa':
        return ecdsaVerifyDigest(publicKey, message, signature);
    }
  } catch {
    // OpenSSL throws for signatures that are too long, >= the modulus, or not DER.
    return false;
  }
}

function keyFits(key: KeyObject, scheme: Scheme): boolean {
  return key.asymmetricKeyType === (scheme === 'ecdsa' ? 'ec' : 'rsa');
}

function nodeSignOptions(key: KeyObject, scheme: Scheme, hash: Hash) {
  if (scheme === 'pss') return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: HASH_BYTES[hash] };
  if (scheme === 'pkcs1') return { key, padding: constants.RSA_PKCS1_PADDING };
  return { key, dsaEncoding: 'der' as const };
}

// ---- RSA (RFC 8017) --------------------------------------------------------------------------------------------

function modulusBits(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits === undefined) throw new TypeError('Not an RSA key.');
  return bits;
}

function modulusBytes(key: KeyObject): number {
  return Math.ceil(modulusBits(key) / 8);
}

/** RSASP1 on an already padded block of exactly modulus length (OpenSSL still blinds the operation). */
function rsaPrivateOperation(privateKey: KeyObject, encoded: Buffer): Buffer {
  return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, encoded);
}

/** RSAVP1: the encoded block, or null for a signature of the wrong length or not below the modulus. */
function rsaPublicOperation(publicKey: KeyObject, signature: Buffer): Buffer | null {
  const k = modulusBytes(publicKey);
  if (signature.length !== k) return null;
  try {
    return leftPad(publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature), k);
  } catch {
    return null;
  }
}

/** EMSA-PKCS1-v1_5 (RFC 8017 §9.2) for a precomputed digest, as a block of k bytes. */
function emsaPkcs1v15Encode(digest: Buffer, hash: Hash, k: number): Buffer {
  const t = Buffer.concat([DIGEST_INFO_PREFIX[hash], digest]);
  if (k < t.length + 11) throw new RangeError('The RSA key is too short for this digest.');
  return Buffer.concat([Buffer.from([0x00, 0x01]), Buffer.alloc(k - t.length - 3, 0xff), Buffer.from([0x00]), t]);
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with sLen = hLen and MGF1 over the same hash, left-padded to k bytes. */
function emsaPssEncode(mHash: Buffer, hash: Hash, modBits: number): Buffer {
  const hLen = HASH_BYTES[hash];
  const sLen = hLen;
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (emLen < hLen + sLen + 2) throw new RangeError('The RSA key is too short for this digest.');
  const salt = randomBytes(sLen);
  const h = createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - sLen - hLen - 2), Buffer.from([0x01]), salt]);
  const maskedDb = xor(db, mgf1(h, emLen - hLen - 1, hash));
  maskedDb[0] &= 0xff >> (8 * emLen - emBits);
  const em = Buffer.concat([maskedDb, h, Buffer.from([0xbc])]);
  return leftPad(em, Math.ceil(modBits / 8));
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2), strict about sLen = hLen. `block` is the k-byte RSAVP1 output. */
function emsaPssVerify(mHash: Buffer, block: Buffer, hash: Hash, modBits: number): boolean {
  const hLen = HASH_BYTES[hash];
  const sLen = hLen;
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  if (emLen < hLen + sLen + 2) return false;
  // k > emLen only when modBits ≡ 1 (mod 8); the extra leading byte must then be zero.
  if (!block.subarray(0, block.length - emLen).every((byte) => byte === 0)) return false;
  const em = block.subarray(block.length - emLen);
  if (em[emLen - 1] !== 0xbc) return false;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topMask = 0xff >> (8 * emLen - emBits);
  if ((maskedDb[0] & ~topMask) !== 0) return false;
  const db = xor(maskedDb, mgf1(h, emLen - hLen - 1, hash));
  db[0] &= topMask;
  const separator = emLen - hLen - sLen - 2;
  if (!db.subarray(0, separator).every((byte) => byte === 0) || db[separator] !== 0x01) return false;
  const salt = db.subarray(db.length - sLen);
  return createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest().equals(h);
}

/** MGF1 (RFC 8017 §B.2.1). */
function mgf1(seed: Buffer, length: number, hash: Hash): Buffer {
  const blocks: Buffer[] = [];
  const counter = Buffer.alloc(4);
  for (let i = 0; blocks.length * HASH_BYTES[hash] < length; i++) {
    counter.writeUInt32BE(i);
    blocks.push(createHash(hash).update(seed).update(counter).digest());
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

function leftPad(bytes: Buffer, length: number): Buffer {
  if (bytes.length >= length) return bytes;
  return Buffer.concat([Buffer.alloc(length - bytes.length), bytes]);
}

// ---- ECDSA over a precomputed digest (FIPS 186-5 §6.4) by @noble/curves ----------------------------------------

/** One implementation per key spec, so a curve added to curves.ts without one here fails to compile. */
const ECDSA: Readonly<Record<EccKeySpec, typeof p256>> = {
  ECC_NIST_P256: p256,
  ECC_NIST_P384: p384,
  ECC_NIST_P521: p521,
  ECC_SECG_P256K1: secp256k1,
};

function ecdsaOf(key: KeyObject): typeof p256 {
  const spec = eccKeySpecOfCurve(key.asymmetricKeyDetails?.namedCurve);
  if (spec === undefined) throw new TypeError('Unsupported EC curve.');
  return ECDSA[spec];
}

/**
 * prehash: false signs the digest as given (noble truncates it to the order's bit length itself, SEC 1 §4.1.3
 * step 5). extraEntropy: true mixes fresh random bytes into the RFC 6979 nonce, so signatures are randomised like
 * OpenSSL's rather than deterministic. s is left as the curve's noble default has it (low-S on secp256k1 only).
 */
function ecdsaSignDigest(privateKey: KeyObject, digest: Buffer): Buffer {
  const d = Buffer.from(privateKey.export({ format: 'jwk' }).d as string, 'base64url');
  try {
    return Buffer.from(ecdsaOf(privateKey).sign(digest, d, { prehash: false, extraEntropy: true }).toBytes('der'));
  } finally {
    d.fill(0);
  }
}

/**
 * DER only, and only its canonical encoding (noble rejects non-minimal lengths and integers, as OpenSSL does).
 * lowS: false because OpenSSL's signatures (and our RAW ones) have a high s half the time, secp256k1 included.
 */
function ecdsaVerifyDigest(publicKey: KeyObject, digest: Buffer, signature: Buffer): boolean {
  const jwk = publicKey.export({ format: 'jwk' });
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x as string, 'base64url'), Buffer.from(jwk.y as string, 'base64url')]);
  return ecdsaOf(publicKey).verify(signature, digest, point, { prehash: false, lowS: false, format: 'der' });
}
