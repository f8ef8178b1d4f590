/** Asymmetric Encrypt/Decrypt with RSA key pairs (kms-api-reference.md §3): RSAES-OAEP per RFC 8017 §7.1. */
import { constants, createPublicKey, KeyObject, privateDecrypt, publicEncrypt } from 'node:crypto';
import { privateKeyObject, type PrivateKeyInput } from './private-key';

export type RsaEncryptionAlgorithm = 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256';

type OaepHash = 'sha1' | 'sha256';
const OAEP_HASH: Record<RsaEncryptionAlgorithm, OaepHash> = { RSAES_OAEP_SHA_1: 'sha1', RSAES_OAEP_SHA_256: 'sha256' };
const HASH_BYTES: Record<OaepHash, number> = { sha1: 20, sha256: 32 };

/** AWS's plaintext limit: modulusBytes - 2*hashLen - 2 (RSA_2048: 214 / 190, RSA_3072: 342 / 318, RSA_4096: 470 / 446). */
export function maxRsaPlaintextBytes(privateKeyDer: PrivateKeyInput, algorithm: RsaEncryptionAlgorithm): number {
  return capacity(rsaPrivateKey(privateKeyDer), algorithm);
}

/** OAEP with MGF1 over the same hash and an empty label. Throws RangeError above maxRsaPlaintextBytes. */
export function rsaEncrypt(input: { privateKeyDer: PrivateKeyInput; algorithm: RsaEncryptionAlgorithm; plaintext: Buffer }): Buffer {
  const privateKey = rsaPrivateKey(input.privateKeyDer);
  if (input.plaintext.length > capacity(privateKey, input.algorithm)) {
    throw new RangeError(`The plaintext is too long for ${input.algorithm} with this key.`);
  }
  // node's oaepHash sets the OAEP digest; OpenSSL uses it for MGF1 too unless told otherwise.
  return publicEncrypt(
    { key: createPublicKey(privateKey), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASH[input.algorithm] },
    input.plaintext,
  );
}

/** null when the ciphertext does not decrypt (wrong key, wrong algorithm, corrupted) — never throws for bad input. */
export function rsaDecrypt(input: { privateKeyDer: PrivateKeyInput; algorithm: RsaEncryptionAlgorithm; ciphertext: Buffer }): Buffer | null {
  const privateKey = rsaPrivateKey(input.privateKeyDer);
  // RFC 8017 §7.1.2 step 1: anything but exactly k bytes is a decryption error.
  if (input.ciphertext.length !== modulusBytes(privateKey)) return null;
  try {
    return privateDecrypt(
      { key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: OAEP_HASH[input.algorithm] },
      input.ciphertext,
    );
  } catch {
    return null;
  }
}

function rsaPrivateKey(privateKeyDer: PrivateKeyInput): KeyObject {
  const key = privateKeyObject(privateKeyDer);
  if (key.asymmetricKeyType !== 'rsa') throw new TypeError('RSA encryption needs an RSA key.');
  return key;
}

function modulusBytes(key: KeyObject): number {
  return Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
}

function capacity(key: KeyObject, algorithm: RsaEncryptionAlgorithm): number {
  return modulusBytes(key) - 2 * HASH_BYTES[OAEP_HASH[algorithm]] - 2;
}
