import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
} from 'node:crypto';
import type { WrappingAlgorithm, WrappingKeySpec } from '../../domain/src/key-spec';
import { generateWrappingKeyPair, KeyMaterialUnwrapError, oaepCapacity, unwrapKeyMaterial, wrapKeyMaterial } from './wrapping';

const SPECS: WrappingKeySpec[] = ['RSA_2048', 'RSA_3072', 'RSA_4096'];
const OAEP_ALGORITHMS = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const;
const RSA_AES_ALGORITHMS: WrappingAlgorithm[] = ['RSA_AES_KEY_WRAP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256'];
const ALGORITHMS: WrappingAlgorithm[] = [...OAEP_ALGORITHMS, ...RSA_AES_ALGORITHMS];
const MODULUS_BYTES: Record<WrappingKeySpec, number> = { RSA_2048: 256, RSA_3072: 384, RSA_4096: 512 };
const HASH: Record<WrappingAlgorithm, 'sha1' | 'sha256'> = {
  RSAES_OAEP_SHA_1: 'sha1',
  RSAES_OAEP_SHA_256: 'sha256',
  RSA_AES_KEY_WRAP_SHA_1: 'sha1',
  RSA_AES_KEY_WRAP_SHA_256: 'sha256',
};
const KWP_IV = Buffer.from('A65959A6', 'hex');

type KeyPair = { publicKeyDer: Buffer; privateKeyDer: Buffer };
let pairs: Record<WrappingKeySpec, KeyPair>;
let otherRsa2048: KeyPair;
let rsa4096Pkcs8: Buffer;
let p521Pkcs8: Buffer;
const symmetricMaterial = randomBytes(32);

/** An RSA_4096 or P-521 key pair's private key as PKCS#8 DER, generated off the main thread. */
function generateMaterialKey(kind: 'RSA_4096' | 'P-521'): Promise<Buffer> {
  const encoding = { privateKeyEncoding: { type: 'pkcs8', format: 'der' }, publicKeyEncoding: { type: 'spki', format: 'der' } } as const;
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, _publicKey: Buffer, privateKey: Buffer): void => (error ? reject(error) : resolve(privateKey));
    if (kind === 'RSA_4096') generateKeyPair('rsa', { modulusLength: 4096, ...encoding }, done);
    else generateKeyPair('ec', { namedCurve: 'P-521', ...encoding }, done);
  });
}

/** RSA-OAEP straight through node, as a client would do it without this library. */
function oaepEncryptDirectly(publicKeyDer: Buffer, hash: 'sha1' | 'sha256', data: Buffer): Buffer {
  const key = createPublicKey({ key: publicKeyDer, format: 'der', type: 'spki' });
  return publicEncrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, data);
}

beforeAll(async () => {
  const [rsa2048, rsa3072, rsa4096, other, materialRsa, materialEc] = await Promise.all([
    generateWrappingKeyPair('RSA_2048'),
    generateWrappingKeyPair('RSA_3072'),
    generateWrappingKeyPair('RSA_4096'),
    generateWrappingKeyPair('RSA_2048'),
    generateMaterialKey('RSA_4096'),
    generateMaterialKey('P-521'),
  ]);
  pairs = { RSA_2048: rsa2048, RSA_3072: rsa3072, RSA_4096: rsa4096 };
  otherRsa2048 = other;
  rsa4096Pkcs8 = materialRsa;
  p521Pkcs8 = materialEc;
});

/** Calls `fn`, expecting KeyMaterialUnwrapError, and checks the message carries no material bytes. */
function expectUnwrapError(fn: () => unknown, material: Buffer = symmetricMaterial): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(KeyMaterialUnwrapError);
  const message = (caught as Error).message;
  expect(message).not.toContain(material.toString('hex'));
  expect(message).not.toContain(material.toString('base64'));
}

function flipByte(blob: Buffer, index: number): Buffer {
  const copy = Buffer.from(blob);
  copy[index] ^= 0x01;
  return copy;
}

