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

  it('reads aliases, tags, enabled and rotateOnDemand, with their defaults', () => {
    const seed = parse({
      keys: [
        { description: 'a', material },
        {
          description: 'b',
          material,
          aliases: ['alias/orders', 'alias/team/orders-v2'],
          tags: { env: 'prod', team: 'pay' },
          enabled: false,
          rotateOnDemand: true,
          rotationMaterial: { hex: '11'.repeat(32) },
        },
        { description: 'c', origin: 'AWS_KMS', rotateOnDemand: true },
        { description: 'd', origin: 'AWS_KMS', keySpec: 'ECC_NIST_P256' },
      ],
    });
    expect(seed.keys[0]).toMatchObject({ origin: 'EXTERNAL', aliases: [], tags: [], enabled: true, rotateOnDemand: false, rotationMaterial: undefined });
    expect(seed.keys[1]).toMatchObject({
      aliases: ['alias/orders', 'alias/team/orders-v2'],
      tags: [{ TagKey: 'env', TagValue: 'prod' }, { TagKey: 'team', TagValue: 'pay' }],
      enabled: false,
      rotateOnDemand: true,
      rotationMaterial: { hex: '11'.repeat(32) },
    });
    expect(seed.keys[2]).toMatchObject({ origin: 'AWS_KMS', material: undefined, rotateOnDemand: true, keySpec: 'SYMMETRIC_DEFAULT' });
    expect(seed.keys[3]).toMatchObject({ origin: 'AWS_KMS', keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' });
  });

  it.each([
    [{ keys: [{ description: 'a', material, aliases: 'alias/x' }] }, 'seed file: keys[0].aliases: must be an array of alias names like "alias/orders"'],
    [{ keys: [{ description: 'a', material, aliases: ['orders'] }] }, `seed file: keys[0].aliases[0]: 'orders' must start with "alias/"`],
    [{ keys: [{ description: 'a', material, aliases: ['alias/aws/s3'] }] }, `seed file: keys[0].aliases[0]: 'alias/aws/s3': names starting with "alias/aws/" are reserved for AWS managed keys`],
    [{ keys: [{ description: 'a', material, aliases: ['alias/a b'] }] }, `seed file: keys[0].aliases[0]: 'alias/a b' may only have letters, digits, '/', '_' and '-' after "alias/"`],
    [{ keys: [{ description: 'a', material, aliases: ['alias/x', 'alias/x'] }] }, `seed file: keys[0].aliases[1]: 'alias/x' is listed twice`],
    [
      { keys: [{ description: 'a', material, aliases: ['alias/x'] }, { description: 'b', material, aliases: ['alias/x'] }] },
      `seed file: keys[1].aliases: 'alias/x' is also an alias of keys[0]; an alias points at one key`,
    ],
    [{ keys: [{ description: 'a', material, tags: [{ TagKey: 'env', TagValue: 'prod' }] }] }, 'seed file: keys[0].tags: must be an object of tag keys to values, like {"env": "prod"}'],
    [{ keys: [{ description: 'a', material, tags: { env: 1 } }] }, 'seed file: keys[0].tags.env: must be a string (tag values are text), not 1'],
    [{ keys: [{ description: 'a', material, tags: { 'aws:owner': 'me' } }] }, 'seed file: keys[0].tags.aws:owner: tag keys starting with "aws:" are reserved'],
    [{ keys: [{ description: 'a', material, enabled: 'no' }] }, 'seed file: keys[0].enabled: must be true or false, not "no"'],
    [{ keys: [{ description: 'a', material, rotateOnDemand: true }] }, 'seed file: keys[0]: rotateOnDemand on an EXTERNAL key needs rotationMaterial: the second material to import as NEW_KEY_MATERIAL and rotate to'],
    [{ keys: [{ description: 'a', material, rotationMaterial: material }] }, 'seed file: keys[0].rotationMaterial: is only used with "rotateOnDemand": true'],
    [{ keys: [{ description: 'a', keySpec: 'HMAC_256', material, rotateOnDemand: true, rotationMaterial: material }] }, 'seed file: keys[0].rotateOnDemand: only SYMMETRIC_DEFAULT keys rotate, not HMAC_256 keys'],
    [{ keys: [{ description: 'a', origin: 'AWS_KMS', material, validTo: '+1d' }] }, "seed file: keys[0]: material, validTo are only for EXTERNAL keys; an AWS_KMS key's material is generated by the service"],
    [{ keys: [{ description: 'a', origin: 'CLOUDHSM' }] }, "seed file: keys[0].origin: must be EXTERNAL (material from this file) or AWS_KMS (generated by the service), not 'CLOUDHSM'"],
    [{ keys: [{ description: 'a' }] }, 'seed file: keys[0].material: is required for an EXTERNAL key (or set "origin": "AWS_KMS" to have the service generate the material)'],
  ])('refuses %j', (file, message) => {
    expect(() => parse(file)).toThrow(new CliError(message));
  });

  it.each([
    [{}, 'seed file: keys: must be a non-empty array'],
    [{ keys: [{ material }] }, 'seed file: keys[0].description: is required: it identifies the key when the seed runs again'],
    [{ keys: [{ description: 'a', material }, { description: 'a', material }] }, "seed file: keys[1].description: 'a' is used twice; descriptions identify keys"],
    [{ keys: [{ description: 'a', material: { hex: 'aa', base64: 'qg==' } }] }, 'seed file: keys[0].material: give exactly one of hex, base64 or pkcs8File'],
    [{ keys: [{ description: 'a', material, keySpec: 'HMAC_256', keyUsage: 'ENCRYPT_DECRYPT' }] }, "seed file: keys[0].keyUsage: HMAC_256 keys can have GENERATE_VERIFY_MAC, not 'ENCRYPT_DECRYPT'"],
    [{ keys: [{ description: 'a', material, expirationModel: 'KEY_MATERIAL_EXPIRES' }] }, 'seed file: keys[0]: KEY_MATERIAL_EXPIRES needs validTo'],
    [{ keys: [{ description: 'a', material, validTo: 'soon' }] }, "seed file: keys[0].validTo: 'soon' is neither ISO-8601 with a zone nor a relative time like +30d, +12h or +90m"],
    [{ keys: [{ description: 'a', material, validTo: '2027-02-30T00:00:00Z' }] }, "seed file: keys[0].validTo: '2027-02-30T00:00:00Z' is neither ISO-8601 with a zone nor a relative time like +30d, +12h or +90m"],
    [{ keys: [{ description: 'a', material, validTo: '2027-01-10T00:00:00' }] }, "seed file: keys[0].validTo: '2027-01-10T00:00:00' is neither ISO-8601 with a zone nor a relative time like +30d, +12h or +90m"],
    [{ keys: [{ description: 'a', material, validTo: '+999999999999d' }] }, "seed file: keys[0].validTo: '+999999999999d' is neither ISO-8601 with a zone nor a relative time like +30d, +12h or +90m"],
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
