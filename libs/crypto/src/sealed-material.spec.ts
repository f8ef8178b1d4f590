import { createDecipheriv, randomBytes } from 'node:crypto';
import { MasterKey } from './master-key';
import { MaterialSealer, SealedMaterialError, sealedMaterialMasterKeyId } from './sealed-material';

const masterKey = MasterKey.generate();
const sealer = new MaterialSealer(masterKey);
const material = randomBytes(32);
const context = 'key/1234abcd-12ab-34cd-56ef-1234567890ab/material/' + 'a'.repeat(64);

function openError(fn: () => unknown): SealedMaterialError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SealedMaterialError);
    expect((error as Error).message).not.toContain(material.toString('hex'));
    return error as SealedMaterialError;
  }
  throw new Error('expected open to throw');
}

describe('MaterialSealer', () => {
  it('round-trips, also with a sealer rebuilt from the configured master key', () => {
    const sealed = sealer.seal(material, context);
    expect(sealer.open(sealed, context).equals(material)).toBe(true);
    expect(new MaterialSealer(MasterKey.fromBase64(masterKey.toBase64())).open(sealed, context).equals(material)).toBe(true);
  });

  it('round-trips large material (an RSA_4096 PKCS#8 is ~2.4 KB)', () => {
    const large = randomBytes(2400);
    expect(sealer.open(sealer.seal(large, context), context).equals(large)).toBe(true);
  });

  it('still opens a blob built independently (known answer: sealed material at rest must stay readable)', () => {
    const fixedMasterKey = MasterKey.fromBase64('AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=');
    const known = Buffer.from(
      '01e91038a5db7d4bae070707070707070707070707ca34eea0eb4de56586800627670b31a5' +
        '81914496a8542af5fd64714f5126feaa1cbfa4fd114e57d8ee8af7537cc3d562',
      'hex',
    );
    expect(new MaterialSealer(fixedMasterKey).open(known, 'kat-context').equals(Buffer.alloc(32, 0x42))).toBe(true);
  });

  it('is self-describing: version 1, master key id, nonce, tag, ciphertext', () => {
    const sealed = sealer.seal(material, context);
    expect(sealed[0]).toBe(1);
    expect(sealed.subarray(1, 9).toString('hex')).toBe(masterKey.id);
    expect(sealedMaterialMasterKeyId(sealed)).toBe(masterKey.id);
    expect(sealed.length).toBe(1 + 8 + 12 + 16 + material.length);
  });

  it('uses a fresh nonce each time and does not contain the plaintext', () => {
    const first = sealer.seal(material, context);
    const second = sealer.seal(material, context);
    expect(first.subarray(9, 21).equals(second.subarray(9, 21))).toBe(false);
    expect(first.includes(material)).toBe(false);
    expect(first.includes(material.subarray(0, 8))).toBe(false);
  });

  it('encrypts with the derived material-at-rest key, not the master key itself', () => {
    const sealed = sealer.seal(material, context);
    const aad = Buffer.concat([sealed.subarray(0, 9), Buffer.from(context, 'utf8')]);
    const decryptWith = (key: Buffer): Buffer => {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(9, 21), { authTagLength: 16 });
      decipher.setAAD(aad);
      decipher.setAuthTag(sealed.subarray(21, 37));
      return Buffer.concat([decipher.update(sealed.subarray(37)), decipher.final()]);
    };
    expect(decryptWith(masterKey.deriveKey('material-at-rest/v1')).equals(material)).toBe(true);
    expect(() => decryptWith(Buffer.from(masterKey.toBase64(), 'base64'))).toThrow();
  });

  it('refuses another context (another key or material), including a case change', () => {
    const sealed = sealer.seal(material, context);
    for (const other of [context.toUpperCase(), context + 'x', context.slice(0, -1), '']) {
      expect(openError(() => sealer.open(sealed, other)).message).toMatch(/authentication/);
    }
  });

  it('refuses a blob from another master key and names that key', () => {
    const otherKey = MasterKey.generate();
    const sealed = new MaterialSealer(otherKey).seal(material, context);
    const message = openError(() => sealer.open(sealed, context)).message;
    expect(message).toContain(otherKey.id);
    expect(message).toContain(masterKey.id);
    expect(message).not.toContain(otherKey.toBase64());
  });

  it('refuses a blob with any single flipped bit (version, key id, nonce, tag, ciphertext)', () => {
    const sealed = sealer.seal(material, context);
    for (let index = 0; index < sealed.length; index++) {
      for (const bit of [0x01, 0x80]) {
        const tampered = Buffer.from(sealed);
        tampered[index] ^= bit;
        openError(() => sealer.open(tampered, context));
      }
    }
  });

  it('refuses every truncation and an appended byte', () => {
    const sealed = sealer.seal(material, context);
    for (let length = 0; length < sealed.length; length++) openError(() => sealer.open(sealed.subarray(0, length), context));
    openError(() => sealer.open(Buffer.concat([sealed, Buffer.alloc(1)]), context));
  });

  it('reports an unknown format version', () => {
    const sealed = sealer.seal(material, context);
    sealed[0] = 2;
    expect(openError(() => sealer.open(sealed, context)).message).toBe('Sealed material has unknown format version 2.');
    expect(sealedMaterialMasterKeyId(sealed)).toBeNull();
  });
});

describe('MaterialSealer with a master key ring (rotation)', () => {
  const oldKey = MasterKey.generate();
  const newKey = MasterKey.generate();
  const ring = new MaterialSealer({ current: newKey, previous: [oldKey] });

  it('opens a blob sealed under a previous key and seals under the current one', () => {
    const old = new MaterialSealer(oldKey).seal(material, context);
    expect(ring.open(old, context).equals(material)).toBe(true);
    const resealed = ring.seal(material, context);
    expect(sealedMaterialMasterKeyId(resealed)).toBe(newKey.id);
    expect(ring.masterKeyId).toBe(newKey.id);
    expect(ring.previousMasterKeyIds).toEqual([oldKey.id]);
    expect(ring.opens(oldKey.id) && ring.opens(newKey.id)).toBe(true);
    // The old key alone cannot open what the ring sealed.
    expect(() => new MaterialSealer(oldKey).open(resealed, context)).toThrow(SealedMaterialError);
  });

  it('refuses a blob of a key that is neither current nor previous, naming the configured ones', () => {
    const stranger = MasterKey.generate();
    const message = openError(() => ring.open(new MaterialSealer(stranger).seal(material, context), context)).message;
    expect(message).toContain(stranger.id);
    expect(message).toContain(newKey.id);
    expect(message).toContain(oldKey.id);
    expect(ring.opens(stranger.id)).toBe(false);
  });

  it('still authenticates a previous-key blob (a flipped bit or another context fails)', () => {
    const old = new MaterialSealer(oldKey).seal(material, context);
    const flipped = Buffer.from(old);
    flipped[flipped.length - 1] ^= 1;
    expect(() => ring.open(flipped, context)).toThrow(SealedMaterialError);
    expect(() => ring.open(old, context + 'x')).toThrow(SealedMaterialError);
  });

  it('ignores the current key listed again as previous', () => {
    expect(new MaterialSealer({ current: newKey, previous: [newKey, oldKey, oldKey] }).previousMasterKeyIds).toEqual([oldKey.id]);
  });
});
