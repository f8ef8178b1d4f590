import { KeyCommand } from '../commands';
import { KeyEvent, KeyEventTypes } from '../events';
import { effectiveState, keyStateName } from '../key-lifecycle';
import { toKeyMetadata } from '../key-metadata';
import { KeySpec, KeyUsage } from '../key-spec';
import { foldEvents, KeyState } from '../key-state';
import { requireUsableKey } from '../key-use-rules';
import {
  awsKmsKey,
  DAY_MS,
  deletionScheduled,
  expiringMaterialImported,
  externalKey,
  given,
  HOUR_MS,
  KEY_ARN,
  keyDeleted,
  keyDisabled,
  keyEnabled,
  MAT_A,
  MAT_B,
  MAT_C,
  materialDeleted,
  materialImported,
  materialRotated,
  rotationDisabled,
  rotationEnabled,
  T0,
} from '../testing/given-when-then';
import { MINUTE_MS, toIso } from '../time';

/** Rotation of symmetric keys (kms-operations-reference.md §13; kms-api-reference.md §11; Appendix B #28-#31). */
const T1 = T0 + DAY_MS;
const MAT_D = 'd'.repeat(64);
const MAT_E = 'e'.repeat(64);

const enableRotation = (rotationPeriodInDays?: number): KeyCommand => ({
  kind: 'EnableKeyRotation',
  keyArn: KEY_ARN,
  ...(rotationPeriodInDays !== undefined ? { rotationPeriodInDays } : {}),
});
const disableRotation: KeyCommand = { kind: 'DisableKeyRotation', keyArn: KEY_ARN };
const rotateOnDemand = (generatedKeyMaterialId?: string): KeyCommand => ({
  kind: 'RotateKeyOnDemand',
  keyArn: KEY_ARN,
  ...(generatedKeyMaterialId !== undefined ? { generatedKeyMaterialId } : {}),
});
const rotateAutomatically = (generatedKeyMaterialId = MAT_B): KeyCommand => ({ kind: 'RotateKeyAutomatically', keyArn: KEY_ARN, generatedKeyMaterialId });

const rotationEnabledEvent = (rotationPeriodInDays: number, nextRotationDate: number): KeyEvent => ({
  type: KeyEventTypes.KeyRotationEnabled,
  data: { rotationPeriodInDays, nextRotationDate: toIso(nextRotationDate) },
});
const onDemand = (keyMaterialId: string, previousKeyMaterialId: string, at: number): KeyEvent =>
  materialRotated(keyMaterialId, previousKeyMaterialId, at, 'ON_DEMAND');

const stateAt = (state: KeyState, now: number) => keyStateName(effectiveState(state, now));
const materialStates = (state: KeyState) => Object.fromEntries(state.materials.map((m) => [m.keyMaterialId, `${m.materialState}/${m.importState}`]));

/** `n` distinct 64-hex material ids. */
const materialIds = (n: number): string[] => Array.from({ length: n }, (_, i) => i.toString(16).padStart(64, '0'));

const ORIGIN_EXTERNAL = `${KEY_ARN} origin is EXTERNAL which is not valid for this operation.`;
const DISABLED = `${KEY_ARN} is disabled.`;
const PENDING_DELETION = `${KEY_ARN} is pending deletion.`;
const PENDING_IMPORT = `${KEY_ARN} is pending import.`;
const NO_PENDING = `No available key material pending rotation for the key: ${KEY_ARN}.`;
const LIMIT = `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${KEY_ARN}`;

const awsKey = (keySpec: KeySpec, keyUsage: KeyUsage) => awsKmsKey({ keySpec, keyUsage });
const NON_SYMMETRIC: Array<[KeySpec, KeyUsage]> = [
  ['RSA_2048', 'ENCRYPT_DECRYPT'],
  ['RSA_4096', 'SIGN_VERIFY'],
  ['ECC_NIST_P256', 'SIGN_VERIFY'],
  ['HMAC_256', 'GENERATE_VERIFY_MAC'],
];

