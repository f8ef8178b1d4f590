import { IssueImportParametersCommand } from '../commands';
import { KeyEvent, KeyEventTypes } from '../events';
import { KeySpec, WrappingAlgorithm, WrappingKeySpec } from '../key-spec';
import { DAY_MS, externalKey, given, KEY_ARN, keyCreated, MAT_A, materialImported, T0 } from '../testing/given-when-then';
import { toIso } from '../time';
import { checkWrappingChoice } from './import-parameters';

const FINGERPRINT = 'f'.repeat(64);

const issue = (wrappingAlgorithm = 'RSAES_OAEP_SHA_256', wrappingKeySpec = 'RSA_4096'): IssueImportParametersCommand => ({
  kind: 'IssueImportParameters',
  keyArn: KEY_ARN,
  wrappingAlgorithm,
  wrappingKeySpec,
  importTokenId: 'token-1',
  parametersValidTo: T0 + DAY_MS,
  publicKeyFingerprint: FINGERPRINT,
});

const issued = (wrappingAlgorithm: string, wrappingKeySpec: string): KeyEvent => ({
  type: KeyEventTypes.ImportParametersIssued,
  data: {
    importTokenId: 'token-1',
    wrappingAlgorithm: wrappingAlgorithm as WrappingAlgorithm,
    wrappingKeySpec: wrappingKeySpec as WrappingKeySpec,
    parametersValidTo: toIso(T0 + DAY_MS),
    publicKeyFingerprint: FINGERPRINT,
  },
});

const OAEP = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] as const;
const RSA_AES = ['RSA_AES_KEY_WRAP_SHA_1', 'RSA_AES_KEY_WRAP_SHA_256'] as const;
const ALL_SPECS: KeySpec[] = [
  'SYMMETRIC_DEFAULT',
  'HMAC_224',
  'HMAC_256',
  'HMAC_384',
  'HMAC_512',
  'RSA_2048',
  'RSA_3072',
  'RSA_4096',
  'ECC_NIST_P256',
  'ECC_NIST_P384',
  'ECC_NIST_P521',
  'ECC_SECG_P256K1',
];

/** kms-api-reference.md §5.1 (with the recorded choice that symmetric/HMAC also accept RSA_AES_*). */
const accepts = (spec: KeySpec): readonly string[] => (spec.startsWith('RSA_') ? RSA_AES : [...OAEP, ...RSA_AES]);

