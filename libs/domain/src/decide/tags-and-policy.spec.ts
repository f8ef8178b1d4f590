import { CreateKeyCommand, KeyCommand } from '../commands';
import { Tag } from '../events';
import { defaultKeyPolicy } from '../key-policy';
import {
  ACCOUNT,
  awsKmsKey,
  DAY_MS,
  deletionScheduled,
  externalKey,
  given,
  KEY_ARN,
  KEY_ID,
  keyCreated,
  keyDisabled,
  keyTagged,
  keyUntagged,
  MAT_A,
  materialDeleted,
  materialImported,
  policyPut,
  REGION,
  T0,
  tag,
} from '../testing/given-when-then';

/** Tags (kms-operations-reference.md §10, Appendix B #26) and key policies (§11.1, Appendix B #27). */
const T1 = T0 + DAY_MS;
const PENDING_DELETION = `${KEY_ARN} is pending deletion.`;
const RESERVED = 'Tags beginning with aws: are reserved';

const tagResource = (...tags: Tag[]): KeyCommand => ({ kind: 'TagResource', keyArn: KEY_ARN, tags });
const untagResource = (...tagKeys: string[]): KeyCommand => ({ kind: 'UntagResource', keyArn: KEY_ARN, tagKeys });
const putKeyPolicy = (policy: string, policyName?: string): KeyCommand => ({
  kind: 'PutKeyPolicy',
  keyArn: KEY_ARN,
  policy,
  ...(policyName !== undefined ? { policyName } : {}),
});

/** `n` distinct tags `k1..kn`. */
const manyTags = (n: number, prefix = 'k'): Tag[] => Array.from({ length: n }, (_, i) => tag(`${prefix}${i + 1}`, `v${i + 1}`));

const lengthError = (value: string, path: string, rule: string) =>
  `1 validation error detected: Value '${value}' at '${path}' failed to satisfy constraint: Member must have length ${rule}`;

const key = awsKmsKey();