describe('generateWrappingKeyPair', () => {
  it.each(SPECS)('%s: DER SPKI public key and PKCS#8 private key with e=65537', (spec) => {
    const privateKey = createPrivateKey({ key: pairs[spec].privateKeyDer, format: 'der', type: 'pkcs8' });
    expect(privateKey.asymmetricKeyType).toBe('rsa');
    expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(MODULUS_BYTES[spec] * 8);
    expect(privateKey.asymmetricKeyDetails?.publicExponent).toBe(65537n);
    const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
    expect(derived.equals(pairs[spec].publicKeyDer)).toBe(true);
  });
});

describe('oaepCapacity', () => {
  it('is k-42 for SHA-1 and k-66 for SHA-256 (kms-api-reference.md §5.1)', () => {
    expect(SPECS.map((spec) => [oaepCapacity(spec, 'RSAES_OAEP_SHA_1'), oaepCapacity(spec, 'RSAES_OAEP_SHA_256')])).toEqual([
      [214, 190],
      [342, 318],
      [470, 446],
    ]);
  });
});

describe('wrap then unwrap', () => {
  const matrix = ALGORITHMS.flatMap((algorithm) => SPECS.map((spec) => [algorithm, spec] as const));

  it.each(matrix)('%s / %s: 32-byte symmetric material', (algorithm, spec) => {
    const wrapped = wrapKeyMaterial(algorithm, pairs[spec].publicKeyDer, symmetricMaterial);
    const expectedLength = algorithm.startsWith('RSAES_OAEP') ? MODULUS_BYTES[spec] : MODULUS_BYTES[spec] + 40;
    expect(wrapped.length).toBe(expectedLength);
    expect(unwrapKeyMaterial(algorithm, pairs[spec].privateKeyDer, wrapped).equals(symmetricMaterial)).toBe(true);
  });

  const rsaAesMatrix = RSA_AES_ALGORITHMS.flatMap((algorithm) => SPECS.map((spec) => [algorithm, spec] as const));
  it.each(rsaAesMatrix)('%s / %s: RSA_4096 and P-521 PKCS#8 private keys', (algorithm, spec) => {
    for (const material of [rsa4096Pkcs8, p521Pkcs8]) {
      const wrapped = wrapKeyMaterial(algorithm, pairs[spec].publicKeyDer, material);
      expect(unwrapKeyMaterial(algorithm, pairs[spec].privateKeyDer, wrapped).equals(material)).toBe(true);
    }
  });

  it('RSA_AES wrapping of an RSA_4096 key stays within the 6144-byte EncryptedKeyMaterial limit', () => {
    expect(wrapKeyMaterial('RSA_AES_KEY_WRAP_SHA_256', pairs.RSA_4096.publicKeyDer, rsa4096Pkcs8).length).toBeLessThanOrEqual(6144);
  });

  it('uses fresh randomness: wrapping the same material twice gives different blobs', () => {
    for (const algorithm of ALGORITHMS) {
      const first = wrapKeyMaterial(algorithm, pairs.RSA_2048.publicKeyDer, symmetricMaterial);
      const second = wrapKeyMaterial(algorithm, pairs.RSA_2048.publicKeyDer, symmetricMaterial);
      expect(first.equals(second)).toBe(false);
    }
  });

  it.each(OAEP_ALGORITHMS.flatMap((algorithm) => SPECS.map((spec) => [algorithm, spec] as const)))(
    '%s / %s: material of exactly the capacity round-trips, one byte more throws on wrap',
    (algorithm, spec) => {
      const capacity = oaepCapacity(spec, algorithm);
      const atCapacity = randomBytes(capacity);
      const wrapped = wrapKeyMaterial(algorithm, pairs[spec].publicKeyDer, atCapacity);
      expect(unwrapKeyMaterial(algorithm, pairs[spec].privateKeyDer, wrapped).equals(atCapacity)).toBe(true);
      expect(() => wrapKeyMaterial(algorithm, pairs[spec].publicKeyDer, randomBytes(capacity + 1))).toThrow(RangeError);
    },
  );

  it('a P-521 PKCS#8 does not fit RSAES_OAEP_* with RSA_2048 (the special rule of §5.1)', () => {
    for (const algorithm of OAEP_ALGORITHMS) {
      expect(() => wrapKeyMaterial(algorithm, pairs.RSA_2048.publicKeyDer, p521Pkcs8)).toThrow(RangeError);
    }
    const wrapped = wrapKeyMaterial('RSAES_OAEP_SHA_256', pairs.RSA_3072.publicKeyDer, p521Pkcs8);
    expect(unwrapKeyMaterial('RSAES_OAEP_SHA_256', pairs.RSA_3072.privateKeyDer, wrapped).equals(p521Pkcs8)).toBe(true);
  });
});

