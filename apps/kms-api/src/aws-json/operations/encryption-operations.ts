import {
  Decrypt,
  DecryptResult,
  Encrypt,
  EncryptResult,
  GenerateDataKey,
  GenerateDataKeyPair,
  GeneratedDataKey,
  GeneratedDataKeyPair,
  GenerateRandom,
  ReEncrypt,
  ReEncrypted,
} from '@keyledger/application';
import { KmsError, KmsErrors } from '@keyledger/domain';
import {
  DecryptRequest,
  EncryptRequest,
  GenerateDataKeyPairRequest,
  GenerateDataKeyRequest,
  GenerateRandomRequest,
  ReEncryptRequest,
} from '../dto/crypto.dto';
import { compact, fromBlob, toBlob } from '../wire';
import { ignoresCiphertext } from '../aws-validation';
import { Operation, operation, refuseRecipient } from './operation';

const dataKey = (withoutPlaintext: boolean): Operation =>
  operation(GenerateDataKeyRequest, async (req, ctx, { queries }) => {
    if (!withoutPlaintext) refuseRecipient(req);
    const key: GeneratedDataKey = await queries.execute(
      new GenerateDataKey(ctx, {
        keyId: req.KeyId,
        keySpec: req.KeySpec,
        numberOfBytes: req.NumberOfBytes,
        encryptionContext: req.EncryptionContext ?? {},
        withoutPlaintext,
        dryRun: req.DryRun,
      }),
    );
    return compact({
      CiphertextBlob: toBlob(key.ciphertext),
      Plaintext: key.plaintext && toBlob(key.plaintext),
      KeyId: key.keyArn,
      KeyMaterialId: key.keyMaterialId,
    });
  });

const dataKeyPair = (withoutPlaintext: boolean): Operation =>
  operation(GenerateDataKeyPairRequest, async (req, ctx, { queries }) => {
    if (!withoutPlaintext) refuseRecipient(req);
    const pair: GeneratedDataKeyPair = await queries.execute(
      new GenerateDataKeyPair(ctx, {
        keyId: req.KeyId,
        keyPairSpec: req.KeyPairSpec,
        encryptionContext: req.EncryptionContext ?? {},
        withoutPlaintext,
        dryRun: req.DryRun,
      }),
    );
    return compact({
      PrivateKeyCiphertextBlob: toBlob(pair.privateKeyCiphertext),
      PrivateKeyPlaintext: pair.privateKeyPlaintext && toBlob(pair.privateKeyPlaintext),
      PublicKey: toBlob(pair.publicKey),
      KeyId: pair.keyArn,
      KeyPairSpec: pair.keyPairSpec,
      KeyMaterialId: pair.keyMaterialId,
    });
  });

export const ENCRYPTION_OPERATIONS: Record<string, Operation> = {
  Encrypt: operation(EncryptRequest, async (req, ctx, { queries }) => {
    const result: EncryptResult = await queries.execute(
      new Encrypt(ctx, {
        keyId: req.KeyId,
        plaintext: fromBlob(req.Plaintext),
        encryptionContext: req.EncryptionContext ?? {},
        encryptionAlgorithm: req.EncryptionAlgorithm,
        dryRun: req.DryRun,
      }),
    );
    // Encrypt's response has no KeyMaterialId (kms-operations-reference.md §6).
    return { CiphertextBlob: toBlob(result.ciphertext), KeyId: result.keyArn, EncryptionAlgorithm: result.encryptionAlgorithm };
  }),

  Decrypt: operation(DecryptRequest, async (req, ctx, { queries }) => {
    refuseRecipient(req);
    const result: DecryptResult = await queries.execute(
      new Decrypt(ctx, {
        ciphertext: ignoresCiphertext(req) ? undefined : fromBlob(req.CiphertextBlob!),
        keyId: req.KeyId,
        encryptionContext: req.EncryptionContext ?? {},
        encryptionAlgorithm: req.EncryptionAlgorithm,
        dryRun: req.DryRun,
      }),
    );
    return compact({
      KeyId: result.keyArn,
      Plaintext: toBlob(result.plaintext),
      EncryptionAlgorithm: result.encryptionAlgorithm,
      KeyMaterialId: result.keyMaterialId,
    });
  }),

  ReEncrypt: operation(ReEncryptRequest, async (req, ctx, { queries }) => {
    const result: ReEncrypted = await queries.execute(
      new ReEncrypt(ctx, {
        ciphertext: ignoresCiphertext(req) ? undefined : fromBlob(req.CiphertextBlob!),
        sourceKeyId: req.SourceKeyId,
        sourceEncryptionContext: req.SourceEncryptionContext ?? {},
        sourceEncryptionAlgorithm: req.SourceEncryptionAlgorithm,
        destinationKeyId: req.DestinationKeyId,
        destinationEncryptionContext: req.DestinationEncryptionContext ?? {},
        destinationEncryptionAlgorithm: req.DestinationEncryptionAlgorithm,
        dryRun: req.DryRun,
      }),
    );
    return compact({
      CiphertextBlob: toBlob(result.ciphertext),
      SourceKeyId: result.sourceKeyArn,
      KeyId: result.destinationKeyArn,
      SourceEncryptionAlgorithm: result.sourceEncryptionAlgorithm,
      DestinationEncryptionAlgorithm: result.destinationEncryptionAlgorithm,
      SourceKeyMaterialId: result.sourceKeyMaterialId,
      DestinationKeyMaterialId: result.destinationKeyMaterialId,
    });
  }),

  GenerateDataKey: dataKey(false),
  GenerateDataKeyWithoutPlaintext: dataKey(true),
  GenerateDataKeyPair: dataKeyPair(false),
  GenerateDataKeyPairWithoutPlaintext: dataKeyPair(true),

  GenerateRandom: operation(GenerateRandomRequest, async (req, _ctx, { queries }) => {
    refuseRecipient(req);
    if (req.CustomKeyStoreId !== undefined) {
      throw new KmsError('CustomKeyStoreNotFoundException', `Custom key store ${req.CustomKeyStoreId} does not exist: this service has no custom key stores.`);
    }
    if (req.NumberOfBytes === undefined) throw KmsErrors.validation('NumberOfBytes is required.');
    const bytes: Buffer = await queries.execute(new GenerateRandom(req.NumberOfBytes));
    return { Plaintext: toBlob(bytes) };
  }),
};
