import { KmsError } from './errors';
import { foldEvents, KeyState } from './key-state';
import { CRYPTO_OPERATIONS, CryptoOperation as KeyOperation, stateRefusal } from './key-state-rules';
import { requireUsableKey } from './key-use-rules';
import { KeySpec, KeyUsage } from './key-spec';
import { HOUR_MS, KEY_ARN, keyCreated, MAT_A, MAT_B, materialDeleted, materialImported, expiringMaterialImported, T0 } from './testing/given-when-then';

/** Given a key of this spec/usage with material A imported, when an operation asks to use it at `now`. */
function attempt(
  operation: KeyOperation,
  options: { keySpec?: KeySpec; keyUsage?: KeyUsage; algorithm?: string; state?: (s: KeyState) => KeyState; history?: 'deleted' | 'expired'; keyMaterialId?: string; keyArn?: string } = {},
): { ok: true; keyMaterialId: string } | { ok: false; type: string; message: string } {
  const { keySpec = 'SYMMETRIC_DEFAULT', keyUsage = 'ENCRYPT_DECRYPT' } = options;
  const imported = options.history === 'expired' ? expiringMaterialImported(T0 + HOUR_MS) : materialImported();
  const events = [keyCreated({ keySpec, keyUsage }), imported, ...(options.history === 'deleted' ? [materialDeleted(MAT_A)] : [])];
  const state = (options.state ?? ((s) => s))(foldEvents(events));
  try {
    const { material } = requireUsableKey(
      state,
      { keyArn: options.keyArn ?? KEY_ARN, operation, algorithm: options.algorithm, keyMaterialId: options.keyMaterialId },
      T0 + 2 * HOUR_MS,
    );
    return { ok: true, keyMaterialId: material.keyMaterialId };
  } catch (error) {
    if (!(error instanceof KmsError)) throw error;
    return { ok: false, type: error.type, message: error.message };
  }
}

