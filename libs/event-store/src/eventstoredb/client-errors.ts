import { isStoreUnavailableError, WrongExpectedRevisionError, type ExpectedRevision } from '../event-store.port';
import { dbClient } from './db-client';

/** The client's WrongExpectedVersionError (from Append's body or BatchAppend's status) as the port's error. */
export function asWrongExpectedRevision(error: unknown, streamId: string, expected: ExpectedRevision): WrongExpectedRevisionError | undefined {
  const { ErrorType, isCommandError } = dbClient();
  if (!(error instanceof Error) || !isCommandError(error) || error.type !== ErrorType.WRONG_EXPECTED_VERSION) return undefined;
  const actual = error.actualVersion === 'no_stream' ? -1 : Number(error.actualVersion);
  return new WrongExpectedRevisionError(streamId, expected, actual);
}

/**
 * Errors after which a subscription is worth re-opening: the node went away or restarted, the leader moved,
 * or the server dropped a slow consumer, or it did not answer in time. Anything else (access denied, bad arguments) is not going to heal.
 */
export function isTransient(error: unknown): boolean {
  if (isStoreUnavailableError(error)) return true;
  const { ErrorType, isCommandError } = dbClient();
  if (!(error instanceof Error) || !isCommandError(error)) return false;
  return [
    ErrorType.UNAVAILABLE,
    ErrorType.CANCELLED,
    ErrorType.DEADLINE_EXCEEDED,
    ErrorType.TIMEOUT,
    ErrorType.NOT_LEADER,
    ErrorType.UNKNOWN,
  ].includes(error.type);
}
