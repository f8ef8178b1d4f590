import type { Tag } from './events';
import type { ExpirationModel, ImportType, KeySpec, KeyUsage } from './key-spec';
import { EpochMillis } from './time';

/**
 * Commands carry everything `decide` needs as plain data: the side effects that produce it (random ids,
 * unwrapping, material checks, the clock) have already happened at the edges.
 */
export interface CreateKeyCommand {
  kind: 'CreateKey';
  keyId: string;
  accountId: string;
  region: string;
  description: string;
  keySpec: string;
  /** undefined when the request did not name one. */
  keyUsage?: string;
  origin: string;
  multiRegion: boolean;
  /** For Origin=AWS_KMS: id of the material generated for the key. */
  generatedKeyMaterialId?: string;
  /** With generated material: the id of the master key the vault seals it under (events.ts SealedUnderMasterKey). */
  sealedUnderMasterKeyId?: string;
  tags?: Tag[];
  policy?: string;
}

export interface IssueImportParametersCommand {
  kind: 'IssueImportParameters';
  keyArn: string;
  wrappingAlgorithm: string;
  wrappingKeySpec: string;
  importTokenId: string;
  parametersValidTo: EpochMillis;
  publicKeyFingerprint: string;
}

/** What the service learnt by opening the import token (undefined: forged, tampered or unreadable). */
export interface ImportTokenFacts {
  importTokenId: string;
  keyArn: string;
  wrappingAlgorithm: string;
  wrappingKeySpec: string;
  parametersValidTo: EpochMillis;
}

/** What the service learnt by unwrapping the material with the token's private key. */
export type UnwrapFacts =
  | { outcome: 'undecryptable' }
  | { outcome: 'unwrapped'; keyMaterialId: string; materialProblem?: string };

export interface ImportKeyMaterialCommand {
  kind: 'ImportKeyMaterial';
  keyArn: string;
  token?: ImportTokenFacts;
  unwrap: UnwrapFacts;
  expirationModel?: ExpirationModel;
  validTo?: EpochMillis;
  importType?: ImportType;
  keyMaterialDescription?: string;
  keyMaterialId?: string;
  /** The id of the master key the vault seals the imported material under (events.ts SealedUnderMasterKey). */
  sealedUnderMasterKeyId?: string;
}

export interface DeleteImportedKeyMaterialCommand {
  kind: 'DeleteImportedKeyMaterial';
  keyArn: string;
  keyMaterialId?: string;
}

/** Issued by the expiry job: record every material whose ValidTo has passed. */
export interface ExpireKeyMaterialCommand {
  kind: 'ExpireKeyMaterial';
  keyArn: string;
}

/** Lifecycle commands that name only the key. */
export interface KeyLifecycleCommand {
  kind: 'EnableKey' | 'DisableKey' | 'CancelKeyDeletion' | 'DisableKeyRotation';
  keyArn: string;
}

export interface UpdateKeyDescriptionCommand {
  kind: 'UpdateKeyDescription';
  keyArn: string;
  description: string;
}

export interface ScheduleKeyDeletionCommand {
  kind: 'ScheduleKeyDeletion';
  keyArn: string;
  pendingWindowInDays?: number;
}

/** Issued by the maintenance job: delete the key if its deletion date has passed. */
export interface DeleteKeyCommand {
  kind: 'DeleteKey';
  keyArn: string;
}

export interface TagResourceCommand {
  kind: 'TagResource';
  keyArn: string;
  tags: Tag[];
}

export interface UntagResourceCommand {
  kind: 'UntagResource';
  keyArn: string;
  tagKeys: string[];
}

export interface PutKeyPolicyCommand {
  kind: 'PutKeyPolicy';
  keyArn: string;
  policyName?: string;
  policy: string;
}

export interface EnableKeyRotationCommand {
  kind: 'EnableKeyRotation';
  keyArn: string;
  rotationPeriodInDays?: number;
}

/**
 * RotateKeyOnDemand, or (from the maintenance job) the automatic rotation that is due. For AWS_KMS keys the new
 * material was generated at the edge: its id comes in as data.
 */
export interface RotateKeyCommand {
  kind: 'RotateKeyOnDemand' | 'RotateKeyAutomatically';
  keyArn: string;
  generatedKeyMaterialId?: string;
  /** With generated material: the id of the master key the vault seals it under (events.ts SealedUnderMasterKey). */
  sealedUnderMasterKeyId?: string;
}

export type KeyCommand =
  | CreateKeyCommand
  | IssueImportParametersCommand
  | ImportKeyMaterialCommand
  | DeleteImportedKeyMaterialCommand
  | ExpireKeyMaterialCommand
  | KeyLifecycleCommand
  | UpdateKeyDescriptionCommand
  | ScheduleKeyDeletionCommand
  | DeleteKeyCommand
  | TagResourceCommand
  | UntagResourceCommand
  | PutKeyPolicyCommand
  | EnableKeyRotationCommand
  | RotateKeyCommand;

export type { KeySpec, KeyUsage };
