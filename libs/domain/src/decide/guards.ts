import { KmsErrors } from '../errors';
import { effectiveState, keyStateName, visibleKey } from '../key-lifecycle';
import { KeyAttributes, KeyState } from '../key-state';
import { KeyOperation, stateRefusal } from '../key-state-rules';
import { EpochMillis } from '../time';

/**
 * The key must exist in the caller's account and region: streams are found by bare key id, so a key of another
 * account or region is "not found" exactly like a missing one. The error names the ARN the caller asked for.
 */
export function requireKey(state: KeyState, keyArn: string): KeyAttributes {
  const key = visibleKey(state, keyArn);
  if (!key) throw KmsErrors.keyNotFound(keyArn);
  return key;
}

/** requireKey, then the key-state table's answer for `operation` (the effective state: expiry counts). */
export function requireKeyInState(state: KeyState, keyArn: string, operation: KeyOperation, now: EpochMillis): KeyAttributes {
  const key = requireKey(state, keyArn);
  const refusal = stateRefusal(operation, keyStateName(effectiveState(state, now)), key.arn);
  if (refusal) throw refusal;
  return key;
}

/** Import operations exist only for keys whose material comes from outside (Origin=EXTERNAL). */
export function requireExternalOrigin(key: KeyAttributes): void {
  if (key.origin !== 'EXTERNAL') throw KmsErrors.originNotValid(key.arn, key.origin);
}
