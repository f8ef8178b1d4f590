import { AwsBlob, AwsBoolean, AwsEnum, AwsString, AwsStringList, AwsStringMap, Optional, Required } from '../aws-validation';

const ENCRYPTION_ALGORITHMS = ['SYMMETRIC_DEFAULT', 'RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256', 'SM2PKE'];

export class EncryptRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
  @Required() @AwsBlob(1, 4096) Plaintext: string;
  @Optional() @AwsStringMap() EncryptionContext?: Record<string, string>;
  @Optional() @AwsStringList() GrantTokens?: string[];
  @Optional() @AwsEnum(ENCRYPTION_ALGORITHMS) EncryptionAlgorithm?: string;
  @Optional() @AwsBoolean() DryRun?: boolean;
}

export class DecryptRequest {
  @Required() @AwsBlob(1, 6144) CiphertextBlob: string;
  @Optional() @AwsStringMap() EncryptionContext?: Record<string, string>;
  @Optional() @AwsStringList() GrantTokens?: string[];
  @Optional() @AwsString(1, 2048) KeyId?: string;
  @Optional() @AwsEnum(ENCRYPTION_ALGORITHMS) EncryptionAlgorithm?: string;
  @Optional() @AwsBoolean() DryRun?: boolean;
}
