import { KeyEvent, KeyEventTypes, MaterialState } from './events';
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
  /** Whether the owner wants the key usable; the KeyState also depends on its material. */
  enabled: boolean;
  materials: MaterialRecord[];
  /** Set on the first import (symmetric keys) and kept after deletion, as AWS does. */
  currentKeyMaterialId?: string;
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
    .map((m) =>
    m.keyMaterialId === keyMaterialId
      ? { keyMaterialId: m.keyMaterialId, materialState: m.materialState, importState: 'PENDING_IMPORT', description: m.description }
      : m,
  ),
});

/** Folds one event into the state. Total: unknown or out-of-place events leave the state unchanged. */
export function evolve(state: KeyState, event: KeyEvent): KeyState {
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
      if (!d.keyMaterialId) return { ...state, key };
      const generated: MaterialRecord = { keyMaterialId: d.keyMaterialId, materialState: 'CURRENT', importState: 'IMPORTED' };
      return { ...state, key, materials: [generated], currentKeyMaterialId: d.keyMaterialId };
    }
    case KeyEventTypes.ImportParametersIssued:
      return state;
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
      return state;
  }
}

export const foldEvents = (events: KeyEvent[], from: KeyState = initialState()): KeyState => events.reduce(evolve, from);
