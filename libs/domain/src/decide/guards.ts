import { KmsErrors } from '../errors';
import { KeyAttributes, KeyState } from '../key-state';

/** The key must exist; the error names the ARN the caller asked for (AWS shows the full ARN). */
export function requireKey(state: KeyState, keyArn: string): KeyAttributes {
  if (!state.key) throw KmsErrors.keyNotFound(keyArn);
  return state.key;
}

/** Import operations exist only for keys whose material comes from outside (Origin=EXTERNAL). */
export function requireExternalOrigin(key: KeyAttributes): void {
  if (key.origin !== 'EXTERNAL') throw KmsErrors.originNotValid(key.arn, key.origin);
}