describe('EnableKeyRotation', () => {
  it('defaults to a 365-day period: next rotation = now + 365 days', () => {
    const now = T1 + 789;
    const { after } = given(awsKmsKey()).when(enableRotation(), now).thenEvents(rotationEnabledEvent(365, now + 365 * DAY_MS));
    expect(after.rotation).toEqual({ rotationPeriodInDays: 365, nextRotationDate: now + 365 * DAY_MS });
  });

  it.each([90, 180, 2560])('stores a period of %i days: next rotation = now + period', (days) => {
    const { after } = given(awsKmsKey()).when(enableRotation(days), T1).thenEvents(rotationEnabledEvent(days, T1 + days * DAY_MS));
    expect(after.rotation?.rotationPeriodInDays).toBe(days);
  });

  it('records nothing when enabled again with the same period', () => {
    given(awsKmsKey(), rotationEnabled(T0, 90)).when(enableRotation(90), T1).thenNoEvents();
    given(awsKmsKey(), rotationEnabled(T0)).when(enableRotation(), T1).thenNoEvents();
  });

  it('a new period restarts the schedule from now', () => {
    given(awsKmsKey(), rotationEnabled(T0, 365)).when(enableRotation(90), T1).thenEvents(rotationEnabledEvent(90, T1 + 90 * DAY_MS));
  });

  it('refuses an EXTERNAL key (UnsupportedOperationException, origin text)', () => {
    given(externalKey(), materialImported()).when(enableRotation(), T1).thenError('UnsupportedOperationException', ORIGIN_EXTERNAL);
  });

  it('refuses an EXTERNAL key in PendingImport with the origin text too ([6])', () => {
    given(externalKey()).when(enableRotation(), T1).thenError('UnsupportedOperationException', ORIGIN_EXTERNAL);
  });

  it.each(NON_SYMMETRIC)('refuses a %s key (UnsupportedOperationException without a message)', (keySpec, keyUsage) => {
    given(awsKey(keySpec, keyUsage)).when(enableRotation(), T1).thenError('UnsupportedOperationException', '');
  });

  it('refuses a Disabled key (DisabledException)', () => {
    given(awsKmsKey(), keyDisabled()).when(enableRotation(), T1).thenError('DisabledException', DISABLED);
  });

  it('checks Disabled before the key type (a disabled RSA key is DisabledException)', () => {
    given(awsKey('RSA_2048', 'ENCRYPT_DECRYPT'), keyDisabled()).when(enableRotation(), T1).thenError('DisabledException', DISABLED);
  });

  it('refuses a key pending deletion', () => {
    given(awsKmsKey(), deletionScheduled(T0 + 30 * DAY_MS)).when(enableRotation(), T1).thenError('KMSInvalidStateException', PENDING_DELETION);
  });
});

describe('DisableKeyRotation', () => {
  it('records KeyRotationDisabled and forgets the schedule', () => {
    const { after } = given(awsKmsKey(), rotationEnabled(T0)).when(disableRotation, T1).thenEvents({ type: KeyEventTypes.KeyRotationDisabled, data: {} });
    expect(after.rotation).toBeUndefined();
  });

  it('records nothing when rotation is not enabled', () => {
    given(awsKmsKey()).when(disableRotation, T1).thenNoEvents();
    given(awsKmsKey(), rotationEnabled(T0), rotationDisabled()).when(disableRotation, T1).thenNoEvents();
  });

  it('enabling again after disabling starts a new schedule from now', () => {
    given(awsKmsKey(), rotationEnabled(T0, 90), rotationDisabled()).when(enableRotation(90), T1).thenEvents(rotationEnabledEvent(90, T1 + 90 * DAY_MS));
  });

  it('refuses an EXTERNAL key, a non-symmetric key, a Disabled key and a key pending deletion', () => {
    given(externalKey(), materialImported()).when(disableRotation, T1).thenError('UnsupportedOperationException', ORIGIN_EXTERNAL);
    given(awsKey('HMAC_384', 'GENERATE_VERIFY_MAC')).when(disableRotation, T1).thenError('UnsupportedOperationException', '');
    given(awsKmsKey(), rotationEnabled(T0), keyDisabled()).when(disableRotation, T1).thenError('DisabledException', DISABLED);
    given(awsKmsKey(), rotationEnabled(T0), deletionScheduled(T0 + 30 * DAY_MS)).when(disableRotation, T1).thenError('KMSInvalidStateException', PENDING_DELETION);
  });
});