describe('TagResource', () => {
  it('records KeyTagged with the tags of a key that had none', () => {
    const { after } = given(key).when(tagResource(tag('a', '1'), tag('b', '2')), T1).thenEvents(keyTagged(tag('a', '1'), tag('b', '2')));
    expect(after.tags).toEqual([tag('a', '1'), tag('b', '2')]);
  });

  it('records only the tags that change (new keys and new values), not those already set', () => {
    given(key, keyTagged(tag('a', '1'), tag('b', '2')))
      .when(tagResource(tag('a', '1'), tag('b', '3'), tag('c', '4')), T1)
      .thenEvents(keyTagged(tag('b', '3'), tag('c', '4')));
  });

  it('records nothing when every tag is already set to that value', () => {
    given(key, keyTagged(tag('a', '1'), tag('b', '2'))).when(tagResource(tag('b', '2'), tag('a', '1')), T1).thenNoEvents();
  });

  it('replaces the value of an existing key in place (its position is kept)', () => {
    const { after } = given(key, keyTagged(tag('tag1', 'x'), tag('tag2', 'y'), tag('tag3', 'z')))
      .when(tagResource(tag('tag2', 'updated'), tag('tag4', 'w')), T1)
      .thenEvents(keyTagged(tag('tag2', 'updated'), tag('tag4', 'w')));
    expect(after.tags).toEqual([tag('tag1', 'x'), tag('tag2', 'updated'), tag('tag3', 'z'), tag('tag4', 'w')]);
  });

  it('keeps insertion order on evolve (not sorted)', () => {
    const { after } = given(key, keyTagged(tag('zeta'), tag('alpha'))).when(tagResource(tag('mid')), T1).thenEvents(keyTagged(tag('mid')));
    expect(after.tags?.map((t) => t.TagKey)).toEqual(['zeta', 'alpha', 'mid']);
  });

  it('treats tag keys as case-sensitive', () => {
    const { after } = given(key, keyTagged(tag('Team', 'a'))).when(tagResource(tag('team', 'b')), T1).thenEvents(keyTagged(tag('team', 'b')));
    expect(after.tags).toEqual([tag('Team', 'a'), tag('team', 'b')]);
  });

  it('allows an empty TagValue and a TagValue of 256 characters, and a TagKey of 128', () => {
    const longKey = 'k'.repeat(128);
    const longValue = 'v'.repeat(256);
    given(key).when(tagResource(tag('empty', ''), tag(longKey, longValue)), T1).thenEvents(keyTagged(tag('empty', ''), tag(longKey, longValue)));
  });

  it.each(['aws:key1', 'AWS:key1', 'Aws:key1'])('refuses the reserved key %s (TagException)', (reserved) => {
    given(key).when(tagResource(tag('ok', '1'), tag(reserved, 'v')), T1).thenError('TagException', RESERVED);
  });

  it('allows a key that merely contains aws: later on', () => {
    given(key).when(tagResource(tag('my-aws:key', 'v')), T1).thenEvents(keyTagged(tag('my-aws:key', 'v')));
  });

  it('refuses the same TagKey twice in one request, even with the same value (TagException)', () => {
    given(key).when(tagResource(tag('a', '1'), tag('a', '2')), T1).thenError('TagException', 'Duplicate tag keys');
    given(key).when(tagResource(tag('a', '1'), tag('a', '1')), T1).thenError('TagException', 'Duplicate tag keys');
  });

  describe('at most 50 tags per key, counted cumulatively', () => {
    it('allows the 50th tag', () => {
      given(key, keyTagged(...manyTags(49))).when(tagResource(tag('fifty', 'v')), T1).thenEvents(keyTagged(tag('fifty', 'v')));
    });

    it('refuses the 51st tag (TagException "Too many tags")', () => {
      given(key, keyTagged(...manyTags(50))).when(tagResource(tag('fifty-one', 'v')), T1).thenError('TagException', 'Too many tags');
      given(key, keyTagged(...manyTags(30))).when(tagResource(...manyTags(21, 'new')), T1).thenError('TagException', 'Too many tags');
    });

    it('refuses 51 tags in one request', () => {
      given(key).when(tagResource(...manyTags(51)), T1).thenError('TagException', 'Too many tags');
    });

    it('still allows changing the value of a tag on a key that has 50', () => {
      given(key, keyTagged(...manyTags(50))).when(tagResource(tag('k7', 'changed')), T1).thenEvents(keyTagged(tag('k7', 'changed')));
    });

    it('counts tags removed by UntagResource as gone', () => {
      given(key, keyTagged(...manyTags(50)), keyUntagged('k1')).when(tagResource(tag('again', 'v')), T1).thenEvents(keyTagged(tag('again', 'v')));
    });
  });

  describe('lengths (ValidationException, Coral template, 1-based member path)', () => {
    it('refuses a TagKey of 129 characters', () => {
      const long = 'k'.repeat(129);
      given(key).when(tagResource(tag(long, 'v')), T1).thenError('ValidationException', lengthError(long, 'tags.1.member.tagKey', 'less than or equal to 128'));
    });

    it('names the position of the offending tag', () => {
      const long = 'k'.repeat(129);
      given(key)
        .when(tagResource(tag('fine', 'v'), tag(long, 'v')), T1)
        .thenError('ValidationException', lengthError(long, 'tags.2.member.tagKey', 'less than or equal to 128'));
    });

    it('refuses a TagValue of 257 characters', () => {
      const long = 'v'.repeat(257);
      given(key).when(tagResource(tag('k', long)), T1).thenError('ValidationException', lengthError(long, 'tags.1.member.tagValue', 'less than or equal to 256'));
    });

    it('refuses a TagKey or TagValue with an unpaired surrogate, naming the member without echoing it', () => {
      const notText = (path: string) => `1 validation error detected: Value at '${path}' failed to satisfy constraint: Member must be Unicode text (it has an unpaired surrogate)`;
      given(key).when(tagResource(tag('ok', 'v'), tag('k\ud800', 'v')), T1).thenError('ValidationException', notText('tags.2.member.tagKey'));
      given(key).when(tagResource(tag('k', '\udc00v')), T1).thenError('ValidationException', notText('tags.1.member.tagValue'));
      given(key).when(tagResource(tag('🔑', 'ü')), T1).thenEvents(keyTagged(tag('🔑', 'ü')));
    });

    it('refuses an empty TagKey', () => {
      given(key).when(tagResource(tag('', 'v')), T1).thenError('ValidationException', lengthError('', 'tags.1.member.tagKey', 'greater than or equal to 1'));
    });

    // Syntactic (model constraint) validation comes before the resource lookup and the state checks
    // (kms-api-reference.md §14: "syntactic (ValidationException) before resource lookup (NotFoundException)
    // before origin/state checks"). The API layer leaves tag lengths to the domain, so the domain must keep that order.
    it('refuses a too-long TagKey before looking the key up', () => {
      const long = 'k'.repeat(129);
      given().when(tagResource(tag(long, 'v')), T1).thenError('ValidationException', lengthError(long, 'tags.1.member.tagKey', 'less than or equal to 128'));
    });

    it('refuses a too-long TagKey before checking the key state', () => {
      const long = 'k'.repeat(129);
      given(key, deletionScheduled(T0 + 30 * DAY_MS))
        .when(tagResource(tag(long, 'v')), T1)
        .thenError('ValidationException', lengthError(long, 'tags.1.member.tagKey', 'less than or equal to 128'));
    });
  });

  describe('key states', () => {
    it('is refused while the key is pending deletion', () => {
      given(key, deletionScheduled(T0 + 30 * DAY_MS)).when(tagResource(tag('a', '1')), T1).thenError('KMSInvalidStateException', PENDING_DELETION);
    });

    it('is allowed in Disabled and PendingImport', () => {
      given(key, keyDisabled()).when(tagResource(tag('a', '1')), T1).thenEvents(keyTagged(tag('a', '1')));
      given(externalKey()).when(tagResource(tag('a', '1')), T1).thenEvents(keyTagged(tag('a', '1')));
      given(externalKey(), materialImported(), materialDeleted(MAT_A)).when(tagResource(tag('a', '1')), T1).thenEvents(keyTagged(tag('a', '1')));
    });

    it('refuses a key that does not exist', () => {
      given().when(tagResource(tag('a', '1')), T1).thenError('NotFoundException', `Key '${KEY_ARN}' does not exist`);
    });
  });
});

