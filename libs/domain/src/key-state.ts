import { KeyEvent, KeyEventTypes, MaterialState, RotationType, Tag } from './events';
import type { ExpirationModel, KeySpec, KeyUsage, SupportedOrigin } from './key-spec';
import { EpochMillis, fromIso } from './time';

/** What the service knows about one piece of key material associated with a key. */
export interface MaterialRecord {
  keyMaterialId: string;
  materialState: MaterialState;
  /** IMPORTED while the service holds the material; PENDING_IMPORT after it was deleted or expired. */
  importState: 'IMPORTED' | 'PENDING_IMPORT';
  /** Present while imported (EXTERNAL keys only). */
  expirationModel?: ExpirationModel;
  validTo?: EpochMillis;
  description?: string;
  /** When and how this material became current by rotation (absent for the key's first material). */
  rotationDate?: EpochMillis;
  rotationType?: RotationType;
}

export interface KeyAttributes {
  keyId: string;
  arn: string;
  accountId: string;
  region: string;
  description: string;
  keySpec: KeySpec;
  keyUsage: KeyUsage;
  origin: SupportedOrigin;
  multiRegion: boolean;
  creationDate: EpochMillis;
}

export type KeyStateName = 'Enabled' | 'Disabled' | 'PendingDeletion' | 'PendingImport';

export interface KeyState {
  /** undefined until KeyCreated: the stream does not exist. */
  key?: KeyAttributes;
  /** Whether the owner wants the key usable; the KeyState also depends on its material and deletion. */
  enabled: boolean;
  materials: MaterialRecord[];
  /** Set on the first import (symmetric keys) and kept after deletion, as AWS does. */
  currentKeyMaterialId?: string;
  /** Set while the key is scheduled for deletion (KeyState PendingDeletion). */
  deletion?: { deletionDate: EpochMillis; pendingWindowInDays: number };
  /** When the key was deleted: it no longer exists for any operation, only its history remains. */
  deletedAt?: EpochMillis;
  /** User tags in the order they were first added (absent: none). */
  tags?: Tag[];
  /** The key policy document; absent means AWS's default key policy for the key's account. */
  policy?: string;
  /** Automatic rotation (AWS_KMS symmetric keys), when enabled. */
  rotation?: { rotationPeriodInDays: number; nextRotationDate: EpochMillis };
  /** On-demand rotations so far (AWS allows 25 per key). */
  onDemandRotations?: number;
}

export const initialState = (): KeyState => ({ enabled: true, materials: [] });

const replaceMaterial = (state: KeyState, record: MaterialRecord): MaterialRecord[] => {
  const others = state.materials.filter((m) => m.keyMaterialId !== record.keyMaterialId);
  return [...others, record];
};

/**
 * Deleted or expired material stays associated with the key (only the same material may come back), except
 * material pending rotation, which was never permanently associated and simply goes away.
 */
const markPendingImport = (state: KeyState, keyMaterialId: string): KeyState => ({
  ...state,
  materials: state.materials
    .filter((m) => !(m.keyMaterialId === keyMaterialId && m.materialState === 'PENDING_ROTATION'))
    .map((m) => (m.keyMaterialId === keyMaterialId ? withoutMaterial(m) : m)),
});

/** The record of material the service no longer holds: its expiry no longer applies. */
export function withoutMaterial(m: MaterialRecord): MaterialRecord {
  const { expirationModel: _model, validTo: _validTo, ...kept } = m;
  return { ...kept, importState: 'PENDING_IMPORT' };
}

/** Tags after TagResource: an existing key keeps its place and takes the new value; new keys are appended. */
function mergeTags(current: Tag[], added: Tag[]): Tag[] {
  const merged = current.map((t) => added.find((a) => a.TagKey === t.TagKey) ?? t);
  for (const tag of added) if (!merged.some((t) => t.TagKey === tag.TagKey)) merged.push(tag);
  return merged;
}

/** The current material becomes NON_CURRENT and `keyMaterialId` (generated, or pending rotation) CURRENT. */
function rotate(state: KeyState, d: { keyMaterialId: string; rotationType: RotationType; rotationDate: string }): MaterialRecord[] {
  const rotated = { rotationDate: fromIso(d.rotationDate), rotationType: d.rotationType };
  const materials = state.materials.map((m): MaterialRecord => {
    if (m.keyMaterialId === d.keyMaterialId) return { ...m, materialState: 'CURRENT', ...rotated };
    return m.materialState === 'CURRENT' ? { ...m, materialState: 'NON_CURRENT' } : m;
  });
  if (materials.some((m) => m.keyMaterialId === d.keyMaterialId)) return materials;
  return [...materials, { keyMaterialId: d.keyMaterialId, materialState: 'CURRENT', importState: 'IMPORTED', ...rotated }];
}

/**
 * Key events that never change a key's state: evolve returns the state it is given, and never reads their data.
 * They are in the stream for the audit trail (GetParametersForImport leaves a record, nothing else).
 */
export const STATE_NEUTRAL_KEY_EVENT_TYPES: ReadonlySet<string> = new Set([KeyEventTypes.ImportParametersIssued]);

