import { DeleteImportedKeyMaterialCommand } from '../commands';
import { constantTimeEquals } from '../constant-time';
import { KmsError } from '../errors';
import { KeyEvent, KeyEventTypes } from '../events';
import { currentMaterial, materialsDueForExpiry } from '../key-lifecycle';
import { KeyState } from '../key-state';
import { EpochMillis, toIso } from '../time';
import { requireExternalOrigin, requireKey } from './guards';

/** Events recording every material whose ValidTo has passed (what the expiry job appends). */
export function expiryEvents(state: KeyState, now: EpochMillis): KeyEvent[] {
  return materialsDueForExpiry(state, now).map((m) => ({
    type: KeyEventTypes.KeyMaterialExpired,
    data: { keyMaterialId: m.keyMaterialId, validTo: toIso(m.validTo!) },
  }));
}

/**
 * Deletes the named material (default: the current one). Deleting material that is already gone changes
 * nothing and records nothing (AWS: "no effect"). Call with the effective state so expired material counts
 * as already gone.
 */
export function decideDeleteImportedKeyMaterial(command: DeleteImportedKeyMaterialCommand, state: KeyState): { events: KeyEvent[]; keyMaterialId?: string } {
  const key = requireKey(state, command.keyArn);
  requireExternalOrigin(key);
  const target =
    command.keyMaterialId === undefined
      ? currentMaterial(state)
      : state.materials.find((m) => constantTimeEquals(m.keyMaterialId, command.keyMaterialId!));
  if (command.keyMaterialId !== undefined && !target) {
    throw new KmsError('NotFoundException', `Key material '${command.keyMaterialId}' is not associated with ${key.arn}.`);
  }
  if (!target || target.importState !== 'IMPORTED') return { events: [], keyMaterialId: target?.keyMaterialId };
  return {
    events: [{ type: KeyEventTypes.KeyMaterialDeleted, data: { keyMaterialId: target.keyMaterialId } }],
    keyMaterialId: target.keyMaterialId,
  };
}
