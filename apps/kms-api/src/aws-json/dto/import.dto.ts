import { EXPIRATION_MODELS, IMPORT_TYPES, WRAPPING_ALGORITHMS, WRAPPING_KEY_SPECS } from '@keyledger/domain';
import { AwsBlob, AwsEnum, AwsPattern, AwsString, AwsTimestamp, Optional, Required } from '../aws-validation';

export class GetParametersForImportRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
  @Required() @AwsEnum(WRAPPING_ALGORITHMS) WrappingAlgorithm: string;
  @Required() @AwsEnum(WRAPPING_KEY_SPECS) WrappingKeySpec: string;
}

export class ImportKeyMaterialRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
  @Required() @AwsBlob(1, 6144) ImportToken: string;
  @Required() @AwsBlob(1, 6144) EncryptedKeyMaterial: string;
  @Optional() @AwsTimestamp() ValidTo?: number;
  @Optional() @AwsEnum(EXPIRATION_MODELS) ExpirationModel?: 'KEY_MATERIAL_EXPIRES' | 'KEY_MATERIAL_DOES_NOT_EXPIRE';
  @Optional() @AwsEnum(IMPORT_TYPES) ImportType?: 'NEW_KEY_MATERIAL' | 'EXISTING_KEY_MATERIAL';
  @Optional() @AwsString(0, 256) @AwsPattern(/^[a-zA-Z0-9:/_\s.-]+$/) KeyMaterialDescription?: string;
  @Optional() @AwsString(64, 64) @AwsPattern(/^[a-f0-9]+$/) KeyMaterialId?: string;
}

export class DeleteImportedKeyMaterialRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
  @Optional() @AwsString(64, 64) @AwsPattern(/^[a-f0-9]+$/) KeyMaterialId?: string;
}
