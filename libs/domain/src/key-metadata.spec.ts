import { toKeyMetadata } from './key-metadata';
import { KeySpec, KeyUsage } from './key-spec';
import { foldEvents } from './key-state';
import {
  ACCOUNT,
  DAY_MS,
  expiringMaterialImported,
  externalKey,
  KEY_ARN,
  KEY_ID,
  keyCreated,
  MAT_A,
  MAT_B,
  materialDeleted,
  materialImported,
  materialRotated,
  T0,
} from './testing/given-when-then';

const T1 = T0 + DAY_MS;

describe('toKeyMetadata', () => {
  it('describes a new EXTERNAL key exactly as AWS does: PendingImport, Enabled false, no expiry or material fields', () => {
    expect(toKeyMetadata(foldEvents([externalKey()]), T0)).toStrictEqual({
      AWSAccountId: ACCOUNT,
      KeyId: KEY_ID,
      Arn: KEY_ARN,
      CreationDate: T0 / 1000,
      Enabled: false,
      Description: '',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeyState: 'PendingImport',
      Origin: 'EXTERNAL',
      KeyManager: 'CUSTOMER',
      CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
      MultiRegion: false,
    });
  });

  it('after an expiring import: Enabled, ExpirationModel, ValidTo in epoch seconds, CurrentKeyMaterialId', () => {
    const validTo = T0 + 30 * DAY_MS + 500;
    const metadata = toKeyMetadata(foldEvents([externalKey(), expiringMaterialImported(validTo)]), T1);
    expect(metadata).toMatchObject({
      Enabled: true,
      KeyState: 'Enabled',
      ExpirationModel: 'KEY_MATERIAL_EXPIRES',
      ValidTo: validTo / 1000,
      CurrentKeyMaterialId: MAT_A,
    });
  });

  it('after a non-expiring import: ExpirationModel KEY_MATERIAL_DOES_NOT_EXPIRE and no ValidTo', () => {
    const metadata = toKeyMetadata(foldEvents([externalKey(), materialImported()]), T1);
    expect(metadata.ExpirationModel).toBe('KEY_MATERIAL_DOES_NOT_EXPIRE');
    expect(metadata).not.toHaveProperty('ValidTo');
  });

  it('shows the ValidTo of permanently associated material, not of material pending rotation', () => {
    const va = T0 + 30 * DAY_MS;
    const vb = T0 + 5 * DAY_MS;
    const state = foldEvents([
      externalKey(),
      expiringMaterialImported(va),
      expiringMaterialImported(vb, { keyMaterialId: MAT_B, materialState: 'PENDING_ROTATION' }),
    ]);
    expect(toKeyMetadata(state, T1).ValidTo).toBe(va / 1000);
  });

  it('drops ExpirationModel and ValidTo once any associated material is gone, the current one or not', () => {
    const rotated = [
      externalKey(),
      expiringMaterialImported(T0 + 30 * DAY_MS),
      expiringMaterialImported(T0 + 60 * DAY_MS, { keyMaterialId: MAT_B, materialState: 'PENDING_ROTATION' }),
      materialRotated(MAT_B, MAT_A, T0),
    ];
    // Current B expires later than non-current A: ValidTo is A's, the earliest.
    expect(toKeyMetadata(foldEvents(rotated), T1)).toMatchObject({ KeyState: 'Enabled', ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: (T0 + 30 * DAY_MS) / 1000 });
    const nonCurrentDeleted = toKeyMetadata(foldEvents([...rotated, materialDeleted(MAT_A)]), T1);
    expect(nonCurrentDeleted).toMatchObject({ KeyState: 'PendingImport', Enabled: false, CurrentKeyMaterialId: MAT_B });
    expect(nonCurrentDeleted).not.toHaveProperty('ExpirationModel');
    expect(nonCurrentDeleted).not.toHaveProperty('ValidTo');
    // The non-current material's ValidTo passing has the same effect, before the expiry job records it.
    const nonCurrentExpired = toKeyMetadata(foldEvents(rotated), T0 + 31 * DAY_MS);
    expect(nonCurrentExpired).toMatchObject({ KeyState: 'PendingImport' });
    expect(nonCurrentExpired).not.toHaveProperty('ExpirationModel');
  });

  it('describes an AWS_KMS symmetric key: Enabled with CurrentKeyMaterialId, no ExpirationModel', () => {
    const metadata = toKeyMetadata(foldEvents([keyCreated({ origin: 'AWS_KMS', keyMaterialId: MAT_A })]), T0);
    expect(metadata).toMatchObject({ Enabled: true, KeyState: 'Enabled', Origin: 'AWS_KMS', CurrentKeyMaterialId: MAT_A });
    expect(metadata).not.toHaveProperty('ExpirationModel');
    expect(metadata).not.toHaveProperty('ValidTo');
  });

  it.each(['HMAC_256', 'RSA_2048', 'ECC_NIST_P384'] as KeySpec[])('never shows CurrentKeyMaterialId for a %s key (before, after import, after delete)', (spec) => {
    const created = [externalKey(spec)];
    const imported = [...created, materialImported()];
    const deleted = [...imported, materialDeleted(MAT_A)];
    for (const history of [created, imported, deleted]) {
      expect(toKeyMetadata(foldEvents(history), T1)).not.toHaveProperty('CurrentKeyMaterialId');
    }
    expect(toKeyMetadata(foldEvents(imported), T1)).toMatchObject({ KeyState: 'Enabled', ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
  });

  it('reports the description and the creation date in epoch seconds', () => {
    const metadata = toKeyMetadata(foldEvents([keyCreated({ description: 'hello', creationDate: '2025-01-01T00:00:00.250Z' })]), T0);
    expect(metadata.Description).toBe('hello');
    expect(metadata.CreationDate).toBe(T0 / 1000 + 0.25);
  });

  describe('algorithm lists (exactly the one list matching KeyUsage)', () => {
    const LISTS = ['EncryptionAlgorithms', 'SigningAlgorithms', 'MacAlgorithms', 'KeyAgreementAlgorithms'];
    const RSA_SIGNING = [
      'RSASSA_PKCS1_V1_5_SHA_256',
      'RSASSA_PKCS1_V1_5_SHA_384',
      'RSASSA_PKCS1_V1_5_SHA_512',
      'RSASSA_PSS_SHA_256',
      'RSASSA_PSS_SHA_384',
      'RSASSA_PSS_SHA_512',
    ];
    const cases: Array<[KeySpec, KeyUsage, string, string[]]> = [
      ['SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT', 'EncryptionAlgorithms', ['SYMMETRIC_DEFAULT']],
      ['HMAC_224', 'GENERATE_VERIFY_MAC', 'MacAlgorithms', ['HMAC_SHA_224']],
      ['HMAC_256', 'GENERATE_VERIFY_MAC', 'MacAlgorithms', ['HMAC_SHA_256']],
      ['HMAC_384', 'GENERATE_VERIFY_MAC', 'MacAlgorithms', ['HMAC_SHA_384']],
      ['HMAC_512', 'GENERATE_VERIFY_MAC', 'MacAlgorithms', ['HMAC_SHA_512']],
      ['RSA_2048', 'ENCRYPT_DECRYPT', 'EncryptionAlgorithms', ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']],
      ['RSA_4096', 'SIGN_VERIFY', 'SigningAlgorithms', RSA_SIGNING],
      ['ECC_NIST_P256', 'SIGN_VERIFY', 'SigningAlgorithms', ['ECDSA_SHA_256']],
      ['ECC_NIST_P384', 'SIGN_VERIFY', 'SigningAlgorithms', ['ECDSA_SHA_384']],
      ['ECC_NIST_P521', 'SIGN_VERIFY', 'SigningAlgorithms', ['ECDSA_SHA_512']],
      ['ECC_SECG_P256K1', 'SIGN_VERIFY', 'SigningAlgorithms', ['ECDSA_SHA_256']],
      ['ECC_NIST_P256', 'KEY_AGREEMENT', 'KeyAgreementAlgorithms', ['ECDH']],
    ];

    it.each(cases)('%s / %s -> %s %j', (spec, usage, list, algorithms) => {
      const metadata = toKeyMetadata(foldEvents([externalKey(spec, usage)]), T0) as unknown as Record<string, unknown>;
      expect(metadata[list]).toEqual(algorithms);
      for (const other of LISTS.filter((l) => l !== list)) expect(metadata).not.toHaveProperty(other);
      expect(metadata.KeySpec).toBe(spec);
      expect(metadata.CustomerMasterKeySpec).toBe(spec);
      expect(metadata.KeyUsage).toBe(usage);
    });
  });
});
