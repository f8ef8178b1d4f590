import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDataKeyPair, type DataKeyPairSpec } from './data-key-pair';
import { checkKeyMaterial, publicKeyDerFromPrivate } from './key-material';
import type { KeySpec } from '../../domain/src/key-spec';

const SPECS: [DataKeyPairSpec, { modulusLength: number } | { namedCurve: string } | { keyType: 'ed25519' }][] = [
  ['RSA_2048', { modulusLength: 2048 }],
  ['RSA_3072', { modulusLength: 3072 }],
  ['RSA_4096', { modulusLength: 4096 }],
  ['ECC_NIST_P256', { namedCurve: 'prime256v1' }],
  ['ECC_NIST_P384', { namedCurve: 'secp384r1' }],
  ['ECC_NIST_P521', { namedCurve: 'secp521r1' }],
  ['ECC_SECG_P256K1', { namedCurve: 'secp256k1' }],
  ['ECC_NIST_EDWARDS25519', { keyType: 'ed25519' }],
];

/** Ed25519 signs the message itself (no separate hash): node wants null as the algorithm. */
const signingHash = (spec: DataKeyPairSpec) => (spec === 'ECC_NIST_EDWARDS25519' ? null : 'sha256');

let dir: string;
const pairs = {} as Record<DataKeyPairSpec, { privateKeyDer: Buffer; publicKeyDer: Buffer }>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keyledger-data-key-pair-'));
  // All at once: generation runs on the libuv pool, so RSA_4096 overlaps with the rest.
  const generated = await Promise.all(SPECS.map(([spec]) => generateDataKeyPair(spec)));
  SPECS.forEach(([spec], i) => (pairs[spec] = generated[i]));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe.each(SPECS)('generateDataKeyPair(%s)', (spec, expected) => {
  it('has a PKCS#8 private key of the right size or curve, and a SubjectPublicKeyInfo public key', () => {
    const { privateKeyDer, publicKeyDer } = pairs[spec];
    const privateKey = createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' });
    const publicKey = createPublicKey({ key: publicKeyDer, format: 'der', type: 'spki' });
    if ('modulusLength' in expected) {
      expect(privateKey.asymmetricKeyType).toBe('rsa');
      expect(publicKey.asymmetricKeyDetails).toEqual({ modulusLength: expected.modulusLength, publicExponent: 65537n });
    } else if ('namedCurve' in expected) {
      expect(privateKey.asymmetricKeyType).toBe('ec');
      expect(publicKey.asymmetricKeyDetails).toEqual({ namedCurve: expected.namedCurve });
    } else {
      expect(privateKey.asymmetricKeyType).toBe(expected.keyType);
      expect(publicKey.asymmetricKeyType).toBe(expected.keyType);
      // RFC 8410: a 32-byte key in a 48-byte PKCS#8 and a 44-byte SubjectPublicKeyInfo.
      expect(privateKeyDer.length).toBe(48);
      expect(publicKeyDer.length).toBe(44);
      return; // Not a KMS key spec: there is no key material import to compare with.
    }
    // The same checks an import of this key pair's private half would get (size/curve, pairwise consistency).
    expect(checkKeyMaterial(spec as KeySpec, privateKeyDer)).toEqual({ ok: true });
  });

  it('public half belongs to the private half', () => {
    const { privateKeyDer, publicKeyDer } = pairs[spec];
    expect(publicKeyDerFromPrivate(privateKeyDer).equals(publicKeyDer)).toBe(true);
    const message = Buffer.from('GenerateDataKeyPair');
    const signature = sign(signingHash(spec), message, createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' }));
    expect(verify(signingHash(spec), message, createPublicKey({ key: publicKeyDer, format: 'der', type: 'spki' }), signature)).toBe(true);
  });

  it('openssl parses both halves as DER', () => {
    const { privateKeyDer, publicKeyDer } = pairs[spec];
    const privateFile = join(dir, `${spec}.key.der`);
    const publicFile = join(dir, `${spec}.pub.der`);
    writeFileSync(privateFile, privateKeyDer, { mode: 0o600 });
    writeFileSync(publicFile, publicKeyDer);
    execFileSync('openssl', ['pkey', '-inform', 'DER', '-in', privateFile, '-noout'], { stdio: 'pipe' });
    // Re-encoding the public key from the private file must reproduce our SubjectPublicKeyInfo byte for byte.
    const reencoded = execFileSync('openssl', ['pkey', '-inform', 'DER', '-in', privateFile, '-pubout', '-outform', 'DER'], { stdio: 'pipe' });
    expect(reencoded.equals(publicKeyDer)).toBe(true);
    execFileSync('openssl', ['pkey', '-pubin', '-inform', 'DER', '-in', publicFile, '-noout'], { stdio: 'pipe' });
  });
});

describe('generateDataKeyPair(ECC_NIST_EDWARDS25519) against openssl', () => {
  const message = Buffer.from('GenerateDataKeyPair Ed25519');
  const files = () => {
    const { privateKeyDer, publicKeyDer } = pairs.ECC_NIST_EDWARDS25519;
    const privateFile = join(dir, 'ed25519-openssl.key.der');
    const publicFile = join(dir, 'ed25519-openssl.pub.der');
    const messageFile = join(dir, 'ed25519-openssl.msg');
    writeFileSync(privateFile, privateKeyDer, { mode: 0o600 });
    writeFileSync(publicFile, publicKeyDer);
    writeFileSync(messageFile, message);
    return { privateFile, publicFile, messageFile };
  };

  it('openssl verifies a signature made with the private half using the public half', () => {
    const { publicFile, messageFile } = files();
    const signature = sign(null, message, createPrivateKey({ key: pairs.ECC_NIST_EDWARDS25519.privateKeyDer, format: 'der', type: 'pkcs8' }));
    expect(signature.length).toBe(64);
    const sigFile = join(dir, 'ed25519-node.sig');
    writeFileSync(sigFile, signature);
    const opensslVerify = (file: string) =>
      execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-keyform', 'DER', '-inkey', publicFile, '-rawin', '-in', file, '-sigfile', sigFile], {
        stdio: 'pipe',
      }).toString();
    expect(opensslVerify(messageFile)).toContain('Signature Verified Successfully');
    // A control that the openssl check can fail: another message.
    const otherFile = join(dir, 'ed25519-other.msg');
    writeFileSync(otherFile, 'other');
    expect(() => opensslVerify(otherFile)).toThrow();
  });

  it('a signature openssl makes with the private half verifies with the public half', () => {
    const { privateFile, messageFile } = files();
    const sigFile = join(dir, 'ed25519-openssl.sig');
    execFileSync('openssl', ['pkeyutl', '-sign', '-keyform', 'DER', '-inkey', privateFile, '-rawin', '-in', messageFile, '-out', sigFile], {
      stdio: 'pipe',
    });
    const publicKey = createPublicKey({ key: pairs.ECC_NIST_EDWARDS25519.publicKeyDer, format: 'der', type: 'spki' });
    expect(verify(null, message, publicKey, readFileSync(sigFile))).toBe(true);
  });
});

describe('generateDataKeyPair', () => {
  it('returns a promise and a fresh pair on each call', async () => {
    const pending = generateDataKeyPair('ECC_NIST_P256');
    expect(pending).toBeInstanceOf(Promise);
    const a = await pending;
    const b = await generateDataKeyPair('ECC_NIST_P256');
    expect(a.privateKeyDer.equals(b.privateKeyDer)).toBe(false);
    expect(a.publicKeyDer.equals(b.publicKeyDer)).toBe(false);
  });

  it('rejects a spec it does not know', async () => {
    await expect(generateDataKeyPair('SM2' as DataKeyPairSpec)).rejects.toThrow(TypeError);
    await expect(generateDataKeyPair('toString' as DataKeyPairSpec)).rejects.toThrow(TypeError);
  });
});