describe('IssueImportParameters', () => {
  it('records the issued parameters: token id, algorithm, wrapping key spec, ISO ParametersValidTo, fingerprint', () => {
    const scenario = given(externalKey()).when(issue(), T0);
    const { after, decision } = scenario.thenEvents(issued('RSAES_OAEP_SHA_256', 'RSA_4096'));
    expect(decision.keyMaterialId).toBeUndefined();
    expect(after).toStrictEqual(scenario.before); // issuing parameters does not change the key's state
  });

  it('refuses a key that does not exist, naming the full ARN', () => {
    given().when(issue(), T0).thenError('NotFoundException', `Key '${KEY_ARN}' does not exist`);
  });

  it('refuses an AWS_KMS key (AWS message)', () => {
    given(keyCreated({ origin: 'AWS_KMS', keyMaterialId: MAT_A }))
      .when(issue(), T0)
      .thenError('UnsupportedOperationException', `${KEY_ARN} origin is AWS_KMS which is not valid for this operation.`);
  });

  it('can be issued again after material was imported', () => {
    given(externalKey(), materialImported())
      .when(issue('RSAES_OAEP_SHA_1', 'RSA_2048'), T0)
      .thenEvents(issued('RSAES_OAEP_SHA_1', 'RSA_2048'));
  });

  describe('wrapping matrix (every key spec x every implemented algorithm, RSA_4096 wrapping key)', () => {
    const cases = ALL_SPECS.flatMap((spec) => [...OAEP, ...RSA_AES].map((alg) => [spec, alg, accepts(spec).includes(alg)] as const));

    it.each(cases)('%s material with %s: accepted=%s', (spec, alg, accepted) => {
      const scenario = given(externalKey(spec)).when(issue(alg, 'RSA_4096'), T0);
      if (accepted) {
        scenario.thenEvents(issued(alg, 'RSA_4096'));
      } else {
        scenario.thenError(
          'UnsupportedOperationException',
          `The ${alg} wrapping algorithm is not supported for ${spec} key material. Supported wrapping algorithms: RSA_AES_KEY_WRAP_SHA_256, RSA_AES_KEY_WRAP_SHA_1.`,
        );
      }
    });

    it.each(['RSA_2048', 'RSA_3072', 'RSA_4096'])('accepts wrapping key spec %s for symmetric material', (wks) => {
      given(externalKey()).when(issue('RSAES_OAEP_SHA_256', wks), T0).thenEvents(issued('RSAES_OAEP_SHA_256', wks));
    });
  });

  describe('ECC_NIST_P521 material does not fit one RSA_2048 OAEP block', () => {
    it.each(OAEP)('refuses P-521 + RSA_2048 + %s', (alg) => {
      given(externalKey('ECC_NIST_P521'))
        .when(issue(alg, 'RSA_2048'), T0)
        .thenError(
          'UnsupportedOperationException',
          `The ${alg} wrapping algorithm with an RSA_2048 wrapping key is not supported for ECC_NIST_P521 key material. Use RSA_AES_KEY_WRAP_SHA_256 or a larger wrapping key.`,
        );
    });

    it.each([
      ['RSAES_OAEP_SHA_256', 'RSA_3072'],
      ['RSAES_OAEP_SHA_1', 'RSA_3072'],
      ['RSAES_OAEP_SHA_256', 'RSA_4096'],
      ['RSA_AES_KEY_WRAP_SHA_256', 'RSA_2048'],
      ['RSA_AES_KEY_WRAP_SHA_1', 'RSA_2048'],
    ])('allows P-521 + %s + %s', (alg, wks) => {
      given(externalKey('ECC_NIST_P521')).when(issue(alg, wks), T0).thenEvents(issued(alg, wks));
    });

    it.each(['ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_SECG_P256K1'] as const)('allows %s + RSA_2048 + RSAES_OAEP_SHA_256 (only P-521 is too long)', (spec) => {
      given(externalKey(spec)).when(issue('RSAES_OAEP_SHA_256', 'RSA_2048'), T0).thenEvents(issued('RSAES_OAEP_SHA_256', 'RSA_2048'));
    });
  });

  describe('retired and China-only choices', () => {
    it.each(['SYMMETRIC_DEFAULT', 'HMAC_256', 'RSA_2048', 'ECC_NIST_P256'] as const)('refuses RSAES_PKCS1_V1_5 for %s material', (spec) => {
      given(externalKey(spec))
        .when(issue('RSAES_PKCS1_V1_5', 'RSA_2048'), T0)
        .thenError(
          'UnsupportedOperationException',
          'The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported. Use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256.',
        );
    });

    it('refuses the SM2PKE wrapping algorithm', () => {
      given(externalKey('ECC_NIST_P256'))
        .when(issue('SM2PKE', 'RSA_2048'), T0)
        .thenError('UnsupportedOperationException', 'The SM2PKE wrapping algorithm is available only in China Regions and is not supported by this service.');
    });

    it('refuses the SM2 wrapping key spec', () => {
      given(externalKey())
        .when(issue('RSAES_OAEP_SHA_256', 'SM2'), T0)
        .thenError('UnsupportedOperationException', 'The SM2 wrapping key spec is available only in China Regions and is not supported by this service.');
    });
  });

  // CreateKey tells "AWS value this service does not support" (UnsupportedOperationException) from "not an AWS
  // value at all" (ValidationException); the wrapping choice should make the same distinction instead of calling
  // every unknown value China-only.
  describe('values outside AWS enums', () => {
    it('refuses a wrapping algorithm that is not in AWS enum with ValidationException', () => {
      given(externalKey()).when(issue('RSAES_OAEP_SHA_512', 'RSA_4096'), T0).thenError('ValidationException', /RSAES_OAEP_SHA_512/);
    });

    it('refuses a wrapping key spec that is not in AWS enum with ValidationException', () => {
      given(externalKey()).when(issue('RSAES_OAEP_SHA_256', 'RSA_1024'), T0).thenError('ValidationException', /RSA_1024/);
    });
  });

  describe('checkWrappingChoice', () => {
    it('returns the typed choice when allowed', () => {
      expect(checkWrappingChoice('HMAC_384', 'RSA_AES_KEY_WRAP_SHA_1', 'RSA_3072')).toEqual({
        algorithm: 'RSA_AES_KEY_WRAP_SHA_1',
        wrappingKeySpec: 'RSA_3072',
      });
    });

    it('throws a KmsError of type UnsupportedOperationException when refused', () => {
      expect(() => checkWrappingChoice('RSA_4096', 'RSAES_OAEP_SHA_256', 'RSA_4096')).toThrow(
        expect.objectContaining({ type: 'UnsupportedOperationException' }),
      );
    });
  });
});
