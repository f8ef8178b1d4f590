import { createHmac, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { KEY_SPECS, type KeySpec } from '../../domain/src/key-spec';
import { checkKeyMaterial, computeKeyMaterialId, generateKeyMaterial, publicKeyDerFromPrivate } from './key-material';

const ASYMMETRIC_SPECS = KEY_SPECS.filter((spec) => spec.startsWith('RSA_') || spec.startsWith('ECC_'));
const LENGTH_SPECS: [KeySpec, number][] = [
  ['SYMMETRIC_DEFAULT', 32],
  ['HMAC_224', 28],
  ['HMAC_256', 32],
  ['HMAC_384', 48],
  ['HMAC_512', 64],
];

// Generated once: RSA_3072/4096 generation takes seconds.
let material: Record<KeySpec, Buffer>;

beforeAll(() => {
  material = Object.fromEntries(KEY_SPECS.map((spec) => [spec, generateKeyMaterial(spec)])) as Record<KeySpec, Buffer>;
});

function pkcs8Key(der: Buffer) {
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/** Asserts rejection and that the reason is a sentence without any rendering of the material. */
function expectRejected(keySpec: KeySpec, candidate: Buffer): string {
  const result = checkKeyMaterial(keySpec, candidate);
  if (result.ok) throw new Error(`expected ${keySpec} to reject the candidate`);
  expect(result.reason).toMatch(/^[A-Z].*\.$/);
  if (candidate.length >= 4) {
    expect(result.reason).not.toContain(candidate.toString('hex').slice(0, 8));
    expect(result.reason).not.toContain(candidate.toString('base64').slice(0, 8));
  }
  return result.reason;
}

describe('generateKeyMaterial', () => {
  it.each(LENGTH_SPECS)('%s: %i random bytes', (spec, bytes) => {
    expect(material[spec].length).toBe(bytes);
    expect(generateKeyMaterial(spec).equals(material[spec])).toBe(false);
  });

  it.each(ASYMMETRIC_SPECS)('%s: an unencrypted PKCS#8 DER private key', (spec) => {
    expect(pkcs8Key(material[spec]).type).toBe('private');
  });
});

describe('checkKeyMaterial', () => {
  it.each(KEY_SPECS)('accepts correct %s material', (spec) => {
    expect(checkKeyMaterial(spec, material[spec])).toEqual({ ok: true });
  });

  it.each(LENGTH_SPECS)('%s: rejects every other length', (spec, bytes) => {
    for (const length of [0, 1, 16, bytes - 1, bytes + 1, 64, 65].filter((candidate) => candidate !== bytes)) {
      expect(expectRejected(spec, randomBytes(length))).toBe(`${spec} key material must be ${bytes} bytes, got ${length}.`);
    }
  });

  it('uses the documented wording', () => {
    expect(expectRejected('SYMMETRIC_DEFAULT', randomBytes(16))).toBe('SYMMETRIC_DEFAULT key material must be 32 bytes, got 16.');
    expect(expectRejected('RSA_2048', randomBytes(300))).toBe('Key material is not an RSA_2048 private key in unencrypted PKCS#8 DER.');
  });

  it('rejects an RSA key of another size', () => {
    expectRejected('RSA_2048', material.RSA_3072);
    expectRejected('RSA_3072', material.RSA_2048);
    expect(expectRejected('RSA_4096', material.RSA_2048)).toBe('RSA_4096 key material must be a 4096-bit RSA key, got 2048-bit.');
  });

  it('rejects an EC key on another curve', () => {
    expectRejected('ECC_NIST_P256', material.ECC_NIST_P384);
    expect(expectRejected('ECC_NIST_P256', material.ECC_SECG_P256K1)).toBe(
      'ECC_NIST_P256 key material must be an EC key on curve prime256v1.',
    );
    expectRejected('ECC_SECG_P256K1', material.ECC_NIST_P256);
    expectRejected('ECC_NIST_P521', material.ECC_NIST_P384);
  });

  it('rejects keys of the wrong family', () => {
    for (const spec of ['ECC_NIST_P256', 'ECC_NIST_P521', 'ECC_SECG_P256K1'] as const) expectRejected(spec, material.RSA_2048);
    expectRejected('RSA_2048', material.ECC_NIST_P256);
    const rsaPss = generateKeyPairSync('rsa-pss', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'der' });
    expectRejected('RSA_2048', rsaPss);
    const ed25519 = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'der' });
    expectRejected('ECC_NIST_P256', ed25519);
  });

  it('rejects symmetric material for asymmetric specs and garbage', () => {
    for (const spec of ASYMMETRIC_SPECS) {
      expectRejected(spec, material.SYMMETRIC_DEFAULT);
      expectRejected(spec, randomBytes(1200));
      expectRejected(spec, Buffer.alloc(0));
    }
  });

  it('rejects other encodings of a correct key: encrypted PKCS#8, PEM, PKCS#1, SEC1', () => {
    const rsa = pkcs8Key(material.RSA_2048);
    const ec = pkcs8Key(material.ECC_NIST_P256);
    const encrypted = rsa.export({ type: 'pkcs8', format: 'der', cipher: 'aes-256-cbc', passphrase: 'secret' });
    expectRejected('RSA_2048', encrypted);
    expectRejected('RSA_2048', Buffer.from(rsa.export({ type: 'pkcs8', format: 'pem' })));
    expectRejected('RSA_2048', rsa.export({ type: 'pkcs1', format: 'der' }));
    expectRejected('ECC_NIST_P256', ec.export({ type: 'sec1', format: 'der' }));
    expectRejected('ECC_NIST_P256', Buffer.from(ec.export({ type: 'pkcs8', format: 'pem' })));
  });

  it('rejects a correct key followed by extra bytes or cut short', () => {
    for (const spec of ['RSA_2048', 'ECC_NIST_P256'] as const) {
      expectRejected(spec, Buffer.concat([material[spec], Buffer.from([0x00])]));
      expectRejected(spec, material[spec].subarray(0, material[spec].length - 1));
    }
  });

  it('rejects a key spec outside the supported list', () => {
    expect(checkKeyMaterial('SM2' as KeySpec, material.ECC_NIST_P256).ok).toBe(false);
  });

  it('rejects key pairs whose halves do not belong together', () => {
    const rsaA = pkcs8Key(material.RSA_2048).export({ format: 'jwk' });
    const rsaB = pkcs8Key(generateKeyMaterial('RSA_2048')).export({ format: 'jwk' });
    const mixedRsa = createPrivateKey({ key: { ...rsaB, n: rsaA.n }, format: 'jwk' }).export({ type: 'pkcs8', format: 'der' });
    expect(expectRejected('RSA_2048', mixedRsa)).toBe('RSA_2048 key material is not a consistent key pair.');

    const ecA = pkcs8Key(material.ECC_NIST_P256).export({ format: 'jwk' });
    const ecB = pkcs8Key(generateKeyMaterial('ECC_NIST_P256')).export({ format: 'jwk' });
    const mixedEc = createPrivateKey({ key: { ...ecA, d: ecB.d }, format: 'jwk' }).export({ type: 'pkcs8', format: 'der' });
    expectRejected('ECC_NIST_P256', mixedEc);
  });
});