describe('RotateKeyOnDemand, AWS_KMS keys', () => {
  it('makes the generated material current and the old one NON_CURRENT', () => {
    const { decision, after } = given(awsKmsKey())
      .when(rotateOnDemand(MAT_B), T1)
      .thenEvents({
        type: KeyEventTypes.KeyMaterialRotated,
        data: { keyMaterialId: MAT_B, previousKeyMaterialId: MAT_A, rotationType: 'ON_DEMAND', rotationDate: toIso(T1) },
      });
    expect(decision.keyMaterialId).toBe(MAT_B);
    expect(after.currentKeyMaterialId).toBe(MAT_B);
    expect(materialStates(after)).toEqual({ [MAT_A]: 'NON_CURRENT/IMPORTED', [MAT_B]: 'CURRENT/IMPORTED' });
    expect(toKeyMetadata(after, T1).CurrentKeyMaterialId).toBe(MAT_B);
    expect(stateAt(after, T1)).toBe('Enabled');
  });

  it('the old material still decrypts (requireUsableKey with its id); new ciphertexts use the new material', () => {
    const { after } = given(awsKmsKey()).when(rotateOnDemand(MAT_B), T1).thenEvents(onDemand(MAT_B, MAT_A, T1));
    expect(requireUsableKey(after, { keyArn: KEY_ARN, operation: 'Decrypt', keyMaterialId: MAT_A }, T1).material.keyMaterialId).toBe(MAT_A);
    expect(requireUsableKey(after, { keyArn: KEY_ARN, operation: 'Encrypt' }, T1).material.keyMaterialId).toBe(MAT_B);
  });

  it('rotates again: each previous material stays usable', () => {
    const { after } = given(awsKmsKey(), onDemand(MAT_B, MAT_A, T0 + HOUR_MS)).when(rotateOnDemand(MAT_C), T1).thenEvents(onDemand(MAT_C, MAT_B, T1));
    expect(materialStates(after)).toEqual({ [MAT_A]: 'NON_CURRENT/IMPORTED', [MAT_B]: 'NON_CURRENT/IMPORTED', [MAT_C]: 'CURRENT/IMPORTED' });
  });

  it('does not change the next automatic rotation date', () => {
    const { after } = given(awsKmsKey(), rotationEnabled(T0)).when(rotateOnDemand(MAT_B), T1).thenEvents(onDemand(MAT_B, MAT_A, T1));
    expect(after.rotation).toEqual({ rotationPeriodInDays: 365, nextRotationDate: T0 + 365 * DAY_MS });
  });

  describe('the on-demand limit (25 per key)', () => {
    /** `n` on-demand rotations of an AWS_KMS key (A, then ids 0..n-1). */
    const rotatedTimes = (n: number): KeyEvent[] => {
      const ids = materialIds(n);
      return ids.map((id, i) => onDemand(id, i === 0 ? MAT_A : ids[i - 1], T0 + i * MINUTE_MS));
    };

    it('allows the 25th on-demand rotation', () => {
      given(awsKmsKey(), ...rotatedTimes(24)).when(rotateOnDemand(MAT_B), T1).thenEvents(onDemand(MAT_B, materialIds(24)[23], T1));
    });

    it('refuses the 26th with LimitExceededException (SNAP text)', () => {
      given(awsKmsKey(), ...rotatedTimes(25)).when(rotateOnDemand(MAT_B), T1).thenError('LimitExceededException', LIMIT);
    });

    it('does not count automatic rotations', () => {
      const ids = materialIds(24);
      const automatic = [
        materialRotated(MAT_C, ids[23], T0 + HOUR_MS, 'AUTOMATIC', T0 + 400 * DAY_MS),
        materialRotated(MAT_D, MAT_C, T0 + 2 * HOUR_MS, 'AUTOMATIC', T0 + 400 * DAY_MS),
      ];
      given(awsKmsKey(), rotationEnabled(T0), ...rotatedTimes(24), ...automatic).when(rotateOnDemand(MAT_E), T1).thenEvents(onDemand(MAT_E, MAT_D, T1));
    });
  });

  describe('ConflictException while an automatic rotation is due within 20 minutes', () => {
    const next = T0 + 90 * DAY_MS;
    const withRotation = [awsKmsKey(), rotationEnabled(T0, 90)];

    it.each([
      ['20 minutes before', next - 20 * MINUTE_MS],
      ['1 minute before', next - MINUTE_MS],
      ['at the due time (not yet rotated)', next],
    ])('refuses %s', (_when, now) => {
      given(...withRotation).when(rotateOnDemand(MAT_B), now).thenError('ConflictException', /.*/);
    });

    it('allows it 21 minutes before', () => {
      given(...withRotation).when(rotateOnDemand(MAT_B), next - 21 * MINUTE_MS).thenEvents(onDemand(MAT_B, MAT_A, next - 21 * MINUTE_MS));
    });

    it('allows it when automatic rotation is disabled', () => {
      given(...withRotation, rotationDisabled()).when(rotateOnDemand(MAT_B), next - MINUTE_MS).thenEvents(onDemand(MAT_B, MAT_A, next - MINUTE_MS));
    });
  });

  describe('errors', () => {
    it('refuses a Disabled key (DisabledException)', () => {
      given(awsKmsKey(), keyDisabled()).when(rotateOnDemand(MAT_B), T1).thenError('DisabledException', DISABLED);
    });

    it('checks Disabled before the key type: a disabled RSA key is DisabledException', () => {
      given(awsKey('RSA_4096', 'ENCRYPT_DECRYPT'), keyDisabled()).when(rotateOnDemand(), T1).thenError('DisabledException', DISABLED);
    });

    it.each(NON_SYMMETRIC)('refuses an enabled %s key (UnsupportedOperationException without a message)', (keySpec, keyUsage) => {
      given(awsKey(keySpec, keyUsage)).when(rotateOnDemand(), T1).thenError('UnsupportedOperationException', '');
    });

    it('refuses a key pending deletion', () => {
      given(awsKmsKey(), deletionScheduled(T0 + 30 * DAY_MS)).when(rotateOnDemand(MAT_B), T1).thenError('KMSInvalidStateException', PENDING_DELETION);
    });

    it('refuses a key that does not exist', () => {
      given().when(rotateOnDemand(MAT_B), T1).thenError('NotFoundException', `Key '${KEY_ARN}' does not exist`);
    });
  });
});

