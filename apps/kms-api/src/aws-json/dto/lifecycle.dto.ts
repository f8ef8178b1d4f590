import { AwsEnum, AwsInteger, AwsPattern, AwsString, AwsStringList, AwsTagList, AwsBoolean, Optional, Required } from '../aws-validation';

/** Lifecycle, tag, policy and rotation requests (kms-operations-reference.md §7, §10, §11, §13). */
export class KeyIdRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
}

export class UpdateKeyDescriptionRequest extends KeyIdRequest {
  @Required() @AwsString(0, 8192) Description: string;
}

export class ScheduleKeyDeletionRequest extends KeyIdRequest {
  /** The model's range; the service then enforces 7..30. */
  @Optional() @AwsInteger(1, 365) PendingWindowInDays?: number;
}

export class TagResourceRequest extends KeyIdRequest {
  @Required() @AwsTagList() Tags: Array<{ TagKey: string; TagValue: string }>;
}

export class UntagResourceRequest extends KeyIdRequest {
  @Required() @AwsStringList() TagKeys: string[];
}

const MARKER = /^[\u0020-\u00FF]*$/;

export class ListResourceTagsRequest extends KeyIdRequest {
  @Optional() @AwsInteger(1, 1000) Limit?: number;
  @Optional() @AwsString(1, 1024) @AwsPattern(MARKER) Marker?: string;
}

const POLICY_NAME = /^[\w]+$/;
/** Policy characters the model allows (tab, newline, carriage return and U+0020..U+00FF); length is the domain's (LimitExceededException). */
const POLICY_TEXT = /^[\u0009\u000A\u000D\u0020-\u00FF]+$/;

export class GetKeyPolicyRequest extends KeyIdRequest {
  @Optional() @AwsString(1, 128) @AwsPattern(POLICY_NAME) PolicyName?: string;
}

export class PutKeyPolicyRequest extends KeyIdRequest {
  @Optional() @AwsString(1, 128) @AwsPattern(POLICY_NAME) PolicyName?: string;
  @Required() @AwsString(1, 1_000_000) @AwsPattern(POLICY_TEXT) Policy: string;
  @Optional() @AwsBoolean() BypassPolicyLockoutSafetyCheck?: boolean;
}

export class ListKeyPoliciesRequest extends KeyIdRequest {
  @Optional() @AwsInteger(1, 1000) Limit?: number;
  @Optional() @AwsString(1, 1024) @AwsPattern(MARKER) Marker?: string;
}

export class EnableKeyRotationRequest extends KeyIdRequest {
  @Optional() @AwsInteger(90, 2560) RotationPeriodInDays?: number;
}

export class ListKeyRotationsRequest extends KeyIdRequest {
  @Optional() @AwsEnum(['ALL_KEY_MATERIAL', 'ROTATIONS_ONLY']) IncludeKeyMaterial?: 'ALL_KEY_MATERIAL' | 'ROTATIONS_ONLY';
  @Optional() @AwsInteger(1, 1000) Limit?: number;
  @Optional() @AwsString(1, 1024) @AwsPattern(MARKER) Marker?: string;
}

/** Alias names are checked by the domain (prefix, pattern, reserved names) with AWS's messages. */
export class AliasRequest {
  @Required() @AwsString(1, 2048) AliasName: string;
}

export class CreateAliasRequest extends AliasRequest {
  @Required() @AwsString(1, 2048) TargetKeyId: string;
}

export class UpdateAliasRequest extends CreateAliasRequest {}

export class ListAliasesRequest {
  @Optional() @AwsString(1, 2048) KeyId?: string;
  @Optional() @AwsInteger(1, 1000) Limit?: number;
  @Optional() @AwsString(1, 1024) @AwsPattern(MARKER) Marker?: string;
}
