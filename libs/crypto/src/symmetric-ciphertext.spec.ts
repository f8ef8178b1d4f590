import { createDecipheriv, randomBytes } from 'node:crypto';
import { canonicalEncryptionContext } from './encryption-context';
import { computeKeyMaterialId } from './key-material';
import { decryptWithKeyMaterial, encryptWithKeyMaterial, openCiphertext, parseCiphertext } from './symmetric-ciphertext';

const headerOf = (blob: Buffer) => {
  const parsed = parseCiphertext(blob);
  return parsed && { keyId: parsed.keyId, keyMaterialId: parsed.keyMaterialId };
};

const keyId = '1234abcd-12ab-34cd-56ef-1234567890ab';
const material = randomBytes(32);
const keyMaterialId = computeKeyMaterialId(keyId, material);
const plaintext = Buffer.from('attack at dawn');
const context = { Department: 'Finance', project: 'Keyledger' };
/** magic (2) + version (1) + key id length (1) + key id (36) + key material id (32). */
const HEADER_BYTES = 2 + 1 + 1 + keyId.length + 32;

function encrypt(overrides: Partial<Parameters<typeof encryptWithKeyMaterial>[0]> = {}): Buffer {
  return encryptWithKeyMaterial({ keyId, keyMaterialId, material, plaintext, encryptionContext: context, ...overrides });
}

function decrypt(ciphertext: Buffer, encryptionContext: Record<string, string> = context, key: Buffer = material): Buffer | null {
  return decryptWithKeyMaterial({ ciphertext, material: key, encryptionContext });
}

