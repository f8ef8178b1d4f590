import { KeyCommand } from './commands';
import { decide, requireKeyInState } from './decide';
import { KmsError, KmsErrorType } from './errors';
import { KeyEvent } from './events';
import { effectiveState, keyStateName } from './key-lifecycle';
import { toKeyMetadata } from './key-metadata';
import { foldEvents, KeyState, KeyStateName } from './key-state';
import { KEY_OPERATIONS, KeyOperation, stateRefusal } from './key-state-rules';
import {
  awsKmsKey,
  DAY_MS,
  deletionCanceled,
  deletionScheduled,
  expiringMaterialImported,
  externalKey,
  HOUR_MS,
  importMaterial,
  KEY_ARN,
  keyDeleted,
  keyDisabled,
  MAT_A,
  MAT_C,
  materialDeleted,
  materialImported,
  T0,
  token,
} from './testing/given-when-then';

/**
 * The key-state table (kms-operations-reference.md §8, footnote messages §7.2; kms-api-reference.md §10) for the
 * four states this service has. EXPECTED is written from the reference, independently of KEY_STATE_RULES; every
 * cell is checked against the table (stateRefusal and requireKeyInState on keys brought into the state by real
 * events) and, for the operations the decider handles, against `decide` itself.
 */

type Expected = { type: KmsErrorType; message: string | RegExp };
type Cell = 'ok' | Expected;

const ARN_RE = KEY_ARN.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Footnotes of §7.2 / §8 for KEY_ARN. */
const F1: Expected = { type: 'DisabledException', message: `${KEY_ARN} is disabled.` };
const F3: Expected = { type: 'KMSInvalidStateException', message: `${KEY_ARN} is pending deletion.` };
const F4: Expected = { type: 'KMSInvalidStateException', message: `${KEY_ARN} is not pending deletion.` };
const F5: Expected = { type: 'KMSInvalidStateException', message: `${KEY_ARN} is pending import.` };
const F6: Expected = { type: 'UnsupportedOperationException', message: `${KEY_ARN} origin is EXTERNAL which is not valid for this operation.` };
/** [8]: "key has imported key material (import ops on PendingDeletion)"; the reference gives the type, not the text. */
const F8: Expected = { type: 'KMSInvalidStateException', message: new RegExp(`^${ARN_RE} `) };
/** UpdateAlias new target pending deletion ([10]): `KMSInvalidStateException: <key ARN> is pending deletion.` */
const F10: Expected = F3;

const ok = 'ok' as const;
const STATES: KeyStateName[] = ['Enabled', 'Disabled', 'PendingDeletion', 'PendingImport'];

/** [Enabled, Disabled, PendingDeletion, PendingImport], from the reference §8 rows. */
const EXPECTED: Record<string, [Cell, Cell, Cell, Cell]> = {
  // Cryptographic operations: ✓ [1] [3] [5] (‡ cells inferred by the reference for imported asymmetric/HMAC keys).
  Encrypt: [ok, F1, F3, F5],
  Decrypt: [ok, F1, F3, F5],
  ReEncrypt: [ok, F1, F3, F5],
  GenerateDataKey: [ok, F1, F3, F5],
  GenerateDataKeyWithoutPlaintext: [ok, F1, F3, F5],
  GenerateDataKeyPair: [ok, F1, F3, F5],
  GenerateDataKeyPairWithoutPlaintext: [ok, F1, F3, F5],
  Sign: [ok, F1, F3, F5],
  Verify: [ok, F1, F3, F5],
  GenerateMac: [ok, F1, F3, F5],
  VerifyMac: [ok, F1, F3, F5],
  DeriveSharedSecret: [ok, F1, F3, F5],
  GetPublicKey: [ok, F1, F3, F5], // DG's DisabledException for Disabled (Appendix B #6)
  DescribeKey: [ok, ok, ok, ok],
  EnableKey: [ok, ok, F3, F5],
  DisableKey: [ok, ok, F3, F5],
  UpdateKeyDescription: [ok, ok, F3, ok],
  ScheduleKeyDeletion: [ok, ok, F3, ok],
  CancelKeyDeletion: [F4, F4, ok, F4],
  GetParametersForImport: [ok, ok, F8, ok], // ?[9]: origin, not state
  ImportKeyMaterial: [ok, ok, F8, ok],
  DeleteImportedKeyMaterial: [ok, ok, ok, ok], // ✓[9] / "no effect" in PendingImport
  CreateAlias: [ok, ok, F3, ok],
  UpdateAlias: [ok, ok, F10, ok],
  DeleteAlias: [ok, ok, ok, ok],
  ListAliases: [ok, ok, ok, ok],
  TagResource: [ok, ok, F3, ok],
  UntagResource: [ok, ok, F3, ok],
  ListResourceTags: [ok, ok, ok, ok],
  GetKeyPolicy: [ok, ok, ok, ok],
  PutKeyPolicy: [ok, ok, ok, ok],
  ListKeyPolicies: [ok, ok, ok, ok],
  EnableKeyRotation: [ok, F1, F3, F6], // ?[7] Enabled: key type, not state
  DisableKeyRotation: [ok, F1, F3, F6],
  // §8's cell is [6]; the reference's recommendation (Appendix B #28), which the service follows, is false for imported keys.
  GetKeyRotationStatus: [ok, ok, ok, ok],
  RotateKeyOnDemand: [ok, F1, F3, F5],
  ListKeyRotations: [ok, ok, ok, ok], // UNCONFIRMED cells: allowed (Appendix B #32)
  GetKeyLastUsage: [ok, ok, ok, ok],
};

