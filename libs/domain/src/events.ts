import type { ExpirationModel, ImportType, KeySpec, KeyUsage, SupportedOrigin, WrappingAlgorithm, WrappingKeySpec } from './key-spec';

/**
 * The events of one KMS key's stream (`kms-key-<keyId>`). These are the audit contract: past-tense names,
 * explicit versioned type strings, JSON payloads with ISO-8601 times, and never any key material (only
 * material ids, which are one-way hashes).
 */
export const KeyEventTypes = {
  KeyCreated: 'KeyCreated.v1',
  ImportParametersIssued: 'ImportParametersIssued.v1',
  KeyMaterialImported: 'KeyMaterialImported.v1',
  KeyMaterialExpired: 'KeyMaterialExpired.v1',
  KeyMaterialDeleted: 'KeyMaterialDeleted.v1',
  KeyEnabled: 'KeyEnabled.v1',
  KeyDisabled: 'KeyDisabled.v1',
  KeyDescriptionUpdated: 'KeyDescriptionUpdated.v1',
  KeyDeletionScheduled: 'KeyDeletionScheduled.v1',
  KeyDeletionCanceled: 'KeyDeletionCanceled.v1',
  KeyDeleted: 'KeyDeleted.v1',
  KeyTagged: 'KeyTagged.v1',
  KeyUntagged: 'KeyUntagged.v1',
  KeyPolicyPut: 'KeyPolicyPut.v1',
  KeyRotationEnabled: 'KeyRotationEnabled.v1',
  KeyRotationDisabled: 'KeyRotationDisabled.v1',
  KeyMaterialRotated: 'KeyMaterialRotated.v1',
} as const;

export type MaterialState = 'CURRENT' | 'NON_CURRENT' | 'PENDING_ROTATION';

/**
 * On the events that bring material into the vault: the id of the master key it was sealed under (16 hex
 * characters, a hash of the key, not secret). Absent in events recorded before it was kept. A later
 * `rotate-master-key` re-seals the material and records that in MasterKeyRotated.v1 (stream
 * `keyledger-master-key`), not here.
 */
export interface SealedUnderMasterKey {
  sealedUnderMasterKeyId?: string;
}

export interface KeyCreatedData extends SealedUnderMasterKey {
  keyId: string;
  arn: string;
  accountId: string;
  region: string;
  description: string;
  keySpec: KeySpec;
  keyUsage: KeyUsage;
  origin: SupportedOrigin;
  multiRegion: boolean;
  creationDate: string;
  /** Only for Origin=AWS_KMS: the id of the material the service generated. */
  keyMaterialId?: string;
  /** CreateKey's Tags, in request order (absent in events recorded before tags were stored). */
  tags?: Tag[];
  /** CreateKey's Policy; absent means AWS's default key policy for the account. */
  policy?: string;
}

export interface Tag {
  TagKey: string;
  TagValue: string;
}

export interface KeyDescriptionUpdatedData {
  description: string;
}

export interface KeyDeletionScheduledData {
  deletionDate: string;
  pendingWindowInDays: number;
}

/** The key and all its material are gone; only the log remains. `keyMaterialIds`: the material shredded. */
export interface KeyDeletedData {
  deletionDate: string;
  keyMaterialIds: string[];
}

export interface KeyTaggedData {
  tags: Tag[];
}

export interface KeyUntaggedData {
  tagKeys: string[];
}

export interface KeyPolicyPutData {
  policyName: string;
  policy: string;
}

export interface KeyRotationEnabledData {
  rotationPeriodInDays: number;
  nextRotationDate: string;
}

export type RotationType = 'AUTOMATIC' | 'ON_DEMAND';

/**
 * `keyMaterialId` becomes CURRENT and the previous current material NON_CURRENT (still decrypts old
 * ciphertexts). For AWS_KMS keys the new material was generated (and `sealedUnderMasterKeyId` names its master
 * key); for EXTERNAL keys it was pending rotation (its import event names the master key).
 */
export interface KeyMaterialRotatedData extends SealedUnderMasterKey {
  keyMaterialId: string;
  previousKeyMaterialId: string;
  rotationType: RotationType;
  rotationDate: string;
  /** Automatic rotation only: when the next one is due. */
  nextRotationDate?: string;
}

