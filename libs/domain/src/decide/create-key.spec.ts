import { CreateKeyCommand } from '../commands';
import { effectiveState, keyStateName } from '../key-lifecycle';
import { ACCOUNT, given, KEY_ARN, KEY_ID, keyCreated, MAT_A, REGION, T0 } from '../testing/given-when-then';

const createKey = (overrides: Partial<CreateKeyCommand> = {}): CreateKeyCommand => ({
  kind: 'CreateKey',
  keyId: KEY_ID,
  accountId: ACCOUNT,
  region: REGION,
  description: '',
  keySpec: 'SYMMETRIC_DEFAULT',
  origin: 'EXTERNAL',
  multiRegion: false,
  ...overrides,
});

describe('CreateKey', () => {
  it('creates a symmetric EXTERNAL key with the default usage ENCRYPT_DECRYPT and no material', () => {
    const { after } = given().when(createKey(), T0).thenEvents(keyCreated());
    expect(after.materials).toEqual([]);
    expect(after.currentKeyMaterialId).toBeUndefined();
    expect(keyStateName(effectiveState(after, T0))).toBe('PendingImport');
  });

  it('records the description, the ARN built from account/region/key id, and the creation time as ISO', () => {
    given()
      .when(createKey({ description: 'payments key', keyId: KEY_ID }), T0 + 1234)
      .thenEvents(keyCreated({ description: 'payments key', arn: KEY_ARN, creationDate: '2025-01-01T00:00:01.234Z' }));
  });

  it('accepts an explicit ENCRYPT_DECRYPT usage for a symmetric key', () => {
    given().when(createKey({ keyUsage: 'ENCRYPT_DECRYPT' }), T0).thenEvents(keyCreated());
  });

  it('creates an AWS_KMS key that carries the generated keyMaterialId and is Enabled at once', () => {
    const { after } = given()
      .when(createKey({ origin: 'AWS_KMS', generatedKeyMaterialId: MAT_A }), T0)
      .thenEvents(keyCreated({ origin: 'AWS_KMS', keyMaterialId: MAT_A }));
    expect(after.currentKeyMaterialId).toBe(MAT_A);
    expect(after.materials).toEqual([{ keyMaterialId: MAT_A, materialState: 'CURRENT', importState: 'IMPORTED' }]);
    expect(keyStateName(effectiveState(after, T0))).toBe('Enabled');
  });

  it('refuses an AWS_KMS key whose material was not generated (KMSInternalException)', () => {
    given()
      .when(createKey({ origin: 'AWS_KMS' }), T0)
      .thenError('KMSInternalException', 'Key material was not generated for an AWS_KMS key.');
  });

  it('does not record a generated material id for an EXTERNAL key', () => {
    given().when(createKey({ generatedKeyMaterialId: MAT_A }), T0).thenEvents(keyCreated());
  });

  it.each([
    ['HMAC_224', 'GENERATE_VERIFY_MAC'],
    ['HMAC_512', 'GENERATE_VERIFY_MAC'],
    ['RSA_2048', 'ENCRYPT_DECRYPT'],
    ['RSA_4096', 'SIGN_VERIFY'],
    ['ECC_NIST_P256', 'SIGN_VERIFY'],
    ['ECC_NIST_P384', 'KEY_AGREEMENT'],
    ['ECC_NIST_P521', 'SIGN_VERIFY'],
    ['ECC_SECG_P256K1', 'SIGN_VERIFY'],
  ] as const)('creates an EXTERNAL %s key with KeyUsage %s', (keySpec, keyUsage) => {
    given().when(createKey({ keySpec, keyUsage }), T0).thenEvents(keyCreated({ keySpec, keyUsage }));
  });

  it.each(['HMAC_256', 'RSA_3072', 'ECC_NIST_P256', 'ECC_SECG_P256K1'])(
    'requires a KeyUsage for non-symmetric spec %s (AWS message)',
    (keySpec) => {
      given()
        .when(createKey({ keySpec }), T0)
        .thenError('ValidationException', 'You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.');
    },
  );

  it.each([
    ['SYMMETRIC_DEFAULT', 'SIGN_VERIFY'],
    ['HMAC_256', 'ENCRYPT_DECRYPT'],
    ['RSA_3072', 'KEY_AGREEMENT'],
    ['ECC_NIST_P256', 'ENCRYPT_DECRYPT'],
    ['ECC_SECG_P256K1', 'KEY_AGREEMENT'],
  ])('refuses %s with incompatible KeyUsage %s, in the words AWS uses (no list, no trailing period)', (keySpec, keyUsage) => {
    given()
      .when(createKey({ keySpec, keyUsage }), T0)
      .thenError('ValidationException', `KeyUsage ${keyUsage} is not compatible with KeySpec ${keySpec}`);
  });

  it.each(['SM2', 'ML_DSA_44', 'ML_DSA_65', 'ML_DSA_87', 'ECC_NIST_EDWARDS25519'])(
    'refuses the AWS key spec %s that this service does not support (UnsupportedOperationException)',
    (keySpec) => {
      given()
        .when(createKey({ keySpec, keyUsage: 'SIGN_VERIFY' }), T0)
        .thenError('UnsupportedOperationException', `KeySpec ${keySpec} is not supported by this service.`);
    },
  );

  it('refuses a key spec that is not in AWS enum (ValidationException)', () => {
    given().when(createKey({ keySpec: 'AES_256' }), T0).thenError('ValidationException', 'KeySpec AES_256 is not valid.');
  });

  it.each(['AWS_CLOUDHSM', 'EXTERNAL_KEY_STORE'])('refuses Origin %s (custom key stores)', (origin) => {
    given()
      .when(createKey({ origin }), T0)
      .thenError('UnsupportedOperationException', `Origin ${origin} is not supported by this service: custom key stores are not available.`);
  });

  it('refuses multi-Region keys', () => {
    given()
      .when(createKey({ multiRegion: true }), T0)
      .thenError('UnsupportedOperationException', 'Multi-Region keys are not supported by this service.');
  });

  it('refuses to create a key over an existing one (ConflictException)', () => {
    given(keyCreated())
      .when(createKey({ description: 'again' }), T0)
      .thenError('ConflictException', `Key ${KEY_ARN} already exists.`);
  });
});
