import { AwsBlob, AwsBoolean, AwsEnum, AwsString, AwsStringList, AwsStructure, Optional, Required } from '../aws-validation';

/** The model's enum, in its order (kms-operations-reference.md §1.1). */
const SIGNING_ALGORITHMS = [
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'ECDSA_SHA_256',
  'ECDSA_SHA_384',
  'ECDSA_SHA_512',
  'SM2DSA',
  'ML_DSA_SHAKE_256',
  'ED25519_SHA_512',
  'ED25519_PH_SHA_512',
];
const MESSAGE_TYPES = ['RAW', 'DIGEST', 'EXTERNAL_MU'];
/** The order AWS lists them in its validation message (SNAP test_invalid_generate_mac). */
const MAC_ALGORITHMS = ['HMAC_SHA_384', 'HMAC_SHA_256', 'HMAC_SHA_224', 'HMAC_SHA_512'];
const KEY_AGREEMENT_ALGORITHMS = ['ECDH'];

export class SignRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
  @Required() @AwsBlob(1, 4096) Message: string;
  @Optional() @AwsEnum(MESSAGE_TYPES) MessageType?: string;
  @Optional() @AwsStringList() GrantTokens?: string[];
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
  @Optional() @AwsStringList() GrantTokens?: string[];
  @Optional() @AwsBoolean() DryRun?: boolean;
}

export class VerifyMacRequest extends GenerateMacRequest {
  @Required() @AwsBlob(1, 6144) Mac: string;
}

export class GetPublicKeyRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
  @Optional() @AwsStringList() GrantTokens?: string[];
}

export class DeriveSharedSecretRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
  @Required() @AwsEnum(KEY_AGREEMENT_ALGORITHMS) KeyAgreementAlgorithm: string;
  @Required() @AwsBlob(1, 8192) PublicKey: string;
  @Optional() @AwsStringList() GrantTokens?: string[];
  @Optional() @AwsStructure() Recipient?: object;
  @Optional() @AwsBoolean() DryRun?: boolean;
}

export class GetKeyLastUsageRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
}
