import { execFileSync } from 'node:child_process';
import {
  constants,
  createHash,
  createPrivateKey,
  createPublicKey,
  privateEncrypt,
  publicDecrypt,
  randomBytes,
  sign,
  verify,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { p256, p384, p521 } from '@noble/curves/nist';
import { secp256k1 } from '@noble/curves/secp256k1';
import { generateKeyMaterial } from './key-material';
import { digestLength, signMessage, verifySignature, type MessageType, type SigningAlgorithm } from './signing';

// Independent checks: the openssl CLI (and node's own hashing sign/verify) against our RAW and DIGEST paths.

type Hash = 'sha256' | 'sha384' | 'sha512';
const HASH_BYTES: Record<Hash, number> = { sha256: 32, sha384: 48, sha512: 64 };
const RSA_ALGORITHMS: [SigningAlgorithm, Hash, 'pss' | 'pkcs1'][] = [
  ['RSASSA_PSS_SHA_256', 'sha256', 'pss'],
  ['RSASSA_PSS_SHA_384', 'sha384', 'pss'],
  ['RSASSA_PSS_SHA_512', 'sha512', 'pss'],
  ['RSASSA_PKCS1_V1_5_SHA_256', 'sha256', 'pkcs1'],
  ['RSASSA_PKCS1_V1_5_SHA_384', 'sha384', 'pkcs1'],
  ['RSASSA_PKCS1_V1_5_SHA_512', 'sha512', 'pkcs1'],
];
const ECC_CASES: ['ECC_NIST_P256' | 'ECC_NIST_P384' | 'ECC_NIST_P521' | 'ECC_SECG_P256K1', SigningAlgorithm, Hash][] = [
  ['ECC_NIST_P256', 'ECDSA_SHA_256', 'sha256'],
  ['ECC_SECG_P256K1', 'ECDSA_SHA_256', 'sha256'],
  ['ECC_NIST_P384', 'ECDSA_SHA_384', 'sha384'],
  ['ECC_NIST_P521', 'ECDSA_SHA_512', 'sha512'],
];
const MESSAGE_TYPES: MessageType[] = ['RAW', 'DIGEST'];

let dir: string;
let fileCounter = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'keyledger-signing-'));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function tempFile(data: Buffer | string): string {
  const path = join(dir, `f${fileCounter++}`);
  writeFileSync(path, data, { mode: 0o600 });
  return path;
}