const expectedCell = (operation: KeyOperation, state: KeyStateName): Cell => EXPECTED[operation][STATES.indexOf(state)];

// ---- keys brought into each state by real events -------------------------------------------------------------

const NOW = T0 + 2 * HOUR_MS;
const DELETION_DATE = T0 + 30 * DAY_MS;

interface Variant {
  name: string;
  history: KeyEvent[];
}

const VARIANTS: Record<KeyStateName, Variant[]> = {
  Enabled: [
    { name: 'AWS_KMS key', history: [awsKmsKey()] },
    { name: 'EXTERNAL key with its material', history: [externalKey(), materialImported()] },
  ],
  Disabled: [
    { name: 'AWS_KMS key, KeyDisabled', history: [awsKmsKey(), keyDisabled()] },
    { name: 'EXTERNAL key with material, KeyDisabled', history: [externalKey(), materialImported(), keyDisabled()] },
    { name: 'AWS_KMS key whose deletion was canceled', history: [awsKmsKey(), deletionScheduled(DELETION_DATE), deletionCanceled()] },
  ],
  PendingDeletion: [
    { name: 'AWS_KMS key, KeyDeletionScheduled', history: [awsKmsKey(), deletionScheduled(DELETION_DATE)] },
    { name: 'disabled AWS_KMS key, KeyDeletionScheduled', history: [awsKmsKey(), keyDisabled(), deletionScheduled(DELETION_DATE)] },
    { name: 'EXTERNAL key with material, KeyDeletionScheduled', history: [externalKey(), materialImported(), deletionScheduled(DELETION_DATE)] },
    { name: 'EXTERNAL key without material, KeyDeletionScheduled', history: [externalKey(), deletionScheduled(DELETION_DATE)] },
  ],
  PendingImport: [
    { name: 'EXTERNAL key without material', history: [externalKey()] },
    { name: 'EXTERNAL key with deleted material', history: [externalKey(), materialImported(), materialDeleted(MAT_A)] },
    { name: 'EXTERNAL key whose material expired (not yet recorded)', history: [externalKey(), expiringMaterialImported(T0 + HOUR_MS)] },
    { name: 'EXTERNAL key without material whose deletion was canceled', history: [externalKey(), deletionScheduled(DELETION_DATE), deletionCanceled()] },
  ],
};

const CELLS = KEY_OPERATIONS.flatMap((operation) => STATES.map((state) => [operation, state] as const));

function thrown(fn: () => unknown): KmsError | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof KmsError) return e;
    throw e;
  }
}

const asComparable = (cell: Cell) => (cell === ok ? ok : { type: cell.type, message: typeof cell.message === 'string' ? cell.message : expect.stringMatching(cell.message) });
const describeError = (e: KmsError | undefined) => (e ? { type: e.type, message: e.message } : ok);

describe('the EXPECTED table', () => {
  it('has a row for exactly the operations of KEY_OPERATIONS', () => {
    expect(Object.keys(EXPECTED).sort()).toEqual([...KEY_OPERATIONS].sort());
  });
});

describe('each state is built from real events', () => {
  it.each(STATES.flatMap((state) => VARIANTS[state].map((v) => [state, v.name, v.history] as const)))('%s: %s', (state, _name, history) => {
    const folded = foldEvents(history);
    expect(keyStateName(effectiveState(folded, NOW))).toBe(state);
    expect(toKeyMetadata(folded, NOW).KeyState).toBe(state);
  });
});

describe('KEY_STATE_RULES: every operation × state', () => {
  it.each(CELLS)('%s in %s', (operation, state) => {
    const expected = asComparable(expectedCell(operation, state));
    // the table itself
    expect(describeError(stateRefusal(operation, state, KEY_ARN))).toEqual(expected);
    // and through requireKeyInState on keys in that state
    for (const variant of VARIANTS[state]) {
      const folded = foldEvents(variant.history);
      expect({ variant: variant.name, answer: describeError(thrown(() => requireKeyInState(folded, KEY_ARN, operation, NOW))) }).toEqual({
        variant: variant.name,
        answer: expected,
      });
    }
  });

  it('answers NotFoundException before the table for a deleted key and a missing key (§8 note c)', () => {
    const deleted = foldEvents([awsKmsKey(), deletionScheduled(T0 + HOUR_MS, 7), keyDeleted(T0 + HOUR_MS, [MAT_A])]);
    for (const operation of KEY_OPERATIONS) {
      for (const state of [deleted, foldEvents([])]) {
        expect(describeError(thrown(() => requireKeyInState(state, KEY_ARN, operation, NOW)))).toEqual({
          type: 'NotFoundException',
          message: `Key '${KEY_ARN}' does not exist`,
        });
      }
    }
  });
});

