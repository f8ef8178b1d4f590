import { constants, createCipheriv, createPublicKey, generateKeyPairSync, publicEncrypt, randomBytes } from 'node:crypto';

/**
 * What a BYOK client does locally, written against node:crypto directly (not Keyledger's own crypto library),
 * so the end-to-end tests check the service against an independent implementation of the AWS procedures.
 */
export type ClientWrappingAlgorithm = 'RSAES_OAEP_SHA_1' | 'RSAES_OAEP_SHA_256' | 'RSA_AES_KEY_WRAP_SHA_1' | 'RSA_AES_KEY_WRAP_SHA_256';

const oaep = (publicKeyDer: Uint8Array, hash: 'sha1' | 'sha256', data: Buffer) =>
  publicEncrypt(
    { key: createPublicKey({ key: Buffer.from(publicKeyDer), format: 'der', type: 'spki' }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash },
    data,
  );

export function wrapForImport(algorithm: ClientWrappingAlgorithm, publicKeyDer: Uint8Array, material: Buffer): Buffer {
  const hash = algorithm.endsWith('SHA_1') ? 'sha1' : 'sha256';
  if (algorithm.startsWith('RSAES_OAEP')) return oaep(publicKeyDer, hash, material);
  // RSA_AES_KEY_WRAP: ephemeral AES-256 key wrapped with OAEP, material with AES-KWP (RFC 5649); RSA part first.
  const aesKey = randomBytes(32);
  const cipher = createCipheriv('id-aes256-wrap-pad', aesKey, Buffer.from('A65959A6', 'hex'));
  const wrappedMaterial = Buffer.concat([cipher.update(material), cipher.final()]);
  return Buffer.concat([oaep(publicKeyDer, hash, aesKey), wrappedMaterial]);
}

/** Key material as the AWS docs tell users to produce it (§6.1): raw bytes or unencrypted PKCS#8 DER. */
export function materialFor(keySpec: string): Buffer {
  if (keySpec === 'SYMMETRIC_DEFAULT') return randomBytes(32);
  const hmac: Record<string, number> = { HMAC_224: 28, HMAC_256: 32, HMAC_384: 48, HMAC_512: 64 };
  if (hmac[keySpec]) return randomBytes(hmac[keySpec]);
  const der = { format: 'der', type: 'pkcs8' } as const;
  if (keySpec.startsWith('RSA_')) {
    return generateKeyPairSync('rsa', { modulusLength: Number(keySpec.slice(4)), privateKeyEncoding: der, publicKeyEncoding: { format: 'der', type: 'spki' } }).privateKey;
  }
  const curves: Record<string, string> = {
    ECC_NIST_P256: 'prime256v1',
    ECC_NIST_P384: 'secp384r1',
    ECC_NIST_P521: 'secp521r1',
    ECC_SECG_P256K1: 'secp256k1',
  };
  return generateKeyPairSync('ec', { namedCurve: curves[keySpec], privateKeyEncoding: der, publicKeyEncoding: { format: 'der', type: 'spki' } }).privateKey;
}