describe('encryptWithKeyMaterial / decryptWithKeyMaterial', () => {
  it('round-trips', () => {
    expect(decrypt(encrypt())?.equals(plaintext)).toBe(true);
  });

  it('round-trips an empty context and 4096-byte plaintext within the 6144-byte blob limit', () => {
    const large = randomBytes(4096);
    const blob = encrypt({ plaintext: large, encryptionContext: {} });
    expect(blob.length).toBeLessThanOrEqual(6144);
    expect(decrypt(blob, {})?.equals(large)).toBe(true);
  });

  it('has the documented layout: header || nonce || tag || ciphertext', () => {
    const blob = encrypt();
    expect(blob.subarray(0, 2).toString('ascii')).toBe('KL');
    expect(blob[2]).toBe(1);
    expect(blob[3]).toBe(keyId.length);
    expect(blob.subarray(4, 4 + keyId.length).toString('utf8')).toBe(keyId);
    expect(blob.subarray(4 + keyId.length, HEADER_BYTES).toString('hex')).toBe(keyMaterialId);
    expect(blob.length).toBe(HEADER_BYTES + 12 + 16 + plaintext.length);
  });

  it('matches an independent AES-256-GCM decryption with AAD = header || canonical context', () => {
    const blob = encrypt();
    const decipher = createDecipheriv('aes-256-gcm', material, blob.subarray(HEADER_BYTES, HEADER_BYTES + 12), { authTagLength: 16 });
    decipher.setAAD(Buffer.concat([blob.subarray(0, HEADER_BYTES), canonicalEncryptionContext(context)]));
    decipher.setAuthTag(blob.subarray(HEADER_BYTES + 12, HEADER_BYTES + 28));
    const opened = Buffer.concat([decipher.update(blob.subarray(HEADER_BYTES + 28)), decipher.final()]);
    expect(opened.equals(plaintext)).toBe(true);
  });

  it('still decrypts a blob built independently (known answer: stored ciphertexts must stay readable)', () => {
    const known = Buffer.from(
      '4b4c012431323334616263642d313261622d333463642d353665662d313233343536373839306162cdf570dfa4106086b7bbcc45e03a698e' +
        'f62259cf5d58568672c6b0e3afddbf5407070707070707070707070769e3849f90be39996ebc29d236d55ea6138724c0d095159e51',
      'hex',
    );
    const fixedMaterial = Buffer.alloc(32, 0x42);
    expect(headerOf(known)).toEqual({ keyId, keyMaterialId: computeKeyMaterialId(keyId, fixedMaterial) });
    expect(decrypt(known, { purpose: 'kat' }, fixedMaterial)?.toString('utf8')).toBe('keyledger');
  });

  it('uses a fresh nonce: the same input never gives the same blob', () => {
    expect(encrypt().equals(encrypt())).toBe(false);
  });

  it('ignores the order of encryption context entries', () => {
    const reordered = { project: 'Keyledger', Department: 'Finance' };
    expect(decrypt(encrypt(), reordered)?.equals(plaintext)).toBe(true);
  });

  it('requires exactly the same encryption context (case-sensitive, nothing missing or extra)', () => {
    const blob = encrypt();
    const wrong: Record<string, string>[] = [
      {},
      { Department: 'Finance' },
      { ...context, extra: '' },
      { department: 'Finance', project: 'Keyledger' },
      { Department: 'finance', project: 'Keyledger' },
      { Department: 'Finance', project: 'Keyledger ' },
    ];
    for (const candidate of wrong) expect(decrypt(blob, candidate)).toBeNull();
    expect(decrypt(encrypt({ encryptionContext: {} }), context)).toBeNull();
  });

  it('cannot be fooled by moving characters between keys and values', () => {
    const blob = encrypt({ encryptionContext: { a: 'bc' } });
    expect(decrypt(blob, { ab: 'c' })).toBeNull();
    expect(decrypt(blob, { a: 'b', c: '' })).toBeNull();
  });

  it('returns null with the wrong material, including material of the wrong length', () => {
    const blob = encrypt();
    expect(decrypt(blob, context, randomBytes(32))).toBeNull();
    expect(decrypt(blob, context, material.subarray(0, 16))).toBeNull();
  });

  it('returns null when any bit is flipped (header, nonce, tag, ciphertext)', () => {
    const blob = encrypt();
    for (let index = 0; index < blob.length; index++) {
      const tampered = Buffer.from(blob);
      tampered[index] ^= 1 << (index % 8);
      expect(decrypt(tampered)).toBeNull();
    }
  });

  it('returns null for every truncation and an appended byte', () => {
    const blob = encrypt();
    for (let length = 0; length < blob.length; length++) expect(decrypt(blob.subarray(0, length))).toBeNull();
    expect(decrypt(Buffer.concat([blob, Buffer.alloc(1)]))).toBeNull();
  });

  it('refuses to encrypt with a malformed key id, key material id or material', () => {
    expect(() => encrypt({ keyId: '' })).toThrow(RangeError);
    expect(() => encrypt({ keyId: 'k'.repeat(256) })).toThrow(RangeError);
    expect(() => encrypt({ keyMaterialId: keyMaterialId.toUpperCase() })).toThrow(RangeError);
    expect(() => encrypt({ keyMaterialId: keyMaterialId.slice(2) })).toThrow(RangeError);
    expect(() => encrypt({ material: randomBytes(16) })).toThrow(RangeError);
  });
});

describe('parseCiphertext: the header', () => {
  it('returns the key id and key material id of our blobs', () => {
    expect(headerOf(encrypt())).toEqual({ keyId, keyMaterialId });
    const arnLikeId = 'mrk-1234abcd12ab34cd56ef1234567890ab';
    expect(headerOf(encrypt({ keyId: arnLikeId }))?.keyId).toBe(arnLikeId);
  });

  it('returns null for anything not in our format', () => {
    const blob = encrypt();
    const badMagic = Buffer.from(blob);
    badMagic[0] = 0x01;
    const badVersion = Buffer.from(blob);
    badVersion[2] = 0x02;
    const emptyKeyId = Buffer.concat([Buffer.from('KL'), Buffer.from([1, 0]), randomBytes(32 + 28)]);
    const invalidUtf8KeyId = Buffer.concat([Buffer.from('KL'), Buffer.from([1, 2, 0xc3, 0x28]), randomBytes(32 + 28)]);
    const awsLike = Buffer.concat([Buffer.from([0x01, 0x02, 0x02, 0x00]), randomBytes(180)]);
    for (const candidate of [Buffer.alloc(0), Buffer.from('KL'), badMagic, badVersion, emptyKeyId, invalidUtf8KeyId, awsLike]) {
      expect(headerOf(candidate)).toBeNull();
    }
    expect(headerOf(blob.subarray(0, HEADER_BYTES + 27))).toBeNull();
  });
});