describe('computeKeyMaterialId', () => {
  const keyId = '1234abcd-12ab-34cd-56ef-1234567890ab';

  it('is 64 lowercase hex chars and deterministic', () => {
    const id = computeKeyMaterialId(keyId, material.SYMMETRIC_DEFAULT);
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(computeKeyMaterialId(keyId, Buffer.from(material.SYMMETRIC_DEFAULT))).toBe(id);
  });

  it('differs for the same material in another key, and for other material in the same key', () => {
    const id = computeKeyMaterialId(keyId, material.SYMMETRIC_DEFAULT);
    expect(computeKeyMaterialId('0000abcd-12ab-34cd-56ef-1234567890ab', material.SYMMETRIC_DEFAULT)).not.toBe(id);
    expect(computeKeyMaterialId(keyId, generateKeyMaterial('SYMMETRIC_DEFAULT'))).not.toBe(id);
  });

  it('separates the key id from the material', () => {
    expect(computeKeyMaterialId('ab', Buffer.from('c'))).not.toBe(computeKeyMaterialId('a', Buffer.from('bc')));
  });

  it('is HMAC-SHA256 keyed with a fixed label over keyId || 0x00 || material (pinned: ids are stored in events)', () => {
    const fixedMaterial = Buffer.alloc(32, 0x11);
    const expected = createHmac('sha256', 'keyledger:key-material-id:v1').update(`${keyId}\0`).update(fixedMaterial).digest('hex');
    expect(computeKeyMaterialId(keyId, fixedMaterial)).toBe(expected);
    expect(expected).toBe('c66345e215e8b6d1d1766ae143a084db45e4f80dc87c115327d5d1218f953fde');
  });
});

describe('publicKeyDerFromPrivate', () => {
  it.each(ASYMMETRIC_SPECS)('%s: DER SPKI that verifies signatures of the private key', (spec) => {
    const spki = publicKeyDerFromPrivate(material[spec]);
    const publicKey = createPublicKey({ key: spki, format: 'der', type: 'spki' });
    const message = Buffer.from('GetPublicKey');
    expect(verify('sha256', message, publicKey, sign('sha256', message, pkcs8Key(material[spec])))).toBe(true);
    expect(spki.equals(createPublicKey(pkcs8Key(material[spec])).export({ type: 'spki', format: 'der' }))).toBe(true);
  });

  it('throws for something that is not a PKCS#8 private key', () => {
    expect(() => publicKeyDerFromPrivate(randomBytes(64))).toThrow();
  });
});
