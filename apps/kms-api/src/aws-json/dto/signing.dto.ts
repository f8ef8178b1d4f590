import { KEY_AGREEMENT_ALGORITHMS, MAC_ALGORITHMS, MESSAGE_TYPES, SIGNING_ALGORITHMS } from '@keyledger/domain';
import { AwsBlob, AwsBoolean, AwsEnum, AwsGrantTokens, AwsString, AwsStructure, Optional, Required } from '../aws-validation';

export class SignRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
  @Required() @AwsBlob(1, 4096) Message: string;
  @Optional() @AwsEnum(MESSAGE_TYPES) MessageType?: string;
  @Optional() @AwsGrantTokens() GrantTokens?: string[];
  @Required() @AwsEnum(SIGNING_ALGORITHMS) SigningAlgorithm: string;
  @Optional() @AwsBoolean() DryRun?: boolean;
}

export class VerifyRequest extends SignRequest {
  @Required() @AwsBlob(1, 6144) Signature: string;
}

export class GenerateMacRequest {
  @Required() @AwsBlob(1, 4096) Message: string;
  @Required() @AwsString(1, 2048) KeyId: string;
  @Required() @AwsEnum(MAC_ALGORITHMS) MacAlgorithm: string;
  @Optional() @AwsGrantTokens() GrantTokens?: string[];
  @Optional() @AwsBoolean() DryRun?: boolean;
}

export class VerifyMacRequest extends GenerateMacRequest {
  @Required() @AwsBlob(1, 6144) Mac: string;
}

export class GetPublicKeyRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
  @Optional() @AwsGrantTokens() GrantTokens?: string[];
}

export class DeriveSharedSecretRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
  @Required() @AwsEnum(KEY_AGREEMENT_ALGORITHMS) KeyAgreementAlgorithm: string;
  @Required() @AwsBlob(1, 8192) PublicKey: string;
  @Optional() @AwsGrantTokens() GrantTokens?: string[];
  @Optional() @AwsStructure() Recipient?: object;
  @Optional() @AwsBoolean() DryRun?: boolean;
}

export class GetKeyLastUsageRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
}
