import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import {
  CreateKeyCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  ImportKeyMaterialCommandInput,
  KMSClient,
} from '@aws-sdk/client-kms';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { materialFor, wrapForImport } from '../support/client-wrapping';
import { describeKey, expectKmsError, expectNoChange, wrapped } from '../support/kms-error-assertions';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';

/**
 * ImportKeyMaterial and GetParametersForImport refusals, driven only through the AWS SDK (kms-api-reference.md
 * §2, §5, §7, §14). Every refused mutation is checked to have changed nothing.
 */
describe('import errors (AWS SDK)', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  const DAY = 24 * 60 * 60 * 1000;
  const arnOf = (keyId: string) => `arn:aws:kms:us-east-1:000000000000:key/${keyId}`;
  const noExpiry = { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' } as const;
  const importWith = (input: Partial<ImportKeyMaterialCommandInput> & Pick<ImportKeyMaterialCommandInput, 'KeyId'>) =>
    kms.send(new ImportKeyMaterialCommand({ ImportToken: randomBytes(64), EncryptedKeyMaterial: randomBytes(256), ...input } as ImportKeyMaterialCommandInput));

  beforeAll(async () => {
    kl = await startKeyledger();
    kms = kl.client();
  });
  afterAll(() => kl.destroy());

  describe('key identifiers', () => {
    it('an unknown key id is NotFound with the full ARN, for every import operation and for use', async () => {
      const id = randomUUID();
      const message = `Key '${arnOf(id)}' does not exist`;
      const gpfi = kms.send(new GetParametersForImportCommand({ KeyId: id, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
      await expectKmsError(gpfi, 'NotFoundException', message);
      await expectKmsError(importWith({ KeyId: id, ...noExpiry }), 'NotFoundException', message);
      await expectKmsError(kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: id })), 'NotFoundException', message);
      await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: id })), 'NotFoundException', message);
      await expectKmsError(kms.send(new EncryptCommand({ KeyId: id, Plaintext: Buffer.from('x') })), 'NotFoundException', message);
      // The key ARN form names the same missing key.
      await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: arnOf(id) })), 'NotFoundException', message);
    });

    it('a malformed key id is refused as an invalid keyId', async () => {
      const message = "Invalid keyId 'fake-key-id'";
      const gpfi = kms.send(new GetParametersForImportCommand({ KeyId: 'fake-key-id', WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
      await expectKmsError(gpfi, 'NotFoundException', message);
      await expectKmsError(importWith({ KeyId: 'fake-key-id', ...noExpiry }), 'NotFoundException', message);
      await expectKmsError(kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: 'fake-key-id' })), 'NotFoundException', message);
      await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: 'fake-key-id' })), 'NotFoundException', message);
    });

    it('a key ARN of another region is refused naming that region, even for an existing key', async () => {
      const key = await createExternalKey(kms);
      const foreign = `arn:aws:kms:eu-west-1:000000000000:key/${key.KeyId}`;
      await expectNoChange(kl, kms, key.KeyId!, async () => {
        const gpfi = kms.send(new GetParametersForImportCommand({ KeyId: foreign, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
        await expectKmsError(gpfi, 'NotFoundException', 'Invalid arn eu-west-1');
        await expectKmsError(importWith({ KeyId: foreign, ...noExpiry }), 'NotFoundException', 'Invalid arn eu-west-1');
        await expectKmsError(kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: foreign })), 'NotFoundException', 'Invalid arn eu-west-1');
        await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: foreign })), 'NotFoundException', 'Invalid arn eu-west-1');
      });
    });

    it('import operations do not accept an alias name or alias ARN', async () => {
      for (const alias of ['alias/my-byok-key', 'arn:aws:kms:us-east-1:000000000000:alias/my-byok-key']) {
        const message = `Invalid keyId '${alias}'`;
        const gpfi = kms.send(new GetParametersForImportCommand({ KeyId: alias, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
        await expectKmsError(gpfi, 'NotFoundException', message);
        await expectKmsError(importWith({ KeyId: alias, ...noExpiry }), 'NotFoundException', message);
        await expectKmsError(kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: alias })), 'NotFoundException', message);
      }
    });
  });

  it('import operations on an AWS_KMS key are unsupported and leave the key working', async () => {
    const { KeyMetadata: key } = await kms.send(new CreateKeyCommand({}));
    const message = `${key!.Arn} origin is AWS_KMS which is not valid for this operation.`;
    await expectNoChange(kl, kms, key!.KeyId!, async () => {
      const gpfi = kms.send(new GetParametersForImportCommand({ KeyId: key!.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
      await expectKmsError(gpfi, 'UnsupportedOperationException', message);
      await expectKmsError(importWith({ KeyId: key!.KeyId, ...noExpiry }), 'UnsupportedOperationException', message);
      await expectKmsError(kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key!.Arn })), 'UnsupportedOperationException', message);
    });
    expect((await describeKey(kms, key!.KeyId!)).KeyState).toBe('Enabled');
    const enc = await kms.send(new EncryptCommand({ KeyId: key!.KeyId, Plaintext: Buffer.from('still works') }));
    const dec = await kms.send(new DecryptCommand({ CiphertextBlob: enc.CiphertextBlob }));
    expect(Buffer.from(dec.Plaintext!).toString()).toBe('still works');
  });

  describe('wrapping matrix, refused at GetParametersForImport', () => {
    const gpfi = (KeyId: string, WrappingAlgorithm: string, WrappingKeySpec: string) =>
      kms.send(new GetParametersForImportCommand({ KeyId, WrappingAlgorithm: WrappingAlgorithm as 'SM2PKE', WrappingKeySpec: WrappingKeySpec as 'SM2' }));

    it('refuses RSAES_PKCS1_V1_5, SM2PKE and the SM2 wrapping key spec', async () => {
      const key = await createExternalKey(kms);
      await expectNoChange(kl, kms, key.KeyId!, async () => {
        await expectKmsError(
          gpfi(key.KeyId!, 'RSAES_PKCS1_V1_5', 'RSA_2048'),
          'UnsupportedOperationException',
          'The RSAES_PKCS1_V1_5 wrapping algorithm is no longer supported. Use RSAES_OAEP_SHA_256 or RSA_AES_KEY_WRAP_SHA_256.',
        );
        await expectKmsError(
          gpfi(key.KeyId!, 'SM2PKE', 'SM2'),
          'UnsupportedOperationException',
          'The SM2PKE wrapping algorithm is available only in China Regions and is not supported by this service.',
        );
        await expectKmsError(
          gpfi(key.KeyId!, 'RSAES_OAEP_SHA_256', 'SM2'),
          'UnsupportedOperationException',
          'The SM2 wrapping key spec is available only in China Regions and is not supported by this service.',
        );
      });
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingImport');
    });

    it('refuses RSAES_OAEP_* for RSA private key material', async () => {
      const key = await createExternalKey(kms, { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
      await expectNoChange(kl, kms, key.KeyId!, async () => {
        for (const algorithm of ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1']) {
          await expectKmsError(
            gpfi(key.KeyId!, algorithm, 'RSA_4096'),
            'UnsupportedOperationException',
            `The ${algorithm} wrapping algorithm is not supported for RSA_2048 key material. Supported wrapping algorithms: RSA_AES_KEY_WRAP_SHA_256, RSA_AES_KEY_WRAP_SHA_1.`,
          );
        }
      });
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingImport');
    });

    it('refuses OAEP with RSA_2048 for ECC_NIST_P521 material, and imports it with RSA_3072', async () => {
      const key = await createExternalKey(kms, { KeySpec: 'ECC_NIST_P521', KeyUsage: 'SIGN_VERIFY' });
      await expectNoChange(kl, kms, key.KeyId!, async () => {
        for (const algorithm of ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1']) {
          await expectKmsError(
            gpfi(key.KeyId!, algorithm, 'RSA_2048'),
            'UnsupportedOperationException',
            `The ${algorithm} wrapping algorithm with an RSA_2048 wrapping key is not supported for ECC_NIST_P521 key material. Use RSA_AES_KEY_WRAP_SHA_256 or a larger wrapping key.`,
          );
        }
      });
      const imported = await importMaterial(kms, key.KeyId!, materialFor('ECC_NIST_P521'), { wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_3072' });
      expect(imported.KeyId).toBe(key.Arn);
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('Enabled');
    });
  });

  describe('ExpirationModel and ValidTo', () => {
    it('refuses each bad combination, then accepts the same token and material with a valid ValidTo', async () => {
      const key = await createExternalKey(kms);
      const { ImportToken, EncryptedKeyMaterial } = await wrapped(kms, key.KeyId!, randomBytes(32));
      const base = { KeyId: key.KeyId!, ImportToken, EncryptedKeyMaterial };
      await expectNoChange(kl, kms, key.KeyId!, async () => {
        await expectKmsError(
          kms.send(new ImportKeyMaterialCommand(base)),
          'ValidationException',
          'A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES',
        );
        await expectKmsError(
          kms.send(new ImportKeyMaterialCommand({ ...base, ExpirationModel: 'KEY_MATERIAL_EXPIRES' })),
          'ValidationException',
          'A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES',
        );
        await expectKmsError(
          kms.send(new ImportKeyMaterialCommand({ ...base, ...noExpiry, ValidTo: new Date(kl.clock.now() + DAY) })),
          'ValidationException',
          'A validTo date cannot be set if the ExpirationModel is KEY_MATERIAL_DOES_NOT_EXPIRE',
        );
        await expectKmsError(
          kms.send(new ImportKeyMaterialCommand({ ...base, ValidTo: new Date(kl.clock.now() - 60_000) })),
          'ValidationException',
          'The validTo date must be in the future.',
        );
        await expectKmsError(
          kms.send(new ImportKeyMaterialCommand({ ...base, ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: new Date(kl.clock.now() + 366 * DAY) })),
          'ValidationException',
          'The validTo date must be no more than 365 days in the future.',
        );
      });
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingImport');

      const validTo = new Date(Math.floor((kl.clock.now() + 300 * DAY) / 1000) * 1000);
      await kms.send(new ImportKeyMaterialCommand({ ...base, ValidTo: validTo }));
      const after = await describeKey(kms, key.KeyId!);
      expect(after).toMatchObject({ KeyState: 'Enabled', ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: validTo });
    });
  });

  describe('import tokens', () => {
    const INVALID_TOKEN = 'The import token is invalid or is associated with a different KMS key.';

    it('refuses a token issued for another key, a tampered token and random bytes; the genuine token still works', async () => {
      const key = await createExternalKey(kms);
      const other = await createExternalKey(kms);
      const material = randomBytes(32);
      const own = await wrapped(kms, key.KeyId!, material);
      const foreign = await wrapped(kms, other.KeyId!, material);
      const tampered = Buffer.from(own.ImportToken);
      tampered[Math.floor(tampered.length / 2)] ^= 0x01;

      await expectNoChange(kl, kms, key.KeyId!, async () => {
        const attempt = (ImportToken: Uint8Array, EncryptedKeyMaterial: Uint8Array) =>
          kms.send(new ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken, EncryptedKeyMaterial, ...noExpiry }));
        await expectKmsError(attempt(foreign.ImportToken, foreign.EncryptedKeyMaterial), 'InvalidImportTokenException', INVALID_TOKEN);
        await expectKmsError(attempt(tampered, own.EncryptedKeyMaterial), 'InvalidImportTokenException', INVALID_TOKEN);
        await expectKmsError(attempt(randomBytes(own.ImportToken.length), own.EncryptedKeyMaterial), 'InvalidImportTokenException', INVALID_TOKEN);
        await expectKmsError(attempt(randomBytes(1), own.EncryptedKeyMaterial), 'InvalidImportTokenException', INVALID_TOKEN);
      });
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingImport');
      expect((await describeKey(kms, other.KeyId!)).KeyState).toBe('PendingImport');

      await kms.send(new ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken: own.ImportToken, EncryptedKeyMaterial: own.EncryptedKeyMaterial, ...noExpiry }));
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('Enabled');
    });

    it('a token is accepted just before its 24 hours are up and refused just after', async () => {
      const early = await createExternalKey(kms);
      const earlyImport = await wrapped(kms, early.KeyId!, randomBytes(32));
      kl.clock.advance(DAY - 5_000);
      await kms.send(new ImportKeyMaterialCommand({ KeyId: early.KeyId, ...earlyImport, ...noExpiry }));
      expect((await describeKey(kms, early.KeyId!)).KeyState).toBe('Enabled');

      const late = await createExternalKey(kms);
      const material = randomBytes(32);
      const lateImport = await wrapped(kms, late.KeyId!, material);
      const validTo = lateImport.params.ParametersValidTo!;
      expect(validTo.getTime()).toBeGreaterThanOrEqual(kl.clock.now() + DAY - 60_000);
      kl.clock.advance(DAY + 1_000);
      await expectNoChange(kl, kms, late.KeyId!, () =>
        expectKmsError(
          kms.send(new ImportKeyMaterialCommand({ KeyId: late.KeyId, ImportToken: lateImport.ImportToken, EncryptedKeyMaterial: lateImport.EncryptedKeyMaterial, ...noExpiry })),
          'ExpiredImportTokenException',
          `The import token expired at ${validTo.toISOString()}. Call GetParametersForImport for a new import token and public key.`,
        ),
      );
      expect((await describeKey(kms, late.KeyId!)).KeyState).toBe('PendingImport');
      // A fresh set works for the same material.
      await importMaterial(kms, late.KeyId!, material);
      expect((await describeKey(kms, late.KeyId!)).KeyState).toBe('Enabled');
    });
  });

  describe('wrapped key material that cannot be unwrapped', () => {
    const undecryptable = (algorithm: string) =>
      `The encrypted key material could not be decrypted with the wrapping key and the ${algorithm} algorithm of this import token.`;

    it('refuses material wrapped with a different public key or the wrong OAEP hash; the right wrap then works', async () => {
      const key = await createExternalKey(kms);
      const material = randomBytes(32);
      const { params, ImportToken, EncryptedKeyMaterial } = await wrapped(kms, key.KeyId!, material, 'RSAES_OAEP_SHA_256');
      const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'der', type: 'spki' });
      const attempt = (blob: Uint8Array) => kms.send(new ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken, EncryptedKeyMaterial: blob, ...noExpiry }));

      await expectNoChange(kl, kms, key.KeyId!, async () => {
        await expectKmsError(attempt(wrapForImport('RSAES_OAEP_SHA_256', stranger, material)), 'InvalidCiphertextException', undecryptable('RSAES_OAEP_SHA_256'));
        await expectKmsError(attempt(wrapForImport('RSAES_OAEP_SHA_1', params.PublicKey!, material)), 'InvalidCiphertextException', undecryptable('RSAES_OAEP_SHA_256'));
        await expectKmsError(attempt(randomBytes(256)), 'InvalidCiphertextException', undecryptable('RSAES_OAEP_SHA_256'));
      });
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingImport');
      await attempt(EncryptedKeyMaterial);
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('Enabled');
    });

    it('refuses an RSA_AES_KEY_WRAP blob whose two parts are swapped', async () => {
      const key = await createExternalKey(kms);
      const { ImportToken, EncryptedKeyMaterial } = await wrapped(kms, key.KeyId!, randomBytes(32), 'RSA_AES_KEY_WRAP_SHA_256');
      const rsaPart = EncryptedKeyMaterial.subarray(0, 256);
      const kwpPart = EncryptedKeyMaterial.subarray(256);
      expect(kwpPart.length).toBe(40);
      const attempt = (blob: Uint8Array) => kms.send(new ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken, EncryptedKeyMaterial: blob, ...noExpiry }));
      await expectNoChange(kl, kms, key.KeyId!, () =>
        expectKmsError(attempt(Buffer.concat([kwpPart, rsaPart])), 'InvalidCiphertextException', undecryptable('RSA_AES_KEY_WRAP_SHA_256')),
      );
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingImport');
      await attempt(EncryptedKeyMaterial);
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('Enabled');
    });
  });
});
