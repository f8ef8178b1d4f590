import { KeyCommand } from '../commands';
import { decide } from '../decide';
import { KmsError } from '../errors';
import { KeyEventTypes } from '../events';
import { effectiveState, keyStateName, materialsDueForExpiry, visibleKey } from '../key-lifecycle';
import { toKeyMetadata } from '../key-metadata';
import { foldEvents, KeyState } from '../key-state';
import { requireUsableKey } from '../key-use-rules';
import {
  awsKmsKey,
  DAY_MS,
  deletionCanceled,
  deletionScheduled,
  descriptionUpdated,
  expiringMaterialImported,
  externalKey,
  given,
  HOUR_MS,
  importMaterial,
  KEY_ARN,
  KEY_ID,
  keyCreated,
  keyDeleted,
  keyDisabled,
  MAT_A,
  MAT_B,
  MAT_C,
  materialDeleted,
  materialExpired,
  materialImported,
  materialRotated,
  T0,
  token,
} from '../testing/given-when-then';
import { toIso } from '../time';

/**
 * Key lifecycle (kms-operations-reference.md §7, §8; Appendix B #19, #21): EnableKey, DisableKey,
 * UpdateKeyDescription, ScheduleKeyDeletion, CancelKeyDeletion and the maintenance job's DeleteKey.
 */
const enableKey: KeyCommand = { kind: 'EnableKey', keyArn: KEY_ARN };
const disableKey: KeyCommand = { kind: 'DisableKey', keyArn: KEY_ARN };
const cancelDeletion: KeyCommand = { kind: 'CancelKeyDeletion', keyArn: KEY_ARN };
const deleteKey: KeyCommand = { kind: 'DeleteKey', keyArn: KEY_ARN };
const updateDescription = (description: string): KeyCommand => ({ kind: 'UpdateKeyDescription', keyArn: KEY_ARN, description });
const scheduleDeletion = (pendingWindowInDays?: number): KeyCommand => ({
  kind: 'ScheduleKeyDeletion',
  keyArn: KEY_ARN,
  ...(pendingWindowInDays !== undefined ? { pendingWindowInDays } : {}),
});

const stateAt = (state: KeyState, now: number) => keyStateName(effectiveState(state, now));

const T1 = T0 + DAY_MS;
const PENDING_DELETION = `${KEY_ARN} is pending deletion.`;
const PENDING_IMPORT = `${KEY_ARN} is pending import.`;
const NOT_PENDING_DELETION = `${KEY_ARN} is not pending deletion.`;
const NOT_FOUND = `Key '${KEY_ARN}' does not exist`;

/** Keys in each state, built from events. */
const enabledAwsKms = [awsKmsKey()];
const enabledExternal = [externalKey(), materialImported()];
const disabledAwsKms = [awsKmsKey(), keyDisabled()];
const neverImported = [externalKey()];
const materialGone = [externalKey(), materialImported(), materialDeleted(MAT_A)];
const pendingDeletion = [awsKmsKey(), deletionScheduled(T0 + 30 * DAY_MS)];