describe('parseCiphertext / openCiphertext (Decrypt reads the header, then opens the same parse)', () => {
  it('splits a blob into views of its header and AES-GCM parts, copying nothing', () => {
    const blob = encrypt();
    const parsed = parseCiphertext(blob)!;
    expect(parsed.keyId).toBe(keyId);
    expect(parsed.keyMaterialId).toBe(keyMaterialId);
    expect(parsed.header.equals(blob.subarray(0, HEADER_BYTES))).toBe(true);
    expect(parsed.nonce.equals(blob.subarray(HEADER_BYTES, HEADER_BYTES + 12))).toBe(true);
    expect(parsed.tag.equals(blob.subarray(HEADER_BYTES + 12, HEADER_BYTES + 28))).toBe(true);
    expect(parsed.ciphertext.equals(blob.subarray(HEADER_BYTES + 28))).toBe(true);
    expect(parsed.header.buffer).toBe(blob.buffer);
    expect(parsed.ciphertext.buffer).toBe(blob.buffer);
  });

  it('opens the parse with the right material and context, and nothing else', () => {
    const parsed = parseCiphertext(encrypt())!;
    expect(openCiphertext(parsed, material, context)?.equals(plaintext)).toBe(true);
    expect(openCiphertext(parsed, material, { Department: 'Finance' })).toBeNull();
    expect(openCiphertext(parsed, randomBytes(32), context)).toBeNull();
    expect(openCiphertext(parsed, material.subarray(0, 16), context)).toBeNull();
  });

  it('authenticates the header it parsed: a header moved onto another blob does not open', () => {
    const other = encrypt({ keyId: 'mrk-1234abcd12ab34cd56ef1234567890ab', keyMaterialId: computeKeyMaterialId('mrk-1234abcd12ab34cd56ef1234567890ab', material) });
    const spliced = { ...parseCiphertext(encrypt())!, header: parseCiphertext(other)!.header };
    expect(openCiphertext(spliced, material, context)).toBeNull();
  });
});

describe('canonicalEncryptionContext', () => {
  it('is order-insensitive and unambiguous', () => {
    expect(canonicalEncryptionContext({ a: '1', b: '2' }).equals(canonicalEncryptionContext({ b: '2', a: '1' }))).toBe(true);
    const distinct: Record<string, string>[] = [{}, { '': '' }, { a: '' }, { '': 'a' }, { a: 'bc' }, { ab: 'c' }, { a: 'b', c: '' }, { A: 'bc' }];
    const encodings = new Set(distinct.map((candidate) => canonicalEncryptionContext(candidate).toString('hex')));
    expect(encodings.size).toBe(distinct.length);
  });

  it('is pinned: count, then length-prefixed key and value per entry, sorted by key', () => {
    expect(canonicalEncryptionContext({ b: '2', a: '1' }).toString('hex')).toBe(
      '00000002' + '00000001' + '61' + '00000001' + '31' + '00000001' + '62' + '00000001' + '32',
    );
  });

  it('rejects non-string values from untyped callers', () => {
    expect(() => canonicalEncryptionContext({ a: 1 } as unknown as Record<string, string>)).toThrow(TypeError);
  });
});
