import { KeyCommand } from '../commands';
import { DecidedEvent, KeyEvent, KeyEventTypes } from '../events';
import { foldEvents, KeyState } from '../key-state';
import { EpochMillis } from '../time';
import { decideCreateKey } from './create-key';
import { decideDeleteImportedKeyMaterial, expiryEvents } from './delete-and-expire';
import { decideImportKeyMaterial } from './import-key-material';
import { decideIssueImportParameters } from './import-parameters';
import { decideCancelKeyDeletion, decideDeleteKey, decideEnableDisable, decideScheduleKeyDeletion, decideUpdateKeyDescription } from './lifecycle';
import { decideDisableKeyRotation, decideEnableKeyRotation, decideRotateKeyAutomatically, decideRotateKeyOnDemand } from './rotation';
import { decidePutKeyPolicy, decideTagResource, decideUntagResource } from './tags-and-policy';

export interface Decision {
  /** Events to append, in order. Empty when the command changes nothing. */
  events: DecidedEvent[];
  /** The key material the command acted on, for the response (ImportKeyMaterial, DeleteImportedKeyMaterial). */
  keyMaterialId?: string;
}

const byService = (events: KeyEvent[]): DecidedEvent[] => events.map((e) => ({ ...e, initiatedBy: 'service' as const }));

/**
 * The key decider: given the state folded from the key's stream, the command, and the time, returns the
 * events to append or throws a KmsError. Pure and deterministic.
 *
 * Material past its ValidTo is recorded as expired (on the service's behalf) before the command is decided,
 * so the log never shows a command acting on material that had already expired.
 */
export function decide(command: KeyCommand, state: KeyState, now: EpochMillis): Decision {
  if (command.kind === 'CreateKey') return { events: decideCreateKey(command, state, now) };

  const expired = state.key && state.deletedAt === undefined ? byService(expiryEvents(state, now)) : [];
  const current = foldEvents(expired, state);
  const then = (events: KeyEvent[], keyMaterialId?: string): Decision => ({ events: [...expired, ...events], keyMaterialId });

  switch (command.kind) {
    case 'ExpireKeyMaterial':
      return then([]);
    case 'IssueImportParameters':
      return then(decideIssueImportParameters(command, current, now));
    case 'ImportKeyMaterial': {
      const events = decideImportKeyMaterial(command, current, now);
      const imported = events.find((e) => e.type === KeyEventTypes.KeyMaterialImported);
      return then(events, imported?.type === KeyEventTypes.KeyMaterialImported ? imported.data.keyMaterialId : undefined);
    }
    case 'DeleteImportedKeyMaterial': {
      const { events, keyMaterialId } = decideDeleteImportedKeyMaterial(command, current);
      return then(events, keyMaterialId);
    }
    case 'EnableKey':
    case 'DisableKey':
      return then(decideEnableDisable({ ...command, kind: command.kind }, current, now));
    case 'UpdateKeyDescription':
      return then(decideUpdateKeyDescription(command, current, now));
    case 'ScheduleKeyDeletion':
      return then(decideScheduleKeyDeletion(command, current, now));
    case 'CancelKeyDeletion':
      return then(decideCancelKeyDeletion(command, current, now));
    case 'DeleteKey':
      return then(decideDeleteKey(command, current, now));
    case 'TagResource':
      return then(decideTagResource(command, current, now));
    case 'UntagResource':
      return then(decideUntagResource(command, current, now));
    case 'PutKeyPolicy':
      return then(decidePutKeyPolicy(command, current, now));
    case 'EnableKeyRotation':
      return then(decideEnableKeyRotation(command, current, now));
    case 'DisableKeyRotation':
      return then(decideDisableKeyRotation(command, current, now));
    case 'RotateKeyOnDemand': {
      const events = decideRotateKeyOnDemand(command, current, now);
      const rotated = events.find((e) => e.type === KeyEventTypes.KeyMaterialRotated);
      return then(events, rotated?.type === KeyEventTypes.KeyMaterialRotated ? rotated.data.keyMaterialId : undefined);
    }
    case 'RotateKeyAutomatically':
      return then(decideRotateKeyAutomatically(command, current, now));
  }
}

export { requireKey, requireKeyInState } from './guards';
export { DEFAULT_PENDING_WINDOW_DAYS, MAX_PENDING_WINDOW_DAYS, MIN_PENDING_WINDOW_DAYS } from './lifecycle';
export { DEFAULT_ROTATION_PERIOD_DAYS, MAX_ON_DEMAND_ROTATIONS } from './rotation';
