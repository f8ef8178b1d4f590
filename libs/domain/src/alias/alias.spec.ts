import { KmsError, KmsErrorType } from '../errors';
import { KeySpec, KeyUsage } from '../key-spec';
import { ACCOUNT, DAY_MS, KEY_ID, REGION, T0 } from '../testing/given-when-then';
import { fromIso, toIso } from '../time';
import {
  AliasEvent,
  AliasEventTypes,
  AliasState,
  AliasTarget,
  aliasStreamId,
  decideCreateAlias,
  decideDeleteAlias,
  decideDeleteAliasOfDeletedKey,
  decideUpdateAlias,
  evolveAlias,
  foldAlias,
} from './alias';
import { checkAliasName, checkNewAliasName } from './alias-name';

/** Aliases (kms-operations-reference.md §9; Appendix B #24, #25). */
const ALIAS_NAME = 'alias/payments';
const ALIAS_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:${ALIAS_NAME}`;
const OTHER_KEY_ID = '0000abcd-12ab-34cd-56ef-1234567890ab';
const T1 = T0 + DAY_MS;

const target = (keyId: string = KEY_ID, keySpec: KeySpec = 'SYMMETRIC_DEFAULT', keyUsage: KeyUsage = 'ENCRYPT_DECRYPT'): AliasTarget => ({ keyId, keySpec, keyUsage });

const created = (to: AliasTarget = target(), at = T0): AliasEvent => ({
  type: AliasEventTypes.AliasCreated,
  data: { aliasName: ALIAS_NAME, aliasArn: ALIAS_ARN, accountId: ACCOUNT, region: REGION, target: to, creationDate: toIso(at) },
});
const retargeted = (to: AliasTarget, previousTargetKeyId: string, at: number): AliasEvent => ({
  type: AliasEventTypes.AliasRetargeted,
  data: { aliasArn: ALIAS_ARN, target: to, previousTargetKeyId, lastUpdatedDate: toIso(at) },
});
const deleted = (targetKeyId: string = KEY_ID, reason: 'DeleteAlias' | 'KeyDeleted' = 'DeleteAlias'): AliasEvent => ({
  type: AliasEventTypes.AliasDeleted,
  data: { aliasArn: ALIAS_ARN, targetKeyId, reason },
});

const createCommand = (to: AliasTarget = target()) => ({ aliasName: ALIAS_NAME, aliasArn: ALIAS_ARN, accountId: ACCOUNT, region: REGION, target: to });

/** Runs `fn` and returns the KmsError it throws. */
function errorOf(fn: () => unknown): { type: KmsErrorType; message: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof KmsError) return { type: e.type, message: e.message };
    throw e;
  }
  throw new Error('expected a KmsError, but nothing was thrown');
}

describe('alias stream', () => {
  it('is named per account, region and alias name', () => {
    expect(aliasStreamId(ACCOUNT, REGION, ALIAS_NAME)).toBe(`kms-alias-${ACCOUNT}:${REGION}:${ALIAS_NAME}`);
  });
});

describe('CreateAlias', () => {
  it('records AliasCreated; the alias exists with CreationDate = LastUpdatedDate', () => {
    const events = decideCreateAlias(undefined, createCommand(), T1);
    expect(events).toStrictEqual([created(target(), T1)]);
    expect(foldAlias(events)).toEqual<AliasState>({ aliasName: ALIAS_NAME, aliasArn: ALIAS_ARN, target: target(), creationDate: T1, lastUpdatedDate: T1 });
  });

  it('refuses a name that exists (AlreadyExistsException naming the alias ARN)', () => {
    expect(errorOf(() => decideCreateAlias(foldAlias([created()]), createCommand(target(OTHER_KEY_ID)), T1))).toEqual({
      type: 'AlreadyExistsException',
      message: `An alias with the name ${ALIAS_ARN} already exists`,
    });
  });

  it('refuses a name that exists even when it was retargeted since', () => {
    const state = foldAlias([created(), retargeted(target(OTHER_KEY_ID), KEY_ID, T0 + 1)]);
    expect(errorOf(() => decideCreateAlias(state, createCommand(), T1)).type).toBe('AlreadyExistsException');
  });

  it('can create the name again after it was deleted', () => {
    const state = foldAlias([created(), deleted()]);
    expect(state).toBeUndefined();
    const events = decideCreateAlias(state, createCommand(target(OTHER_KEY_ID)), T1);
    expect(events).toStrictEqual([created(target(OTHER_KEY_ID), T1)]);
    expect(foldAlias([created(), deleted(), ...events])?.target.keyId).toBe(OTHER_KEY_ID);
  });

  it('can create the name again after its key was deleted', () => {
    const state = foldAlias([created(), deleted(KEY_ID, 'KeyDeleted')]);
    expect(decideCreateAlias(state, createCommand(target(OTHER_KEY_ID)), T1)).toHaveLength(1);
  });
});

describe('UpdateAlias', () => {
  const existing = foldAlias([created()]);

  it('records AliasRetargeted with the previous target; LastUpdatedDate changes, CreationDate does not', () => {
    const to = target(OTHER_KEY_ID);
    const events = decideUpdateAlias(existing, { aliasArn: ALIAS_ARN, target: to }, T1);
    expect(events).toStrictEqual([retargeted(to, KEY_ID, T1)]);
    const after = foldAlias([created(), ...events]);
    expect(after).toEqual<AliasState>({ aliasName: ALIAS_NAME, aliasArn: ALIAS_ARN, target: to, creationDate: T0, lastUpdatedDate: T1 });
  });

  it('refuses an alias that does not exist (NotFoundException naming the alias ARN)', () => {
    const notFound = { type: 'NotFoundException', message: `Alias ${ALIAS_ARN} is not found.` };
    expect(errorOf(() => decideUpdateAlias(undefined, { aliasArn: ALIAS_ARN, target: target(OTHER_KEY_ID) }, T1))).toEqual(notFound);
    expect(errorOf(() => decideUpdateAlias(foldAlias([created(), deleted()]), { aliasArn: ALIAS_ARN, target: target(OTHER_KEY_ID) }, T1))).toEqual(notFound);
  });

  it('refuses a key with a different key usage (ValidationException, local-kms text)', () => {
    const rsaKey = target(OTHER_KEY_ID, 'RSA_2048', 'SIGN_VERIFY');
    expect(errorOf(() => decideUpdateAlias(existing, { aliasArn: ALIAS_ARN, target: rsaKey }, T1))).toEqual({
      type: 'ValidationException',
      message:
        'Alias alias/payments cannot be changed from a CMK with key usage ENCRYPT_DECRYPT to a CMK with key usage SIGN_VERIFY. The key usage of the current CMK and the new CMK must be the same.',
    });
  });

  it('refuses moving from a symmetric to an asymmetric key, even with the same key usage', () => {
    const rsaEncrypt = target(OTHER_KEY_ID, 'RSA_2048', 'ENCRYPT_DECRYPT');
    const error = errorOf(() => decideUpdateAlias(existing, { aliasArn: ALIAS_ARN, target: rsaEncrypt }, T1));
    expect(error.type).toBe('ValidationException');
    expect(error.message).toMatch(/alias\/payments/);
  });

  it('refuses moving from an asymmetric to a symmetric key', () => {
    const state = foldAlias([created(target(KEY_ID, 'RSA_3072', 'ENCRYPT_DECRYPT'))]);
    expect(errorOf(() => decideUpdateAlias(state, { aliasArn: ALIAS_ARN, target: target(OTHER_KEY_ID) }, T1)).type).toBe('ValidationException');
  });

  it('refuses moving between HMAC and asymmetric keys', () => {
    const hmac = foldAlias([created(target(KEY_ID, 'HMAC_256', 'GENERATE_VERIFY_MAC'))]);
    expect(errorOf(() => decideUpdateAlias(hmac, { aliasArn: ALIAS_ARN, target: target(OTHER_KEY_ID, 'ECC_NIST_P256', 'SIGN_VERIFY') }, T1)).type).toBe(
      'ValidationException',
    );
  });

  it.each([
    ['HMAC_256 → HMAC_512', target(KEY_ID, 'HMAC_256', 'GENERATE_VERIFY_MAC'), target(OTHER_KEY_ID, 'HMAC_512', 'GENERATE_VERIFY_MAC')],
    ['RSA_2048 → ECC_NIST_P256 (both asymmetric SIGN_VERIFY)', target(KEY_ID, 'RSA_2048', 'SIGN_VERIFY'), target(OTHER_KEY_ID, 'ECC_NIST_P256', 'SIGN_VERIFY')],
    ['symmetric → symmetric', target(KEY_ID), target(OTHER_KEY_ID)],
  ])('allows a key of the same type and usage: %s', (_case, from, to) => {
    const events = decideUpdateAlias(foldAlias([created(from)]), { aliasArn: ALIAS_ARN, target: to }, T1);
    expect(events).toStrictEqual([retargeted(to, from.keyId, T1)]);
  });

  it('records nothing when the alias already names that key', () => {
    expect(decideUpdateAlias(existing, { aliasArn: ALIAS_ARN, target: target() }, T1)).toEqual([]);
  });

  it('moves back to a former target', () => {
    const state = foldAlias([created(), retargeted(target(OTHER_KEY_ID), KEY_ID, T0 + 1)]);
    expect(decideUpdateAlias(state, { aliasArn: ALIAS_ARN, target: target() }, T1)).toStrictEqual([retargeted(target(), OTHER_KEY_ID, T1)]);
  });
});

describe('DeleteAlias', () => {
  it('records AliasDeleted (reason DeleteAlias) with its target; the alias no longer exists', () => {
    const events = decideDeleteAlias(foldAlias([created()]), { aliasArn: ALIAS_ARN });
    expect(events).toStrictEqual([deleted(KEY_ID, 'DeleteAlias')]);
    expect(foldAlias([created(), ...events])).toBeUndefined();
  });

  it('names the current target after a retarget', () => {
    const state = foldAlias([created(), retargeted(target(OTHER_KEY_ID), KEY_ID, T0 + 1)]);
    expect(decideDeleteAlias(state, { aliasArn: ALIAS_ARN })).toStrictEqual([deleted(OTHER_KEY_ID)]);
  });

  it('refuses an alias that does not exist, or no longer exists', () => {
    const notFound = { type: 'NotFoundException', message: `Alias ${ALIAS_ARN} is not found.` };
    expect(errorOf(() => decideDeleteAlias(undefined, { aliasArn: ALIAS_ARN }))).toEqual(notFound);
    expect(errorOf(() => decideDeleteAlias(foldAlias([created(), deleted()]), { aliasArn: ALIAS_ARN }))).toEqual(notFound);
  });
});

describe('decideDeleteAliasOfDeletedKey (maintenance job)', () => {
  it('deletes an alias that still targets the deleted key (reason KeyDeleted)', () => {
    expect(decideDeleteAliasOfDeletedKey(foldAlias([created()]), KEY_ID)).toStrictEqual([deleted(KEY_ID, 'KeyDeleted')]);
  });

  it('leaves an alias that was moved to another key', () => {
    const state = foldAlias([created(), retargeted(target(OTHER_KEY_ID), KEY_ID, T0 + 1)]);
    expect(decideDeleteAliasOfDeletedKey(state, KEY_ID)).toEqual([]);
  });

  it('deletes an alias that was moved to the deleted key', () => {
    const state = foldAlias([created(target(OTHER_KEY_ID)), retargeted(target(), OTHER_KEY_ID, T0 + 1)]);
    expect(decideDeleteAliasOfDeletedKey(state, KEY_ID)).toStrictEqual([deleted(KEY_ID, 'KeyDeleted')]);
  });

  it('records nothing for an alias that no longer exists (deleted already)', () => {
    expect(decideDeleteAliasOfDeletedKey(undefined, KEY_ID)).toEqual([]);
    expect(decideDeleteAliasOfDeletedKey(foldAlias([created(), deleted()]), KEY_ID)).toEqual([]);
  });
});

describe('evolveAlias', () => {
  it('ignores a retarget of an alias that does not exist', () => {
    expect(evolveAlias(undefined, retargeted(target(OTHER_KEY_ID), KEY_ID, T1))).toBeUndefined();
  });

  it('reads dates from the ISO strings of the events', () => {
    const state = foldAlias([created(target(), T0 + 1234)]);
    expect(state?.creationDate).toBe(fromIso(toIso(T0 + 1234)));
  });
});

describe('checkAliasName (every AliasName member: UpdateAlias, DeleteAlias)', () => {
  it('refuses a name without the prefix, an alias ARN among them, as CreateAlias does, and leaves the reserved names to the lookup', () => {
    for (const name of ['payments', 'arn:aws:kms:us-east-1:000000000000:alias/payments']) {
      expect(errorOf(() => checkAliasName(name))).toEqual({
        type: 'ValidationException',
        message: 'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
      });
    }
    expect(errorOf(() => checkAliasName('alias/bad!')).type).toBe('ValidationException');
    expect(() => checkAliasName('alias/aws/s3')).not.toThrow();
    expect(() => checkAliasName('alias/payments')).not.toThrow();
  });
});

describe('checkNewAliasName', () => {
  const check = (name: string) => errorOf(() => checkNewAliasName(name));

  it.each(['alias/payments', 'alias/my-alias_1', 'alias/team/app/key', 'alias/A1', 'alias/' + 'a'.repeat(250)])('accepts %s', (name) => {
    expect(() => checkNewAliasName(name)).not.toThrow();
  });

  it('refuses a name without the alias/ prefix (ValidationException, SNAP text with the docs URL)', () => {
    expect(check('payments')).toEqual({
      type: 'ValidationException',
      message: 'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
    });
    expect(check('Alias/payments').type).toBe('ValidationException');
  });

  it('refuses the reserved alias/aws/ prefix (NotAuthorizedException without a message)', () => {
    expect(check('alias/aws/x')).toEqual({ type: 'NotAuthorizedException', message: '' });
    expect(check('alias/aws/s3')).toEqual({ type: 'NotAuthorizedException', message: '' });
  });

  it('allows names that merely begin with "aws" after the prefix', () => {
    expect(() => checkNewAliasName('alias/aws-backup')).not.toThrow();
    expect(() => checkNewAliasName('alias/awsome')).not.toThrow();
  });

  it('refuses ":" (allowed by the pattern, not by the documentation)', () => {
    expect(check('alias/my:alias')).toEqual({ type: 'ValidationException', message: 'alias/my:alias contains invalid characters for an alias' });
  });

  it.each(['alias/bad!', 'alias/my-alias!', 'alias/a b', 'alias/$x', 'alias/a@b'])('refuses %s with the Coral pattern text', (name) => {
    expect(check(name)).toEqual({
      type: 'ValidationException',
      message: `1 validation error detected: Value '${name}' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$`,
    });
  });

  it('accepts 256 characters and refuses 257 with the Coral length text', () => {
    const max = 'alias/' + 'a'.repeat(250);
    expect(max).toHaveLength(256);
    expect(() => checkNewAliasName(max)).not.toThrow();
    const long = 'alias/' + 'a'.repeat(251);
    expect(long).toHaveLength(257);
    expect(check(long)).toEqual({
      type: 'ValidationException',
      message: `1 validation error detected: Value '${long}' at 'aliasName' failed to satisfy constraint: Member must have length less than or equal to 256`,
    });
  });
});
