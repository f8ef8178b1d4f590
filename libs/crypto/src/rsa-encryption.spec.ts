import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { maxRsaPlaintextBytes, rsaDecrypt, rsaEncrypt, type RsaEncryptionAlgorithm } from './rsa-encryption';

const generateKeyPairAsync = promisify(generateKeyPair);
const ALGORITHMS: [RsaEncryptionAlgorithm, 'sha1' | 'sha256'][] = [
  ['RSAES_OAEP_SHA_1', 'sha1'],
  ['RSAES_OAEP_SHA_256', 'sha256'],
];

let dir: string;
let fileCounter = 0;
const keys: Record<2048 | 3072 | 4096, Buffer> = {} as Record<2048 | 3072 | 4096, Buffer>;

async function rsaPkcs8(modulusLength: number): Promise<Buffer> {
  const { privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
  });
  return privateKey;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'keyledger-rsa-encryption-'));
  // In parallel on the libuv pool: 3072/4096 generation takes seconds.
  [keys[2048], keys[3072], keys[4096]] = await Promise.all([rsaPkcs8(2048), rsaPkcs8(3072), rsaPkcs8(4096)]);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function tempFile(data: Buffer | string): string {
  const path = join(dir, `f${fileCounter++}`);
  writeFileSync(path, data, { mode: 0o600 });
  return path;
}

function oaepOptions(hash: string): string[] {
  return ['-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', `rsa_oaep_md:${hash}`, '-pkeyopt', `rsa_mgf1_md:${hash}`];
}

function opensslEncrypt(privateKeyDer: Buffer, hash: string, plaintext: Buffer): Buffer {
  const publicPem = tempFile(createPublicKey(createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' })).export({ type: 'spki', format: 'pem' }));
  const out = join(dir, `c${fileCounter++}`);
  execFileSync('openssl', ['pkeyutl', '-encrypt', '-pubin', '-inkey', publicPem, ...oaepOptions(hash), '-in', tempFile(plaintext), '-out', out], {
    stdio: 'pipe',
  });
  return readFileSync(out);
}

function opensslDecrypt(privateKeyDer: Buffer, hash: string, ciphertext: Buffer): Buffer {
  const keyPem = tempFile(createPrivateKey({ key: privateKeyDer, format: 'der', type: 'pkcs8' }).export({ type: 'pkcs8', format: 'pem' }));
  const out = join(dir, `p${fileCounter++}`);
  execFileSync('openssl', ['pkeyutl', '-decrypt', '-inkey', keyPem, ...oaepOptions(hash), '-in', tempFile(ciphertext), '-out', out], {
    stdio: 'pipe',
  });
  return readFileSync(out);
}

describe('maxRsaPlaintextBytes', () => {
  it.each([
    [2048, 'RSAES_OAEP_SHA_1', 214],
    [2048, 'RSAES_OAEP_SHA_256', 190],
    [3072, 'RSAES_OAEP_SHA_1', 342],
    [3072, 'RSAES_OAEP_SHA_256', 318],
    [4096, 'RSAES_OAEP_SHA_1', 470],
    [4096, 'RSAES_OAEP_SHA_256', 446],
  ] as [2048 | 3072 | 4096, RsaEncryptionAlgorithm, number][])('RSA_%i %s: %i bytes', (bits, algorithm, limit) => {
    expect(maxRsaPlaintextBytes(keys[bits], algorithm)).toBe(limit);
  });

  it.each(ALGORITHMS)('%s: the limit is exact (limit encrypts and decrypts, limit + 1 is refused)', (algorithm) => {
    for (const privateKeyDer of [keys[2048], keys[4096]]) {
      const limit = maxRsaPlaintextBytes(privateKeyDer, algorithm);
      const plaintext = randomBytes(limit);
      const ciphertext = rsaEncrypt({ privateKeyDer, algorithm, plaintext });
      expect(rsaDecrypt({ privateKeyDer, algorithm, ciphertext })?.equals(plaintext)).toBe(true);
      expect(() => rsaEncrypt({ privateKeyDer, algorithm, plaintext: randomBytes(limit + 1) })).toThrow(RangeError);
    }
  });
});

describe.each(ALGORITHMS)('%s', (algorithm, hash) => {
  const plaintext = Buffer.from('Keyledger asymmetric Encrypt/Decrypt test plaintext');

  it('decrypts what openssl encrypted (OAEP and MGF1 over the same hash)', () => {
    for (const bits of [2048, 3072] as const) {
      const ciphertext = opensslEncrypt(keys[bits], hash, plaintext);
      expect(rsaDecrypt({ privateKeyDer: keys[bits], algorithm, ciphertext })?.equals(plaintext)).toBe(true);
    }
  });

  it('produces ciphertext openssl decrypts, of modulus length, randomised', () => {
    const ciphertext = rsaEncrypt({ privateKeyDer: keys[2048], algorithm, plaintext });
    expect(ciphertext.length).toBe(256);
    expect(opensslDecrypt(keys[2048], hash, ciphertext).equals(plaintext)).toBe(true);
    expect(rsaEncrypt({ privateKeyDer: keys[2048], algorithm, plaintext }).equals(ciphertext)).toBe(false);
    const large = rsaEncrypt({ privateKeyDer: keys[4096], algorithm, plaintext });
    expect(large.length).toBe(512);
    expect(opensslDecrypt(keys[4096], hash, large).equals(plaintext)).toBe(true);
  });

  it('round-trips an empty and a one-byte plaintext', () => {
    for (const value of [Buffer.alloc(0), Buffer.from([0x00])]) {
      const ciphertext = rsaEncrypt({ privateKeyDer: keys[2048], algorithm, plaintext: value });
      expect(rsaDecrypt({ privateKeyDer: keys[2048], algorithm, ciphertext })?.equals(value)).toBe(true);
    }
  });

  it('gives null for the other algorithm, another key, corruption and garbage', () => {
    const privateKeyDer = keys[2048];
    const ciphertext = rsaEncrypt({ privateKeyDer, algorithm, plaintext });
    const otherAlgorithm = ALGORITHMS.find(([a]) => a !== algorithm)![0];
    expect(rsaDecrypt({ privateKeyDer, algorithm: otherAlgorithm, ciphertext })).toBeNull();
    expect(rsaDecrypt({ privateKeyDer: keys[3072], algorithm, ciphertext })).toBeNull();
    for (const index of [0, 100, 255]) {
      const corrupted = Buffer.from(ciphertext);
      corrupted[index] ^= 0x01;
      expect(rsaDecrypt({ privateKeyDer, algorithm, ciphertext: corrupted })).toBeNull();
    }
    expect(rsaDecrypt({ privateKeyDer, algorithm, ciphertext: randomBytes(256) })).toBeNull();
    expect(rsaDecrypt({ privateKeyDer, algorithm, ciphertext: Buffer.alloc(256, 0xff) })).toBeNull();
    expect(rsaDecrypt({ privateKeyDer, algorithm, ciphertext: ciphertext.subarray(1) })).toBeNull();
    expect(rsaDecrypt({ privateKeyDer, algorithm, ciphertext: Buffer.concat([Buffer.from([0]), ciphertext]) })).toBeNull();
    expect(rsaDecrypt({ privateKeyDer, algorithm, ciphertext: Buffer.alloc(0) })).toBeNull();
    // The untouched ciphertext still decrypts: the nulls above are about the changes.
    expect(rsaDecrypt({ privateKeyDer, algorithm, ciphertext })?.equals(plaintext)).toBe(true);
  });
});