describe('RotateKeyOnDemand, EXTERNAL keys', () => {
  const withA = [externalKey(), materialImported()];
  const withPendingB = [...withA, materialImported({ keyMaterialId: MAT_B, materialState: 'PENDING_ROTATION' })];

  it('makes the material pending rotation current and the previous one NON_CURRENT', () => {
    const { after } = given(...withPendingB).when(rotateOnDemand(), T1).thenEvents(onDemand(MAT_B, MAT_A, T1));
    expect(after.currentKeyMaterialId).toBe(MAT_B);
    expect(materialStates(after)).toEqual({ [MAT_A]: 'NON_CURRENT/IMPORTED', [MAT_B]: 'CURRENT/IMPORTED' });
    expect(toKeyMetadata(after, T1).CurrentKeyMaterialId).toBe(MAT_B);
    expect(stateAt(after, T1)).toBe('Enabled');
    expect(requireUsableKey(after, { keyArn: KEY_ARN, operation: 'Decrypt', keyMaterialId: MAT_A }, T1).material.keyMaterialId).toBe(MAT_A);
    expect(requireUsableKey(after, { keyArn: KEY_ARN, operation: 'Encrypt' }, T1).material.keyMaterialId).toBe(MAT_B);
  });

  it('rotates to the pending material even if the edge passed a generated id', () => {
    given(...withPendingB).when(rotateOnDemand(MAT_C), T1).thenEvents(onDemand(MAT_B, MAT_A, T1));
  });

  it('refuses without material pending rotation (KMSInvalidStateException, SNAP text)', () => {
    given(...withA).when(rotateOnDemand(), T1).thenError('KMSInvalidStateException', NO_PENDING);
  });

  it('refuses when the material pending rotation was deleted', () => {
    given(...withPendingB, materialDeleted(MAT_B)).when(rotateOnDemand(), T1).thenError('KMSInvalidStateException', NO_PENDING);
  });

  it('refuses when the material pending rotation has expired', () => {
    const history = [...withA, expiringMaterialImported(T0 + HOUR_MS, { keyMaterialId: MAT_B, materialState: 'PENDING_ROTATION' })];
    given(...history).when(rotateOnDemand(), T1).thenError('KMSInvalidStateException', NO_PENDING);
  });

  it('refuses a key in PendingImport with the pending-import text (never imported)', () => {
    given(externalKey()).when(rotateOnDemand(), T1).thenError('KMSInvalidStateException', PENDING_IMPORT);
  });

  it('refuses a key in PendingImport even with material pending rotation (current material deleted)', () => {
    given(...withPendingB, materialDeleted(MAT_A)).when(rotateOnDemand(), T1).thenError('KMSInvalidStateException', PENDING_IMPORT);
  });

  it('refuses a Disabled key (DisabledException)', () => {
    given(...withPendingB, keyDisabled()).when(rotateOnDemand(), T1).thenError('DisabledException', DISABLED);
  });

  it('refuses an EXTERNAL HMAC key (UnsupportedOperationException without a message)', () => {
    given(externalKey('HMAC_256'), materialImported()).when(rotateOnDemand(), T1).thenError('UnsupportedOperationException', '');
  });

  describe('after rotation', () => {
    const rotated = [...withPendingB, onDemand(MAT_B, MAT_A, T0 + HOUR_MS)];

    it('deleting the previous (NON_CURRENT) material puts the key in PendingImport', () => {
      const { after } = given(...rotated)
        .when({ kind: 'DeleteImportedKeyMaterial', keyArn: KEY_ARN, keyMaterialId: MAT_A }, T1)
        .thenEvents(materialDeleted(MAT_A));
      expect(stateAt(after, T1)).toBe('PendingImport');
      expect(after.currentKeyMaterialId).toBe(MAT_B);
    });

    it('deleting new material pending rotation does not change the state', () => {
      const withPendingC = [...rotated, materialImported({ keyMaterialId: MAT_C, materialState: 'PENDING_ROTATION' })];
      const { after } = given(...withPendingC)
        .when({ kind: 'DeleteImportedKeyMaterial', keyArn: KEY_ARN, keyMaterialId: MAT_C }, T1)
        .thenEvents(materialDeleted(MAT_C));
      expect(stateAt(after, T1)).toBe('Enabled');
      expect(materialStates(after)).toEqual({ [MAT_A]: 'NON_CURRENT/IMPORTED', [MAT_B]: 'CURRENT/IMPORTED' });
    });

    it('rotates again to newer pending material', () => {
      const withPendingC = [...rotated, materialImported({ keyMaterialId: MAT_C, materialState: 'PENDING_ROTATION' })];
      const { after } = given(...withPendingC).when(rotateOnDemand(), T1).thenEvents(onDemand(MAT_C, MAT_B, T1));
      expect(materialStates(after)).toEqual({ [MAT_A]: 'NON_CURRENT/IMPORTED', [MAT_B]: 'NON_CURRENT/IMPORTED', [MAT_C]: 'CURRENT/IMPORTED' });
    });

    it('does not rotate again without new pending material', () => {
      given(...rotated).when(rotateOnDemand(), T1).thenError('KMSInvalidStateException', NO_PENDING);
    });
  });
});

