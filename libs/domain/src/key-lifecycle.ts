import { KeyAttributes, KeyState, KeyStateName, MaterialRecord, withoutMaterial } from './key-state';
import { EpochMillis } from './time';

/** Material whose ValidTo has passed is treated as gone, whether or not KeyMaterialExpired was recorded yet. */
export const isPastValidTo = (m: MaterialRecord, now: EpochMillis): boolean =>
  m.importState === 'IMPORTED' && m.expirationModel === 'KEY_MATERIAL_EXPIRES' && m.validTo !== undefined && m.validTo <= now;

/** Materials that are imported but past their ValidTo: what the expiry job must record as expired. */
export const materialsDueForExpiry = (state: KeyState, now: EpochMillis): MaterialRecord[] =>
  state.materials.filter((m) => isPastValidTo(m, now));

/**
 * The state as it must be seen at `now`: expired material is unusable from ValidTo on, even if the expiry job
 * has not appended KeyMaterialExpired yet. Every decision and every query looks through this.
 */
export function effectiveState(state: KeyState, now: EpochMillis): KeyState {
  if (!state.materials.some((m) => isPastValidTo(m, now))) return state;
  return {
    ...state,
    materials: state.materials
      .filter((m) => !(isPastValidTo(m, now) && m.materialState === 'PENDING_ROTATION'))
      .map((m) =>
        isPastValidTo(m, now) ? withoutMaterial(m) : m,
      ),
  };
}

/** Materials permanently associated with the key (everything except material pending rotation). */
export const associatedMaterials = (state: KeyState): MaterialRecord[] =>
  state.materials.filter((m) => m.materialState !== 'PENDING_ROTATION');

export const currentMaterial = (state: KeyState): MaterialRecord | undefined =>
  state.materials.find((m) => m.materialState === 'CURRENT');

/** An EXTERNAL key is usable only when it has material and every permanently associated material is imported. */
export function isMissingMaterial(state: KeyState): boolean {
  const associated = associatedMaterials(state);
  return associated.length === 0 || associated.some((m) => m.importState !== 'IMPORTED');
}

/** The AWS KeyState of a key (call on the effective state). Deletion outranks missing material. */
export function keyStateName(state: KeyState): KeyStateName {
  if (state.deletion) return 'PendingDeletion';
  if (state.key?.origin === 'EXTERNAL' && isMissingMaterial(state)) return 'PendingImport';
  return state.enabled ? 'Enabled' : 'Disabled';
}

/**
 * The key `keyArn` names, if the caller can see it: it exists, in the caller's account and region (streams are
 * found by bare key id, so another account's key looks exactly like a missing one), and it is not deleted.
 */
export function visibleKey(state: KeyState, keyArn: string): KeyAttributes | undefined {
  return state.key && state.key.arn === keyArn && state.deletedAt === undefined ? state.key : undefined;
}
