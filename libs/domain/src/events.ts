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
} as const;

export type MaterialState = 'CURRENT' | 'NON_CURRENT' | 'PENDING_ROTATION';

export interface KeyCreatedData {
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
}

export interface ImportParametersIssuedData {
  importTokenId: string;
  wrappingAlgorithm: WrappingAlgorithm;
  wrappingKeySpec: WrappingKeySpec;
  parametersValidTo: string;
  /** SHA-256 of the wrapping public key's DER, linking the issued parameters to the import that used them. */
  publicKeyFingerprint: string;
}

export interface KeyMaterialImportedData {
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
  | { type: typeof KeyEventTypes.KeyMaterialDeleted; data: KeyMaterialDeletedData };

export type KeyEventType = KeyEvent['type'];

const KNOWN_TYPES = new Set<string>(Object.values(KeyEventTypes));
export const isKeyEventType = (type: string): type is KeyEventType => KNOWN_TYPES.has(type);

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
