import { KEY_SPECS, KEY_USAGES, ORIGINS, UNSUPPORTED_KEY_SPECS } from '@keyledger/domain';
import { AwsBoolean, AwsEnum, AwsGrantTokens, AwsInteger, AwsPattern, AwsString, AwsTagList, Optional, Required } from '../aws-validation';

/** Every KeySpec AWS knows; the ones this service cannot create are refused by the decider with a clear error. */
const ALL_KEY_SPECS = [...KEY_SPECS, ...UNSUPPORTED_KEY_SPECS];

export class CreateKeyRequest {
  @Optional() @AwsString(1, 1_000_000) @AwsPattern(/^[\u0009\u000A\u000D\u0020-\u00FF]+$/) Policy?: string;
  @Optional() @AwsString(0, 8192) Description?: string;
  @Optional() @AwsEnum(KEY_USAGES) KeyUsage?: string;
  @Optional() @AwsEnum(ALL_KEY_SPECS) CustomerMasterKeySpec?: string;
  @Optional() @AwsEnum(ALL_KEY_SPECS) KeySpec?: string;
  @Optional() @AwsEnum(ORIGINS) Origin?: string;
  @Optional() @AwsString(1, 64) CustomKeyStoreId?: string;
  @Optional() @AwsBoolean() BypassPolicyLockoutSafetyCheck?: boolean;
  @Optional() @AwsTagList() Tags?: Array<{ TagKey: string; TagValue: string }>;
  @Optional() @AwsBoolean() MultiRegion?: boolean;
  @Optional() @AwsString(1, 128) XksKeyId?: string;
}

export class DescribeKeyRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
  @Optional() @AwsGrantTokens() GrantTokens?: string[];
}

export class ListKeysRequest {
  @Optional() @AwsInteger(1, 1000) Limit?: number;
  @Optional() @AwsString(1, 1024) @AwsPattern(/^[\u0020-\u00FF]*$/) Marker?: string;
}