describe('wrapKeyMaterial input checks', () => {
  it('refuses empty material and a public key that is not RSA', () => {
    for (const algorithm of ALGORITHMS) {
      expect(() => wrapKeyMaterial(algorithm, pairs.RSA_2048.publicKeyDer, Buffer.alloc(0))).toThrow(RangeError);
    }
    const ecPublicKey = createPublicKey(createPrivateKey({ key: p521Pkcs8, format: 'der', type: 'pkcs8' })).export({ type: 'spki', format: 'der' });
    expect(() => wrapKeyMaterial('RSA_AES_KEY_WRAP_SHA_256', ecPublicKey, symmetricMaterial)).toThrow(TypeError);
  });
});

/** RFC 8017 §7.1.2 EME-OAEP decoding, written out so the test does not trust OpenSSL's defaults for MGF1. */
function decodeOaepByHand(encoded: Buffer, hash: 'sha1' | 'sha256'): Buffer {
  const hLen = hash === 'sha1' ? 20 : 32;
  const mgf1 = (seed: Buffer, length: number): Buffer => {
    const blocks: Buffer[] = [];
    for (let counter = 0; blocks.length * hLen < length; counter++) {
      const c = Buffer.alloc(4);
      c.writeUInt32BE(counter);
      blocks.push(createHash(hash).update(seed).update(c).digest());
    }
    return Buffer.concat(blocks).subarray(0, length);
  };
  const xor = (a: Buffer, b: Buffer): Buffer => Buffer.from(a.map((byte, i) => byte ^ b[i]));
  expect(encoded[0]).toBe(0);
  const maskedSeed = encoded.subarray(1, 1 + hLen);
  const maskedDb = encoded.subarray(1 + hLen);
  const seed = xor(maskedSeed, mgf1(maskedDb, hLen));
  const db = xor(maskedDb, mgf1(seed, maskedDb.length));
  expect(db.subarray(0, hLen).equals(createHash(hash).update(Buffer.alloc(0)).digest())).toBe(true); // empty label
  const separator = db.indexOf(0x01, hLen);
  expect(db.subarray(hLen, separator).every((byte) => byte === 0)).toBe(true);
  return db.subarray(separator + 1);
}

function rawRsaDecrypt(privateKeyDer: Buffer, block: Buffer): Buffer {
  const key = createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' });
  return privateDecrypt({ key, padding: constants.RSA_NO_PADDING }, block);
}