describe('UntagResource', () => {
  const tagged = [key, keyTagged(tag('a', '1'), tag('b', '2'), tag('c', '3'))];

  it('records KeyUntagged and removes the tags, keeping the order of the others', () => {
    const { after } = given(...tagged).when(untagResource('a', 'c'), T1).thenEvents(keyUntagged('a', 'c'));
    expect(after.tags).toEqual([tag('b', '2')]);
  });

  it('silently ignores keys the key does not have, recording only those it has', () => {
    const { after } = given(...tagged).when(untagResource('nope', 'b'), T1).thenEvents(keyUntagged('b'));
    expect(after.tags).toEqual([tag('a', '1'), tag('c', '3')]);
  });

  it('records nothing when none of the keys is present', () => {
    given(...tagged).when(untagResource('x', 'y'), T1).thenNoEvents();
    given(key).when(untagResource('x'), T1).thenNoEvents();
  });

  it('matches tag keys case-sensitively', () => {
    given(...tagged).when(untagResource('A'), T1).thenNoEvents();
  });

  it.each(['aws:key1', 'AWS:key1'])('refuses the reserved key %s (TagException)', (reserved) => {
    given(...tagged).when(untagResource('a', reserved), T1).thenError('TagException', RESERVED);
  });

  it('is refused while the key is pending deletion', () => {
    given(...tagged, deletionScheduled(T0 + 30 * DAY_MS)).when(untagResource('a'), T1).thenError('KMSInvalidStateException', PENDING_DELETION);
  });

  it('is allowed on a Disabled key', () => {
    given(...tagged, keyDisabled()).when(untagResource('a'), T1).thenEvents(keyUntagged('a'));
  });

  it('refuses an empty or 129-character tag key (ValidationException; TagKeys members are 1..128)', () => {
    given(...tagged).when(untagResource('k'.repeat(129)), T1).thenError('ValidationException', /^1 validation error detected: .*less than or equal to 128$/);
    given(...tagged).when(untagResource(''), T1).thenError('ValidationException', /^1 validation error detected: .*greater than or equal to 1$/);
  });

  // Syntactic validation before the state check (kms-api-reference.md §14), as for TagResource.
  it('refuses a 129-character tag key before checking the key state', () => {
    given(...tagged, deletionScheduled(T0 + 30 * DAY_MS))
      .when(untagResource('k'.repeat(129)), T1)
      .thenError('ValidationException', /^1 validation error detected: .*less than or equal to 128$/);
  });
});

describe('CreateKey with Tags', () => {
  const createKey = (tags?: Tag[]): CreateKeyCommand => ({
    kind: 'CreateKey',
    keyId: KEY_ID,
    accountId: ACCOUNT,
    region: REGION,
    description: '',
    keySpec: 'SYMMETRIC_DEFAULT',
    origin: 'AWS_KMS',
    generatedKeyMaterialId: MAT_A,
    multiRegion: false,
    ...(tags !== undefined ? { tags } : {}),
  });

  it('stores the tags in KeyCreated, in request order', () => {
    const tags = [tag('z', '1'), tag('a', '2')];
    const { after } = given().when(createKey(tags), T0).thenEvents(keyCreated({ origin: 'AWS_KMS', keyMaterialId: MAT_A, tags }));
    expect(after.tags).toEqual(tags);
  });

  it('stores 50 tags', () => {
    given().when(createKey(manyTags(50)), T0).thenEvents(keyCreated({ origin: 'AWS_KMS', keyMaterialId: MAT_A, tags: manyTags(50) }));
  });

  it('refuses 51 tags (TagException "Too many tags")', () => {
    given().when(createKey(manyTags(51)), T0).thenError('TagException', 'Too many tags');
  });

  it('refuses reserved and duplicate keys and a too-long key', () => {
    given().when(createKey([tag('AWS:x', 'v')]), T0).thenError('TagException', RESERVED);
    given().when(createKey([tag('d', '1'), tag('d', '2')]), T0).thenError('TagException', 'Duplicate tag keys');
    const long = 'k'.repeat(129);
    given().when(createKey([tag(long, 'v')]), T0).thenError('ValidationException', lengthError(long, 'tags.1.member.tagKey', 'less than or equal to 128'));
  });
});

