import { KmsError, KmsErrorType } from './errors';
import { keyArn, resolveKeyId } from './key-identifier';
import { ACCOUNT, KEY_ARN, KEY_ID, REGION, SCOPE } from './testing/given-when-then';

const MRK_ID = 'mrk-1234abcd12ab34cd56ef1234567890ab';
const IMPORT = { allowAlias: false };
const USE = { allowAlias: true };

function expectError(result: ReturnType<typeof resolveKeyId>, type: KmsErrorType, message: string): void {
  expect(result).toEqual({ error: expect.any(KmsError) });
  const { error } = result as { error: KmsError };
  expect({ type: error.type, message: error.message }).toEqual({ type, message });
}

describe('resolveKeyId', () => {
  it('accepts a key id', () => {
    expect(resolveKeyId(KEY_ID, SCOPE, IMPORT)).toEqual({ keyId: KEY_ID });
  });

  it('accepts a multi-Region key id', () => {
    expect(resolveKeyId(MRK_ID, SCOPE, IMPORT)).toEqual({ keyId: MRK_ID });
  });

  it('accepts a key ARN of this account and region', () => {
    expect(resolveKeyId(KEY_ARN, SCOPE, IMPORT)).toEqual({ keyId: KEY_ID });
  });

  it('accepts a multi-Region key ARN', () => {
    expect(resolveKeyId(`arn:aws:kms:${REGION}:${ACCOUNT}:key/${MRK_ID}`, SCOPE, IMPORT)).toEqual({ keyId: MRK_ID });
  });

  it('keyArn builds the ARN resolveKeyId accepts', () => {
    expect(keyArn(SCOPE, KEY_ID)).toBe(KEY_ARN);
  });

  it('refuses a key ARN of another region: "Invalid arn <region>"', () => {
    expectError(resolveKeyId(`arn:aws:kms:eu-west-1:${ACCOUNT}:key/${KEY_ID}`, SCOPE, IMPORT), 'NotFoundException', 'Invalid arn eu-west-1');
  });

  it.each(['fake-key-id', '1234abcd12ab34cd56ef1234567890ab', 'mrk-fake-key-id', '1234ABCD-12AB-34CD-56EF-1234567890AB'])(
    'refuses the malformed key id %s: "Invalid keyId \'...\'"',
    (input) => {
      expectError(resolveKeyId(input, SCOPE, IMPORT), 'NotFoundException', `Invalid keyId '${input}'`);
    },
  );

  it('refuses a key ARN whose key id is malformed', () => {
    expectError(resolveKeyId(`arn:aws:kms:${REGION}:${ACCOUNT}:key/fake-key-id`, SCOPE, IMPORT), 'NotFoundException', "Invalid keyId 'fake-key-id'");
  });

  it('names the alias to look up (with its ARN) where aliases are allowed', () => {
    expect(resolveKeyId('alias/payments', SCOPE, USE)).toEqual({ aliasName: 'alias/payments', aliasArn: `arn:aws:kms:${REGION}:${ACCOUNT}:alias/payments` });
  });

  it('refuses an alias name where aliases are not allowed (import operations)', () => {
    expectError(resolveKeyId('alias/payments', SCOPE, IMPORT), 'NotFoundException', "Invalid keyId 'alias/payments'");
  });

  it('names the alias an alias ARN of the caller\'s account points to', () => {
    const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:alias/payments`;
    expect(resolveKeyId(arn, SCOPE, USE)).toEqual({ aliasName: 'alias/payments', aliasArn: arn });
  });

  it("treats another account's alias ARN as not found (accounts are isolated)", () => {
    const arn = `arn:aws:kms:${REGION}:999999999999:alias/payments`;
    expectError(resolveKeyId(arn, SCOPE, USE), 'NotFoundException', `Alias ${arn} is not found.`);
  });

  it('refuses an alias ARN where aliases are not allowed', () => {
    const arn = `arn:aws:kms:${REGION}:${ACCOUNT}:alias/payments`;
    expectError(resolveKeyId(arn, SCOPE, IMPORT), 'NotFoundException', `Invalid keyId '${arn}'`);
  });

  it.each([
    `arn:aws:kms:${REGION}:${ACCOUNT}:key`,
    `arn:aws:kms:${REGION}:${ACCOUNT}:key/`,
    `arn:aws:s3:${REGION}:${ACCOUNT}:key/${KEY_ID}`,
    `arn:aws:kms:${REGION}:not-an-account:key/${KEY_ID}`,
    `arn:aws:kms:${REGION}:${ACCOUNT}:grant/${KEY_ID}`,
    'arn:',
  ])('refuses the malformed ARN %s (InvalidArnException)', (input) => {
    expectError(resolveKeyId(input, SCOPE, IMPORT), 'InvalidArnException', `Invalid arn ${input}`);
  });

  it("treats another account's key ARN as not found (import operations are not cross-account)", () => {
    const arn = `arn:aws:kms:${REGION}:444455556666:key/${KEY_ID}`;
    expectError(resolveKeyId(arn, SCOPE, IMPORT), 'NotFoundException', `Key '${arn}' does not exist`);
  });

  it('treats an ARN of another partition (aws-cn, aws-us-gov) as naming no key or alias here', () => {
    for (const partition of ['aws-cn', 'aws-us-gov']) {
      const arn = `arn:${partition}:kms:${REGION}:${ACCOUNT}:key/${KEY_ID}`;
      expectError(resolveKeyId(arn, SCOPE, USE), 'NotFoundException', `Key '${arn}' does not exist`);
      const alias = `arn:${partition}:kms:${REGION}:${ACCOUNT}:alias/payments`;
      expectError(resolveKeyId(alias, SCOPE, USE), 'NotFoundException', `Alias ${alias} is not found.`);
    }
    expect(resolveKeyId(`arn:aws:kms:${REGION}:${ACCOUNT}:key/${KEY_ID}`, SCOPE, USE)).toEqual({ keyId: KEY_ID });
  });
});