describe('format cross-checks against independent constructions', () => {
  it.each(OAEP_ALGORITHMS)('%s: OAEP with MGF1 over the same hash and an empty label', (algorithm) => {
    const wrapped = wrapKeyMaterial(algorithm, pairs.RSA_2048.publicKeyDer, symmetricMaterial);
    const decoded = decodeOaepByHand(rawRsaDecrypt(pairs.RSA_2048.privateKeyDer, wrapped), HASH[algorithm]);
    expect(decoded.equals(symmetricMaterial)).toBe(true);
  });

  it.each(RSA_AES_ALGORITHMS)('%s: library output is RSA-OAEP(AES key) first, then RFC 5649 KWP of the material', (algorithm) => {
    const wrapped = wrapKeyMaterial(algorithm, pairs.RSA_3072.publicKeyDer, p521Pkcs8);
    const rsaPart = wrapped.subarray(0, MODULUS_BYTES.RSA_3072);
    const aesKey = decodeOaepByHand(rawRsaDecrypt(pairs.RSA_3072.privateKeyDer, rsaPart), HASH[algorithm]);
    expect(aesKey.length).toBe(32);
    const decipher = createDecipheriv('id-aes256-wrap-pad', aesKey, KWP_IV);
    const material = Buffer.concat([decipher.update(wrapped.subarray(MODULUS_BYTES.RSA_3072)), decipher.final()]);
    expect(material.equals(p521Pkcs8)).toBe(true);
  });

  const aesKeySizes = RSA_AES_ALGORITHMS.flatMap((algorithm) => [16, 24, 32].map((bytes) => [algorithm, bytes] as const));
  it.each(aesKeySizes)('%s: a client-built blob with a %i-byte AES key unwraps', (algorithm, aesKeyBytes) => {
    const aesKey = randomBytes(aesKeyBytes);
    const wrappedAesKey = oaepEncryptDirectly(pairs.RSA_2048.publicKeyDer, HASH[algorithm], aesKey);
    const cipher = createCipheriv(`id-aes${aesKeyBytes * 8}-wrap-pad`, aesKey, KWP_IV);
    const wrappedMaterial = Buffer.concat([cipher.update(rsa4096Pkcs8), cipher.final()]);
    const blob = Buffer.concat([wrappedAesKey, wrappedMaterial]);
    expect(unwrapKeyMaterial(algorithm, pairs.RSA_2048.privateKeyDer, blob).equals(rsa4096Pkcs8)).toBe(true);
  });

  it('a client-built blob with the parts in the wrong order is rejected', () => {
    const aesKey = randomBytes(32);
    const wrappedAesKey = oaepEncryptDirectly(pairs.RSA_2048.publicKeyDer, 'sha256', aesKey);
    const cipher = createCipheriv('id-aes256-wrap-pad', aesKey, KWP_IV);
    const wrappedMaterial = Buffer.concat([cipher.update(symmetricMaterial), cipher.final()]);
    const reversed = Buffer.concat([wrappedMaterial, wrappedAesKey]);
    expectUnwrapError(() => unwrapKeyMaterial('RSA_AES_KEY_WRAP_SHA_256', pairs.RSA_2048.privateKeyDer, reversed));
  });

  it.each(OAEP_ALGORITHMS)('%s: a blob made with crypto.publicEncrypt directly unwraps', (algorithm) => {
    const blob = oaepEncryptDirectly(pairs.RSA_4096.publicKeyDer, HASH[algorithm], symmetricMaterial);
    expect(unwrapKeyMaterial(algorithm, pairs.RSA_4096.privateKeyDer, blob).equals(symmetricMaterial)).toBe(true);
  });
});

