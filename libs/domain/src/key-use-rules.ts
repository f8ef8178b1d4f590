import { KmsError, KmsErrors } from './errors';
import { currentMaterial, effectiveState, keyStateName, visibleKey } from './key-lifecycle';
import { algorithmsFor, KeyAlgorithms, KeyFamily, keyFamily, KeyUsage } from './key-spec';
import { KeyAttributes, KeyState, MaterialRecord } from './key-state';
import { CryptoOperation, stateRefusal } from './key-state-rules';
import { EpochMillis } from './time';

/**
 * What each operation needs from a key besides its state (kms-operations-reference.md §1-§6, §16): the key
 * usage, which of the spec's algorithm lists the requested algorithm must be in, and the key families that can
 * do it at all. The second table beside KEY_STATE_RULES.
 */
interface UseRule {
  usage?: KeyUsage;
  algorithms?: keyof KeyAlgorithms;
  families?: readonly KeyFamily[];
  /** How a key of another family is refused. */
  wrongFamily?: (key: KeyAttributes, operation: CryptoOperation) => KmsError;
}

/**
 * Data keys come only from symmetric encryption keys. An RSA ENCRYPT_DECRYPT key is refused with
 * InvalidKeyUsageException; AWS's text is UNCONFIRMED (reference Appendix B #12), so it names the spec.
 */
const onlySymmetric: Pick<UseRule, 'families' | 'wrongFamily'> = {
  families: ['SYMMETRIC'],
  wrongFamily: (key, operation) => new KmsError('InvalidKeyUsageException', `${key.arn} key spec is ${key.keySpec} which is not valid for ${operation}.`),
};

export const KEY_USE_RULES: Record<CryptoOperation, UseRule> = {
  Encrypt: { usage: 'ENCRYPT_DECRYPT', algorithms: 'EncryptionAlgorithms' },
  Decrypt: { usage: 'ENCRYPT_DECRYPT', algorithms: 'EncryptionAlgorithms' },
  ReEncrypt: { usage: 'ENCRYPT_DECRYPT', algorithms: 'EncryptionAlgorithms' },
  GenerateDataKey: { usage: 'ENCRYPT_DECRYPT', ...onlySymmetric },
  GenerateDataKeyWithoutPlaintext: { usage: 'ENCRYPT_DECRYPT', ...onlySymmetric },
  GenerateDataKeyPair: { usage: 'ENCRYPT_DECRYPT', ...onlySymmetric },
  GenerateDataKeyPairWithoutPlaintext: { usage: 'ENCRYPT_DECRYPT', ...onlySymmetric },
  Sign: { usage: 'SIGN_VERIFY', algorithms: 'SigningAlgorithms' },
  Verify: { usage: 'SIGN_VERIFY', algorithms: 'SigningAlgorithms' },
  GenerateMac: { usage: 'GENERATE_VERIFY_MAC', algorithms: 'MacAlgorithms' },
  VerifyMac: { usage: 'GENERATE_VERIFY_MAC', algorithms: 'MacAlgorithms' },
  DeriveSharedSecret: { usage: 'KEY_AGREEMENT', algorithms: 'KeyAgreementAlgorithms' },
  // Symmetric and HMAC keys have no public key. AWS's type and text are UNCONFIRMED (Appendix B #5):
  // UnsupportedOperationException with no message, like AWS's other message-less UnsupportedOperationException.
  GetPublicKey: { families: ['RSA', 'ECC'], wrongFamily: () => new KmsError('UnsupportedOperationException', '') },
};

export interface KeyUseRequest {
  /** The ARN the caller's key id names in their account and region. */
  keyArn: string;
  operation: CryptoOperation;
  /** The algorithm the request names (EncryptionAlgorithm defaults to SYMMETRIC_DEFAULT before it gets here). */
  algorithm?: string;
  /** Decrypt: the material the ciphertext names; otherwise the current material. */
  keyMaterialId?: string;
}

export const invalidKeyUsage = (key: KeyAttributes, operation: CryptoOperation) =>
  new KmsError('InvalidKeyUsageException', `${key.arn} key usage is ${key.keyUsage} which is not valid for ${operation}.`);

export const incompatibleAlgorithm = (algorithm: string, key: KeyAttributes) =>
  new KmsError('InvalidKeyUsageException', `Algorithm ${algorithm} is incompatible with key spec ${key.keySpec}.`);

/**
 * Whether the key can serve the operation right now, checked in AWS's order (§1.3, §8 note c): the key exists
 * in the caller's account and region, its state allows the operation, its usage and family fit, the algorithm
 * is one of its spec's. Expiry is judged against `now`, so material past its ValidTo is never used, whatever
 * the expiry job has recorded. Returns the key and the material to use.
 */
export function requireUsableKey(rawState: KeyState, request: KeyUseRequest, now: EpochMillis): { key: KeyAttributes; material: MaterialRecord } {
  const state = effectiveState(rawState, now);
  const key = visibleKey(state, request.keyArn);
  if (!key) throw KmsErrors.keyNotFound(request.keyArn);
  const refusal = stateRefusal(request.operation, keyStateName(state), key.arn);
  if (refusal) throw refusal;
  checkKeyFitsOperation(key, request.operation, request.algorithm);
  const material =
    request.keyMaterialId === undefined ? currentMaterial(state) : state.materials.find((m) => m.keyMaterialId === request.keyMaterialId);
  // A ciphertext made under material that is gone (or never existed) cannot be decrypted.
  if (!material || material.importState !== 'IMPORTED') throw new KmsError('InvalidCiphertextException', '');
  return { key, material };
}

/** Usage, family and algorithm rules of KEY_USE_RULES (no state, no material). */
export function checkKeyFitsOperation(key: KeyAttributes, operation: CryptoOperation, algorithm?: string): void {
  const rule = KEY_USE_RULES[operation];
  if (rule.usage && key.keyUsage !== rule.usage) throw invalidKeyUsage(key, operation);
  if (rule.families && !rule.families.includes(keyFamily(key.keySpec))) throw rule.wrongFamily!(key, operation);
  if (rule.algorithms && algorithm !== undefined) {
    const allowed = algorithmsFor(key.keySpec, key.keyUsage)[rule.algorithms] ?? [];
    if (!allowed.includes(algorithm)) throw incompatibleAlgorithm(algorithm, key);
  }
}
