import { DATA_KEY_SPECS, KEY_PAIR_SPECS } from '@keyledger/application';
import { ENCRYPTION_ALGORITHMS } from '@keyledger/domain';
import {
  AwsBlob,
  AwsBoolean,
  AwsEnum,
  AwsEnumList,
  AwsGrantTokens,
  AwsInteger,
  AwsString,
  AwsStringMap,
  AwsStructure,
  DRY_RUN_MODIFIERS,
  Optional,
  Required,
  RequiredIfCiphertextIgnored,
  RequiredUnlessCiphertextIgnored,
} from '../aws-validation';


export class EncryptRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
  @Required() @AwsBlob(1, 4096) Plaintext: string;
  @Optional() @AwsStringMap() EncryptionContext?: Record<string, string>;
  @Optional() @AwsGrantTokens() GrantTokens?: string[];
  @Optional() @AwsEnum(ENCRYPTION_ALGORITHMS) EncryptionAlgorithm?: string;
  @Optional() @AwsBoolean() DryRun?: boolean;
}

export class DecryptRequest {
  @RequiredUnlessCiphertextIgnored() @Required() @AwsBlob(1, 6144) CiphertextBlob?: string;
  @Optional() @AwsStringMap() EncryptionContext?: Record<string, string>;
  @Optional() @AwsGrantTokens() GrantTokens?: string[];
  @RequiredIfCiphertextIgnored() @Required() @AwsString(1, 2048) KeyId?: string;
  @Optional() @AwsEnum(ENCRYPTION_ALGORITHMS) EncryptionAlgorithm?: string;
  @Optional() @AwsStructure() Recipient?: object;
  @Optional() @AwsBoolean() DryRun?: boolean;
  @Optional() @AwsEnumList(DRY_RUN_MODIFIERS) DryRunModifiers?: string[];
}

export class ReEncryptRequest {
  @RequiredUnlessCiphertextIgnored() @Required() @AwsBlob(1, 6144) CiphertextBlob?: string;
  @Optional() @AwsStringMap() SourceEncryptionContext?: Record<string, string>;
  @RequiredIfCiphertextIgnored() @Required() @AwsString(1, 2048) SourceKeyId?: string;
  @Required() @AwsString(1, 2048) DestinationKeyId: string;
  @Optional() @AwsStringMap() DestinationEncryptionContext?: Record<string, string>;
  @Optional() @AwsEnum(ENCRYPTION_ALGORITHMS) SourceEncryptionAlgorithm?: string;
  @Optional() @AwsEnum(ENCRYPTION_ALGORITHMS) DestinationEncryptionAlgorithm?: string;
  @Optional() @AwsGrantTokens() GrantTokens?: string[];
  @Optional() @AwsBoolean() DryRun?: boolean;
  @Optional() @AwsEnumList(DRY_RUN_MODIFIERS) DryRunModifiers?: string[];
}

export class GenerateDataKeyRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
  @Optional() @AwsStringMap() EncryptionContext?: Record<string, string>;
  @Optional() @AwsInteger(1, 1024) NumberOfBytes?: number;
  @Optional() @AwsEnum(DATA_KEY_SPECS) KeySpec?: string;
  @Optional() @AwsGrantTokens() GrantTokens?: string[];
  @Optional() @AwsStructure() Recipient?: object;
  @Optional() @AwsBoolean() DryRun?: boolean;
}

export class GenerateDataKeyPairRequest {
  @Required() @AwsString(1, 2048) KeyId: string;
  @Optional() @AwsStringMap() EncryptionContext?: Record<string, string>;
  @Required() @AwsEnum(KEY_PAIR_SPECS) KeyPairSpec: string;
  @Optional() @AwsGrantTokens() GrantTokens?: string[];
  @Optional() @AwsStructure() Recipient?: object;
  @Optional() @AwsBoolean() DryRun?: boolean;
}

export class GenerateRandomRequest {
  /** Not modeled as required; a missing value gets AWS's own message in the operation. */
  @Optional() @AwsInteger(1, 1024) NumberOfBytes?: number;
  @Optional() @AwsString(1, 64) CustomKeyStoreId?: string;
  @Optional() @AwsStructure() Recipient?: object;
}
