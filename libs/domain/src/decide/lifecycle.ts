import { DeleteKeyCommand, KeyLifecycleCommand, ScheduleKeyDeletionCommand, UpdateKeyDescriptionCommand } from '../commands';
import { KmsErrors } from '../errors';
import { KeyEvent, KeyEventTypes } from '../events';
import { KeyState } from '../key-state';
import { DAY_MS, EpochMillis, toIso } from '../time';
import { requireKeyInState } from './guards';

/** AWS enforces 7..30 days (the model allows 1..365, checked as request validation before this). */
export const MIN_PENDING_WINDOW_DAYS = 7;
export const MAX_PENDING_WINDOW_DAYS = 30;
export const DEFAULT_PENDING_WINDOW_DAYS = 30;

/** EnableKey and DisableKey are idempotent: a key already in the wanted state records nothing. */
export function decideEnableDisable(command: KeyLifecycleCommand & { kind: 'EnableKey' | 'DisableKey' }, state: KeyState, now: EpochMillis): KeyEvent[] {
  requireKeyInState(state, command.keyArn, command.kind, now);
  const enable = command.kind === 'EnableKey';
  if (state.enabled === enable) return [];
  return [enable ? { type: KeyEventTypes.KeyEnabled, data: {} } : { type: KeyEventTypes.KeyDisabled, data: {} }];
}

export function decideUpdateKeyDescription(command: UpdateKeyDescriptionCommand, state: KeyState, now: EpochMillis): KeyEvent[] {
  const key = requireKeyInState(state, command.keyArn, 'UpdateKeyDescription', now);
  if (key.description === command.description) return [];
  return [{ type: KeyEventTypes.KeyDescriptionUpdated, data: { description: command.description } }];
}

/** DeletionDate is now plus the window, to the millisecond (UNCONFIRMED rounding; reference Appendix B #19). */
export function decideScheduleKeyDeletion(command: ScheduleKeyDeletionCommand, state: KeyState, now: EpochMillis): KeyEvent[] {
  const days = command.pendingWindowInDays ?? DEFAULT_PENDING_WINDOW_DAYS;
  if (days < MIN_PENDING_WINDOW_DAYS || days > MAX_PENDING_WINDOW_DAYS) {
    throw KmsErrors.validation(`PendingWindowInDays must be between ${MIN_PENDING_WINDOW_DAYS} and ${MAX_PENDING_WINDOW_DAYS}`);
  }
  requireKeyInState(state, command.keyArn, 'ScheduleKeyDeletion', now);
  return [{ type: KeyEventTypes.KeyDeletionScheduled, data: { deletionDate: toIso(now + days * DAY_MS), pendingWindowInDays: days } }];
}

export function decideCancelKeyDeletion(command: KeyLifecycleCommand, state: KeyState, now: EpochMillis): KeyEvent[] {
  requireKeyInState(state, command.keyArn, 'CancelKeyDeletion', now);
  return [{ type: KeyEventTypes.KeyDeletionCanceled, data: {} }];
}

/**
 * The maintenance job's deletion: once DeletionDate has passed the key is deleted with all its material. A key
 * already deleted, no longer scheduled, or not yet due records nothing, so every instance may try.
 */
export function decideDeleteKey(command: DeleteKeyCommand, state: KeyState, now: EpochMillis): KeyEvent[] {
  const key = state.key;
  if (!key || key.arn !== command.keyArn || state.deletedAt !== undefined || !state.deletion || state.deletion.deletionDate > now) return [];
  const held = state.materials.filter((m) => m.importState === 'IMPORTED').map((m) => m.keyMaterialId);
  return [{ type: KeyEventTypes.KeyDeleted, data: { deletionDate: toIso(now), keyMaterialIds: held } }];
}