function openssl(args: string[]): Buffer {
  return execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Key files for openssl, written once per key. */
function keyFiles(privateKeyDer: Buffer): { privatePem: string; publicPem: string } {
  const privateKey = createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' });
  return {
    privatePem: tempFile(privateKey.export({ type: 'pkcs8', format: 'pem' })),
    publicPem: tempFile(createPublicKey(privateKey).export({ type: 'spki', format: 'pem' })),
  };
}

function pssOptions(hash: Hash, scheme: string): string[] {
  return scheme === 'pss' ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', `rsa_pss_saltlen:${HASH_BYTES[hash]}`] : [];
}

/** openssl's verdict on a signature over the RAW message. */
function opensslVerifies(publicPem: string, hash: Hash, options: string[], message: Buffer, signature: Buffer): boolean {
  try {
    const out = openssl(['dgst', `-${hash}`, '-verify', publicPem, ...options, '-signature', tempFile(signature), tempFile(message)]);
    return out.toString().includes('Verified OK');
  } catch {
    return false;
  }
}

function opensslSigns(privatePem: string, hash: Hash, options: string[], message: Buffer): Buffer {
  const out = join(dir, `sig${fileCounter++}`);
  openssl(['dgst', `-${hash}`, '-sign', privatePem, ...options, '-out', out, tempFile(message)]);
  return readFileSync(out);
}

function digest(hash: Hash, message: Buffer): Buffer {
  return createHash(hash).update(message).digest();
}

/** What signMessage/verifySignature take for `messageType`: the message itself or its digest. */
function input(messageType: MessageType, hash: Hash, message: Buffer): Buffer {
  return messageType === 'RAW' ? message : digest(hash, message);
}

function flipBit(bytes: Buffer, index: number): Buffer {
  const copy = Buffer.from(bytes);
  copy[index] ^= 0x01;
  return copy;
}

describe('digestLength', () => {
  it.each([
    ['RSASSA_PSS_SHA_256', 32],
    ['RSASSA_PSS_SHA_384', 48],
    ['RSASSA_PSS_SHA_512', 64],
    ['RSASSA_PKCS1_V1_5_SHA_256', 32],
    ['RSASSA_PKCS1_V1_5_SHA_384', 48],
    ['RSASSA_PKCS1_V1_5_SHA_512', 64],
    ['ECDSA_SHA_256', 32],
    ['ECDSA_SHA_384', 48],
    ['ECDSA_SHA_512', 64],
  ] as [SigningAlgorithm, number][])('%s: %i bytes', (algorithm, bytes) => {
    expect(digestLength(algorithm)).toBe(bytes);
  });
});

describe('RSA signatures (RSA_2048)', () => {
  const message = Buffer.from('Keyledger Sign/Verify test message');
  let privateKeyDer: Buffer;
  let files: { privatePem: string; publicPem: string };

  beforeAll(() => {
    privateKeyDer = generateKeyMaterial('RSA_2048');
    files = keyFiles(privateKeyDer);
  });

  describe.each(RSA_ALGORITHMS)('%s', (algorithm, hash, scheme) => {
    it.each(MESSAGE_TYPES)('%s: openssl verifies our signature as a signature over the message', (messageType) => {
      const signature = signMessage({ privateKeyDer, algorithm, message: input(messageType, hash, message), messageType });
      expect(signature.length).toBe(256);
      expect(opensslVerifies(files.publicPem, hash, pssOptions(hash, scheme), message, signature)).toBe(true);
      // A control that the openssl check can fail: another message.
      expect(opensslVerifies(files.publicPem, hash, pssOptions(hash, scheme), Buffer.from('other'), signature)).toBe(false);
    });

    it('openssl signatures verify in RAW mode over the message and in DIGEST mode over its digest', () => {
      const signature = opensslSigns(files.privatePem, hash, pssOptions(hash, scheme), message);
      expect(verifySignature({ privateKeyDer, algorithm, message, messageType: 'RAW', signature })).toBe(true);
      expect(verifySignature({ privateKeyDer, algorithm, message: digest(hash, message), messageType: 'DIGEST', signature })).toBe(true);
    });

    it.each(MESSAGE_TYPES)('%s: our own signatures verify in both modes', (messageType) => {
      const signature = signMessage({ privateKeyDer, algorithm, message: input(messageType, hash, message), messageType });
      expect(verifySignature({ privateKeyDer, algorithm, message, messageType: 'RAW', signature })).toBe(true);
      expect(verifySignature({ privateKeyDer, algorithm, message: digest(hash, message), messageType: 'DIGEST', signature })).toBe(true);
    });

    it.each(MESSAGE_TYPES)('%s: a modified message or signature, another algorithm and random bytes give false', (messageType) => {
      const signed = input(messageType, hash, message);
      const signature = signMessage({ privateKeyDer, algorithm, message: signed, messageType });
      const check = (overrides: Partial<Parameters<typeof verifySignature>[0]>) =>
        verifySignature({ privateKeyDer, algorithm, message: signed, messageType, signature, ...overrides });
      expect(check({})).toBe(true);
      expect(check({ message: flipBit(signed, 0) })).toBe(false);
      expect(check({ signature: flipBit(signature, 100) })).toBe(false);
      expect(check({ signature: flipBit(signature, signature.length - 1) })).toBe(false);
      expect(check({ signature: randomBytes(256) })).toBe(false);
      expect(check({ signature: Buffer.alloc(256, 0xff) })).toBe(false); // above the modulus
      expect(check({ signature: signature.subarray(1) })).toBe(false);
      expect(check({ signature: Buffer.concat([signature, Buffer.from([0])]) })).toBe(false);
      expect(check({ signature: Buffer.alloc(0) })).toBe(false);
      const otherScheme = RSA_ALGORITHMS.find(([a, h, s]) => h === hash && s !== scheme)![0];
      expect(check({ algorithm: otherScheme })).toBe(false);
      expect(check({ algorithm: 'ECDSA_SHA_256' })).toBe(false);
      if (messageType === 'RAW') {
        const otherHash = RSA_ALGORITHMS.find(([, h, s]) => h !== hash && s === scheme)![0];
        expect(check({ algorithm: otherHash })).toBe(false);
      }
    });

    it('DIGEST mode: a digest of the wrong length is refused by sign and is false for verify', () => {
      const short = randomBytes(HASH_BYTES[hash] - 1);
      expect(() => signMessage({ privateKeyDer, algorithm, message: short, messageType: 'DIGEST' })).toThrow(RangeError);
      const signature = signMessage({ privateKeyDer, algorithm, message, messageType: 'RAW' });
      expect(verifySignature({ privateKeyDer, algorithm, message, messageType: 'DIGEST', signature })).toBe(false);
    });
  });

  it('PKCS#1 v1.5 is deterministic: DIGEST over sha256(m), RAW over m and openssl give identical bytes', () => {
    const raw = signMessage({ privateKeyDer, algorithm: 'RSASSA_PKCS1_V1_5_SHA_256', message, messageType: 'RAW' });
    const fromDigest = signMessage({
      privateKeyDer,
      algorithm: 'RSASSA_PKCS1_V1_5_SHA_256',
      message: digest('sha256', message),
      messageType: 'DIGEST',
    });
    expect(fromDigest.equals(raw)).toBe(true);
    expect(opensslSigns(files.privatePem, 'sha256', [], message).equals(fromDigest)).toBe(true);
  });

  it('PSS is randomised (fresh salt per signature) in both modes', () => {
    for (const messageType of MESSAGE_TYPES) {
      const signed = input(messageType, 'sha256', message);
      const a = signMessage({ privateKeyDer, algorithm: 'RSASSA_PSS_SHA_256', message: signed, messageType });
      const b = signMessage({ privateKeyDer, algorithm: 'RSASSA_PSS_SHA_256', message: signed, messageType });
      expect(a.equals(b)).toBe(false);
    }
  });

  it('PSS: RAW and DIGEST both require salt length = hash length', () => {
    const shortSalt = sign('sha256', message, {
      key: createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' }),
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 20,
    });
    const base = { privateKeyDer, algorithm: 'RSASSA_PSS_SHA_256' as const, signature: shortSalt };
    expect(verifySignature({ ...base, message, messageType: 'RAW' })).toBe(false);
    expect(verifySignature({ ...base, message: digest('sha256', message), messageType: 'DIGEST' })).toBe(false);
  });

  it('rejects encodings that differ from EMSA-PSS / EMSA-PKCS1-v1_5 in one byte (re-signed with raw RSA)', () => {
    const privateKey = createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' });
    const publicKey = createPublicKey(privateKey);
    const resign = (signature: Buffer, tamper: (encoded: Buffer) => void) => {
      const encoded = publicDecrypt({ key: publicKey, padding: constants.RSA_NO_PADDING }, signature);
      tamper(encoded);
      return privateEncrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, encoded);
    };
    for (const [algorithm, index] of [
      // PSS: maskedDB[1] lies in the zero padding PS (masking is XOR, so the flip reaches DB unchanged).
      ['RSASSA_PSS_SHA_256', 1],
      // PKCS#1 v1.5: one of the 0xff padding bytes.
      ['RSASSA_PKCS1_V1_5_SHA_256', 5],
    ] as [SigningAlgorithm, number][]) {
      const d = digest('sha256', message);
      const signature = signMessage({ privateKeyDer, algorithm, message: d, messageType: 'DIGEST' });
      const untouched = resign(signature, () => undefined);
      const tampered = resign(signature, (encoded) => (encoded[index] ^= 0x01));
      expect(verifySignature({ privateKeyDer, algorithm, message: d, messageType: 'DIGEST', signature: untouched })).toBe(true);
      expect(verifySignature({ privateKeyDer, algorithm, message: d, messageType: 'DIGEST', signature: tampered })).toBe(false);
      expect(verifySignature({ privateKeyDer, algorithm, message, messageType: 'RAW', signature: tampered })).toBe(false);
      const scheme = algorithm.startsWith('RSASSA_PSS') ? 'pss' : 'pkcs1';
      expect(opensslVerifies(files.publicPem, 'sha256', pssOptions('sha256', scheme), message, tampered)).toBe(false);
    }
  });

  it('refuses to sign with an algorithm of another key family', () => {
    expect(() => signMessage({ privateKeyDer, algorithm: 'ECDSA_SHA_256', message, messageType: 'RAW' })).toThrow(TypeError);
  });

  it('RSA_3072 sanity: DIGEST PSS-SHA-512 and RAW PKCS#1-SHA-384 verify with openssl', () => {
    const rsa3072 = generateKeyMaterial('RSA_3072');
    const rsaFiles = keyFiles(rsa3072);
    const pss = signMessage({
      privateKeyDer: rsa3072,
      algorithm: 'RSASSA_PSS_SHA_512',
      message: digest('sha512', message),
      messageType: 'DIGEST',
    });
    expect(pss.length).toBe(384);
    expect(opensslVerifies(rsaFiles.publicPem, 'sha512', pssOptions('sha512', 'pss'), message, pss)).toBe(true);
    const pkcs1 = signMessage({ privateKeyDer: rsa3072, algorithm: 'RSASSA_PKCS1_V1_5_SHA_384', message, messageType: 'RAW' });
    expect(opensslVerifies(rsaFiles.publicPem, 'sha384', [], message, pkcs1)).toBe(true);
    const fromOpenssl = opensslSigns(rsaFiles.privatePem, 'sha512', pssOptions('sha512', 'pss'), message);
    expect(
      verifySignature({
        privateKeyDer: rsa3072,
        algorithm: 'RSASSA_PSS_SHA_512',
        message: digest('sha512', message),
        messageType: 'DIGEST',
        signature: fromOpenssl,
      }),
    ).toBe(true);
  });
});

