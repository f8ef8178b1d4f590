import { CommandBus, QueryBus } from '@nestjs/cqrs';
import {
  CreateKey,
  CreatedKey,
  Decrypt,
  DeleteImportedKeyMaterial,
  DescribeKey,
  Encrypt,
  GetParametersForImport,
  ImportKeyMaterial,
  ImportParameters,
  KeyList,
  ListKeys,
  RequestContext,
} from '@keyledger/application';
import { KeyMetadata } from '@keyledger/domain';
import { validateRequest } from './aws-validation';
import { AwsProtocolError } from './aws-protocol-error';
import { CreateKeyRequest, DescribeKeyRequest, ListKeysRequest } from './dto/key.dto';
import { DeleteImportedKeyMaterialRequest, GetParametersForImportRequest, ImportKeyMaterialRequest } from './dto/import.dto';
import { DecryptRequest, EncryptRequest } from './dto/crypto.dto';
import { compact, fromBlob, fromTimestamp, toBlob, toTimestamp } from './wire';

interface Buses {
  commands: CommandBus;
  queries: QueryBus;
}

type Operation = (body: Record<string, unknown>, ctx: RequestContext, buses: Buses) => Promise<object>;

/** An operation: validate the body into its DTO, then map it to one command or query and shape the answer. */
function operation<T extends object>(dto: new () => T, run: (req: T, ctx: RequestContext, buses: Buses) => Promise<object>): Operation {
  return async (body, ctx, buses) => run(await validateRequest(dto, body), ctx, buses);
}

const dryRunSucceeded = () =>
  new AwsProtocolError('DryRunOperationException', 'The request would have succeeded, but the DryRun option is set.');

/** The TrentService operations Keyledger serves, by X-Amz-Target operation name. */
export const OPERATIONS: Record<string, Operation> = {
  CreateKey: operation(CreateKeyRequest, async (req, ctx, { commands }) => {
    if (req.CustomKeyStoreId !== undefined || req.XksKeyId !== undefined) {
      throw new AwsProtocolError('UnsupportedOperationException', 'Custom key stores are not supported by this service.');
    }
    const { keyMetadata }: CreatedKey = await commands.execute(
      new CreateKey(ctx, {
        description: req.Description,
        keySpec: req.KeySpec ?? req.CustomerMasterKeySpec,
        keyUsage: req.KeyUsage,
        origin: req.Origin,
        multiRegion: req.MultiRegion,
      }),
    );
    return { KeyMetadata: keyMetadata };
  }),

  DescribeKey: operation(DescribeKeyRequest, async (req, ctx, { queries }) => {
    const KeyMetadata: KeyMetadata = await queries.execute(new DescribeKey(ctx, req.KeyId));
    return { KeyMetadata };
  }),

  ListKeys: operation(ListKeysRequest, async (req, ctx, { queries }) => {
    const page: KeyList = await queries.execute(new ListKeys(ctx, req.Limit ?? 100, req.Marker));
    return compact({
      Keys: page.keys.map((k) => ({ KeyId: k.keyId, KeyArn: k.arn })),
      NextMarker: page.nextMarker,
      Truncated: page.nextMarker !== undefined,
    });
  }),

  GetParametersForImport: operation(GetParametersForImportRequest, async (req, ctx, { commands }) => {
    const params: ImportParameters = await commands.execute(
      new GetParametersForImport(ctx, { keyId: req.KeyId, wrappingAlgorithm: req.WrappingAlgorithm, wrappingKeySpec: req.WrappingKeySpec }),
    );
    return {
      KeyId: params.keyArn,
      ImportToken: toBlob(params.importToken),
      PublicKey: toBlob(params.publicKey),
      ParametersValidTo: toTimestamp(params.parametersValidTo),
    };
  }),

  ImportKeyMaterial: operation(ImportKeyMaterialRequest, async (req, ctx, { commands }) => {
    const result: { keyArn: string; keyMaterialId?: string } = await commands.execute(
      new ImportKeyMaterial(ctx, {
        keyId: req.KeyId,
        importToken: fromBlob(req.ImportToken),
        encryptedKeyMaterial: fromBlob(req.EncryptedKeyMaterial),
        validTo: req.ValidTo === undefined ? undefined : fromTimestamp(req.ValidTo),
        expirationModel: req.ExpirationModel,
        importType: req.ImportType,
        keyMaterialDescription: req.KeyMaterialDescription,
        keyMaterialId: req.KeyMaterialId,
      }),
    );
    return compact({ KeyId: result.keyArn, KeyMaterialId: result.keyMaterialId });
  }),

  DeleteImportedKeyMaterial: operation(DeleteImportedKeyMaterialRequest, async (req, ctx, { commands }) => {
    const result: { keyArn: string; keyMaterialId?: string } = await commands.execute(
      new DeleteImportedKeyMaterial(ctx, { keyId: req.KeyId, keyMaterialId: req.KeyMaterialId }),
    );
    return compact({ KeyId: result.keyArn, KeyMaterialId: result.keyMaterialId });
  }),

  Encrypt: operation(EncryptRequest, async (req, ctx, { queries }) => {
    const result = await queries.execute(
      new Encrypt(ctx, {
        keyId: req.KeyId,
        plaintext: fromBlob(req.Plaintext),
        encryptionContext: req.EncryptionContext ?? {},
        encryptionAlgorithm: req.EncryptionAlgorithm,
      }),
    );
    if (req.DryRun) throw dryRunSucceeded();
    return { CiphertextBlob: toBlob(result.ciphertext), KeyId: result.keyArn, EncryptionAlgorithm: result.encryptionAlgorithm };
  }),

  Decrypt: operation(DecryptRequest, async (req, ctx, { queries }) => {
    const result = await queries.execute(
      new Decrypt(ctx, {
        ciphertext: fromBlob(req.CiphertextBlob),
        keyId: req.KeyId,
        encryptionContext: req.EncryptionContext ?? {},
        encryptionAlgorithm: req.EncryptionAlgorithm,
      }),
    );
    if (req.DryRun) throw dryRunSucceeded();
    return {
      KeyId: result.keyArn,
      Plaintext: toBlob(result.plaintext),
      EncryptionAlgorithm: result.encryptionAlgorithm,
      KeyMaterialId: result.keyMaterialId,
    };
  }),
};
