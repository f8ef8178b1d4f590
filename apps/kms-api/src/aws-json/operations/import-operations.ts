import { DeleteImportedKeyMaterial, GetParametersForImport, ImportKeyMaterial, ImportParameters } from '@keyledger/application';
import { DeleteImportedKeyMaterialRequest, GetParametersForImportRequest, ImportKeyMaterialRequest } from '../dto/import.dto';
import { compact, fromBlob, fromTimestamp, toBlob, toTimestamp } from '../wire';
import { Operation, operation } from './operation';

export const IMPORT_OPERATIONS: Record<string, Operation> = {
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
};