describe('EnableKey / DisableKey', () => {
  it('DisableKey records KeyDisabled: KeyState Disabled, Enabled false', () => {
    const { after } = given(...enabledAwsKms).when(disableKey, T1).thenEvents({ type: KeyEventTypes.KeyDisabled, data: {} });
    expect(stateAt(after, T1)).toBe('Disabled');
    expect(toKeyMetadata(after, T1)).toMatchObject({ KeyState: 'Disabled', Enabled: false });
  });

  it('EnableKey records KeyEnabled on a disabled key: KeyState Enabled, Enabled true', () => {
    const { after } = given(...disabledAwsKms).when(enableKey, T1).thenEvents({ type: KeyEventTypes.KeyEnabled, data: {} });
    expect(stateAt(after, T1)).toBe('Enabled');
    expect(toKeyMetadata(after, T1)).toMatchObject({ KeyState: 'Enabled', Enabled: true });
  });

  it('disables and re-enables an EXTERNAL key that has its material', () => {
    const { after } = given(...enabledExternal).when(disableKey, T1).thenEvents({ type: KeyEventTypes.KeyDisabled, data: {} });
    expect(stateAt(after, T1)).toBe('Disabled');
    const enabled = given(...enabledExternal, keyDisabled()).when(enableKey, T1).thenEvents({ type: KeyEventTypes.KeyEnabled, data: {} });
    expect(stateAt(enabled.after, T1)).toBe('Enabled');
  });

  it('EnableKey on an enabled key is an idempotent no-op', () => {
    given(...enabledAwsKms).when(enableKey, T1).thenNoEvents();
  });

  it('DisableKey on a disabled key is an idempotent no-op', () => {
    given(...disabledAwsKms).when(disableKey, T1).thenNoEvents();
  });

  it.each([
    ['EnableKey', enableKey],
    ['DisableKey', disableKey],
  ])('%s is refused while the key is pending deletion (KMSInvalidStateException)', (_name, command) => {
    given(...pendingDeletion).when(command, T1).thenError('KMSInvalidStateException', PENDING_DELETION);
    // also when the command would otherwise be a no-op (the state check comes first)
    given(...disabledAwsKms, deletionScheduled(T0 + 30 * DAY_MS)).when(command, T1).thenError('KMSInvalidStateException', PENDING_DELETION);
  });

  it.each([
    ['EnableKey', enableKey],
    ['DisableKey', disableKey],
  ])('%s is refused while the key is pending import (never imported, or material deleted)', (_name, command) => {
    given(...neverImported).when(command, T1).thenError('KMSInvalidStateException', PENDING_IMPORT);
    given(...materialGone).when(command, T1).thenError('KMSInvalidStateException', PENDING_IMPORT);
  });

  it('EnableKey is refused once the material has expired (even before the expiry is recorded)', () => {
    given(externalKey(), expiringMaterialImported(T0 + HOUR_MS)).when(enableKey, T1).thenError('KMSInvalidStateException', PENDING_IMPORT);
  });

  it('refuses a key that does not exist', () => {
    given().when(enableKey, T1).thenError('NotFoundException', NOT_FOUND);
    given().when(disableKey, T1).thenError('NotFoundException', NOT_FOUND);
  });
});

describe('UpdateKeyDescription', () => {
  it('records KeyDescriptionUpdated and DescribeKey shows the new description', () => {
    const { after } = given(...enabledAwsKms).when(updateDescription('payments'), T1).thenEvents(descriptionUpdated('payments'));
    expect(after.key?.description).toBe('payments');
    expect(toKeyMetadata(after, T1).Description).toBe('payments');
  });

  it('records nothing when the description is unchanged', () => {
    given(awsKmsKey({ description: 'payments' })).when(updateDescription('payments'), T1).thenNoEvents();
    given(...enabledAwsKms, descriptionUpdated('x')).when(updateDescription('x'), T1).thenNoEvents();
  });

  it('allows the empty string (Description is 0..8192)', () => {
    const { after } = given(awsKmsKey({ description: 'old' })).when(updateDescription(''), T1).thenEvents(descriptionUpdated(''));
    expect(toKeyMetadata(after, T1).Description).toBe('');
  });

  it('is allowed in Disabled and PendingImport', () => {
    given(...disabledAwsKms).when(updateDescription('d'), T1).thenEvents(descriptionUpdated('d'));
    given(...neverImported).when(updateDescription('d'), T1).thenEvents(descriptionUpdated('d'));
    given(...materialGone).when(updateDescription('d'), T1).thenEvents(descriptionUpdated('d'));
  });

  it('is refused while the key is pending deletion', () => {
    given(...pendingDeletion).when(updateDescription('new'), T1).thenError('KMSInvalidStateException', PENDING_DELETION);
  });
});

