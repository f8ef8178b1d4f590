import { KmsErrors } from '../errors';
import { KeyAttributes, KeyState } from '../key-state';

/**
 * The key must exist in the caller's account and region: streams are found by bare key id, so a key of another
 * account or region is "not found" exactly like a missing one. The error names the ARN the caller asked for.
 */
export function requireKey(state: KeyState, keyArn: string): KeyAttributes {
  if (!state.key || state.key.arn !== keyArn) throw KmsErrors.keyNotFound(keyArn);
  return state.key;
}

/** Import operations exist only for keys whose material comes from outside (Origin=EXTERNAL). */
export function requireExternalOrigin(key: KeyAttributes): void {
  if (key.origin !== 'EXTERNAL') throw KmsErrors.originNotValid(key.arn, key.origin);
}
