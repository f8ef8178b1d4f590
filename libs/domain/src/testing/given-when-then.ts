/**
 * Test helper for the key decider: given (past events) / when (a command at `now`) / then (events or error).
 * Plus a few fixtures so specs read as scenarios. Test-only; pure (relative imports only).
 */
import type { ImportKeyMaterialCommand, ImportTokenFacts, KeyCommand } from '../commands';
import { decide, Decision } from '../decide';
import { KmsError, KmsErrorType } from '../errors';
import { DecidedEvent, KeyCreatedData, KeyEvent, KeyEventTypes, KeyMaterialImportedData } from '../events';
import { allowedUsages, KeySpec, KeyUsage } from '../key-spec';
import { foldEvents, KeyState } from '../key-state';
import { DAY_MS, EpochMillis, HOUR_MS, toIso } from '../time';

// ---- fixtures -------------------------------------------------------------------------------------------

export const ACCOUNT = '111122223333';
export const REGION = 'us-east-1';
export const KEY_ID = '1234abcd-12ab-34cd-56ef-1234567890ab';
export const KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_ID}`;
export const SCOPE = { accountId: ACCOUNT, region: REGION };

/** 64-hex key material ids. */
export const MAT_A = 'a'.repeat(64);
export const MAT_B = 'b'.repeat(64);
export const MAT_C = 'c'.repeat(64);

/** A fixed clock: 2025-01-01T00:00:00Z. */
export const T0: EpochMillis = Date.UTC(2025, 0, 1);
export { DAY_MS, HOUR_MS };

export const keyCreated = (overrides: Partial<KeyCreatedData> = {}): KeyEvent => ({
  type: KeyEventTypes.KeyCreated,
  data: {
    keyId: KEY_ID,
    arn: KEY_ARN,
    accountId: ACCOUNT,
    region: REGION,
    description: '',
    keySpec: 'SYMMETRIC_DEFAULT',
    keyUsage: 'ENCRYPT_DECRYPT',
    origin: 'EXTERNAL',
    multiRegion: false,
    creationDate: toIso(T0),
    ...overrides,
  },
});

/** KeyCreated for an EXTERNAL key of the given spec (usage defaults to the first allowed one). */
export const externalKey = (keySpec: KeySpec = 'SYMMETRIC_DEFAULT', keyUsage?: KeyUsage): KeyEvent =>
  keyCreated({ keySpec, keyUsage: keyUsage ?? allowedUsages(keySpec)[0] });

export const materialImported = (overrides: Partial<KeyMaterialImportedData> = {}): KeyEvent => ({
  type: KeyEventTypes.KeyMaterialImported,
  data: {
    keyMaterialId: MAT_A,
    importType: 'NEW_KEY_MATERIAL',
    reimport: false,
    materialState: 'CURRENT',
    expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    importTokenId: 'token-1',
    wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
    wrappingKeySpec: 'RSA_4096',
    ...overrides,
  },
});

/** An imported event that expires at `validTo`. */
export const expiringMaterialImported = (validTo: EpochMillis, overrides: Partial<KeyMaterialImportedData> = {}): KeyEvent =>
  materialImported({ expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: toIso(validTo), ...overrides });

export const materialExpired = (keyMaterialId: string, validTo: EpochMillis, byService = false): DecidedEvent => ({
  type: KeyEventTypes.KeyMaterialExpired,
  data: { keyMaterialId, validTo: toIso(validTo) },
  ...(byService ? { initiatedBy: 'service' as const } : {}),
});

export const materialDeleted = (keyMaterialId: string): KeyEvent => ({
  type: KeyEventTypes.KeyMaterialDeleted,
  data: { keyMaterialId },
});

export const token = (overrides: Partial<ImportTokenFacts> = {}): ImportTokenFacts => ({
  importTokenId: 'token-1',
  keyArn: KEY_ARN,
  wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
  wrappingKeySpec: 'RSA_4096',
  parametersValidTo: T0 + DAY_MS,
  ...overrides,
});

/**
 * An ImportKeyMaterial command for `material` with a valid token and KEY_MATERIAL_DOES_NOT_EXPIRE, unless
 * overridden (override with `undefined` to leave a member out of the request).
 */
export const importMaterial = (material: string = MAT_A, overrides: Partial<ImportKeyMaterialCommand> = {}): ImportKeyMaterialCommand => ({
  kind: 'ImportKeyMaterial',
  keyArn: KEY_ARN,
  token: token(),
  unwrap: { outcome: 'unwrapped', keyMaterialId: material },
  expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
  ...overrides,
});

// ---- given / when / then --------------------------------------------------------------------------------

type Outcome = { ok: true; decision: Decision } | { ok: false; error: unknown };

export interface Then {
  /** The state folded from the given events (before the command). */
  readonly before: KeyState;
  /** Expects exactly these events (deep, strict equality); returns the decision and the state after it. */
  thenEvents(...expected: DecidedEvent[]): { decision: Decision; after: KeyState };
  /** Expects a successful decision that records nothing. */
  thenNoEvents(): { decision: Decision; after: KeyState };
  /** Expects a KmsError of `type` whose message equals `message` (string) or matches it (RegExp). */
  thenError(type: KmsErrorType, message: string | RegExp): KmsError;
}

export function given(...history: KeyEvent[]): { when(command: KeyCommand, now: EpochMillis): Then } {
  return {
    when(command, now) {
      const before = foldEvents(history);
      let outcome: Outcome;
      try {
        outcome = { ok: true, decision: decide(command, before, now) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      const succeeded = (): { decision: Decision; after: KeyState } => {
        if (!outcome.ok) {
          const e = outcome.error;
          throw new Error(`expected events but decide threw ${e instanceof KmsError ? `${e.type}: ${e.message}` : String(e)}`);
        }
        return { decision: outcome.decision, after: foldEvents(outcome.decision.events, before) };
      };
      return {
        before,
        thenEvents(...expected) {
          const result = succeeded();
          expect(result.decision.events).toStrictEqual(expected);
          return result;
        },
        thenNoEvents() {
          const result = succeeded();
          expect(result.decision.events).toStrictEqual([]);
          return result;
        },
        thenError(type, message) {
          if (outcome.ok) {
            throw new Error(`expected ${type} but decide returned ${JSON.stringify(outcome.decision.events)}`);
          }
          const e = outcome.error;
          if (!(e instanceof KmsError)) throw new Error(`expected a KmsError ${type} but got ${String(e)}`);
          expect({ type: e.type, message: e.message }).toEqual({
            type,
            message: typeof message === 'string' ? message : expect.stringMatching(message),
          });
          return e;
        },
      };
    },
  };
}

// ---- lifecycle, tags, policy and rotation fixtures ------------------------------------------------------

import type { RotationType, Tag } from '../events';

/** KeyCreated for an AWS_KMS key whose generated material is MAT_A (Enabled at once). */
export const awsKmsKey = (overrides: Partial<KeyCreatedData> = {}): KeyEvent =>
  keyCreated({ origin: 'AWS_KMS', keyMaterialId: MAT_A, ...overrides });

export const keyEnabled = (): KeyEvent => ({ type: KeyEventTypes.KeyEnabled, data: {} });
export const keyDisabled = (): KeyEvent => ({ type: KeyEventTypes.KeyDisabled, data: {} });

export const descriptionUpdated = (description: string): KeyEvent => ({
  type: KeyEventTypes.KeyDescriptionUpdated,
  data: { description },
});

export const deletionScheduled = (deletionDate: EpochMillis, pendingWindowInDays = 30): KeyEvent => ({
  type: KeyEventTypes.KeyDeletionScheduled,
  data: { deletionDate: toIso(deletionDate), pendingWindowInDays },
});

export const deletionCanceled = (): KeyEvent => ({ type: KeyEventTypes.KeyDeletionCanceled, data: {} });

export const keyDeleted = (deletionDate: EpochMillis, keyMaterialIds: string[]): KeyEvent => ({
  type: KeyEventTypes.KeyDeleted,
  data: { deletionDate: toIso(deletionDate), keyMaterialIds },
});

export const tag = (TagKey: string, TagValue = ''): Tag => ({ TagKey, TagValue });
export const keyTagged = (...tags: Tag[]): KeyEvent => ({ type: KeyEventTypes.KeyTagged, data: { tags } });
export const keyUntagged = (...tagKeys: string[]): KeyEvent => ({ type: KeyEventTypes.KeyUntagged, data: { tagKeys } });

export const policyPut = (policy: string, policyName = 'default'): KeyEvent => ({
  type: KeyEventTypes.KeyPolicyPut,
  data: { policyName, policy },
});

/** KeyRotationEnabled at `enabledAt`: the next rotation is due `rotationPeriodInDays` days later. */
export const rotationEnabled = (enabledAt: EpochMillis, rotationPeriodInDays = 365): KeyEvent => ({
  type: KeyEventTypes.KeyRotationEnabled,
  data: { rotationPeriodInDays, nextRotationDate: toIso(enabledAt + rotationPeriodInDays * DAY_MS) },
});

export const rotationDisabled = (): KeyEvent => ({ type: KeyEventTypes.KeyRotationDisabled, data: {} });

/** KeyMaterialRotated: `keyMaterialId` becomes current at `rotationDate` (automatic rotations also carry the next date). */
export const materialRotated = (
  keyMaterialId: string,
  previousKeyMaterialId: string,
  rotationDate: EpochMillis,
  rotationType: RotationType = 'ON_DEMAND',
  nextRotationDate?: EpochMillis,
): KeyEvent => ({
  type: KeyEventTypes.KeyMaterialRotated,
  data: {
    keyMaterialId,
    previousKeyMaterialId,
    rotationType,
    rotationDate: toIso(rotationDate),
    ...(nextRotationDate !== undefined ? { nextRotationDate: toIso(nextRotationDate) } : {}),
  },
});
