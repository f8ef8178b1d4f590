import { algorithmsFor } from './key-spec';
import { associatedMaterials, currentMaterial, effectiveState, isMissingMaterial, keyStateName } from './key-lifecycle';
import { KeyState } from './key-state';
import { EpochMillis } from './time';

/** AWS KeyMetadata as DescribeKey/CreateKey return it. Timestamps are epoch seconds; unset members are omitted. */
export interface KeyMetadata {
  AWSAccountId: string;
  KeyId: string;
  Arn: string;
  CreationDate: number;
  Enabled: boolean;
  Description: string;
  KeyUsage: string;
  KeyState: string;
  Origin: string;
  KeyManager: 'CUSTOMER';
  CustomerMasterKeySpec: string;
  KeySpec: string;
  EncryptionAlgorithms?: string[];
  SigningAlgorithms?: string[];
  MacAlgorithms?: string[];
  KeyAgreementAlgorithms?: string[];
  MultiRegion: boolean;
  DeletionDate?: number;
  ExpirationModel?: string;
  ValidTo?: number;
  CurrentKeyMaterialId?: string;
}

const seconds = (ms: EpochMillis): number => ms / 1000;

/**
 * Field presence follows what AWS was observed to send (kms-api-reference.md §4, §8): ExpirationModel only while
 * every permanently associated material is imported (deleting or losing any of them, current or not, removes it,
 * as it makes the key PendingImport); ValidTo only with KEY_MATERIAL_EXPIRES (the earliest expiry among the
 * associated materials); CurrentKeyMaterialId only for symmetric keys, kept after the material is deleted.
 */
export function toKeyMetadata(rawState: KeyState, now: EpochMillis): KeyMetadata {
  const state = effectiveState(rawState, now);
  const key = state.key!;
  const keyState = keyStateName(state);
  const current = currentMaterial(state);
  const metadata: KeyMetadata = {
    AWSAccountId: key.accountId,
    KeyId: key.keyId,
    Arn: key.arn,
    CreationDate: seconds(key.creationDate),
    Enabled: keyState === 'Enabled',
    Description: key.description,
    KeyUsage: key.keyUsage,
    KeyState: keyState,
    Origin: key.origin,
    KeyManager: 'CUSTOMER',
    CustomerMasterKeySpec: key.keySpec,
    KeySpec: key.keySpec,
    ...algorithmsFor(key.keySpec, key.keyUsage),
    MultiRegion: key.multiRegion,
  };
  if (key.origin === 'EXTERNAL' && !isMissingMaterial(state) && current?.expirationModel) {
    metadata.ExpirationModel = current.expirationModel;
    const expiring = associatedMaterials(state).filter((m) => m.importState === 'IMPORTED' && m.validTo !== undefined);
    if (current.expirationModel === 'KEY_MATERIAL_EXPIRES' && expiring.length > 0) {
      metadata.ValidTo = seconds(Math.min(...expiring.map((m) => m.validTo!)));
    }
  }
  if (keyState === 'PendingDeletion' && state.deletion) metadata.DeletionDate = seconds(state.deletion.deletionDate);
  if (key.keySpec === 'SYMMETRIC_DEFAULT' && state.currentKeyMaterialId) {
    metadata.CurrentKeyMaterialId = state.currentKeyMaterialId;
  }
  return metadata;
}
