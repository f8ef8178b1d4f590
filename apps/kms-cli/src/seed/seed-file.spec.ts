import { generateKeyPairSync } from 'node:crypto';
import { CliError } from '../cli-error';
import { parseSeedFile } from './seed-file';
import { chooseWrapping } from './wrapping-choice';

const NOW = Date.parse('2026-11-22T10:00:00.000Z');
const parse = (file: unknown) => parseSeedFile(JSON.stringify(file), '/seeds/keys.json', NOW);
const material = { hex: '00'.repeat(32) };

describe('seed file', () => {
  it('applies defaults: SYMMETRIC_DEFAULT, the spec’s first usage, no expiry unless validTo is given', () => {
    const seed = parse({ keys: [{ description: 'a', material }, { description: 'b', keySpec: 'ECC_NIST_P256', material: { pkcs8File: 'k.pem' } }] });
    expect(seed.baseDir).toBe('/seeds');
    expect(seed.keys[0]).toMatchObject({ keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', validTo: undefined });
    expect(seed.keys[1]).toMatchObject({ keyUsage: 'SIGN_VERIFY', material: { pkcs8File: 'k.pem' } });
  });

  it('resolves validTo, absolute or relative to the run, and then defaults to KEY_MATERIAL_EXPIRES', () => {
    const seed = parse({ keys: [{ description: 'a', material, validTo: '+30d' }, { description: 'b', material, validTo: '2027-01-01T00:00:00Z' }, { description: 'c', material, validTo: '+90m' }] });
    expect(seed.keys.map((k) => [k.expirationModel, k.validTo!.toISOString()])).toEqual([
      ['KEY_MATERIAL_EXPIRES', '2026-12-22T10:00:00.000Z'],
      ['KEY_MATERIAL_EXPIRES', '2027-01-01T00:00:00.000Z'],
      ['KEY_MATERIAL_EXPIRES', '2026-11-22T11:30:00.000Z'],
    ]);
  });

  it.each([
    [{}, 'seed file: keys: must be a non-empty array'],
    [{ keys: [{ material }] }, 'seed file: keys[0].description: is required: it identifies the key when the seed runs again'],
    [{ keys: [{ description: 'a', material }, { description: 'a', material }] }, "seed file: keys[1].description: 'a' is used twice; descriptions identify keys"],
    [{ keys: [{ description: 'a', material: { hex: 'aa', base64: 'qg==' } }] }, 'seed file: keys[0].material: give exactly one of hex, base64 or pkcs8File'],
    [{ keys: [{ description: 'a', material, keySpec: 'HMAC_256', keyUsage: 'ENCRYPT_DECRYPT' }] }, "seed file: keys[0].keyUsage: HMAC_256 keys can have GENERATE_VERIFY_MAC, not 'ENCRYPT_DECRYPT'"],
    [{ keys: [{ description: 'a', material, expirationModel: 'KEY_MATERIAL_EXPIRES' }] }, 'seed file: keys[0]: KEY_MATERIAL_EXPIRES needs validTo'],
    [{ keys: [{ description: 'a', material, validTo: 'soon' }] }, "seed file: keys[0].validTo: 'soon' is neither ISO-8601 nor a relative time like +30d, +12h or +90m"],
    [{ keys: [], endpoint: 'x', extra: 1 }, 'seed file: top level: unknown field extra (known: endpoint, region, accessKeyId, keys)'],
  ])('refuses %j', (file, message) => {
    expect(() => parse(file)).toThrow(new CliError(message));
  });
});

describe('wrapping choice', () => {
  const p521 = generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey.export({ type: 'pkcs8', format: 'der' });

  it('prefers RSAES_OAEP_SHA_256 with RSA_2048, and AES key wrap where OAEP is not allowed or the material does not fit', () => {
    expect(chooseWrapping('SYMMETRIC_DEFAULT', 32)).toEqual({ algorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' });
    expect(chooseWrapping('HMAC_512', 64)).toEqual({ algorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' });
    expect(chooseWrapping('RSA_2048', 1217)).toEqual({ algorithm: 'RSA_AES_KEY_WRAP_SHA_256', wrappingKeySpec: 'RSA_2048' });
    expect(chooseWrapping('ECC_NIST_P521', p521.length)).toEqual({ algorithm: 'RSA_AES_KEY_WRAP_SHA_256', wrappingKeySpec: 'RSA_2048' });
    expect(chooseWrapping('ECC_NIST_P521', p521.length, { wrappingKeySpec: 'RSA_4096' })).toEqual({ algorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_4096' });
  });

  it('takes the seed file’s choice only when the key spec allows it', () => {
    expect(chooseWrapping('SYMMETRIC_DEFAULT', 32, { algorithm: 'RSAES_OAEP_SHA_1', wrappingKeySpec: 'RSA_3072' })).toEqual({ algorithm: 'RSAES_OAEP_SHA_1', wrappingKeySpec: 'RSA_3072' });
    expect(() => chooseWrapping('RSA_2048', 1217, { algorithm: 'RSAES_OAEP_SHA_256' })).toThrow(
      'wrappingAlgorithm RSAES_OAEP_SHA_256 is not allowed for RSA_2048 material (allowed: RSA_AES_KEY_WRAP_SHA_256, RSA_AES_KEY_WRAP_SHA_1).',
    );
    expect(() => chooseWrapping('SYMMETRIC_DEFAULT', 32, { wrappingKeySpec: 'SM2' })).toThrow("wrappingKeySpec must be RSA_2048, RSA_3072 or RSA_4096, not 'SM2'.");
  });
});