describe('PutKeyPolicy', () => {
  const policy = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:*', Resource: '*' }] });

  it('records KeyPolicyPut with the policy name "default" and stores the document as given', () => {
    const { after } = given(key).when(putKeyPolicy(policy), T1).thenEvents(policyPut(policy, 'default'));
    expect(after.policy).toBe(policy);
  });

  it('accepts an explicit PolicyName "default"', () => {
    given(key).when(putKeyPolicy(policy, 'default'), T1).thenEvents(policyPut(policy, 'default'));
  });

  it('records every put, even of the same document (a security change is always audited)', () => {
    given(key, policyPut(policy)).when(putKeyPolicy(policy), T1).thenEvents(policyPut(policy));
  });

  it('refuses a non-default PolicyName (NotFoundException "No such policy exists")', () => {
    given(key).when(putKeyPolicy(policy, 'custom'), T1).thenError('NotFoundException', 'No such policy exists');
  });

  it.each([
    ['not JSON', '{"Statement": ['],
    ['plain text', 'allow everything'],
    ['a JSON array', '[{"Statement": []}]'],
    ['a JSON string', '"Statement"'],
    ['JSON null', 'null'],
    ['an object without Statement', '{"Version": "2012-10-17"}'],
  ])('refuses a document that is %s (MalformedPolicyDocumentException)', (_what, document) => {
    given(key).when(putKeyPolicy(document), T1).thenError('MalformedPolicyDocumentException', /.+/);
  });

  it('accepts a document of exactly 131072 characters', () => {
    const base = '{"Statement":[],"Pad":""}';
    const padded = base.replace('"Pad":""', `"Pad":"${'x'.repeat(131072 - base.length)}"`);
    expect(padded).toHaveLength(131072);
    given(key).when(putKeyPolicy(padded), T1).thenEvents(policyPut(padded));
  });

  it('refuses a document over 131072 characters (LimitExceededException)', () => {
    const base = '{"Statement":[],"Pad":""}';
    const padded = base.replace('"Pad":""', `"Pad":"${'x'.repeat(131073 - base.length)}"`);
    expect(padded).toHaveLength(131073);
    given(key).when(putKeyPolicy(padded), T1).thenError('LimitExceededException', /.+/);
  });

  it.each([
    ['Enabled', [key]],
    ['Disabled', [key, keyDisabled()]],
    ['PendingDeletion', [key, deletionScheduled(T0 + 30 * DAY_MS)]],
    ['PendingImport (never imported)', [externalKey()]],
    ['PendingImport (material deleted)', [externalKey(), materialImported(), materialDeleted(MAT_A)]],
  ])('is allowed in %s', (_state, history) => {
    given(...history).when(putKeyPolicy(policy), T1).thenEvents(policyPut(policy));
  });

  it('refuses a key that does not exist', () => {
    given().when(putKeyPolicy(policy), T1).thenError('NotFoundException', `Key '${KEY_ARN}' does not exist`);
  });
});

describe('defaultKeyPolicy', () => {
  // kms-operations-reference.md §11.1, byte for byte (Jackson pretty printer: " : " and 2-space indent).
  const REFERENCE_TEXT = [
    '{',
    '  "Version" : "2012-10-17",',
    '  "Id" : "key-default-1",',
    '  "Statement" : [ {',
    '    "Sid" : "Enable IAM User Permissions",',
    '    "Effect" : "Allow",',
    '    "Principal" : {',
    '      "AWS" : "arn:aws:iam::111122223333:root"',
    '    },',
    '    "Action" : "kms:*",',
    '    "Resource" : "*"',
    '  } ]',
    '}',
  ].join('\n');

  it('equals the reference text for account 111122223333 byte for byte', () => {
    expect(defaultKeyPolicy('111122223333')).toBe(REFERENCE_TEXT);
  });

  it('names the given account as the root principal', () => {
    expect(defaultKeyPolicy('444455556666')).toBe(REFERENCE_TEXT.replace('111122223333', '444455556666'));
  });

  it('uses the partition in the principal ARN', () => {
    expect(defaultKeyPolicy('111122223333', 'aws-cn')).toBe(REFERENCE_TEXT.replace('arn:aws:iam::', 'arn:aws-cn:iam::'));
  });

  it('is itself a document PutKeyPolicy accepts', () => {
    given(key).when(putKeyPolicy(defaultKeyPolicy(ACCOUNT)), T1).thenEvents(policyPut(defaultKeyPolicy(ACCOUNT)));
  });
});