/** Folds one event into the state. Total: unknown or out-of-place events leave the state unchanged. */
export function evolve(state: KeyState, event: KeyEvent): KeyState {
  if (STATE_NEUTRAL_KEY_EVENT_TYPES.has(event.type)) return state;
  switch (event.type) {
    case KeyEventTypes.KeyCreated: {
      if (state.key) return state;
      const d = event.data;
      const key: KeyAttributes = {
        keyId: d.keyId,
        arn: d.arn,
        accountId: d.accountId,
        region: d.region,
        description: d.description,
        keySpec: d.keySpec,
        keyUsage: d.keyUsage,
        origin: d.origin,
        multiRegion: d.multiRegion,
        creationDate: fromIso(d.creationDate),
      };
      const extras: Partial<KeyState> = { ...(d.tags?.length && { tags: d.tags }), ...(d.policy !== undefined && { policy: d.policy }) };
      if (!d.keyMaterialId) return { ...state, key, ...extras };
      const generated: MaterialRecord = { keyMaterialId: d.keyMaterialId, materialState: 'CURRENT', importState: 'IMPORTED' };
      return { ...state, key, ...extras, materials: [generated], currentKeyMaterialId: d.keyMaterialId };
    }
    case KeyEventTypes.KeyMaterialImported: {
      if (!state.key) return state;
      const d = event.data;
      const previous = state.materials.find((m) => m.keyMaterialId === d.keyMaterialId);
      const record: MaterialRecord = {
        keyMaterialId: d.keyMaterialId,
        materialState: previous?.materialState ?? d.materialState,
        importState: 'IMPORTED',
        expirationModel: d.expirationModel,
        validTo: d.validTo === undefined ? undefined : fromIso(d.validTo),
        description: d.keyMaterialDescription ?? previous?.description,
      };
      const isFirstCurrent = record.materialState === 'CURRENT' && state.currentKeyMaterialId === undefined;
      return {
        ...state,
        materials: replaceMaterial(state, record),
        currentKeyMaterialId: isFirstCurrent ? d.keyMaterialId : state.currentKeyMaterialId,
      };
    }
    case KeyEventTypes.KeyMaterialExpired:
    case KeyEventTypes.KeyMaterialDeleted:
      return state.key ? markPendingImport(state, event.data.keyMaterialId) : state;
    default:
      return state.key ? evolveLifecycle(state, event) : state;
  }
}

/** Lifecycle, tags, policy and rotation events (never before KeyCreated). */
function evolveLifecycle(state: KeyState, event: KeyEvent): KeyState {
  switch (event.type) {
    case KeyEventTypes.KeyEnabled:
      return { ...state, enabled: true };
    case KeyEventTypes.KeyDisabled:
      return { ...state, enabled: false };
    case KeyEventTypes.KeyDescriptionUpdated:
      return { ...state, key: { ...state.key!, description: event.data.description } };
    case KeyEventTypes.KeyDeletionScheduled:
      return { ...state, deletion: { deletionDate: fromIso(event.data.deletionDate), pendingWindowInDays: event.data.pendingWindowInDays } };
    case KeyEventTypes.KeyDeletionCanceled: {
      // AWS: a key whose deletion is canceled comes back Disabled (or PendingImport without material).
      const { deletion: _deletion, ...rest } = state;
      return { ...rest, enabled: false };
    }
    case KeyEventTypes.KeyDeleted:
      return { ...state, deletedAt: fromIso(event.data.deletionDate), materials: state.materials.map(withoutMaterial) };
    case KeyEventTypes.KeyTagged:
      return { ...state, tags: mergeTags(state.tags ?? [], event.data.tags) };
    case KeyEventTypes.KeyUntagged: {
      const tags = (state.tags ?? []).filter((t) => !event.data.tagKeys.includes(t.TagKey));
      return { ...state, tags };
    }
    case KeyEventTypes.KeyPolicyPut:
      return { ...state, policy: event.data.policy };
    case KeyEventTypes.KeyRotationEnabled:
      return { ...state, rotation: { rotationPeriodInDays: event.data.rotationPeriodInDays, nextRotationDate: fromIso(event.data.nextRotationDate) } };
    case KeyEventTypes.KeyRotationDisabled: {
      const { rotation: _rotation, ...rest } = state;
      return rest;
    }
    case KeyEventTypes.KeyMaterialRotated: {
      const d = event.data;
      const rotation = d.nextRotationDate && state.rotation ? { ...state.rotation, nextRotationDate: fromIso(d.nextRotationDate) } : state.rotation;
      return {
        ...state,
        materials: rotate(state, d),
        currentKeyMaterialId: d.keyMaterialId,
        ...(rotation && { rotation }),
        ...(d.rotationType === 'ON_DEMAND' && { onDemandRotations: (state.onDemandRotations ?? 0) + 1 }),
      };
    }
    default:
      return state;
  }
}

export const foldEvents = (events: KeyEvent[], from: KeyState = initialState()): KeyState => events.reduce(evolve, from);
