import { KmsError, KmsErrors } from './errors';
import type { KeyStateName } from './key-state';

/**
 * "May a key in this state serve this operation?" as data (kms-operations-reference.md §8): one row per
 * operation, one cell per key state. A missing cell means the operation is allowed in that state; a cell holds
 * the AWS error the key answers with. Expired or deleted material shows as PendingImport; a deleted key is not
 * found at all (before this table is consulted). Check order (§8 note c): key resolution, then this table, then
 * the key's type, usage and origin.
 */
export type StateRefusal = (keyArn: string) => KmsError;
export type StateRow = Partial<Record<KeyStateName, StateRefusal>>;

/** The operations that use key material (their usage and algorithm rules are in key-use-rules.ts). */
export const CRYPTO_OPERATIONS = [
  'Encrypt',
  'Decrypt',
  'ReEncrypt',
  'GenerateDataKey',
  'GenerateDataKeyWithoutPlaintext',
  'GenerateDataKeyPair',
  'GenerateDataKeyPairWithoutPlaintext',
  'Sign',
  'Verify',
  'GenerateMac',
  'VerifyMac',
  'DeriveSharedSecret',
  'GetPublicKey',
] as const;
export type CryptoOperation = (typeof CRYPTO_OPERATIONS)[number];

export const KEY_OPERATIONS = [
  ...CRYPTO_OPERATIONS,
  'DescribeKey',
  'EnableKey',
  'DisableKey',
  'UpdateKeyDescription',
  'ScheduleKeyDeletion',
  'CancelKeyDeletion',
  'GetParametersForImport',
  'ImportKeyMaterial',
  'DeleteImportedKeyMaterial',
  'CreateAlias',
  'UpdateAlias',
  'DeleteAlias',
  'ListAliases',
  'TagResource',
  'UntagResource',
  'ListResourceTags',
  'GetKeyPolicy',
  'PutKeyPolicy',
  'ListKeyPolicies',
  'EnableKeyRotation',
  'DisableKeyRotation',
  'GetKeyRotationStatus',
  'RotateKeyOnDemand',
  'ListKeyRotations',
  'GetKeyLastUsage',
] as const;
export type KeyOperation = (typeof KEY_OPERATIONS)[number];

const ALWAYS: StateRow = {};

/** Cryptographic operations work only on Enabled keys ([1], [3], [5] of the reference's footnotes). */
const ONLY_WHEN_ENABLED: StateRow = {
  Disabled: KmsErrors.disabled,
  // The DG allows DisabledException or KMSInvalidStateException here; AWS was observed to send the latter (§8 note a).
  PendingDeletion: KmsErrors.pendingDeletion,
  PendingImport: KmsErrors.pendingImport,
};

/** Changes to a key that are refused only while it waits for deletion ([3]). */
const NOT_WHILE_PENDING_DELETION: StateRow = { PendingDeletion: KmsErrors.pendingDeletion };

/** Enable/Disable need a key that is neither pending deletion nor pending import ([3], [5]). */
const NEEDS_MATERIAL_NOT_DELETING: StateRow = { PendingDeletion: KmsErrors.pendingDeletion, PendingImport: KmsErrors.pendingImport };

/**
 * Automatic rotation: Disabled [1], PendingDeletion [3]; a key in PendingImport has imported material, which is
 * never rotated automatically ([6]).
 */
const ROTATION_SETTINGS: StateRow = {
  Disabled: KmsErrors.disabled,
  PendingDeletion: KmsErrors.pendingDeletion,
  PendingImport: (arn) => KmsErrors.originNotValid(arn, 'EXTERNAL'),
};

export const KEY_STATE_RULES: Record<KeyOperation, StateRow> = {
  Encrypt: ONLY_WHEN_ENABLED,
  Decrypt: ONLY_WHEN_ENABLED,
  ReEncrypt: ONLY_WHEN_ENABLED,
  GenerateDataKey: ONLY_WHEN_ENABLED,
  GenerateDataKeyWithoutPlaintext: ONLY_WHEN_ENABLED,
  GenerateDataKeyPair: ONLY_WHEN_ENABLED,
  GenerateDataKeyPairWithoutPlaintext: ONLY_WHEN_ENABLED,
  Sign: ONLY_WHEN_ENABLED,
  Verify: ONLY_WHEN_ENABLED,
  GenerateMac: ONLY_WHEN_ENABLED,
  VerifyMac: ONLY_WHEN_ENABLED,
  DeriveSharedSecret: ONLY_WHEN_ENABLED,
  // The DG says DisabledException; an emulator's comment says AWS allows it. UNCONFIRMED: the DG is followed (Appendix B #6).
  GetPublicKey: ONLY_WHEN_ENABLED,
  DescribeKey: ALWAYS,
  EnableKey: NEEDS_MATERIAL_NOT_DELETING,
  DisableKey: NEEDS_MATERIAL_NOT_DELETING,
  UpdateKeyDescription: NOT_WHILE_PENDING_DELETION,
  ScheduleKeyDeletion: NOT_WHILE_PENDING_DELETION,
  CancelKeyDeletion: {
    Enabled: KmsErrors.notPendingDeletion,
    Disabled: KmsErrors.notPendingDeletion,
    PendingImport: KmsErrors.notPendingDeletion,
  },
  // [8]: an imported key pending deletion takes no new material.
  GetParametersForImport: NOT_WHILE_PENDING_DELETION,
  ImportKeyMaterial: NOT_WHILE_PENDING_DELETION,
  // Allowed in every state; in PendingDeletion the state does not change.
  DeleteImportedKeyMaterial: ALWAYS,
  // The target key of CreateAlias, and the new target of UpdateAlias ([10]).
  CreateAlias: NOT_WHILE_PENDING_DELETION,
  UpdateAlias: NOT_WHILE_PENDING_DELETION,
  DeleteAlias: ALWAYS,
  ListAliases: ALWAYS,
  TagResource: NOT_WHILE_PENDING_DELETION,
  UntagResource: NOT_WHILE_PENDING_DELETION,
  ListResourceTags: ALWAYS,
  GetKeyPolicy: ALWAYS,
  PutKeyPolicy: ALWAYS,
  ListKeyPolicies: ALWAYS,
  EnableKeyRotation: ROTATION_SETTINGS,
  DisableKeyRotation: ROTATION_SETTINGS,
  // §8 gives [6] for PendingImport, but the reference's recommendation (Appendix B #28) is that imported keys
  // simply read KeyRotationEnabled false, Unsupported only for custom key stores: that recommendation is taken.
  GetKeyRotationStatus: ALWAYS,
  // Disabled [1] (SNAP), PendingDeletion [3] (UNCONFIRMED, the reference's inferred cell), PendingImport [5] (SNAP).
  RotateKeyOnDemand: ONLY_WHEN_ENABLED,
  // UNCONFIRMED for PendingDeletion/PendingImport; the reference recommends allowing every state (Appendix B #32).
  ListKeyRotations: ALWAYS,
  GetKeyLastUsage: ALWAYS,
};

/** The refusal for `operation` on a key in `state`, or undefined when it is allowed. */
export function stateRefusal(operation: KeyOperation, state: KeyStateName, keyArn: string): KmsError | undefined {
  return KEY_STATE_RULES[operation][state]?.(keyArn);
}
