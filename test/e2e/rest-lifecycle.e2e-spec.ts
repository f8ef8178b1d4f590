import { DescribeKeyCommand, EncryptCommand, GetKeyPolicyCommand, KMSClient, ListAliasesCommand, ListResourceTagsCommand } from '@aws-sdk/client-kms';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { OpenApiClient } from '../support/openapi-client';
import { expectOk, expectProblem, restClient, RestClient, RestReply, sigV4 } from '../support/rest-client';
import { readEventLog } from '../support/event-log';

const DAY_MS = 24 * 3600 * 1000;
const ACCOUNT = '000000000000';
const b64 = (text: string) => Buffer.from(text).toString('base64');
const revisionOf = (etag: string | null) => Number(JSON.parse(etag!));

/**
 * Key management over REST: enable/disable, description, scheduled deletion, tags, policy, rotation and aliases,
 * through the routes of the OpenAPI document (every answer checked against it), with ETag/If-Match; the AWS SDK
 * sees the same keys. The last test moves the service clock past a deletion date, so it stays last.
 */
describe('REST: key lifecycle, tags, policy, rotation, aliases', () => {
  let kl: RunningKeyledger;
  let api: OpenApiClient;
  let rest: RestClient;
  let kms: KMSClient;
  beforeAll(async () => {
    kl = await startKeyledger();
    api = await OpenApiClient.load(kl.url);
    rest = restClient(kl.url);
    kms = kl.client();
  });
  afterAll(() => kl.destroy());

  /** A reply to a request made with plain fetch (e.g. one query parameter given several times), checked against the document. */
  const documented = (operationId: string, reply: RestReply) => {
    const { operation } = api.operations().find((o) => o.operation.operationId === operationId)!;
    api.checkAgainstDocument(operationId, operation, reply);
    return reply;
  };

  const createKey = async (body: Record<string, unknown> = {}) => {
    const created = await api.call('createKey', { body });
    return { ...expectOk(created, 201), etag: created.etag! };
  };
  const encrypt = (keyId: string, text: string) => api.call('encrypt', { params: { keyId }, body: { plaintext: b64(text) } });
  const events = async (keyId: string): Promise<string[]> => expectOk(await api.call('listKeyEvents', { params: { keyId, limit: '1000' } })).events.map((e: { type: string }) => e.type);

  it('disable, enable, description: the key resource and its ETag follow each change; a disabled key cannot encrypt', async () => {
    const key = await createKey({ description: 'lifecycle' });
    expect(expectOk(await encrypt(key.keyId, 'usable')).keyId).toBe(key.keyId);

    const disabled = await api.call('disableKey', { params: { keyId: key.keyId, 'If-Match': key.etag } });
    expect(expectOk(disabled)).toMatchObject({ keyId: key.keyId, arn: key.arn, keyState: 'Disabled', enabled: false, description: 'lifecycle' });
    expect(revisionOf(disabled.etag)).toBe(revisionOf(key.etag) + 1);
    const read = await api.call('getKey', { params: { keyId: key.keyId } });
    expect({ body: expectOk(read), etag: read.etag }).toEqual({ body: disabled.body, etag: disabled.etag });

    expectProblem(await encrypt(key.keyId, 'refused'), 409, 'key-disabled', 'DisabledException');
    // Disabling a disabled key records nothing: the revision stays.
    const again = await api.call('disableKey', { params: { keyId: key.keyId } });
    expect({ state: expectOk(again).keyState, etag: again.etag }).toEqual({ state: 'Disabled', etag: disabled.etag });

    const enabled = await api.call('enableKey', { params: { keyId: key.keyId, 'If-Match': disabled.etag! } });
    expect(expectOk(enabled)).toMatchObject({ keyState: 'Enabled', enabled: true });
    expect(revisionOf(enabled.etag)).toBe(revisionOf(disabled.etag) + 1);
    expectOk(await encrypt(key.keyId, 'usable again'));

    const described = await api.call('updateKeyDescription', { params: { keyId: key.keyId, 'If-Match': enabled.etag! }, body: { description: 'payments, team billing' } });
    expect(expectOk(described)).toMatchObject({ description: 'payments, team billing', keyState: 'Enabled' });
    expect(revisionOf(described.etag)).toBe(revisionOf(enabled.etag) + 1);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: key.keyId }))).KeyMetadata).toMatchObject({ Description: 'payments, team billing', KeyState: 'Enabled' });
    const cleared = await api.call('updateKeyDescription', { params: { keyId: key.keyId }, body: { description: '' } });
    expect(expectOk(cleared).description).toBe('');
    expectProblem(await api.call('updateKeyDescription', { params: { keyId: key.keyId }, body: {} }), 400, 'validation-failed', 'ValidationException');
    expectProblem(await api.call('updateKeyDescription', { params: { keyId: key.keyId }, body: { description: 7 } }), 400, 'malformed-request', 'SerializationException');

    expect(await events(key.keyId)).toEqual(['KeyCreated.v1', 'KeyDisabled.v1', 'KeyEnabled.v1', 'KeyDescriptionUpdated.v1', 'KeyDescriptionUpdated.v1']);
    expectProblem(await api.call('enableKey', { params: { keyId: '11111111-2222-3333-4444-555555555555' } }), 404, 'not-found', 'NotFoundException');
  });

  it('scheduled deletion: DeletionDate is now + the window on the service clock, the key cannot be used, cancel leaves it Disabled', async () => {
    const key = await createKey();
    const ciphertext = expectOk(await encrypt(key.keyId, 'before the deletion')).ciphertext;

    const before = kl.clock.now();
    const scheduled = await api.call('scheduleKeyDeletion', { params: { keyId: key.keyId, 'If-Match': key.etag }, body: { pendingWindowInDays: 7 } });
    const after = kl.clock.now();
    const deletion = expectOk(scheduled);
    expect(deletion).toEqual({ keyId: key.keyId, keyArn: key.arn, deletionDate: expect.any(String), keyState: 'PendingDeletion', pendingWindowInDays: 7 });
    const deletionDate = Date.parse(deletion.deletionDate);
    expect(new Date(deletionDate).toISOString()).toBe(deletion.deletionDate);
    expect(deletionDate).toBeGreaterThanOrEqual(before + 7 * DAY_MS);
    expect(deletionDate).toBeLessThanOrEqual(after + 7 * DAY_MS);
    expect(revisionOf(scheduled.etag)).toBe(revisionOf(key.etag) + 1);

    const pending = await api.call('getKey', { params: { keyId: key.keyId } });
    expect(expectOk(pending)).toMatchObject({ keyState: 'PendingDeletion', enabled: false, deletionDate: deletion.deletionDate });
    expect(pending.etag).toBe(scheduled.etag);
    const sdkView = (await kms.send(new DescribeKeyCommand({ KeyId: key.keyId }))).KeyMetadata!;
    expect(sdkView.DeletionDate!.getTime()).toBe(deletionDate);

    expectProblem(await encrypt(key.keyId, 'refused'), 409, 'invalid-key-state', 'KMSInvalidStateException', /pending deletion/);
    expectProblem(await api.call('decrypt', { params: { keyId: key.keyId }, body: { ciphertext } }), 409, 'invalid-key-state', 'KMSInvalidStateException');
    expectProblem(await api.call('scheduleKeyDeletion', { params: { keyId: key.keyId }, body: {} }), 409, 'invalid-key-state', 'KMSInvalidStateException');
    expectProblem(await api.call('enableKey', { params: { keyId: key.keyId } }), 409, 'invalid-key-state', 'KMSInvalidStateException');

    const canceled = await api.call('cancelKeyDeletion', { params: { keyId: key.keyId, 'If-Match': scheduled.etag! } });
    const afterCancel = expectOk(canceled);
    expect(afterCancel).toMatchObject({ keyId: key.keyId, keyState: 'Disabled', enabled: false });
    expect(afterCancel.deletionDate).toBeUndefined();
    expect(revisionOf(canceled.etag)).toBe(revisionOf(scheduled.etag) + 1);
    expectProblem(await api.call('cancelKeyDeletion', { params: { keyId: key.keyId } }), 409, 'invalid-key-state', 'KMSInvalidStateException');
    expectProblem(await encrypt(key.keyId, 'still refused'), 409, 'key-disabled', 'DisabledException');
    expectOk(await api.call('enableKey', { params: { keyId: key.keyId } }));
    expect(expectOk(await api.call('decrypt', { params: { keyId: key.keyId }, body: { ciphertext } })).plaintext).toBe(b64('before the deletion'));

    // The window: 7 to 30 days, 30 without a body.
    for (const pendingWindowInDays of [6, 31]) {
      expectProblem(await api.call('scheduleKeyDeletion', { params: { keyId: key.keyId }, body: { pendingWindowInDays } }), 400, 'validation-failed', 'ValidationException');
    }
    expectProblem(await api.call('scheduleKeyDeletion', { params: { keyId: key.keyId }, body: { pendingWindowInDays: '7' } }), 400, 'malformed-request', 'SerializationException');
    const start = kl.clock.now();
    const byDefault = expectOk(await rest.call('POST', `/v1/keys/${key.keyId}/deletion`));
    expect(byDefault.pendingWindowInDays).toBe(30);
    expect(Date.parse(byDefault.deletionDate) - start).toBeGreaterThanOrEqual(30 * DAY_MS);
    expect(Date.parse(byDefault.deletionDate) - kl.clock.now()).toBeLessThanOrEqual(30 * DAY_MS);
    expectOk(await api.call('cancelKeyDeletion', { params: { keyId: key.keyId } }));

    expect(await events(key.keyId)).toEqual([
      'KeyCreated.v1',
      'KeyDeletionScheduled.v1',
      'KeyDeletionCanceled.v1',
      'KeyEnabled.v1',
      'KeyDeletionScheduled.v1',
      'KeyDeletionCanceled.v1',
    ]);
  });

  it('If-Match with a stale ETag is 412 on every change route: nothing is recorded, and the 412 names the current revision', async () => {
    const key = await createKey();
    const stale = key.etag;
    const moved = await api.call('updateKeyDescription', { params: { keyId: key.keyId, 'If-Match': stale }, body: { description: 'moved on' } });
    const current = expectOk(moved) && moved.etag!;
    const history = await events(key.keyId);

    const changes: Array<[string, Record<string, unknown> | undefined]> = [
      ['enableKey', undefined],
      ['disableKey', undefined],
      ['updateKeyDescription', { description: 'too late' }],
      ['scheduleKeyDeletion', { pendingWindowInDays: 7 }],
      ['cancelKeyDeletion', undefined],
      ['tagKey', { tags: [{ key: 'team', value: 'billing' }] }],
      ['untagKey', undefined],
      ['putKeyPolicy', { policy: '{"Statement":[]}' }],
      ['updateKeyRotation', { enabled: true }],
      ['rotateKeyOnDemand', undefined],
    ];
    for (const [operationId, body] of changes) {
      const params: Record<string, string> = { keyId: key.keyId, 'If-Match': stale, ...(operationId === 'untagKey' && { tagKeys: 'team' }) };
      const reply = await api.call(operationId, { params, body });
      expect({ operationId, status: reply.status }).toEqual({ operationId, status: 412 });
      expectProblem(reply, 412, 'precondition-failed', undefined);
      expect({ etag: reply.etag, expected: reply.body.expectedRevision, current: reply.body.currentRevision }).toEqual({
        etag: current,
        expected: revisionOf(stale),
        current: revisionOf(current),
      });
    }
    expect(await events(key.keyId)).toEqual(history);
    const unchanged = await api.call('getKey', { params: { keyId: key.keyId } });
    expect({ etag: unchanged.etag, description: unchanged.body.description }).toEqual({ etag: current, description: 'moved on' });

    // The current ETag passes; `*` and no header do not check.
    expect((await api.call('disableKey', { params: { keyId: key.keyId, 'If-Match': current } })).status).toBe(200);
    expect((await api.call('enableKey', { params: { keyId: key.keyId, 'If-Match': '*' } })).status).toBe(200);
    expectProblem(await api.call('enableKey', { params: { keyId: key.keyId, 'If-Match': 'W/"1"' } }), 400, 'validation-failed', 'ValidationException');
  });

  it('tags: add, replace, list in pages, remove; aws: keys and more than 50 tags are 400 TagException', async () => {
    const key = await createKey();
    const empty = await api.call('listKeyTags', { params: { keyId: key.keyId } });
    expect({ body: expectOk(empty), etag: empty.etag }).toEqual({ body: { tags: [] }, etag: key.etag });

    const added = await api.call('tagKey', {
      params: { keyId: key.keyId, 'If-Match': key.etag },
      body: { tags: [{ key: 'team', value: 'billing' }, { key: 'env', value: 'prod' }, { key: 'cost-center', value: '42' }] },
    });
    expect(expectOk(added).tags).toEqual([{ key: 'team', value: 'billing' }, { key: 'env', value: 'prod' }, { key: 'cost-center', value: '42' }]);
    expect(revisionOf(added.etag)).toBe(revisionOf(key.etag) + 1);

    const replaced = await api.call('tagKey', { params: { keyId: key.keyId, 'If-Match': added.etag! }, body: { tags: [{ key: 'env', value: 'staging' }, { key: 'a,b', value: '' }] } });
    const all = [{ key: 'team', value: 'billing' }, { key: 'env', value: 'staging' }, { key: 'cost-center', value: '42' }, { key: 'a,b', value: '' }];
    expect(expectOk(replaced).tags).toEqual(all);

    const first = await api.call('listKeyTags', { params: { keyId: key.keyId, limit: '3' } });
    expect(expectOk(first).tags).toEqual(all.slice(0, 3));
    expect(first.etag).toBe(replaced.etag);
    const second = expectOk(await api.call('listKeyTags', { params: { keyId: key.keyId, limit: '3', marker: first.body.nextMarker } }));
    expect(second).toEqual({ tags: all.slice(3) });
    expectProblem(await api.call('listKeyTags', { params: { keyId: key.keyId, marker: 'not-a-marker' } }), 400, 'invalid-marker', 'InvalidMarkerException');
    expectProblem(await api.call('listKeyTags', { params: { keyId: key.keyId, limit: '51' } }), 400, 'validation-failed', 'ValidationException');
    const sdkTags = await kms.send(new ListResourceTagsCommand({ KeyId: key.keyId }));
    expect(sdkTags.Tags).toEqual(all.map((t) => ({ TagKey: t.key, TagValue: t.value })));

    // Several keys: one tagKeys parameter each; a comma belongs to the key; absent keys are ignored.
    const removed = documented('untagKey', await rest.call('DELETE', `/v1/keys/${key.keyId}/tags?tagKeys=team&tagKeys=${encodeURIComponent('a,b')}&tagKeys=absent`, { headers: { 'If-Match': replaced.etag! } }));
    expect(expectOk(removed).tags).toEqual([{ key: 'env', value: 'staging' }, { key: 'cost-center', value: '42' }]);
    expect(revisionOf(removed.etag)).toBe(revisionOf(replaced.etag) + 1);
    const one = await api.call('untagKey', { params: { keyId: key.keyId, tagKeys: 'env' } });
    expect(expectOk(one).tags).toEqual([{ key: 'cost-center', value: '42' }]);
    expectProblem(documented('untagKey', await rest.delete(`/v1/keys/${key.keyId}/tags`)), 400, 'validation-failed', 'ValidationException');

    // The aws: prefix is reserved, in any case, for adding and removing.
    for (const reserved of ['aws:owner', 'AWS:Owner']) {
      expectProblem(await api.call('tagKey', { params: { keyId: key.keyId }, body: { tags: [{ key: reserved, value: 'x' }] } }), 400, 'invalid-tag', 'TagException', 'Tags beginning with aws: are reserved');
    }
    expectProblem(await api.call('untagKey', { params: { keyId: key.keyId, tagKeys: 'aws:owner' } }), 400, 'invalid-tag', 'TagException');
    expectProblem(await api.call('tagKey', { params: { keyId: key.keyId }, body: { tags: [{ key: 'x', value: '1' }, { key: 'x', value: '2' }] } }), 400, 'invalid-tag', 'TagException');
    expectProblem(await api.call('tagKey', { params: { keyId: key.keyId }, body: { tags: [{ key: 'x' }] } }), 400, 'malformed-request', 'SerializationException');
    expectProblem(await api.call('tagKey', { params: { keyId: key.keyId }, body: { tags: { key: 'x', value: '1' } } }), 400, 'malformed-request', 'SerializationException');
    expectProblem(await api.call('tagKey', { params: { keyId: key.keyId }, body: { tags: [{ key: 'k'.repeat(129), value: '' }] } }), 400, 'validation-failed', 'ValidationException');

    // 50 tags per key: one request of 51, or a request that would make 51.
    const tags = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ key: `${prefix}-${i}`, value: String(i) }));
    expectProblem(await api.call('tagKey', { params: { keyId: key.keyId }, body: { tags: tags(51, 'many') } }), 400, 'invalid-tag', 'TagException', 'Too many tags');
    expect(expectOk(await api.call('tagKey', { params: { keyId: key.keyId }, body: { tags: tags(49, 'fill') } })).tags).toHaveLength(50);
    expectProblem(await api.call('tagKey', { params: { keyId: key.keyId }, body: { tags: [{ key: 'one-more', value: '' }] } }), 400, 'invalid-tag', 'TagException', 'Too many tags');
    // Replacing a value at 50 is fine.
    expect(expectOk(await api.call('tagKey', { params: { keyId: key.keyId }, body: { tags: [{ key: 'fill-0', value: 'new' }] } })).tags).toHaveLength(50);
    const pages: unknown[] = [];
    let marker: string | undefined;
    do {
      const page = expectOk(await api.call('listKeyTags', { params: { keyId: key.keyId, limit: '20', ...(marker && { marker }) } }));
      pages.push(...page.tags);
      marker = page.nextMarker;
    } while (marker);
    expect(pages).toHaveLength(50);
    expect(pages[1]).toEqual({ key: 'fill-0', value: 'new' });
  });

  it('policy: the default policy names the account; a put policy reads back byte for byte; it is not evaluated; malformed is 400', async () => {
    const key = await createKey();
    const policy = await api.call('getKeyPolicy', { params: { keyId: key.keyId } });
    expect(expectOk(policy).policyName).toBe('default');
    expect(policy.etag).toBe(key.etag);
    const parsed = JSON.parse(policy.body.policy);
    expect(parsed.Statement).toEqual([
      { Sid: 'Enable IAM User Permissions', Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' },
    ]);
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: key.keyId }))).Policy).toBe(policy.body.policy);

    // Another account's key names that account.
    const other = sigV4('111122223333');
    const theirs = expectOk(await rest.post('/v1/keys', {}, other), 201);
    const theirPolicy = expectOk(await rest.get(`/v1/keys/${theirs.keyId}/policy`, other));
    expect(JSON.parse(theirPolicy.policy).Statement[0].Principal).toEqual({ AWS: 'arn:aws:iam::111122223333:root' });

    // Stored byte for byte: odd spacing, a tab, CRLF, Latin-1; and a policy that denies everything changes nothing.
    const denyAll = '{ "Version":"2012-10-17",\t"Statement" : [ {"Sid":"Verweigern für alle","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"} ]\r\n}\n';
    const put = await api.call('putKeyPolicy', { params: { keyId: key.keyId, 'If-Match': policy.etag! }, body: { policy: denyAll } });
    expect(expectOk(put)).toEqual({ policyName: 'default', policy: denyAll });
    expect(revisionOf(put.etag)).toBe(revisionOf(policy.etag) + 1);
    const readBack = await api.call('getKeyPolicy', { params: { keyId: key.keyId } });
    expect({ policy: expectOk(readBack).policy, etag: readBack.etag }).toEqual({ policy: denyAll, etag: put.etag });
    expect((await kms.send(new GetKeyPolicyCommand({ KeyId: key.keyId }))).Policy).toBe(denyAll);
    expectOk(await encrypt(key.keyId, 'policies are not evaluated'));

    for (const malformed of ['not json', '{"Version":"2012-10-17"}', '[{"Statement":[]}]', 'null']) {
      expectProblem(await api.call('putKeyPolicy', { params: { keyId: key.keyId }, body: { policy: malformed } }), 400, 'malformed-policy', 'MalformedPolicyDocumentException');
    }
    expectProblem(await api.call('putKeyPolicy', { params: { keyId: key.keyId }, body: { policy: '{"Statement":[],"Sid":"€"}' } }), 400, 'validation-failed', 'ValidationException');
    expectProblem(await api.call('putKeyPolicy', { params: { keyId: key.keyId }, body: {} }), 400, 'validation-failed', 'ValidationException');
    const tooLong = `{"Statement":[],"Pad":"${'x'.repeat(131072)}"}`;
    expectProblem(await api.call('putKeyPolicy', { params: { keyId: key.keyId }, body: { policy: tooLong } }), 409, 'limit-exceeded', 'LimitExceededException');
    expect(expectOk(await api.call('getKeyPolicy', { params: { keyId: key.keyId } })).policy).toBe(denyAll);

    // The document says so, on both routes.
    for (const operationId of ['getKeyPolicy', 'putKeyPolicy']) {
      const { operation } = api.operations().find((o) => o.operation.operationId === operationId)!;
      expect((operation as { description?: string }).description).toMatch(/stores key policies and returns them; it never evaluates them: no access decision is made/);
    }
  });

  it('rotation: enable, status, disable; on demand the current material changes and old ciphertexts still decrypt; the rotations list', async () => {
    const key = await createKey();
    const status = await api.call('getKeyRotationStatus', { params: { keyId: key.keyId } });
    expect({ body: expectOk(status), etag: status.etag }).toEqual({ body: { enabled: false }, etag: key.etag });

    const before = kl.clock.now();
    const enabled = await api.call('updateKeyRotation', { params: { keyId: key.keyId, 'If-Match': key.etag }, body: { enabled: true, rotationPeriodInDays: 90 } });
    const after = kl.clock.now();
    const on = expectOk(enabled);
    expect(on).toEqual({ enabled: true, rotationPeriodInDays: 90, nextRotationDate: expect.any(String) });
    expect(Date.parse(on.nextRotationDate)).toBeGreaterThanOrEqual(before + 90 * DAY_MS);
    expect(Date.parse(on.nextRotationDate)).toBeLessThanOrEqual(after + 90 * DAY_MS);
    expect(revisionOf(enabled.etag)).toBe(revisionOf(key.etag) + 1);
    const read = await api.call('getKeyRotationStatus', { params: { keyId: key.keyId } });
    expect({ body: expectOk(read), etag: read.etag }).toEqual({ body: on, etag: enabled.etag });
    // The same setting again records nothing.
    expect((await api.call('updateKeyRotation', { params: { keyId: key.keyId }, body: { enabled: true, rotationPeriodInDays: 90 } })).etag).toBe(enabled.etag);

    const off = await api.call('updateKeyRotation', { params: { keyId: key.keyId, 'If-Match': enabled.etag! }, body: { enabled: false } });
    expect(expectOk(off)).toEqual({ enabled: false });
    expect(expectOk(await api.call('getKeyRotationStatus', { params: { keyId: key.keyId } }))).toEqual({ enabled: false });
    expectProblem(await api.call('updateKeyRotation', { params: { keyId: key.keyId }, body: { enabled: false, rotationPeriodInDays: 90 } }), 400, 'validation-failed', 'ValidationException');
    expectProblem(await api.call('updateKeyRotation', { params: { keyId: key.keyId }, body: { enabled: true, rotationPeriodInDays: 30 } }), 400, 'validation-failed', 'ValidationException');
    expectProblem(await api.call('updateKeyRotation', { params: { keyId: key.keyId }, body: {} }), 400, 'validation-failed', 'ValidationException');
    const rsa = await createKey({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT' });
    expectProblem(await api.call('updateKeyRotation', { params: { keyId: rsa.keyId }, body: { enabled: true } }), 422, 'unsupported-operation', 'UnsupportedOperationException');
    expectProblem(await api.call('rotateKeyOnDemand', { params: { keyId: rsa.keyId } }), 422, 'unsupported-operation', 'UnsupportedOperationException');
    expectProblem(await api.call('listKeyRotations', { params: { keyId: rsa.keyId } }), 422, 'unsupported-operation', 'UnsupportedOperationException');

    // On demand.
    const firstMaterial = expectOk(await api.call('getKey', { params: { keyId: key.keyId } })).currentKeyMaterialId;
    const old = expectOk(await encrypt(key.keyId, 'made before the rotation')).ciphertext;
    const current = (await api.call('getKey', { params: { keyId: key.keyId } })).etag!;
    const rotated = await api.call('rotateKeyOnDemand', { params: { keyId: key.keyId, 'If-Match': current } });
    const result = expectOk(rotated);
    expect(result).toEqual({ keyId: key.keyId, keyArn: key.arn, currentKeyMaterialId: expect.stringMatching(/^[a-f0-9]{64}$/) });
    expect(result.currentKeyMaterialId).not.toBe(firstMaterial);
    expect(revisionOf(rotated.etag)).toBe(revisionOf(current) + 1);
    expect(expectOk(await api.call('getKey', { params: { keyId: key.keyId } })).currentKeyMaterialId).toBe(result.currentKeyMaterialId);

    const decrypted = expectOk(await api.call('decrypt', { params: { keyId: key.keyId }, body: { ciphertext: old } }));
    expect({ plaintext: decrypted.plaintext, keyMaterialId: decrypted.keyMaterialId }).toEqual({ plaintext: b64('made before the rotation'), keyMaterialId: firstMaterial });
    const fresh = expectOk(await encrypt(key.keyId, 'made after'));
    expect(expectOk(await api.call('decrypt', { params: { keyId: key.keyId }, body: { ciphertext: fresh.ciphertext } })).keyMaterialId).toBe(result.currentKeyMaterialId);

    const rotations = await api.call('listKeyRotations', { params: { keyId: key.keyId } });
    expect(expectOk(rotations)).toEqual({
      rotations: [{ keyMaterialId: result.currentKeyMaterialId, keyMaterialState: 'CURRENT', rotationDate: expect.any(String), rotationType: 'ON_DEMAND' }],
    });
    expect(rotations.etag).toBe(rotated.etag);
    const all = expectOk(await api.call('listKeyRotations', { params: { keyId: key.keyId, includeKeyMaterial: 'ALL_KEY_MATERIAL' } }));
    expect(all.rotations).toEqual([{ keyMaterialId: firstMaterial, keyMaterialState: 'NON_CURRENT' }, rotations.body.rotations[0]]);
    const page = expectOk(await api.call('listKeyRotations', { params: { keyId: key.keyId, includeKeyMaterial: 'ALL_KEY_MATERIAL', limit: '1' } }));
    expect(page.rotations).toEqual([all.rotations[0]]);
    const rest2 = expectOk(await api.call('listKeyRotations', { params: { keyId: key.keyId, includeKeyMaterial: 'ALL_KEY_MATERIAL', limit: '1', marker: page.nextMarker } }));
    expect(rest2).toEqual({ rotations: [all.rotations[1]] });
    expectProblem(await api.call('listKeyRotations', { params: { keyId: key.keyId, includeKeyMaterial: 'SOME' } }), 400, 'validation-failed', 'ValidationException');

    // A disabled key does not rotate.
    expectOk(await api.call('disableKey', { params: { keyId: key.keyId } }));
    expectProblem(await api.call('rotateKeyOnDemand', { params: { keyId: key.keyId } }), 409, 'key-disabled', 'DisabledException');
    expect(await events(key.keyId)).toEqual(['KeyCreated.v1', 'KeyRotationEnabled.v1', 'KeyRotationDisabled.v1', 'KeyMaterialRotated.v1', 'KeyDisabled.v1']);
  });

  it('aliases: PUT creates (201) or moves (200), If-None-Match: * only creates; list, per key; the AWS SDK uses them; DELETE is 204', async () => {
    const a = await createKey();
    const b = await createKey();
    const hmac = await createKey({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' });
    const name = 'alias/rest-lifecycle-app';
    const arn = `arn:aws:kms:us-east-1:${ACCOUNT}:${name}`;

    // Without the prefix in the path.
    const created = await api.call('putAlias', { params: { aliasName: 'rest-lifecycle-app' }, body: { targetKeyId: a.keyId } });
    const alias = expectOk(created, 201);
    expect(alias).toEqual({ aliasName: name, aliasArn: arn, targetKeyId: a.keyId, creationDate: expect.any(String), lastUpdatedDate: alias.creationDate });
    // An alias is not part of the key's stream: no key revision as ETag (Express may add its own weak W/ tag).
    expect(created.etag ?? '').not.toMatch(/^"\d+"$/);

    expect(expectOk(await api.call('listAliases', { params: { limit: '100' } })).aliases).toContainEqual(alias);
    expect(expectOk(await api.call('listAliases', { params: { keyId: a.keyId } }))).toEqual({ aliases: [alias] });
    expect(expectOk(await api.call('listKeyAliases', { params: { keyId: a.arn } }))).toEqual({ aliases: [alias] });
    expect(expectOk(await api.call('listKeyAliases', { params: { keyId: b.keyId } }))).toEqual({ aliases: [] });
    expectProblem(await api.call('listKeyAliases', { params: { keyId: '11111111-2222-3333-4444-555555555555' } }), 404, 'not-found', 'NotFoundException');
    const sdkAliases = await kms.send(new ListAliasesCommand({ KeyId: a.keyId }));
    expect(sdkAliases.Aliases!.map((x) => x.AliasName)).toEqual([name]);

    const viaAlias = await kms.send(new EncryptCommand({ KeyId: name, Plaintext: Buffer.from('through the alias') }));
    expect(viaAlias.KeyId).toBe(a.arn);
    const ciphertext = Buffer.from(viaAlias.CiphertextBlob!).toString('base64');
    expect(expectOk(await api.call('decrypt', { params: { keyId: a.keyId }, body: { ciphertext } })).plaintext).toBe(b64('through the alias'));

    // With the prefix (URL-encoded, as the client encodes the path parameter): the same alias, moved to b.
    const refusals = () => readEventLog(kl.dataDir).filter((e) => e.type === 'RequestRefused.v1').map((e) => e.metadata.operation);
    const refusedBefore = refusals();
    const moved = await api.call('putAlias', { params: { aliasName: name }, body: { targetKeyId: b.arn } });
    // A move is one UpdateAlias: no CreateAlias tried first and recorded as refused in the audit trail.
    expect(refusals()).toEqual(refusedBefore);
    expect(expectOk(moved, 200)).toMatchObject({ aliasName: name, aliasArn: arn, targetKeyId: b.keyId, creationDate: alias.creationDate });
    expect(Date.parse(moved.body.lastUpdatedDate)).toBeGreaterThanOrEqual(Date.parse(alias.creationDate));
    expect((await kms.send(new EncryptCommand({ KeyId: name, Plaintext: Buffer.from('x') }))).KeyId).toBe(b.arn);
    expect(expectOk(await api.call('listKeyAliases', { params: { keyId: a.keyId } }))).toEqual({ aliases: [] });

    // Create-only.
    expectProblem(
      await api.call('putAlias', { params: { aliasName: name, 'If-None-Match': '*' }, body: { targetKeyId: a.keyId } }),
      409,
      'already-exists',
      'AlreadyExistsException',
      `An alias with the name ${arn} already exists`,
    );
    expect(expectOk(await api.call('listKeyAliases', { params: { keyId: b.keyId } })).aliases.map((x: { aliasName: string }) => x.aliasName)).toEqual([name]);
    const second = await api.call('putAlias', { params: { aliasName: 'rest-lifecycle-second', 'If-None-Match': '*' }, body: { targetKeyId: a.keyId } });
    expect(expectOk(second, 201).aliasName).toBe('alias/rest-lifecycle-second');
    expectProblem(await api.call('putAlias', { params: { aliasName: 'x', 'If-None-Match': '"1"' }, body: { targetKeyId: a.keyId } }), 400, 'validation-failed', 'ValidationException');

    // Refusals.
    expectProblem(await api.call('putAlias', { params: { aliasName: 'aws/reserved' }, body: { targetKeyId: a.keyId } }), 403, 'not-authorized', 'NotAuthorizedException');
    expectProblem(await api.call('putAlias', { params: { aliasName: 'has space' }, body: { targetKeyId: a.keyId } }), 400, 'validation-failed', 'ValidationException');
    const refusedBeforeMove = refusals().length;
    expectProblem(await api.call('putAlias', { params: { aliasName: name }, body: { targetKeyId: hmac.keyId } }), 400, 'validation-failed', 'ValidationException');
    expectProblem(await api.call('putAlias', { params: { aliasName: name }, body: { targetKeyId: '11111111-2222-3333-4444-555555555555' } }), 404, 'not-found', 'NotFoundException');
    // A refused move is recorded as the UpdateAlias it was (validation failures are not recorded at all).
    expect(refusals().slice(refusedBeforeMove)).toEqual(['UpdateAlias']);
    expectProblem(await api.call('putAlias', { params: { aliasName: 'rest-lifecycle-third' }, body: { targetKeyId: 'alias/rest-lifecycle-second' } }), 400, 'validation-failed', 'ValidationException');
    expectProblem(await api.call('putAlias', { params: { aliasName: 'rest-lifecycle-third' }, body: { targetKeyId: '11111111-2222-3333-4444-555555555555' } }), 404, 'not-found', 'NotFoundException');
    expectProblem(await api.call('putAlias', { params: { aliasName: 'rest-lifecycle-third' }, body: {} }), 400, 'validation-failed', 'ValidationException');
    expectProblem(await api.call('listAliases', { params: { marker: 'bogus' } }), 400, 'invalid-marker', 'InvalidMarkerException');

    // Paging over the account's aliases.
    const seen: string[] = [];
    let marker: string | undefined;
    do {
      const page = expectOk(await api.call('listAliases', { params: { limit: '1', ...(marker && { marker }) } }));
      seen.push(...page.aliases.map((x: { aliasName: string }) => x.aliasName));
      marker = page.nextMarker;
    } while (marker);
    expect(seen).toEqual(expect.arrayContaining([name, 'alias/rest-lifecycle-second']));

    // 204 has no body, which test/support/openapi-client.ts cannot check against a content type: plain fetch.
    const deleted = await rest.delete(`/v1/aliases/${encodeURIComponent(name)}`);
    expect({ status: deleted.status, text: deleted.text }).toEqual({ status: 204, text: '' });
    expectProblem(await api.call('deleteAlias', { params: { aliasName: 'rest-lifecycle-app' } }), 404, 'not-found', 'NotFoundException');
    expect(expectOk(await api.call('listAliases', { params: { limit: '100' } })).aliases.map((x: { aliasName: string }) => x.aliasName)).not.toContain(name);
    await expect(kms.send(new EncryptCommand({ KeyId: name, Plaintext: Buffer.from('x') }))).rejects.toMatchObject({ name: 'NotFoundException' });
    expect((await rest.delete('/v1/aliases/rest-lifecycle-second')).status).toBe(204);
  });

  // Moves the service clock forward by more than 7 days: keep it last.
  it('the scheduled deletion is carried out once the clock passes DeletionDate: 404, its aliases gone, its history kept ending in KeyDeleted', async () => {
    const key = await createKey({ description: 'to be deleted' });
    const keeper = await createKey();
    for (const aliasName of ['rest-doomed-1', 'rest-doomed-2']) expectOk(await api.call('putAlias', { params: { aliasName }, body: { targetKeyId: key.keyId } }), 201);
    expectOk(await api.call('putAlias', { params: { aliasName: 'rest-keeper' }, body: { targetKeyId: keeper.keyId } }), 201);
    expectOk(await api.call('tagKey', { params: { keyId: key.keyId }, body: { tags: [{ key: 'team', value: 'billing' }] } }));
    const scheduled = expectOk(await api.call('scheduleKeyDeletion', { params: { keyId: key.keyId }, body: { pendingWindowInDays: 7 } }));

    // Not before the date.
    kl.clock.advance(7 * DAY_MS - 60_000);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(expectOk(await api.call('getKey', { params: { keyId: key.keyId } })).keyState).toBe('PendingDeletion');

    kl.clock.advance(2 * 60_000);
    expect(kl.clock.now()).toBeGreaterThan(Date.parse(scheduled.deletionDate));
    const deadline = Date.now() + 15_000;
    let reply = await api.call('getKey', { params: { keyId: key.keyId } });
    while (reply.status !== 404 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      reply = await api.call('getKey', { params: { keyId: key.keyId } });
    }
    expectProblem(reply, 404, 'not-found', 'NotFoundException');

    const aliasNames = async () => expectOk(await api.call('listAliases', { params: { limit: '100' } })).aliases.map((x: { aliasName: string }) => x.aliasName) as string[];
    let names = await aliasNames();
    while (names.some((n) => n.startsWith('alias/rest-doomed')) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      names = await aliasNames();
    }
    expect(names).not.toContain('alias/rest-doomed-1');
    expect(names).not.toContain('alias/rest-doomed-2');
    expect(names).toContain('alias/rest-keeper');
    await expect(kms.send(new EncryptCommand({ KeyId: 'alias/rest-doomed-1', Plaintext: Buffer.from('x') }))).rejects.toMatchObject({ name: 'NotFoundException' });

    // Every route of the key is now 404, except its history.
    expectProblem(await api.call('listKeyTags', { params: { keyId: key.keyId } }), 404, 'not-found', 'NotFoundException');
    expectProblem(await api.call('enableKey', { params: { keyId: key.keyId } }), 404, 'not-found', 'NotFoundException');
    expectProblem(await api.call('listKeyAliases', { params: { keyId: key.keyId } }), 404, 'not-found', 'NotFoundException');
    expectProblem(await encrypt(key.keyId, 'x'), 404, 'not-found', 'NotFoundException');

    const history = await api.call('listKeyEvents', { params: { keyId: key.keyId, limit: '1000' } });
    const recorded = expectOk(history).events;
    expect(recorded.map((e: { type: string }) => e.type)).toEqual(['KeyCreated.v1', 'KeyTagged.v1', 'KeyDeletionScheduled.v1', 'KeyDeleted.v1']);
    expect(recorded[3].principal).toMatchObject({ type: 'Service', invokedBy: 'keyledger-deletion' });
    expect(recorded[0].data).toMatchObject({ description: 'to be deleted' });
    expect(history.etag).toBe('"3"');
    // Its usage log stays readable too: the one attempt, the refused encrypt above.
    const usage = expectOk(await rest.get(`/v1/keys/${key.keyId}/usage`));
    expect(usage.records.map((r: { operation: string; outcome: string; errorType?: string }) => [r.operation, r.outcome, r.errorType])).toEqual([['Encrypt', 'Refused', 'NotFoundException']]);

    // As of any moment from its deletion on, the key is gone there too; before it, it was pending deletion.
    const deletedAt = Date.parse(recorded[3].time);
    expect(Number.isFinite(deletedAt)).toBe(true);
    for (const asOf of [new Date(deletedAt).toISOString(), new Date(kl.clock.now()).toISOString(), '2099-01-01T00:00:00Z']) {
      expectProblem(await api.call('getKey', { params: { keyId: key.keyId, asOf } }), 404, 'not-found', 'NotFoundException');
    }
    const before = await api.call('getKey', { params: { keyId: key.keyId, asOf: new Date(deletedAt - 1).toISOString() } });
    expect(expectOk(before)).toMatchObject({ keyState: 'PendingDeletion', deletionDate: scheduled.deletionDate });
    expect(before.etag).toBe('"2"');
  });
});