describe('ScheduleKeyDeletion', () => {
  const now = T1 + 1234; // not on a day boundary: the date must be exactly now + N days

  it('defaults to 30 days: DeletionDate = now + 30 days exactly; KeyState PendingDeletion, Enabled false', () => {
    const { after } = given(...enabledAwsKms)
      .when(scheduleDeletion(), now)
      .thenEvents(deletionScheduled(now + 30 * DAY_MS, 30));
    expect(stateAt(after, now)).toBe('PendingDeletion');
    const metadata = toKeyMetadata(after, now);
    expect(metadata).toMatchObject({ KeyState: 'PendingDeletion', Enabled: false, DeletionDate: (now + 30 * DAY_MS) / 1000 });
  });

  it.each([7, 8, 29, 30])('accepts a window of %i days', (days) => {
    const { after } = given(...enabledAwsKms)
      .when(scheduleDeletion(days), now)
      .thenEvents({ type: KeyEventTypes.KeyDeletionScheduled, data: { deletionDate: toIso(now + days * DAY_MS), pendingWindowInDays: days } });
    expect(after.deletion).toEqual({ deletionDate: now + days * DAY_MS, pendingWindowInDays: days });
  });

  it.each([6, 31, 1, 365])('refuses a window of %i days (ValidationException)', (days) => {
    given(...enabledAwsKms).when(scheduleDeletion(days), now).thenError('ValidationException', 'PendingWindowInDays must be between 7 and 30');
  });

  it('is refused when the key is already pending deletion', () => {
    given(...pendingDeletion).when(scheduleDeletion(7), now).thenError('KMSInvalidStateException', PENDING_DELETION);
  });

  it('is allowed in Disabled and PendingImport', () => {
    for (const history of [disabledAwsKms, neverImported, materialGone]) {
      const { after } = given(...history)
        .when(scheduleDeletion(7), now)
        .thenEvents(deletionScheduled(now + 7 * DAY_MS, 7));
      // deletion outranks missing material
      expect(stateAt(after, now)).toBe('PendingDeletion');
    }
  });

  it('also works for an EXTERNAL key with its material', () => {
    given(...enabledExternal).when(scheduleDeletion(), now).thenEvents(deletionScheduled(now + 30 * DAY_MS, 30));
  });
});

describe('CancelKeyDeletion', () => {
  it('brings a key that was Enabled back as Disabled (not Enabled), without DeletionDate', () => {
    const { after } = given(...pendingDeletion).when(cancelDeletion, T1).thenEvents(deletionCanceled());
    expect(stateAt(after, T1)).toBe('Disabled');
    const metadata = toKeyMetadata(after, T1);
    expect(metadata).toMatchObject({ KeyState: 'Disabled', Enabled: false });
    expect(metadata).not.toHaveProperty('DeletionDate');
    expect(after.deletion).toBeUndefined();
  });

  it('brings an EXTERNAL key with material back as Disabled', () => {
    const { after } = given(...enabledExternal, deletionScheduled(T0 + 30 * DAY_MS)).when(cancelDeletion, T1).thenEvents(deletionCanceled());
    expect(stateAt(after, T1)).toBe('Disabled');
  });

  it('brings an EXTERNAL key without material back as PendingImport', () => {
    const { after } = given(...neverImported, deletionScheduled(T0 + 30 * DAY_MS)).when(cancelDeletion, T1).thenEvents(deletionCanceled());
    expect(stateAt(after, T1)).toBe('PendingImport');
    expect(toKeyMetadata(after, T1)).toMatchObject({ KeyState: 'PendingImport', Enabled: false });
  });

  it('brings an EXTERNAL key whose material was deleted while pending deletion back as PendingImport', () => {
    const { after } = given(...enabledExternal, deletionScheduled(T0 + 30 * DAY_MS), materialDeleted(MAT_A))
      .when(cancelDeletion, T1)
      .thenEvents(deletionCanceled());
    expect(stateAt(after, T1)).toBe('PendingImport');
  });

  it.each([
    ['Enabled', enabledAwsKms],
    ['Disabled', disabledAwsKms],
    ['PendingImport (never imported)', neverImported],
    ['PendingImport (material deleted)', materialGone],
  ])('is refused in %s: KMSInvalidStateException "<arn> is not pending deletion."', (_state, history) => {
    given(...history).when(cancelDeletion, T1).thenError('KMSInvalidStateException', NOT_PENDING_DELETION);
  });

  it('is refused after a previous cancel', () => {
    given(...pendingDeletion, deletionCanceled()).when(cancelDeletion, T1).thenError('KMSInvalidStateException', NOT_PENDING_DELETION);
  });
});

