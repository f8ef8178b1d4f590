import { randomBytes } from 'node:crypto';
import { IMPORT_TOKEN_MAX_BYTES, ImportTokenSealer, type ImportTokenClaims } from './import-token';
import { MasterKey } from './master-key';
import { MaterialSealer } from './sealed-material';
import { generateWrappingKeyPair } from './wrapping';

const masterKey = MasterKey.generate();
const sealer = new ImportTokenSealer(masterKey);
const claims: ImportTokenClaims = {
  tokenId: '6f1c2a7e-3b8d-4e52-9a0f-1d2c3b4a5e6f',
  keyArn: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256',
  wrappingKeySpec: 'RSA_4096',
  parametersValidTo: Date.UTC(2030, 0, 2, 3, 4, 5, 678),
};

let rsa4096PrivateKeyDer: Buffer;
let rsa2048PrivateKeyDer: Buffer;

beforeAll(async () => {
  const [rsa4096, rsa2048] = await Promise.all([generateWrappingKeyPair('RSA_4096'), generateWrappingKeyPair('RSA_2048')]);
  rsa4096PrivateKeyDer = rsa4096.privateKeyDer;
  rsa2048PrivateKeyDer = rsa2048.privateKeyDer;
});

describe('ImportTokenSealer', () => {
  it('round-trips the claims and the wrapping private key', () => {
    const opened = sealer.open(sealer.seal(claims, rsa4096PrivateKeyDer));
    expect(opened).not.toBeNull();
    expect(opened?.claims).toEqual(claims);
    expect(opened?.wrappingPrivateKeyDer.equals(rsa4096PrivateKeyDer)).toBe(true);
  });

  it('opens with a sealer rebuilt from the configured master key', () => {
    const token = sealer.seal(claims, rsa2048PrivateKeyDer);
    expect(new ImportTokenSealer(MasterKey.fromBase64(masterKey.toBase64())).open(token)?.claims).toEqual(claims);
  });

  it('starts with version byte 1 and gives a different token each time', () => {
    const first = sealer.seal(claims, rsa2048PrivateKeyDer);
    const second = sealer.seal(claims, rsa2048PrivateKeyDer);
    expect(first[0]).toBe(1);
    expect(first.equals(second)).toBe(false);
  });

  it(`fits AWS's ${IMPORT_TOKEN_MAX_BYTES}-byte ImportToken limit for RSA_4096, even with a 2048-char key ARN`, () => {
    const typical = sealer.seal(claims, rsa4096PrivateKeyDer);
    expect(typical.length).toBeLessThanOrEqual(IMPORT_TOKEN_MAX_BYTES);
    const longArn = { ...claims, keyArn: `arn:aws:kms:eu-west-1:111122223333:key/${'x'.repeat(2048 - 39)}` };
    expect(longArn.keyArn.length).toBe(2048);
    const long = sealer.seal(longArn, rsa4096PrivateKeyDer);
    expect(long.length).toBeLessThanOrEqual(IMPORT_TOKEN_MAX_BYTES);
    expect(sealer.open(long)?.claims.keyArn).toBe(longArn.keyArn);
  });

  it('reveals nothing: no ARN, token id, algorithm or any 16-byte run of the private key appears in the token', () => {
    const token = sealer.seal(claims, rsa4096PrivateKeyDer);
    for (const text of [claims.keyArn, claims.tokenId, claims.wrappingAlgorithm, claims.wrappingKeySpec, 'keyArn', '1234abcd']) {
      expect(token.includes(Buffer.from(text, 'utf8'))).toBe(false);
    }
    for (let offset = 0; offset + 16 <= rsa4096PrivateKeyDer.length; offset += 16) {
      expect(token.includes(rsa4096PrivateKeyDer.subarray(offset, offset + 16))).toBe(false);
    }
  });

  it('returns null for a token sealed under another master key (a forgery with chosen claims)', () => {
    const forged = new ImportTokenSealer(MasterKey.generate()).seal({ ...claims, keyArn: 'arn:aws:kms:eu-west-1:999:key/x' }, rsa2048PrivateKeyDer);
    expect(sealer.open(forged)).toBeNull();
  });

  it('returns null for any single flipped bit (version, nonce, tag, ciphertext)', () => {
    const token = sealer.seal(claims, rsa2048PrivateKeyDer);
    for (let index = 0; index < token.length; index++) {
      const tampered = Buffer.from(token);
      tampered[index] ^= 1 << (index % 8);
      expect(sealer.open(tampered)).toBeNull();
    }
  });

  it('returns null for every truncation, an appended byte, and spliced tokens', () => {
    const token = sealer.seal(claims, rsa2048PrivateKeyDer);
    for (let length = 0; length < token.length; length++) expect(sealer.open(token.subarray(0, length))).toBeNull();
    expect(sealer.open(Buffer.concat([token, Buffer.alloc(1)]))).toBeNull();
    const other = sealer.seal({ ...claims, keyArn: 'arn:aws:kms:eu-west-1:111122223333:key/other' }, rsa2048PrivateKeyDer);
    const splicedTag = Buffer.concat([token.subarray(0, 13), other.subarray(13, 29), token.subarray(29)]);
    expect(sealer.open(splicedTag)).toBeNull();
  });

  it('does not accept material sealed at rest under the same master key (separate derived keys)', () => {
    expect(sealer.open(new MaterialSealer(masterKey).seal(randomBytes(100), ''))).toBeNull();
  });

  it('never throws on garbage', () => {
    const garbage = [Buffer.alloc(0), Buffer.from([1]), randomBytes(29), Buffer.concat([Buffer.from([1]), randomBytes(2000)]), randomBytes(7000)];
    for (const candidate of garbage) expect(sealer.open(candidate)).toBeNull();
  });

  it('seals only the known claim fields', () => {
    const withExtra = { ...claims, secretNote: 'do not carry me' } as ImportTokenClaims;
    const opened = sealer.open(sealer.seal(withExtra, rsa2048PrivateKeyDer));
    expect(opened?.claims).toEqual(claims);
  });

  it('refuses to seal malformed claims', () => {
    const malformed = [
      { ...claims, wrappingAlgorithm: 'RSAES_PKCS1_V1_5' },
      { ...claims, wrappingKeySpec: 'SM2' },
      { ...claims, keyArn: '' },
      { ...claims, parametersValidTo: Number.NaN },
    ] as ImportTokenClaims[];
    for (const candidate of malformed) expect(() => sealer.seal(candidate, rsa2048PrivateKeyDer)).toThrow(TypeError);
  });
});

describe('ImportTokenSealer with a master key ring (rotation)', () => {
  const newKey = MasterKey.generate();
  const ring = new ImportTokenSealer({ current: newKey, previous: [masterKey] });

  it('opens a token issued under a previous key, and seals new tokens under the current key only', () => {
    const oldToken = sealer.seal(claims, rsa2048PrivateKeyDer);
    expect(ring.open(oldToken)?.claims).toEqual(claims);
    const newToken = ring.seal(claims, rsa2048PrivateKeyDer);
    expect(new ImportTokenSealer(newKey).open(newToken)?.claims).toEqual(claims);
    expect(sealer.open(newToken)).toBeNull();
  });

  it('refuses a token of a key that is neither current nor previous', () => {
    expect(ring.open(new ImportTokenSealer(MasterKey.generate()).seal(claims, rsa2048PrivateKeyDer))).toBeNull();
  });

  it('stops opening old tokens once the previous key is dropped', () => {
    expect(new ImportTokenSealer(newKey).open(sealer.seal(claims, rsa2048PrivateKeyDer))).toBeNull();
  });
});