export interface ImportParametersIssuedData {
  importTokenId: string;
  wrappingAlgorithm: WrappingAlgorithm;
  wrappingKeySpec: WrappingKeySpec;
  parametersValidTo: string;
  /** SHA-256 of the wrapping public key's DER, linking the issued parameters to the import that used them. */
  publicKeyFingerprint: string;
}

export interface KeyMaterialImportedData extends SealedUnderMasterKey {
  keyMaterialId: string;
  importType: ImportType;
  /** true when the same material was imported before (a re-import restores or re-times it). */
  reimport: boolean;
  materialState: MaterialState;
  expirationModel: ExpirationModel;
  validTo?: string;
  keyMaterialDescription?: string;
  importTokenId: string;
  wrappingAlgorithm: WrappingAlgorithm;
  wrappingKeySpec: WrappingKeySpec;
}

export interface KeyMaterialExpiredData {
  keyMaterialId: string;
  validTo: string;
}

export interface KeyMaterialDeletedData {
  keyMaterialId: string;
}

export type KeyEvent =
  | { type: typeof KeyEventTypes.KeyCreated; data: KeyCreatedData }
  | { type: typeof KeyEventTypes.ImportParametersIssued; data: ImportParametersIssuedData }
  | { type: typeof KeyEventTypes.KeyMaterialImported; data: KeyMaterialImportedData }
  | { type: typeof KeyEventTypes.KeyMaterialExpired; data: KeyMaterialExpiredData }
  | { type: typeof KeyEventTypes.KeyMaterialDeleted; data: KeyMaterialDeletedData }
  | { type: typeof KeyEventTypes.KeyEnabled; data: Record<string, never> }
  | { type: typeof KeyEventTypes.KeyDisabled; data: Record<string, never> }
  | { type: typeof KeyEventTypes.KeyDescriptionUpdated; data: KeyDescriptionUpdatedData }
  | { type: typeof KeyEventTypes.KeyDeletionScheduled; data: KeyDeletionScheduledData }
  | { type: typeof KeyEventTypes.KeyDeletionCanceled; data: Record<string, never> }
  | { type: typeof KeyEventTypes.KeyDeleted; data: KeyDeletedData }
  | { type: typeof KeyEventTypes.KeyTagged; data: KeyTaggedData }
  | { type: typeof KeyEventTypes.KeyUntagged; data: KeyUntaggedData }
  | { type: typeof KeyEventTypes.KeyPolicyPut; data: KeyPolicyPutData }
  | { type: typeof KeyEventTypes.KeyRotationEnabled; data: KeyRotationEnabledData }
  | { type: typeof KeyEventTypes.KeyRotationDisabled; data: Record<string, never> }
  | { type: typeof KeyEventTypes.KeyMaterialRotated; data: KeyMaterialRotatedData };

export type KeyEventType = KeyEvent['type'];

const KNOWN_TYPES = new Set<string>(Object.values(KeyEventTypes));
export const isKeyEventType = (type: string): type is KeyEventType => KNOWN_TYPES.has(type);

/** The material an event removes from the key for good (deleted, expired, or all of a deleted key's): what must be shredded. */
export function materialRemovedBy(event: KeyEvent): string[] {
  switch (event.type) {
    case KeyEventTypes.KeyMaterialDeleted:
    case KeyEventTypes.KeyMaterialExpired:
      return [event.data.keyMaterialId];
    case KeyEventTypes.KeyDeleted:
      return event.data.keyMaterialIds;
    default:
      return [];
  }
}

/**
 * An event produced by `decide`. `initiatedBy: 'service'` marks events the service records on its own
 * behalf (an expiry noticed while handling someone else's command), so the audit trail does not attribute
 * them to the caller.
 */
export type DecidedEvent = KeyEvent & { initiatedBy?: 'service' };

/** Stream naming lives with the events: one stream per key. */
export const KEY_STREAM_PREFIX = 'kms-key-';
export const keyStreamId = (keyId: string): string => `${KEY_STREAM_PREFIX}${keyId}`;
export const keyIdFromStreamId = (streamId: string): string | undefined =>
  streamId.startsWith(KEY_STREAM_PREFIX) ? streamId.slice(KEY_STREAM_PREFIX.length) : undefined;

/** Expected revision of a stream that does not exist yet (EventStoreDB's convention, shared by every store). */
export const NO_STREAM_REVISION = -1;
