import { inspect } from 'node:util';
import { InvalidMasterKeyError, MasterKey, toMasterKeyRing } from './master-key';

/** Bytes 0..31: a fixed key for known-answer tests. */
const FIXED_KEY_BASE64 = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=';

function rejectionOf(text: string): InvalidMasterKeyError {
  try {
    MasterKey.fromBase64(text);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidMasterKeyError);
    expect((error as Error).message).not.toContain(text.trim() || '\u0000');
    return error as InvalidMasterKeyError;
  }
  throw new Error('expected fromBase64 to throw');
}

describe('MasterKey.fromBase64', () => {
  it('round-trips through toBase64 with the same id', () => {
    const key = MasterKey.generate();
    const restored = MasterKey.fromBase64(key.toBase64());
    expect(restored.id).toBe(key.id);
    expect(restored.toBase64()).toBe(key.toBase64());
  });

  it('rejects an empty value', () => {
    expect(rejectionOf('').message).toBe('The master key is empty.');
  });

  it('rejects values that do not decode to 32 bytes, saying how many they gave', () => {
    expect(rejectionOf(Buffer.alloc(31, 7).toString('base64')).message).toBe('The master key must decode to 32 bytes, got 31.');
    expect(rejectionOf(Buffer.alloc(33, 7).toString('base64')).message).toBe('The master key must decode to 32 bytes, got 33.');
    expect(rejectionOf(Buffer.alloc(64, 7).toString('base64')).message).toContain('got 64');
  });

  it('rejects characters outside standard base64, whitespace and missing padding', () => {
    const valid = MasterKey.generate().toBase64();
    const invalid = [
      `${valid}\n`,
      ` ${valid}`,
      `${valid.slice(0, 20)} ${valid.slice(21)}`,
      valid.replace(/[+/]/g, '-').replace(/=$/, '') + '-',
      `${valid.slice(0, 43)}*`,
      valid.slice(0, 43),
      `${valid}=`,
      Buffer.alloc(32, 0xfb).toString('base64url'),
    ];
    for (const text of invalid) {
      expect(rejectionOf(text).message).toMatch(/not valid base64|not canonical/);
    }
  });

  it('rejects non-canonical base64 (non-zero unused bits)', () => {
    const canonical = Buffer.alloc(32).toString('base64'); // ...AAA=
    const nonCanonical = `${canonical.slice(0, 42)}B=`;
    expect(Buffer.from(nonCanonical, 'base64').length).toBe(32);
    expect(rejectionOf(nonCanonical).message).toBe('The master key is not canonical base64.');
  });
});

describe('MasterKey.id', () => {
  it('is 16 lowercase hex chars, stable for a key and different between keys', () => {
    const key = MasterKey.generate();
    expect(key.id).toMatch(/^[0-9a-f]{16}$/);
    expect(MasterKey.generate().id).not.toBe(key.id);
  });

  it('does not reveal the key', () => {
    const key = MasterKey.generate();
    expect(Buffer.from(key.toBase64(), 'base64').toString('hex')).not.toContain(key.id.slice(0, 8));
  });

  it('is pinned (stored blobs name their master key by it)', () => {
    expect(MasterKey.fromBase64(FIXED_KEY_BASE64).id).toBe('e91038a5db7d4bae');
  });
});

describe('MasterKey.deriveKey', () => {
  it('gives 32 bytes, deterministic per purpose, different between purposes and master keys', () => {
    const key = MasterKey.generate();
    const derived = key.deriveKey('import-token/v1');
    expect(derived.length).toBe(32);
    expect(key.deriveKey('import-token/v1').equals(derived)).toBe(true);
    expect(key.deriveKey('material-at-rest/v1').equals(derived)).toBe(false);
    expect(MasterKey.generate().deriveKey('import-token/v1').equals(derived)).toBe(false);
    expect(derived.equals(Buffer.from(key.toBase64(), 'base64'))).toBe(false);
  });

  it('is pinned (changing it would make every sealed blob unreadable)', () => {
    const key = MasterKey.fromBase64(FIXED_KEY_BASE64);
    expect(key.deriveKey('import-token/v1').toString('hex')).toBe('9e05ac151a90bea18f31ec6a51fe1e2d7e12833f3bab130344b4f68e102ab7c8');
    expect(key.deriveKey('material-at-rest/v1').toString('hex')).toBe(
      '4db28428c7bb0336208dd3354ee5bbb016b1e01f12be721136d2c233b6623c38',
    );
  });

  it('refuses an empty purpose', () => {
    expect(() => MasterKey.generate().deriveKey('')).toThrow(RangeError);
  });
});

describe('MasterKey in logs', () => {
  it('shows only its id when inspected or serialized', () => {
    const key = MasterKey.fromBase64(FIXED_KEY_BASE64);
    for (const rendered of [inspect(key), JSON.stringify({ key }), `${inspect({ nested: { key } })}`]) {
      expect(rendered).toContain(key.id);
      expect(rendered).not.toContain(FIXED_KEY_BASE64);
      expect(rendered).not.toContain('000102030405');
    }
  });
});

describe('toMasterKeyRing', () => {
  it('wraps a single key and drops duplicates and the current key from the previous keys', () => {
    const a = MasterKey.generate();
    const b = MasterKey.generate();
    expect(toMasterKeyRing(a)).toEqual({ current: a, previous: [] });
    const ring = toMasterKeyRing({ current: b, previous: [a, b, a] });
    expect(ring.current).toBe(b);
    expect(ring.previous).toEqual([a]);
  });
});
