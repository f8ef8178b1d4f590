import { EnableKeyRotationCommand, KeyLifecycleCommand, RotateKeyCommand } from '../commands';
import { KmsError, KmsErrors } from '../errors';
import { KeyEvent, KeyEventTypes, KeyMaterialRotatedData } from '../events';
import { currentMaterial, effectiveState, keyStateName } from '../key-lifecycle';
import { keyFamily } from '../key-spec';
import { KeyAttributes, KeyState } from '../key-state';
import { DAY_MS, EpochMillis, MINUTE_MS, toIso } from '../time';
import { requireKeyInState } from './guards';

export const DEFAULT_ROTATION_PERIOD_DAYS = 365;
/** The current quota (the model's docs say 25; AWS once refused the 11th, when it was 10: reference Appendix B #31). */
export const MAX_ON_DEMAND_ROTATIONS = 25;
/** On-demand rotation is refused while an automatic rotation is due this soon (model: ConflictException). */
const AUTOMATIC_ROTATION_GUARD_MS = 20 * MINUTE_MS;

/** Only symmetric keys rotate; asymmetric and HMAC keys get a message-less UnsupportedOperationException (SNAP). */
function requireSymmetric(key: KeyAttributes): void {
  if (keyFamily(key.keySpec) !== 'SYMMETRIC') throw new KmsError('UnsupportedOperationException', '');
}

/** Automatic rotation is for AWS_KMS symmetric keys only: imported material is never rotated automatically ([6]). */
function requireAutomaticRotationSupported(key: KeyAttributes): void {
  if (key.origin === 'EXTERNAL') throw KmsErrors.originNotValid(key.arn, key.origin);
  requireSymmetric(key);
}

/** Enabling again with the same period changes nothing; a new period restarts the schedule from now. */
export function decideEnableKeyRotation(command: EnableKeyRotationCommand, state: KeyState, now: EpochMillis): KeyEvent[] {
  const key = requireKeyInState(state, command.keyArn, 'EnableKeyRotation', now);
  requireAutomaticRotationSupported(key);
  const period = command.rotationPeriodInDays ?? DEFAULT_ROTATION_PERIOD_DAYS;
  if (state.rotation?.rotationPeriodInDays === period) return [];
  return [{ type: KeyEventTypes.KeyRotationEnabled, data: { rotationPeriodInDays: period, nextRotationDate: toIso(now + period * DAY_MS) } }];
}

export function decideDisableKeyRotation(command: KeyLifecycleCommand, state: KeyState, now: EpochMillis): KeyEvent[] {
  const key = requireKeyInState(state, command.keyArn, 'DisableKeyRotation', now);
  requireAutomaticRotationSupported(key);
  return state.rotation ? [{ type: KeyEventTypes.KeyRotationDisabled, data: {} }] : [];
}

/**
 * RotateKeyOnDemand (reference §13.3, kms-api-reference §11.1): the state first (Disabled before the key type,
 * SNAP), then the type, then what there is to rotate to: generated material for AWS_KMS keys, the material
 * pending rotation for EXTERNAL keys.
 */
export function decideRotateKeyOnDemand(command: RotateKeyCommand, state: KeyState, now: EpochMillis): KeyEvent[] {
  const key = requireKeyInState(state, command.keyArn, 'RotateKeyOnDemand', now);
  requireSymmetric(key);
  const rotations = state.onDemandRotations ?? 0;
  if (rotations >= MAX_ON_DEMAND_ROTATIONS) {
    throw new KmsError(
      'LimitExceededException',
      `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${key.arn}`,
    );
  }
  if (state.rotation && state.rotation.nextRotationDate - now <= AUTOMATIC_ROTATION_GUARD_MS) {
    throw new KmsError('ConflictException', `An automatic rotation of ${key.arn} is due within 20 minutes. Retry after it.`);
  }
  const next = nextMaterial(key, effectiveState(state, now), command);
  const previous = currentMaterial(state)!.keyMaterialId;
  const data: KeyMaterialRotatedData = { keyMaterialId: next, previousKeyMaterialId: previous, rotationType: 'ON_DEMAND', rotationDate: toIso(now), ...sealedUnder(key, command) };
  return [{ type: KeyEventTypes.KeyMaterialRotated, data }];
}

/** Only generated material enters the vault at a rotation; EXTERNAL material was sealed (and recorded) at its import. */
const sealedUnder = (key: KeyAttributes, command: RotateKeyCommand): { sealedUnderMasterKeyId?: string } =>
  key.origin === 'AWS_KMS' && command.sealedUnderMasterKeyId !== undefined ? { sealedUnderMasterKeyId: command.sealedUnderMasterKeyId } : {};

function nextMaterial(key: KeyAttributes, state: KeyState, command: RotateKeyCommand): string {
  if (key.origin === 'AWS_KMS') {
    if (!command.generatedKeyMaterialId) throw new KmsError('KMSInternalException', 'Key material was not generated for the rotation.');
    return command.generatedKeyMaterialId;
  }
  const pending = state.materials.find((m) => m.materialState === 'PENDING_ROTATION' && m.importState === 'IMPORTED');
  if (!pending) throw new KmsError('KMSInvalidStateException', `No available key material pending rotation for the key: ${key.arn}.`);
  return pending.keyMaterialId;
}

/**
 * The maintenance job's automatic rotation: only an Enabled key whose rotation is due rotates (a disabled key is
 * not rotated; once enabled again it rotates at the next sweep, since its date has passed). Anything else
 * records nothing, so every instance may try.
 */
export function decideRotateKeyAutomatically(command: RotateKeyCommand, state: KeyState, now: EpochMillis): KeyEvent[] {
  const key = state.key;
  if (!key || key.arn !== command.keyArn || state.deletedAt !== undefined || !state.rotation) return [];
  if (state.rotation.nextRotationDate > now || keyStateName(effectiveState(state, now)) !== 'Enabled') return [];
  if (key.origin !== 'AWS_KMS' || keyFamily(key.keySpec) !== 'SYMMETRIC' || !command.generatedKeyMaterialId) return [];
  const previous = currentMaterial(state)!.keyMaterialId;
  return [
    {
      type: KeyEventTypes.KeyMaterialRotated,
      data: {
        keyMaterialId: command.generatedKeyMaterialId,
        previousKeyMaterialId: previous,
        rotationType: 'AUTOMATIC',
        rotationDate: toIso(now),
        nextRotationDate: toIso(now + state.rotation.rotationPeriodInDays * DAY_MS),
        ...sealedUnder(key, command),
      },
    },
  ];
}
