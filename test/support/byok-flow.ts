import {
  CreateKeyCommand,
  CreateKeyCommandInput,
  GetParametersForImportCommand,
  ImportKeyMaterialCommand,
  ImportKeyMaterialCommandInput,
  KMSClient,
} from '@aws-sdk/client-kms';
import { ClientWrappingAlgorithm, wrapForImport } from './client-wrapping';

export async function createExternalKey(kms: KMSClient, input: Partial<CreateKeyCommandInput> = {}) {
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL', ...input }));
  return KeyMetadata!;
}

export async function getImportParameters(
  kms: KMSClient,
  keyId: string,
  wrappingAlgorithm: ClientWrappingAlgorithm = 'RSAES_OAEP_SHA_256',
  wrappingKeySpec: 'RSA_2048' | 'RSA_3072' | 'RSA_4096' = 'RSA_2048',
) {
  return kms.send(new GetParametersForImportCommand({ KeyId: keyId, WrappingAlgorithm: wrappingAlgorithm, WrappingKeySpec: wrappingKeySpec }));
}

/** GetParametersForImport, wrap locally, ImportKeyMaterial: the whole BYOK round. */
export async function importMaterial(
  kms: KMSClient,
  keyId: string,
  material: Buffer,
  options: {
    wrappingAlgorithm?: ClientWrappingAlgorithm;
    wrappingKeySpec?: 'RSA_2048' | 'RSA_3072' | 'RSA_4096';
    import?: Partial<ImportKeyMaterialCommandInput>;
  } = {},
) {
  const algorithm = options.wrappingAlgorithm ?? 'RSAES_OAEP_SHA_256';
  const params = await getImportParameters(kms, keyId, algorithm, options.wrappingKeySpec ?? 'RSA_2048');
  return kms.send(
    new ImportKeyMaterialCommand({
      KeyId: keyId,
      ImportToken: params.ImportToken,
      EncryptedKeyMaterial: wrapForImport(algorithm, params.PublicKey!, material),
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      ...options.import,
    }),
  );
}