describe('unwrap failures throw KeyMaterialUnwrapError', () => {
  it.each(ALGORITHMS)('%s: the wrong private key', (algorithm) => {
    const wrapped = wrapKeyMaterial(algorithm, pairs.RSA_2048.publicKeyDer, symmetricMaterial);
    expectUnwrapError(() => unwrapKeyMaterial(algorithm, otherRsa2048.privateKeyDer, wrapped));
    // A private key of another size fails on length before any decryption.
    expectUnwrapError(() => unwrapKeyMaterial(algorithm, pairs.RSA_3072.privateKeyDer, wrapped));
  });

  it.each(ALGORITHMS)('%s: unwrapped under every other algorithm', (algorithm) => {
    const wrapped = wrapKeyMaterial(algorithm, pairs.RSA_2048.publicKeyDer, symmetricMaterial);
    for (const other of ALGORITHMS.filter((candidate) => candidate !== algorithm)) {
      expectUnwrapError(() => unwrapKeyMaterial(other, pairs.RSA_2048.privateKeyDer, wrapped));
    }
  });

  it.each(ALGORITHMS)('%s: a flipped byte in any region', (algorithm) => {
    const wrapped = wrapKeyMaterial(algorithm, pairs.RSA_2048.publicKeyDer, symmetricMaterial);
    const indexes = [0, 1, 128, 255, 256, 263, wrapped.length - 1].filter((index) => index < wrapped.length);
    for (const index of indexes) {
      expectUnwrapError(() => unwrapKeyMaterial(algorithm, pairs.RSA_2048.privateKeyDer, flipByte(wrapped, index)));
    }
  });

  it.each(ALGORITHMS)('%s: truncated, extended or empty blobs', (algorithm) => {
    const wrapped = wrapKeyMaterial(algorithm, pairs.RSA_2048.publicKeyDer, symmetricMaterial);
    const variants = [
      wrapped.subarray(0, wrapped.length - 1),
      wrapped.subarray(0, wrapped.length - 8),
      wrapped.subarray(0, 256),
      wrapped.subarray(0, 255),
      Buffer.concat([wrapped, Buffer.alloc(1)]),
      Buffer.concat([wrapped, Buffer.alloc(8)]),
      Buffer.alloc(0),
    ].filter((variant) => variant.length !== wrapped.length); // for OAEP the first 256 bytes are the whole blob
    for (const variant of variants) {
      expectUnwrapError(() => unwrapKeyMaterial(algorithm, pairs.RSA_2048.privateKeyDer, variant));
    }
  });

  it('RSA_AES: a KWP part from another AES key fails the integrity check', () => {
    const first = wrapKeyMaterial('RSA_AES_KEY_WRAP_SHA_256', pairs.RSA_2048.publicKeyDer, symmetricMaterial);
    const second = wrapKeyMaterial('RSA_AES_KEY_WRAP_SHA_256', pairs.RSA_2048.publicKeyDer, symmetricMaterial);
    const spliced = Buffer.concat([first.subarray(0, 256), second.subarray(256)]);
    expectUnwrapError(() => unwrapKeyMaterial('RSA_AES_KEY_WRAP_SHA_256', pairs.RSA_2048.privateKeyDer, spliced));
  });

  it('RSA_AES: an RSA part holding an AES key of an unsupported size', () => {
    const wrappedAesKey = oaepEncryptDirectly(pairs.RSA_2048.publicKeyDer, 'sha256', randomBytes(20));
    const blob = Buffer.concat([wrappedAesKey, randomBytes(40)]);
    expectUnwrapError(() => unwrapKeyMaterial('RSA_AES_KEY_WRAP_SHA_256', pairs.RSA_2048.privateKeyDer, blob));
  });

  it('an algorithm name outside the supported four (e.g. from an untyped caller)', () => {
    const wrapped = wrapKeyMaterial('RSAES_OAEP_SHA_1', pairs.RSA_2048.publicKeyDer, symmetricMaterial);
    const unsupported = 'RSAES_PKCS1_V1_5' as WrappingAlgorithm;
    expectUnwrapError(() => unwrapKeyMaterial(unsupported, pairs.RSA_2048.privateKeyDer, wrapped));
    expect(() => wrapKeyMaterial(unsupported, pairs.RSA_2048.publicKeyDer, symmetricMaterial)).toThrow(TypeError);
  });

  it('an unusable wrapping private key', () => {
    const wrapped = wrapKeyMaterial('RSAES_OAEP_SHA_256', pairs.RSA_2048.publicKeyDer, symmetricMaterial);
    expectUnwrapError(() => unwrapKeyMaterial('RSAES_OAEP_SHA_256', randomBytes(100), wrapped));
    expectUnwrapError(() => unwrapKeyMaterial('RSAES_OAEP_SHA_256', p521Pkcs8, wrapped));
  });
});