describe('RotateKeyAutomatically (maintenance job)', () => {
  const due = T0 + 365 * DAY_MS;
  const withRotation = [awsKmsKey(), rotationEnabled(T0)];
  const automatic = (at: number, next: number) => materialRotated(MAT_B, MAT_A, at, 'AUTOMATIC', next);

  it('records nothing before the rotation is due', () => {
    given(...withRotation).when(rotateAutomatically(), due - 1).thenNoEvents();
  });

  it('rotates when due and Enabled: next = now + period', () => {
    const { after } = given(...withRotation).when(rotateAutomatically(), due).thenEvents(automatic(due, due + 365 * DAY_MS));
    expect(after.currentKeyMaterialId).toBe(MAT_B);
    expect(after.rotation).toEqual({ rotationPeriodInDays: 365, nextRotationDate: due + 365 * DAY_MS });
    expect(after.onDemandRotations ?? 0).toBe(0);
    expect(materialStates(after)).toEqual({ [MAT_A]: 'NON_CURRENT/IMPORTED', [MAT_B]: 'CURRENT/IMPORTED' });
  });

  it('a late sweep schedules the next rotation from the time it rotated', () => {
    const late = due + 3 * DAY_MS;
    given(...withRotation).when(rotateAutomatically(), late).thenEvents(automatic(late, late + 365 * DAY_MS));
  });

  it('uses the configured period', () => {
    const due90 = T0 + 90 * DAY_MS;
    given(awsKmsKey(), rotationEnabled(T0, 90)).when(rotateAutomatically(), due90).thenEvents(automatic(due90, due90 + 90 * DAY_MS));
  });

  it('records nothing the second time (already rotated, next one not due)', () => {
    given(...withRotation, automatic(due, due + 365 * DAY_MS)).when(rotateAutomatically(MAT_C), due + HOUR_MS).thenNoEvents();
  });

  it('records nothing for a Disabled key, and rotates once it is enabled again after the date passed', () => {
    given(...withRotation, keyDisabled()).when(rotateAutomatically(), due + DAY_MS).thenNoEvents();
    const reenabledAt = due + 10 * DAY_MS;
    given(...withRotation, keyDisabled(), keyEnabled())
      .when(rotateAutomatically(), reenabledAt)
      .thenEvents(automatic(reenabledAt, reenabledAt + 365 * DAY_MS));
  });

  it('records nothing for a key pending deletion, or deleted', () => {
    given(...withRotation, deletionScheduled(due + 7 * DAY_MS, 7)).when(rotateAutomatically(), due).thenNoEvents();
    given(...withRotation, deletionScheduled(due - DAY_MS, 7), keyDeleted(due - DAY_MS, [MAT_A])).when(rotateAutomatically(), due).thenNoEvents();
  });

  it('records nothing when rotation is not (or no longer) enabled', () => {
    given(awsKmsKey()).when(rotateAutomatically(), due).thenNoEvents();
    given(...withRotation, rotationDisabled()).when(rotateAutomatically(), due).thenNoEvents();
  });

  it('records nothing for an EXTERNAL key, even with a rotation schedule in its history', () => {
    given(externalKey(), materialImported(), rotationEnabled(T0)).when(rotateAutomatically(), due).thenNoEvents();
    given(externalKey(), materialImported(), materialImported({ keyMaterialId: MAT_C, materialState: 'PENDING_ROTATION' }), rotationEnabled(T0))
      .when(rotateAutomatically(), due)
      .thenNoEvents();
  });

  it('records nothing for a non-symmetric key, or without generated material', () => {
    given(awsKey('RSA_2048', 'ENCRYPT_DECRYPT'), rotationEnabled(T0)).when(rotateAutomatically(), due).thenNoEvents();
    given(...withRotation).when({ kind: 'RotateKeyAutomatically', keyArn: KEY_ARN }, due).thenNoEvents();
  });

  it('does not use up the on-demand quota', () => {
    const state = foldEvents([...withRotation, automatic(due, due + 365 * DAY_MS)]);
    expect(state.onDemandRotations ?? 0).toBe(0);
  });
});
