import {
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  EncryptCommand,
  KMSClient,
} from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { ClientWrappingAlgorithm, materialFor } from '../support/client-wrapping';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';

const describeKey = async (kms: KMSClient, keyId: string) => (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;

describe('BYOK import flow through @aws-sdk/client-kms', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  beforeAll(async () => {
    kl = await startKeyledger();
    kms = kl.client();
  });
  afterAll(() => kl.destroy());

  describe('SYMMETRIC_DEFAULT', () => {
    it('creates PendingImport, imports with an expiry, encrypts and decrypts with the imported material', async () => {
      const key = await createExternalKey(kms, { Description: 'byok symmetric' });
      expect(key).toMatchObject({ KeyState: 'PendingImport', Enabled: false, Origin: 'EXTERNAL', KeySpec: 'SYMMETRIC_DEFAULT', Description: 'byok symmetric' });
      expect(key.ExpirationModel).toBeUndefined();
      expect(key.ValidTo).toBeUndefined();
      expect(key.CurrentKeyMaterialId).toBeUndefined();

      const validTo = new Date(Date.now() + 30 * 24 * 3600 * 1000);
      const imported = await importMaterial(kms, key.KeyId!, randomBytes(32), {
        import: { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: validTo, KeyMaterialDescription: 'material A' },
      });
      expect(imported.KeyId).toBe(key.Arn);
      expect(imported.KeyMaterialId).toMatch(/^[a-f0-9]{64}$/);

      const described = await describeKey(kms, key.KeyId!);
      expect(described).toMatchObject({ KeyState: 'Enabled', Enabled: true, ExpirationModel: 'KEY_MATERIAL_EXPIRES', CurrentKeyMaterialId: imported.KeyMaterialId });
      expect(Math.abs(described.ValidTo!.getTime() - validTo.getTime())).toBeLessThan(1000);

      const context = { purpose: 'test', tenant: 'a' };
      const encrypted = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('top secret'), EncryptionContext: context }));
      expect(encrypted.KeyId).toBe(key.Arn);
      expect(encrypted.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
      // No KeyId: the ciphertext names its key and material.
      const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { tenant: 'a', purpose: 'test' } }));
      expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('top secret');
      expect(decrypted.KeyId).toBe(key.Arn);
      expect(decrypted.KeyMaterialId).toBe(imported.KeyMaterialId);
    });

    it('really uses the imported bytes: two keys with the same material cannot read each other, and material ids differ per key', async () => {
      const material = randomBytes(32);
      const a = await createExternalKey(kms);
      const b = await createExternalKey(kms);
      const ia = await importMaterial(kms, a.KeyId!, material);
      const ib = await importMaterial(kms, b.KeyId!, material);
      expect(ia.KeyMaterialId).not.toBe(ib.KeyMaterialId);
      const encrypted = await kms.send(new EncryptCommand({ KeyId: a.KeyId, Plaintext: Buffer.from('x') }));
      await expect(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: b.KeyId }))).rejects.toMatchObject({ name: 'IncorrectKeyException' });
    });

    it('delete returns the key to PendingImport; only the same material brings it back, and old ciphertexts decrypt again', async () => {
      const material = randomBytes(32);
      const key = await createExternalKey(kms);
      const first = await importMaterial(kms, key.KeyId!, material);
      const encrypted = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('before delete') }));

      const deleted = await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
      expect(deleted).toMatchObject({ KeyId: key.Arn, KeyMaterialId: first.KeyMaterialId });
      const afterDelete = await describeKey(kms, key.KeyId!);
      expect(afterDelete).toMatchObject({ KeyState: 'PendingImport', Enabled: false, CurrentKeyMaterialId: first.KeyMaterialId });
      expect(afterDelete.ExpirationModel).toBeUndefined();
      await expect(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }))).rejects.toMatchObject({
        name: 'KMSInvalidStateException',
        message: `${key.Arn} is pending import.`,
      });

      await expect(importMaterial(kms, key.KeyId!, randomBytes(32))).rejects.toMatchObject({ name: 'IncorrectKeyMaterialException' });
      const again = await importMaterial(kms, key.KeyId!, material, { wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256', wrappingKeySpec: 'RSA_3072' });
      expect(again.KeyMaterialId).toBe(first.KeyMaterialId);
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('Enabled');
      const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }));
      expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('before delete');
    });

    it('a reimport can change the expiration both ways without deleting first', async () => {
      const material = randomBytes(32);
      const key = await createExternalKey(kms);
      await importMaterial(kms, key.KeyId!, material);
      expect((await describeKey(kms, key.KeyId!)).ExpirationModel).toBe('KEY_MATERIAL_DOES_NOT_EXPIRE');

      const validTo = new Date(Date.now() + 3600 * 1000);
      await importMaterial(kms, key.KeyId!, material, { import: { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: validTo } });
      const expiring = await describeKey(kms, key.KeyId!);
      expect(expiring.ExpirationModel).toBe('KEY_MATERIAL_EXPIRES');
      expect(Math.abs(expiring.ValidTo!.getTime() - validTo.getTime())).toBeLessThan(1000);

      await importMaterial(kms, key.KeyId!, material, { import: { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' } });
      const permanent = await describeKey(kms, key.KeyId!);
      expect(permanent.ExpirationModel).toBe('KEY_MATERIAL_DOES_NOT_EXPIRE');
      expect(permanent.ValidTo).toBeUndefined();
    });

    it('NEW_KEY_MATERIAL with different material waits as pending rotation; the current material stays in use', async () => {
      const key = await createExternalKey(kms);
      const first = await importMaterial(kms, key.KeyId!, randomBytes(32));
      const second = await importMaterial(kms, key.KeyId!, randomBytes(32), { import: { ImportType: 'NEW_KEY_MATERIAL' } });
      expect(second.KeyMaterialId).not.toBe(first.KeyMaterialId);
      const described = await describeKey(kms, key.KeyId!);
      expect(described).toMatchObject({ KeyState: 'Enabled', CurrentKeyMaterialId: first.KeyMaterialId });
      const encrypted = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') }));
      const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }));
      expect(decrypted.KeyMaterialId).toBe(first.KeyMaterialId);
    });
  });

  const cases: Array<{ keySpec: string; keyUsage: 'SIGN_VERIFY' | 'GENERATE_VERIFY_MAC' | 'ENCRYPT_DECRYPT' | 'KEY_AGREEMENT'; algorithm: ClientWrappingAlgorithm; wrappingKeySpec: 'RSA_2048' | 'RSA_3072' | 'RSA_4096'; list: string; expected: string[] }> = [
    { keySpec: 'HMAC_224', keyUsage: 'GENERATE_VERIFY_MAC', algorithm: 'RSAES_OAEP_SHA_1', wrappingKeySpec: 'RSA_2048', list: 'MacAlgorithms', expected: ['HMAC_SHA_224'] },
    { keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC', algorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_3072', list: 'MacAlgorithms', expected: ['HMAC_SHA_256'] },
    { keySpec: 'HMAC_384', keyUsage: 'GENERATE_VERIFY_MAC', algorithm: 'RSA_AES_KEY_WRAP_SHA_256', wrappingKeySpec: 'RSA_2048', list: 'MacAlgorithms', expected: ['HMAC_SHA_384'] },
    { keySpec: 'HMAC_512', keyUsage: 'GENERATE_VERIFY_MAC', algorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048', list: 'MacAlgorithms', expected: ['HMAC_SHA_512'] },
    { keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY', algorithm: 'RSA_AES_KEY_WRAP_SHA_256', wrappingKeySpec: 'RSA_4096', list: 'SigningAlgorithms', expected: ['RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512', 'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512'] },
    { keySpec: 'RSA_3072', keyUsage: 'ENCRYPT_DECRYPT', algorithm: 'RSA_AES_KEY_WRAP_SHA_1', wrappingKeySpec: 'RSA_2048', list: 'EncryptionAlgorithms', expected: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] },
    { keySpec: 'RSA_4096', keyUsage: 'SIGN_VERIFY', algorithm: 'RSA_AES_KEY_WRAP_SHA_256', wrappingKeySpec: 'RSA_2048', list: 'SigningAlgorithms', expected: ['RSASSA_PKCS1_V1_5_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_384', 'RSASSA_PKCS1_V1_5_SHA_512', 'RSASSA_PSS_SHA_256', 'RSASSA_PSS_SHA_384', 'RSASSA_PSS_SHA_512'] },
    { keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY', algorithm: 'RSA_AES_KEY_WRAP_SHA_1', wrappingKeySpec: 'RSA_2048', list: 'SigningAlgorithms', expected: ['ECDSA_SHA_256'] },
    { keySpec: 'ECC_NIST_P384', keyUsage: 'SIGN_VERIFY', algorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048', list: 'SigningAlgorithms', expected: ['ECDSA_SHA_384'] },
    { keySpec: 'ECC_NIST_P521', keyUsage: 'SIGN_VERIFY', algorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_3072', list: 'SigningAlgorithms', expected: ['ECDSA_SHA_512'] },
    { keySpec: 'ECC_NIST_P256', keyUsage: 'KEY_AGREEMENT', algorithm: 'RSA_AES_KEY_WRAP_SHA_256', wrappingKeySpec: 'RSA_2048', list: 'KeyAgreementAlgorithms', expected: ['ECDH'] },
    { keySpec: 'ECC_SECG_P256K1', keyUsage: 'SIGN_VERIFY', algorithm: 'RSAES_OAEP_SHA_1', wrappingKeySpec: 'RSA_2048', list: 'SigningAlgorithms', expected: ['ECDSA_SHA_256'] },
  ];

  it.each(cases)('$keySpec ($keyUsage) imports through $algorithm with $wrappingKeySpec; delete and same-material reimport', async (c) => {
    const key = await createExternalKey(kms, { KeySpec: c.keySpec as never, KeyUsage: c.keyUsage });
    expect(key).toMatchObject({ KeyState: 'PendingImport', KeySpec: c.keySpec, KeyUsage: c.keyUsage, [c.list]: c.expected });
    const material = materialFor(c.keySpec);
    const options = { wrappingAlgorithm: c.algorithm, wrappingKeySpec: c.wrappingKeySpec };
    await importMaterial(kms, key.KeyId!, material, options);
    const enabled = await describeKey(kms, key.KeyId!);
    expect(enabled).toMatchObject({ KeyState: 'Enabled', Enabled: true, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    // AWS never shows CurrentKeyMaterialId for imported HMAC and asymmetric keys.
    expect(enabled.CurrentKeyMaterialId).toBeUndefined();

    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
    expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingImport');
    await expect(importMaterial(kms, key.KeyId!, materialFor(c.keySpec), options)).rejects.toMatchObject({ name: 'IncorrectKeyMaterialException' });
    await importMaterial(kms, key.KeyId!, material, options);
    expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('Enabled');
  });

  it('AWS_KMS keys encrypt with generated material and cannot be imported into', async () => {
    const { KeyMetadata } = await kms.send(new (await import('@aws-sdk/client-kms')).CreateKeyCommand({}));
    expect(KeyMetadata).toMatchObject({ Origin: 'AWS_KMS', KeyState: 'Enabled', Enabled: true });
    expect(KeyMetadata!.CurrentKeyMaterialId).toMatch(/^[a-f0-9]{64}$/);
    expect(KeyMetadata!.ExpirationModel).toBeUndefined();
    const encrypted = await kms.send(new EncryptCommand({ KeyId: KeyMetadata!.Arn, Plaintext: Buffer.from('generated') }));
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: KeyMetadata!.KeyId }));
    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('generated');
  });
});
