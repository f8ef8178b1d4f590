import { KeyCommand } from '../commands';
import { DecidedEvent, KeyEvent, KeyEventTypes } from '../events';
import { foldEvents, KeyState } from '../key-state';
import { EpochMillis } from '../time';
import { decideCreateKey } from './create-key';
import { decideDeleteImportedKeyMaterial, expiryEvents } from './delete-and-expire';
import { decideImportKeyMaterial } from './import-key-material';
import { decideIssueImportParameters } from './import-parameters';

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

  const expired = state.key ? byService(expiryEvents(state, now)) : [];
  const current = foldEvents(expired, state);
  const then = (events: KeyEvent[], keyMaterialId?: string): Decision => ({ events: [...expired, ...events], keyMaterialId });

  switch (command.kind) {
    case 'ExpireKeyMaterial':
      return then([]);
    case 'IssueImportParameters':
      return then(decideIssueImportParameters(command, current));
    case 'ImportKeyMaterial': {
      const events = decideImportKeyMaterial(command, current, now);
      const imported = events.find((e) => e.type === KeyEventTypes.KeyMaterialImported);
      return then(events, imported?.type === KeyEventTypes.KeyMaterialImported ? imported.data.keyMaterialId : undefined);
    }
    case 'DeleteImportedKeyMaterial': {
      const { events, keyMaterialId } = decideDeleteImportedKeyMaterial(command, current);
      return then(events, keyMaterialId);
    }
  }
}