/** A key in each state the service has today, and what every cryptographic operation answers there (reference §8). */
describe('key-state table: every operation × every state', () => {
  const disabled = (s: KeyState): KeyState => ({ ...s, enabled: false });
  const expected: Record<string, { type: string; message: string } | 'ok'> = {
    Enabled: 'ok',
    Disabled: { type: 'DisabledException', message: `${KEY_ARN} is disabled.` },
    PendingImport: { type: 'KMSInvalidStateException', message: `${KEY_ARN} is pending import.` },
    PendingDeletion: { type: 'KMSInvalidStateException', message: `${KEY_ARN} is pending deletion.` },
  };

  it.each(CRYPTO_OPERATIONS)('%s: Enabled ok, Disabled DisabledException, PendingImport (deleted or expired material) KMSInvalidStateException', (operation) => {
    // Each operation on a key whose usage fits it, so only the state decides.
    const fitting: Record<KeyOperation, { keySpec: KeySpec; keyUsage: KeyUsage }> = {
      Encrypt: { keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' },
      Decrypt: { keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' },
      ReEncrypt: { keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' },
      GenerateDataKey: { keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' },
      GenerateDataKeyWithoutPlaintext: { keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' },
      GenerateDataKeyPair: { keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' },
      GenerateDataKeyPairWithoutPlaintext: { keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT' },
      Sign: { keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' },
      Verify: { keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' },
      GenerateMac: { keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' },
      VerifyMac: { keySpec: 'HMAC_512', keyUsage: 'GENERATE_VERIFY_MAC' },
      DeriveSharedSecret: { keySpec: 'ECC_NIST_P384', keyUsage: 'KEY_AGREEMENT' },
      GetPublicKey: { keySpec: 'RSA_4096', keyUsage: 'ENCRYPT_DECRYPT' },
    };
    const key = fitting[operation];
    expect(attempt(operation, key)).toEqual({ ok: true, keyMaterialId: MAT_A });
    expect(attempt(operation, { ...key, state: disabled })).toEqual({ ok: false, ...(expected.Disabled as object) });
    expect(attempt(operation, { ...key, history: 'deleted' })).toEqual({ ok: false, ...(expected.PendingImport as object) });
    // Past ValidTo the material is unusable even before KeyMaterialExpired is recorded.
    expect(attempt(operation, { ...key, history: 'expired' })).toEqual({ ok: false, ...(expected.PendingImport as object) });
    expect(stateRefusal(operation, 'PendingDeletion', KEY_ARN)).toMatchObject(expected.PendingDeletion as object);
    expect(stateRefusal(operation, 'Enabled', KEY_ARN)).toBeUndefined();
  });

  it('a disabled key is refused before its usage is looked at (state first, reference §8 note c)', () => {
    expect(attempt('Sign', { keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', state: disabled })).toMatchObject({ type: 'DisabledException' });
  });

  it('a key of another account or region is "not found", never described', () => {
    const foreign = 'arn:aws:kms:us-east-1:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    expect(attempt('Encrypt', { keyArn: foreign })).toEqual({ ok: false, type: 'NotFoundException', message: `Key '${foreign}' does not exist` });
  });
});

describe('key-use table: usage, family and algorithm per operation', () => {
  const usageError = (usage: string, operation: string) => ({
    ok: false,
    type: 'InvalidKeyUsageException',
    message: `${KEY_ARN} key usage is ${usage} which is not valid for ${operation}.`,
  });
  const algorithmError = (algorithm: string, spec: string) => ({
    ok: false,
    type: 'InvalidKeyUsageException',
    message: `Algorithm ${algorithm} is incompatible with key spec ${spec}.`,
  });

  it.each([
    ['Encrypt', 'RSA_2048', 'SIGN_VERIFY', 'SIGN_VERIFY'],
    ['Decrypt', 'ECC_NIST_P256', 'KEY_AGREEMENT', 'KEY_AGREEMENT'],
    ['GenerateDataKey', 'HMAC_256', 'GENERATE_VERIFY_MAC', 'GENERATE_VERIFY_MAC'],
    ['Sign', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'ENCRYPT_DECRYPT'],
    ['Verify', 'RSA_3072', 'ENCRYPT_DECRYPT', 'ENCRYPT_DECRYPT'],
    ['GenerateMac', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'ENCRYPT_DECRYPT'],
    ['VerifyMac', 'ECC_NIST_P256', 'SIGN_VERIFY', 'SIGN_VERIFY'],
    ['DeriveSharedSecret', 'ECC_NIST_P256', 'SIGN_VERIFY', 'SIGN_VERIFY'],
    ['ReEncrypt', 'ECC_SECG_P256K1', 'SIGN_VERIFY', 'SIGN_VERIFY'],
  ] as const)('%s with a %s %s key: InvalidKeyUsageException naming the usage', (operation, keySpec, keyUsage, usage) => {
    expect(attempt(operation, { keySpec, keyUsage })).toEqual(usageError(usage, operation));
  });

  it.each([
    ['Encrypt', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'RSAES_OAEP_SHA_256'],
    ['Encrypt', 'RSA_4096', 'ENCRYPT_DECRYPT', 'SYMMETRIC_DEFAULT'],
    ['Decrypt', 'RSA_2048', 'ENCRYPT_DECRYPT', 'SM2PKE'],
    ['Sign', 'ECC_NIST_P521', 'SIGN_VERIFY', 'ECDSA_SHA_256'],
    ['Sign', 'ECC_NIST_P256', 'SIGN_VERIFY', 'ECDSA_SHA_384'],
    ['Verify', 'RSA_2048', 'SIGN_VERIFY', 'ECDSA_SHA_256'],
    ['Sign', 'ECC_SECG_P256K1', 'SIGN_VERIFY', 'RSASSA_PSS_SHA_256'],
    ['GenerateMac', 'HMAC_224', 'GENERATE_VERIFY_MAC', 'HMAC_SHA_256'],
    ['VerifyMac', 'HMAC_256', 'GENERATE_VERIFY_MAC', 'HMAC_SHA_512'],
  ] as const)('%s on %s (%s) with %s: "Algorithm … is incompatible with key spec …"', (operation, keySpec, keyUsage, algorithm) => {
    expect(attempt(operation, { keySpec, keyUsage, algorithm })).toEqual(algorithmError(algorithm, keySpec));
  });

  it.each([
    ['Encrypt', 'SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'SYMMETRIC_DEFAULT'],
    ['Encrypt', 'RSA_2048', 'ENCRYPT_DECRYPT', 'RSAES_OAEP_SHA_1'],
    ['Decrypt', 'RSA_3072', 'ENCRYPT_DECRYPT', 'RSAES_OAEP_SHA_256'],
    ['Sign', 'RSA_2048', 'SIGN_VERIFY', 'RSASSA_PKCS1_V1_5_SHA_384'],
    ['Sign', 'RSA_4096', 'SIGN_VERIFY', 'RSASSA_PSS_SHA_512'],
    ['Sign', 'ECC_NIST_P384', 'SIGN_VERIFY', 'ECDSA_SHA_384'],
    ['Verify', 'ECC_NIST_P521', 'SIGN_VERIFY', 'ECDSA_SHA_512'],
    ['Verify', 'ECC_SECG_P256K1', 'SIGN_VERIFY', 'ECDSA_SHA_256'],
    ['GenerateMac', 'HMAC_384', 'GENERATE_VERIFY_MAC', 'HMAC_SHA_384'],
    ['DeriveSharedSecret', 'ECC_NIST_P521', 'KEY_AGREEMENT', 'ECDH'],
  ] as const)('%s on %s (%s) with %s is allowed', (operation, keySpec, keyUsage, algorithm) => {
    expect(attempt(operation, { keySpec, keyUsage, algorithm })).toEqual({ ok: true, keyMaterialId: MAT_A });
  });

  it.each(['GenerateDataKey', 'GenerateDataKeyWithoutPlaintext', 'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext'] as const)(
    '%s needs a symmetric key: an RSA ENCRYPT_DECRYPT key is refused with InvalidKeyUsageException',
    (operation) => {
      expect(attempt(operation, { keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT' })).toEqual({
        ok: false,
        type: 'InvalidKeyUsageException',
        message: `${KEY_ARN} key spec is RSA_2048 which is not valid for ${operation}.`,
      });
    },
  );

  it.each([
    ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'],
    ['HMAC_256', 'GENERATE_VERIFY_MAC'],
  ] as const)('GetPublicKey on a %s key: UnsupportedOperationException without a message', (keySpec, keyUsage) => {
    expect(attempt('GetPublicKey', { keySpec, keyUsage })).toEqual({ ok: false, type: 'UnsupportedOperationException', message: '' });
  });

  it('GetPublicKey works for every asymmetric usage', () => {
    for (const [keySpec, keyUsage] of [['RSA_2048', 'SIGN_VERIFY'], ['RSA_3072', 'ENCRYPT_DECRYPT'], ['ECC_NIST_P256', 'KEY_AGREEMENT'], ['ECC_SECG_P256K1', 'SIGN_VERIFY']] as const) {
      expect(attempt('GetPublicKey', { keySpec, keyUsage })).toEqual({ ok: true, keyMaterialId: MAT_A });
    }
  });

  it('Decrypt uses the material the ciphertext names, and refuses material the key does not hold', () => {
    expect(attempt('Decrypt', { keyMaterialId: MAT_A })).toEqual({ ok: true, keyMaterialId: MAT_A });
    expect(attempt('Decrypt', { keyMaterialId: MAT_B })).toEqual({ ok: false, type: 'InvalidCiphertextException', message: '' });
  });
});