describe('RSA signatures must be exactly as long as the modulus', () => {
  it('a valid PSS signature whose first byte is zero no longer verifies with that byte stripped (OpenSSL would accept it)', () => {
    const privateKeyDer = generateKeyMaterial('RSA_2048');
    const message = Buffer.from('leading zero');
    let signature: Buffer = Buffer.alloc(0);
    // PSS salts are random, so about one signature in 256 starts with 0x00.
    for (let i = 0; i < 5000 && signature[0] !== 0; i++) {
      signature = signMessage({ privateKeyDer, algorithm: 'RSASSA_PSS_SHA_512', message, messageType: 'RAW' });
    }
    expect(signature[0]).toBe(0);
    const check = (candidate: Buffer) => verifySignature({ privateKeyDer, algorithm: 'RSASSA_PSS_SHA_512', message, messageType: 'RAW', signature: candidate });
    expect(check(signature)).toBe(true);
    expect(check(signature.subarray(1))).toBe(false);
  });
});

describe('ECDSA signatures', () => {
  const message = Buffer.from('Keyledger ECDSA test message');

  describe.each(ECC_CASES)('%s with %s', (keySpec, algorithm, hash) => {
    let privateKeyDer: Buffer;
    let files: { privatePem: string; publicPem: string };
    const publicKey = () => createPublicKey(createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' }));

    beforeAll(() => {
      privateKeyDer = generateKeyMaterial(keySpec);
      files = keyFiles(privateKeyDer);
    });

    it.each(MESSAGE_TYPES)('%s: openssl verifies our DER signature as a signature over the message', (messageType) => {
      const signature = signMessage({ privateKeyDer, algorithm, message: input(messageType, hash, message), messageType });
      expect(signature[0]).toBe(0x30);
      expect(opensslVerifies(files.publicPem, hash, [], message, signature)).toBe(true);
      expect(opensslVerifies(files.publicPem, hash, [], Buffer.from('other'), signature)).toBe(false);
    });

    it('openssl signatures verify in RAW mode over the message and in DIGEST mode over its digest', () => {
      const signature = opensslSigns(files.privatePem, hash, [], message);
      expect(verifySignature({ privateKeyDer, algorithm, message, messageType: 'RAW', signature })).toBe(true);
      expect(verifySignature({ privateKeyDer, algorithm, message: digest(hash, message), messageType: 'DIGEST', signature })).toBe(true);
    });

    it('DIGEST mode agrees with node over many messages (exercises short r/s encodings)', () => {
      for (let i = 0; i < 16; i++) {
        const m = randomBytes(1 + i);
        const ours = signMessage({ privateKeyDer, algorithm, message: digest(hash, m), messageType: 'DIGEST' });
        expect(verify(hash, m, { key: publicKey(), dsaEncoding: 'der' }, ours)).toBe(true);
        const nodes = sign(hash, m, { key: createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' }), dsaEncoding: 'der' });
        expect(verifySignature({ privateKeyDer, algorithm, message: digest(hash, m), messageType: 'DIGEST', signature: nodes })).toBe(true);
        expect(verifySignature({ privateKeyDer, algorithm, message: digest(hash, m), messageType: 'DIGEST', signature: flipBit(nodes, 6) })).toBe(false);
      }
    });

    it('both (r, s) and (r, n - s) verify in both modes, as with node: high-S signatures are accepted', () => {
      const { Signature, Point } = { ECC_NIST_P256: p256, ECC_NIST_P384: p384, ECC_NIST_P521: p521, ECC_SECG_P256K1: secp256k1 }[keySpec];
      const d = digest(hash, message);
      const { r, s } = Signature.fromBytes(signMessage({ privateKeyDer, algorithm, message: d, messageType: 'DIGEST' }), 'der');
      const pair = [s, Point.Fn.ORDER - s].map((value) => Buffer.from(new Signature(r, value).toBytes('der')));
      expect(pair.filter((sig) => Signature.fromBytes(sig, 'der').hasHighS())).toHaveLength(1);
      for (const signature of pair) {
        expect(verify(hash, message, { key: publicKey(), dsaEncoding: 'der' }, signature)).toBe(true);
        expect(verifySignature({ privateKeyDer, algorithm, message: d, messageType: 'DIGEST', signature })).toBe(true);
        expect(verifySignature({ privateKeyDer, algorithm, message, messageType: 'RAW', signature })).toBe(true);
      }
    });

    it('DIGEST signatures are randomised', () => {
      const d = digest(hash, message);
      const a = signMessage({ privateKeyDer, algorithm, message: d, messageType: 'DIGEST' });
      const b = signMessage({ privateKeyDer, algorithm, message: d, messageType: 'DIGEST' });
      expect(a.equals(b)).toBe(false);
    });

    it.each(MESSAGE_TYPES)('%s: a modified message or signature, another algorithm and random bytes give false', (messageType) => {
      const signed = input(messageType, hash, message);
      const signature = signMessage({ privateKeyDer, algorithm, message: signed, messageType });
      const check = (overrides: Partial<Parameters<typeof verifySignature>[0]>) =>
        verifySignature({ privateKeyDer, algorithm, message: signed, messageType, signature, ...overrides });
      expect(check({})).toBe(true);
      expect(check({ message: flipBit(signed, signed.length - 1) })).toBe(false);
      expect(check({ signature: flipBit(signature, 10) })).toBe(false);
      expect(check({ signature: flipBit(signature, signature.length - 1) })).toBe(false);
      expect(check({ signature: randomBytes(signature.length) })).toBe(false);
      expect(check({ signature: Buffer.concat([signature, Buffer.from([0])]) })).toBe(false);
      expect(check({ signature: signature.subarray(0, signature.length - 1) })).toBe(false);
      expect(check({ signature: Buffer.alloc(0) })).toBe(false);
      expect(check({ algorithm: algorithm === 'ECDSA_SHA_256' ? 'ECDSA_SHA_384' : 'ECDSA_SHA_256' })).toBe(false);
      expect(check({ algorithm: 'RSASSA_PSS_SHA_256' })).toBe(false);
    });

    it('DIGEST mode rejects non-canonical DER and out-of-range r/s', () => {
      const d = digest(hash, message);
      const signature = signMessage({ privateKeyDer, algorithm, message: d, messageType: 'DIGEST' });
      const check = (sig: Buffer) => verifySignature({ privateKeyDer, algorithm, message: d, messageType: 'DIGEST', signature: sig });
      // r = 0, s = 0 and r = s = 1: well-formed DER, never valid.
      expect(check(Buffer.from('3006020100020100', 'hex'))).toBe(false);
      expect(check(Buffer.from('3006020101020101', 'hex'))).toBe(false);
      // The same (r, s) with a longer-than-needed SEQUENCE length: node accepts neither, nor may we.
      const shortForm = signature[1] < 0x80;
      const bodyLength = shortForm ? signature[1] : signature[2];
      const body = signature.subarray(shortForm ? 2 : 3);
      const longer = Buffer.concat([Buffer.from(shortForm ? [0x30, 0x81, bodyLength] : [0x30, 0x82, 0x00, bodyLength]), body]);
      expect(verify(hash, message, { key: publicKey(), dsaEncoding: 'der' }, longer)).toBe(false);
      expect(check(longer)).toBe(false);
      expect(check(signature)).toBe(true);
    });
  });

  it('DIGEST mode truncates a digest longer than the curve order like openssl (ECDSA_SHA_512 on P-256)', () => {
    const privateKeyDer = generateKeyMaterial('ECC_NIST_P256');
    const files = keyFiles(privateKeyDer);
    const signature = signMessage({ privateKeyDer, algorithm: 'ECDSA_SHA_512', message: digest('sha512', message), messageType: 'DIGEST' });
    expect(opensslVerifies(files.publicPem, 'sha512', [], message, signature)).toBe(true);
  });
});