describe('DeleteKey (maintenance job)', () => {
  const due = T0 + 7 * DAY_MS;
  const scheduledAws = [awsKmsKey(), deletionScheduled(due, 7)];

  it('records nothing before the DeletionDate', () => {
    given(...scheduledAws).when(deleteKey, due - 1).thenNoEvents();
  });

  it('records KeyDeleted at the DeletionDate, listing the material it shreds', () => {
    const { after } = given(...scheduledAws).when(deleteKey, due).thenEvents(keyDeleted(due, [MAT_A]));
    expect(after.deletedAt).toBe(due);
  });

  it('records KeyDeleted after the DeletionDate (the job may run late)', () => {
    const late = due + 3 * HOUR_MS;
    given(...scheduledAws).when(deleteKey, late).thenEvents(keyDeleted(late, [MAT_A]));
  });

  it('lists every material an AWS_KMS key holds, current and rotated-out', () => {
    const decision = decide(deleteKey, foldEvents([awsKmsKey(), materialRotated(MAT_B, MAT_A, T0 + HOUR_MS), deletionScheduled(due, 7)]), due);
    expect(decision.events).toHaveLength(1);
    const deleted = decision.events[0];
    expect(deleted.type === KeyEventTypes.KeyDeleted && [...deleted.data.keyMaterialIds].sort()).toEqual([MAT_A, MAT_B]);
  });

  it('lists exactly the IMPORTED material of an EXTERNAL key (not deleted material; pending-rotation material included)', () => {
    // A rotated out and then deleted (PENDING_IMPORT, key PendingImport), B current, C imported pending rotation.
    const history = [
      externalKey(),
      materialImported(),
      materialImported({ keyMaterialId: MAT_B, materialState: 'PENDING_ROTATION' }),
      materialRotated(MAT_B, MAT_A, T0 + HOUR_MS),
      materialImported({ keyMaterialId: MAT_C, materialState: 'PENDING_ROTATION' }),
      materialDeleted(MAT_A),
      deletionScheduled(due, 7),
    ];
    const decision = decide(deleteKey, foldEvents(history), due);
    expect(decision.events).toHaveLength(1);
    const deleted = decision.events[0];
    expect(deleted.type).toBe(KeyEventTypes.KeyDeleted);
    expect(deleted.type === KeyEventTypes.KeyDeleted && [...deleted.data.keyMaterialIds].sort()).toEqual([MAT_B, MAT_C]);
  });

  it('lists no material for an EXTERNAL key that never had any', () => {
    given(...neverImported, deletionScheduled(due, 7)).when(deleteKey, due).thenEvents(keyDeleted(due, []));
  });

  it('does not list material that expired before the deletion', () => {
    const history = [externalKey(), expiringMaterialImported(T0 + HOUR_MS), deletionScheduled(due, 7)];
    const decision = decide(deleteKey, foldEvents(history), due);
    const deleted = decision.events.find((e) => e.type === KeyEventTypes.KeyDeleted);
    expect(deleted).toBeDefined();
    expect(deleted?.type === KeyEventTypes.KeyDeleted && deleted.data.keyMaterialIds).toEqual([]);
  });

  it('records nothing the second time (already deleted)', () => {
    given(...scheduledAws, keyDeleted(due, [MAT_A])).when(deleteKey, due + DAY_MS).thenNoEvents();
  });

  it('records nothing when the deletion was canceled', () => {
    given(...scheduledAws, deletionCanceled()).when(deleteKey, due + DAY_MS).thenNoEvents();
  });

  it('records nothing for a key that was never scheduled, or does not exist', () => {
    given(...enabledAwsKms).when(deleteKey, due).thenNoEvents();
    given().when(deleteKey, due).thenNoEvents();
  });

  it('records nothing for the same key id in another account', () => {
    given(...scheduledAws).when({ kind: 'DeleteKey', keyArn: KEY_ARN.replace(':111122223333:', ':000000000000:') }, due).thenNoEvents();
  });
});

