import { randomBytes } from 'node:crypto';
import {
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  EncryptCommand,
  ImportKeyMaterialCommand,
  ImportKeyMaterialCommandInput,
  KMSClient,
} from '@aws-sdk/client-kms';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { ClientWrappingAlgorithm, materialFor } from '../support/client-wrapping';
import { describeKey, expectKmsError, expectNoChange, literal, wrapped } from '../support/kms-error-assertions';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';

/**
 * ImportKeyMaterial refusals about the material itself (IncorrectKeyMaterialException), the same-material rule,
 * one pending rotation at a time, symmetric-only members, and key state (kms-api-reference.md §6.1, §7, §8, §10).
 */
describe('import errors: key material (AWS SDK)', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  const noExpiry = { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' } as const;

  /** Fresh parameters, local wrap, ImportKeyMaterial with the given extra members. */
  async function importInto(keyId: string, material: Buffer, extra: Partial<ImportKeyMaterialCommandInput> = {}, algorithm?: ClientWrappingAlgorithm) {
    const { ImportToken, EncryptedKeyMaterial } = await wrapped(kms, keyId, material, algorithm);
    return kms.send(new ImportKeyMaterialCommand({ KeyId: keyId, ImportToken, EncryptedKeyMaterial, ...noExpiry, ...extra }));
  }

  /** Imports are refused with IncorrectKeyMaterialException and leave the key as it was. */
  async function refusedMaterial(keyId: string, material: Buffer, message: string, extra: Partial<ImportKeyMaterialCommandInput> = {}, algorithm?: ClientWrappingAlgorithm) {
    const { ImportToken, EncryptedKeyMaterial } = await wrapped(kms, keyId, material, algorithm);
    await expectNoChange(kl, kms, keyId, () =>
      expectKmsError(
        kms.send(new ImportKeyMaterialCommand({ KeyId: keyId, ImportToken, EncryptedKeyMaterial, ...noExpiry, ...extra })),
        'IncorrectKeyMaterialException',
        message,
      ),
    );
  }

  async function roundTrip(keyId: string, text = 'round trip') {
    const enc = await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(text) }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext!).toString()).toBe(text);
    return enc.CiphertextBlob!;
  }

  beforeAll(async () => {
    kl = await startKeyledger();
    kms = kl.client();
  });
  afterAll(() => kl.destroy());

  describe('material that does not fit the key spec', () => {
    it('16-byte material for SYMMETRIC_DEFAULT', async () => {
      const key = await createExternalKey(kms);
      await refusedMaterial(key.KeyId!, randomBytes(16), 'SYMMETRIC_DEFAULT key material must be 32 bytes, got 16.');
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingImport');
    });

    it('32-byte material for HMAC_384 (48 bytes is accepted)', async () => {
      const key = await createExternalKey(kms, { KeySpec: 'HMAC_384', KeyUsage: 'GENERATE_VERIFY_MAC' });
      await refusedMaterial(key.KeyId!, randomBytes(32), 'HMAC_384 key material must be 48 bytes, got 32.');
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingImport');
      await importInto(key.KeyId!, randomBytes(48));
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('Enabled');
    });

    it('an RSA_3072 private key for an RSA_2048 key', async () => {
      const key = await createExternalKey(kms, { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
      await refusedMaterial(key.KeyId!, materialFor('RSA_3072'), 'RSA_2048 key material must be a 2048-bit RSA key, got 3072-bit.', {}, 'RSA_AES_KEY_WRAP_SHA_256');
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingImport');
    });

    it('a P-384 private key for an ECC_NIST_P256 key', async () => {
      const key = await createExternalKey(kms, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
      await refusedMaterial(key.KeyId!, materialFor('ECC_NIST_P384'), 'ECC_NIST_P256 key material must be an EC key on curve prime256v1.', {}, 'RSA_AES_KEY_WRAP_SHA_256');
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingImport');
      await importInto(key.KeyId!, materialFor('ECC_NIST_P256'), {}, 'RSA_AES_KEY_WRAP_SHA_256');
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('Enabled');
    });
  });

  describe('the same-material rule', () => {
    it('refuses different material on re-import, also after DeleteImportedKeyMaterial, where only the same material comes back', async () => {
      const key = await createExternalKey(kms);
      const material = randomBytes(32);
      const first = await importInto(key.KeyId!, material);
      const ciphertext = await roundTrip(key.KeyId!);
      const notPrevious = `The key material is not the key material previously imported into ${key.Arn}. Reimport the same key material.`;

      await refusedMaterial(key.KeyId!, randomBytes(32), notPrevious);
      await roundTrip(key.KeyId!);

      const deleted = await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
      expect(deleted).toMatchObject({ KeyId: key.Arn, KeyMaterialId: first.KeyMaterialId });
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingImport');
      await refusedMaterial(key.KeyId!, randomBytes(32), notPrevious);
      await refusedMaterial(key.KeyId!, randomBytes(32), notPrevious, { ImportType: 'EXISTING_KEY_MATERIAL' });
      await refusedMaterial(key.KeyId!, material, `This key material was already imported into ${key.Arn}; reimport it with ImportType EXISTING_KEY_MATERIAL.`, {
        ImportType: 'NEW_KEY_MATERIAL',
      });
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingImport');

      const again = await importInto(key.KeyId!, material);
      expect(again.KeyMaterialId).toBe(first.KeyMaterialId);
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('Enabled');
      const dec = await kms.send(new DecryptCommand({ CiphertextBlob: ciphertext }));
      expect(Buffer.from(dec.Plaintext!).toString()).toBe('round trip');
    });

    it('refuses NEW_KEY_MATERIAL with the material already imported', async () => {
      const key = await createExternalKey(kms);
      const material = randomBytes(32);
      await importInto(key.KeyId!, material);
      await refusedMaterial(key.KeyId!, material, `This key material was already imported into ${key.Arn}; reimport it with ImportType EXISTING_KEY_MATERIAL.`, {
        ImportType: 'NEW_KEY_MATERIAL',
      });
      await roundTrip(key.KeyId!);
    });

    it('refuses EXISTING_KEY_MATERIAL on a key that never had material', async () => {
      const key = await createExternalKey(kms);
      await refusedMaterial(key.KeyId!, randomBytes(32), `No key material has been imported into ${key.Arn} yet; import it with ImportType NEW_KEY_MATERIAL.`, {
        ImportType: 'EXISTING_KEY_MATERIAL',
      });
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingImport');
    });

    it('refuses a KeyMaterialId that does not match the material; the matching id is accepted', async () => {
      const key = await createExternalKey(kms);
      const material = randomBytes(32);
      const { KeyMaterialId } = await importInto(key.KeyId!, material);
      expect(KeyMaterialId).toMatch(/^[0-9a-f]{64}$/);
      const wrongId = (KeyMaterialId![0] === 'a' ? 'b' : 'a') + KeyMaterialId!.slice(1);
      await refusedMaterial(key.KeyId!, material, `The key material does not match KeyMaterialId ${wrongId}.`, {
        ImportType: 'EXISTING_KEY_MATERIAL',
        KeyMaterialId: wrongId,
      });
      await refusedMaterial(key.KeyId!, randomBytes(32), `The key material does not match KeyMaterialId ${KeyMaterialId}.`, { KeyMaterialId });
      const reimported = await importInto(key.KeyId!, material, { ImportType: 'EXISTING_KEY_MATERIAL', KeyMaterialId });
      expect(reimported.KeyMaterialId).toBe(KeyMaterialId);
      await roundTrip(key.KeyId!);
    });
  });

  describe('DeleteImportedKeyMaterial', () => {
    it('an unknown KeyMaterialId is NotFound and deletes nothing', async () => {
      const key = await createExternalKey(kms);
      const { KeyMaterialId } = await importInto(key.KeyId!, randomBytes(32));
      const unknown = 'c'.repeat(64);
      expect(unknown).not.toBe(KeyMaterialId);
      await expectNoChange(kl, kms, key.KeyId!, () =>
        expectKmsError(
          kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId, KeyMaterialId: unknown })),
          'NotFoundException',
          `Key material '${unknown}' is not associated with ${key.Arn}.`,
        ),
      );
      await roundTrip(key.KeyId!);
    });

    it('on a key that never had material it succeeds with no effect and records nothing', async () => {
      const key = await createExternalKey(kms);
      await expectNoChange(kl, kms, key.KeyId!, async () => {
        const result = await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
        expect(result.KeyId).toBe(key.Arn);
        expect(result.KeyMaterialId).toBeUndefined();
      });
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingImport');
    });
  });

  describe('key state', () => {
    it('Encrypt on a PendingImport key is refused, before the first import and after DeleteImportedKeyMaterial', async () => {
      const key = await createExternalKey(kms);
      const encrypt = () => kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') }));
      await expectKmsError(encrypt(), 'KMSInvalidStateException', `${key.Arn} is pending import.`);
      await importMaterial(kms, key.KeyId!, randomBytes(32));
      const ciphertext = await roundTrip(key.KeyId!);
      await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
      await expectKmsError(encrypt(), 'KMSInvalidStateException', `${key.Arn} is pending import.`);
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: ciphertext })), 'KMSInvalidStateException', `${key.Arn} is pending import.`);
    });

    it('a second NEW_KEY_MATERIAL while one is pending rotation is refused with the AWS message', async () => {
      const key = await createExternalKey(kms);
      const first = await importInto(key.KeyId!, randomBytes(32));
      const pending = await importInto(key.KeyId!, randomBytes(32), { ImportType: 'NEW_KEY_MATERIAL' });
      expect(pending.KeyMaterialId).toMatch(/^[0-9a-f]{64}$/);
      expect(pending.KeyMaterialId).not.toBe(first.KeyMaterialId);
      const { ImportToken, EncryptedKeyMaterial } = await wrapped(kms, key.KeyId!, randomBytes(32));
      await expectNoChange(kl, kms, key.KeyId!, () =>
        expectKmsError(
          kms.send(new ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken, EncryptedKeyMaterial, ...noExpiry, ImportType: 'NEW_KEY_MATERIAL' })),
          'KMSInvalidStateException',
          new RegExp(
            `^New key material \\(id: [0-9a-f]{64}\\) cannot be imported into KMS key ${literal(key.Arn!)}, ` +
              `because another key material \\(id: ${pending.KeyMaterialId}\\) is pending rotation\\.$`,
          ),
        ),
      );
      expect(await describeKey(kms, key.KeyId!)).toMatchObject({ KeyState: 'Enabled', CurrentKeyMaterialId: first.KeyMaterialId });
      await roundTrip(key.KeyId!);
    });
  });

  it('ImportType, KeyMaterialDescription and KeyMaterialId are refused for an HMAC key', async () => {
    const key = await createExternalKey(kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const material = randomBytes(32);
    const { ImportToken, EncryptedKeyMaterial } = await wrapped(kms, key.KeyId!, material);
    const message = 'ImportType, KeyMaterialId and KeyMaterialDescription are supported only for SYMMETRIC_DEFAULT keys; HMAC_256 keys have exactly one key material.';
    const attempt = (extra: Partial<ImportKeyMaterialCommandInput>) =>
      kms.send(new ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken, EncryptedKeyMaterial, ...noExpiry, ...extra }));
    await expectNoChange(kl, kms, key.KeyId!, async () => {
      await expectKmsError(attempt({ ImportType: 'NEW_KEY_MATERIAL' }), 'ValidationException', message);
      await expectKmsError(attempt({ KeyMaterialDescription: 'first material' }), 'ValidationException', message);
      await expectKmsError(attempt({ KeyMaterialId: 'ab'.repeat(32) }), 'ValidationException', message);
    });
    expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingImport');
    await attempt({});
    expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('Enabled');
  });
});
