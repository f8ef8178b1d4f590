import { KmsError, KmsErrors } from './errors';
import { currentMaterial, effectiveState, keyStateName } from './key-lifecycle';
import { KeyAttributes, KeyState, MaterialRecord } from './key-state';
import type { KeyUsage } from './key-spec';
import { EpochMillis } from './time';

/**
 * Whether a key can serve a cryptographic operation right now (kms-api-reference.md §10, §12): it must be
 * Enabled (not pending import, which is also what expired material looks like), and its usage must match.
 * Returns the key and the material to use.
 */
export function requireUsableKey(
  rawState: KeyState,
  request: { keyArn: string; operation: string; usage: KeyUsage; keyMaterialId?: string },
  now: EpochMillis,
): { key: KeyAttributes; material: MaterialRecord } {
  const state = effectiveState(rawState, now);
  const key = state.key;
  // Keys of another account or region are invisible, exactly like keys that do not exist.
  if (!key || key.arn !== request.keyArn) throw KmsErrors.keyNotFound(request.keyArn);
  const keyState = keyStateName(state);
  if (keyState === 'PendingImport') throw KmsErrors.pendingImport(key.arn);
  if (keyState === 'PendingDeletion') throw KmsErrors.pendingDeletion(key.arn);
  if (keyState === 'Disabled') throw KmsErrors.disabled(key.arn);
  if (key.keyUsage !== request.usage) {
    throw new KmsError('InvalidKeyUsageException', `${key.arn} key usage is ${key.keyUsage} which is not valid for ${request.operation}.`);
  }
  const material =
    request.keyMaterialId === undefined ? currentMaterial(state) : state.materials.find((m) => m.keyMaterialId === request.keyMaterialId);
  // A ciphertext made under material that is gone (or never existed) cannot be decrypted.
  if (!material || material.importState !== 'IMPORTED') throw new KmsError('InvalidCiphertextException', '');
  return { key, material };
}