describe('a deleted key', () => {
  const due = T0 + 7 * DAY_MS;
  const later = due + DAY_MS;
  const deletedAwsKms = [awsKmsKey(), deletionScheduled(due, 7), keyDeleted(due, [MAT_A])];
  const deletedExternal = [externalKey(), materialImported(), deletionScheduled(due, 7), keyDeleted(due, [MAT_A])];

  /** Every command a caller can send about an existing key. */
  const callerCommands: KeyCommand[] = [
    {
      kind: 'IssueImportParameters',
      keyArn: KEY_ARN,
      wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
      wrappingKeySpec: 'RSA_4096',
      importTokenId: 'token-9',
      parametersValidTo: later + DAY_MS,
      publicKeyFingerprint: 'f'.repeat(64),
    },
    importMaterial(MAT_A, { token: token({ parametersValidTo: later + DAY_MS }) }),
    { kind: 'DeleteImportedKeyMaterial', keyArn: KEY_ARN },
    { kind: 'DeleteImportedKeyMaterial', keyArn: KEY_ARN, keyMaterialId: MAT_A },
    enableKey,
    disableKey,
    updateDescription('x'),
    scheduleDeletion(7),
    scheduleDeletion(),
    cancelDeletion,
    { kind: 'TagResource', keyArn: KEY_ARN, tags: [{ TagKey: 'team', TagValue: 'a' }] },
    { kind: 'UntagResource', keyArn: KEY_ARN, tagKeys: ['team'] },
    { kind: 'PutKeyPolicy', keyArn: KEY_ARN, policy: '{"Statement":[]}' },
    { kind: 'EnableKeyRotation', keyArn: KEY_ARN },
    { kind: 'DisableKeyRotation', keyArn: KEY_ARN },
    { kind: 'RotateKeyOnDemand', keyArn: KEY_ARN, generatedKeyMaterialId: MAT_B },
  ];

  it('covers every caller command kind of the decider', () => {
    const kinds = new Set(callerCommands.map((c) => c.kind));
    expect([...kinds].sort()).toEqual(
      [
        'CancelKeyDeletion',
        'DeleteImportedKeyMaterial',
        'DisableKey',
        'DisableKeyRotation',
        'EnableKey',
        'EnableKeyRotation',
        'ImportKeyMaterial',
        'IssueImportParameters',
        'PutKeyPolicy',
        'RotateKeyOnDemand',
        'ScheduleKeyDeletion',
        'TagResource',
        'UntagResource',
        'UpdateKeyDescription',
      ].sort(),
    );
  });

  describe.each([
    ['AWS_KMS', deletedAwsKms],
    ['EXTERNAL', deletedExternal],
  ])('(%s)', (_origin, history) => {
    const label = (c: KeyCommand): string =>
      `${c.kind}${'keyMaterialId' in c && c.keyMaterialId ? ' with KeyMaterialId' : ''}${'pendingWindowInDays' in c && c.pendingWindowInDays ? ` (${c.pendingWindowInDays} days)` : ''}`;
    it.each(callerCommands.map((c) => [label(c), c] as const))('answers %s with NotFoundException "Key \'<arn>\' does not exist"', (_kind, command) => {
      given(...history).when(command, later).thenError('NotFoundException', NOT_FOUND);
    });

    it.each([
      ['ExpireKeyMaterial', { kind: 'ExpireKeyMaterial', keyArn: KEY_ARN }],
      ['DeleteKey', deleteKey],
      ['RotateKeyAutomatically', { kind: 'RotateKeyAutomatically', keyArn: KEY_ARN, generatedKeyMaterialId: MAT_B }],
    ] as Array<[string, KeyCommand]>)('records nothing for the job command %s', (_kind, command) => {
      given(...history).when(command, later).thenNoEvents();
    });

    it('is hidden from DescribeKey-style lookups (visibleKey)', () => {
      expect(visibleKey(foldEvents(history.slice(0, -1)), KEY_ARN)).toBeDefined();
      expect(visibleKey(foldEvents(history), KEY_ARN)).toBeUndefined();
    });

    it('has no usable material: requireUsableKey answers NotFoundException', () => {
      const state = foldEvents(history);
      for (const request of [
        { keyArn: KEY_ARN, operation: 'Encrypt' as const },
        { keyArn: KEY_ARN, operation: 'Decrypt' as const, keyMaterialId: MAT_A },
        { keyArn: KEY_ARN, operation: 'GenerateDataKey' as const },
      ]) {
        expect(() => requireUsableKey(state, request, later)).toThrow(new KmsError('NotFoundException', NOT_FOUND));
      }
      expect(state.materials.every((m) => m.importState === 'PENDING_IMPORT')).toBe(true);
    });
  });

  it('was usable up to its deletion (the not-found answer above is caused by the deletion)', () => {
    const beforeDeletion = foldEvents([awsKmsKey()]);
    expect(requireUsableKey(beforeDeletion, { keyArn: KEY_ARN, operation: 'Decrypt', keyMaterialId: MAT_A }, later).material.keyMaterialId).toBe(MAT_A);
  });

  it('cannot be created again under the same key id', () => {
    const command: KeyCommand = {
      kind: 'CreateKey',
      keyId: KEY_ID,
      accountId: '111122223333',
      region: 'us-east-1',
      description: '',
      keySpec: 'SYMMETRIC_DEFAULT',
      origin: 'EXTERNAL',
      multiRegion: false,
    };
    expect(() => decide(command, foldEvents(deletedExternal), later)).toThrow(KmsError);
  });

  describe('expiry', () => {
    const validTo = due + HOUR_MS; // the material would have expired after the key was deleted
    const deletedWithExpiring = [externalKey(), expiringMaterialImported(validTo), deletionScheduled(due, 7), keyDeleted(due, [MAT_A])];

    it('no material of a deleted key is due for expiry', () => {
      expect(materialsDueForExpiry(foldEvents(deletedWithExpiring), validTo + DAY_MS)).toEqual([]);
    });

    it('the expiry job records nothing for a deleted key', () => {
      given(...deletedWithExpiring).when({ kind: 'ExpireKeyMaterial', keyArn: KEY_ARN }, validTo + DAY_MS).thenNoEvents();
    });

    it('a command on a deleted key records no expiry either (it is not found)', () => {
      given(...deletedWithExpiring).when(enableKey, validTo + DAY_MS).thenError('NotFoundException', NOT_FOUND);
      given(...deletedWithExpiring).when(deleteKey, validTo + DAY_MS).thenNoEvents();
    });

    it('but the expiry job still records expiry for a key that is only pending deletion', () => {
      given(externalKey(), expiringMaterialImported(T0 + HOUR_MS), deletionScheduled(due, 7))
        .when({ kind: 'ExpireKeyMaterial', keyArn: KEY_ARN }, T0 + 2 * HOUR_MS)
        .thenEvents(materialExpired(MAT_A, T0 + HOUR_MS, true));
    });
  });
});

describe('fixtures', () => {
  it('keyCreated fixture sanity: EXTERNAL key without material is PendingImport, AWS_KMS key Enabled', () => {
    expect(stateAt(foldEvents([keyCreated()]), T0)).toBe('PendingImport');
    expect(stateAt(foldEvents(enabledAwsKms), T0)).toBe('Enabled');
  });
});