// ---- the decider in every state -------------------------------------------------------------------------------

const POLICY = '{"Version":"2012-10-17","Statement":[]}';

/** A valid command for each operation the decider handles. */
const COMMANDS: Partial<Record<KeyOperation, KeyCommand>> = {
  EnableKey: { kind: 'EnableKey', keyArn: KEY_ARN },
  DisableKey: { kind: 'DisableKey', keyArn: KEY_ARN },
  UpdateKeyDescription: { kind: 'UpdateKeyDescription', keyArn: KEY_ARN, description: 'new description' },
  ScheduleKeyDeletion: { kind: 'ScheduleKeyDeletion', keyArn: KEY_ARN, pendingWindowInDays: 7 },
  CancelKeyDeletion: { kind: 'CancelKeyDeletion', keyArn: KEY_ARN },
  GetParametersForImport: {
    kind: 'IssueImportParameters',
    keyArn: KEY_ARN,
    wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
    wrappingKeySpec: 'RSA_4096',
    importTokenId: 'token-2',
    parametersValidTo: NOW + DAY_MS,
    publicKeyFingerprint: 'f'.repeat(64),
  },
  ImportKeyMaterial: importMaterial(MAT_A, { token: token({ parametersValidTo: NOW + DAY_MS }) }),
  DeleteImportedKeyMaterial: { kind: 'DeleteImportedKeyMaterial', keyArn: KEY_ARN },
  TagResource: { kind: 'TagResource', keyArn: KEY_ARN, tags: [{ TagKey: 'team', TagValue: 'payments' }] },
  UntagResource: { kind: 'UntagResource', keyArn: KEY_ARN, tagKeys: ['team'] },
  PutKeyPolicy: { kind: 'PutKeyPolicy', keyArn: KEY_ARN, policy: POLICY },
  EnableKeyRotation: { kind: 'EnableKeyRotation', keyArn: KEY_ARN },
  DisableKeyRotation: { kind: 'DisableKeyRotation', keyArn: KEY_ARN },
  RotateKeyOnDemand: { kind: 'RotateKeyOnDemand', keyArn: KEY_ARN, generatedKeyMaterialId: MAT_C },
};

/** The state errors of the table; an allowed cell may fail for another reason (origin, key type, material), never one of these. */
const STATE_ERRORS = [F1, F3, F4, F5].map((f) => `${f.type}: ${f.message as string}`);

const DECIDED_CELLS = (Object.keys(COMMANDS) as KeyOperation[]).flatMap((operation) => STATES.map((state) => [operation, state] as const));

describe('decide: every handled operation × state', () => {
  it('drives every lifecycle, tag, policy, rotation, import and delete-material operation', () => {
    expect(Object.keys(COMMANDS).sort()).toEqual(
      [
        'CancelKeyDeletion',
        'DeleteImportedKeyMaterial',
        'DisableKey',
        'DisableKeyRotation',
        'EnableKey',
        'EnableKeyRotation',
        'GetParametersForImport',
        'ImportKeyMaterial',
        'PutKeyPolicy',
        'RotateKeyOnDemand',
        'ScheduleKeyDeletion',
        'TagResource',
        'UntagResource',
        'UpdateKeyDescription',
      ].sort(),
    );
  });

  it.each(DECIDED_CELLS)('%s in %s', (operation, state) => {
    const cell = expectedCell(operation, state);
    const command = COMMANDS[operation]!;
    const answers = VARIANTS[state].map((variant) => ({
      variant: variant.name,
      error: thrown(() => decide(command, foldEvents(variant.history), NOW)),
    }));
    if (cell === ok) {
      for (const { variant, error } of answers) {
        // allowed: success, or a refusal for a later, non-state reason
        expect({ variant, stateError: error && STATE_ERRORS.includes(`${error.type}: ${error.message}`) ? `${error.type}: ${error.message}` : undefined }).toEqual({
          variant,
          stateError: undefined,
        });
      }
      // and at least one key in this state really gets through
      expect(answers.some((a) => a.error === undefined)).toBe(true);
    } else {
      for (const { variant, error } of answers) {
        expect({ variant, answer: describeError(error) }).toEqual({ variant, answer: asComparable(cell) });
      }
    }
  });

  it('DeleteImportedKeyMaterial in PendingDeletion deletes the material and leaves the key PendingDeletion', () => {
    const state = foldEvents([externalKey(), materialImported(), deletionScheduled(DELETION_DATE)]);
    const decision = decide({ kind: 'DeleteImportedKeyMaterial', keyArn: KEY_ARN }, state, NOW);
    expect(decision.events).toEqual([materialDeleted(MAT_A)]);
    expect(keyStateName(effectiveState(foldEvents(decision.events, state), NOW))).toBe('PendingDeletion');
  });

  it('DeleteImportedKeyMaterial in PendingImport (never imported) has no effect', () => {
    expect(decide({ kind: 'DeleteImportedKeyMaterial', keyArn: KEY_ARN }, foldEvents([externalKey()]), NOW).events).toEqual([]);
  });
});
