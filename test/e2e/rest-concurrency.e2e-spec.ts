import { GetParametersForImportCommand } from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { wrapForImport } from '../support/client-wrapping';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { expectOk, expectProblem, restClient, RestClient, sigV4 } from '../support/rest-client';

/**
 * Optimistic concurrency over HTTP: every key response carries the key's stream revision as ETag; a change
 * sent with If-Match is refused with 412 (and changes nothing) when the key has moved on since.
 */
describe('REST: ETag and If-Match', () => {
  let kl: RunningKeyledger;
  let rest: RestClient;
  beforeAll(async () => {
    kl = await startKeyledger();
    rest = restClient(kl.url);
  });
  afterAll(() => kl.destroy());

  const PARAMS = { wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' };
  const ifMatch = (etag: string | null) => ({ 'If-Match': etag! });

  /** A stale If-Match: 412 with the current revision, and neither the key nor its stream changed. */
  async function expectStale(keyId: string, attempt: () => Promise<Parameters<typeof expectProblem>[0]>, current: string) {
    const before = await rest.get(`/v1/keys/${keyId}`);
    const history = await rest.get(`/v1/keys/${keyId}/events`);
    const reply = await attempt();
    expectProblem(reply, 412, 'precondition-failed', undefined, /^Key .* is at revision \d+, not \d+\.$/);
    expect(reply.etag).toBe(current);
    expect(reply.body.currentRevision).toBe(Number(JSON.parse(current)));
    const after = await rest.get(`/v1/keys/${keyId}`);
    expect({ etag: after.etag, body: after.body }).toEqual({ etag: before.etag, body: before.body });
    expect((await rest.get(`/v1/keys/${keyId}/events`)).body).toEqual(history.body);
  }

  it("a stale If-Match on another account's key, or on no key, is 404: a 412 would confirm the key exists", async () => {
    const key = expectOk(await rest.post('/v1/keys', { origin: 'EXTERNAL' }), 201);
    const stranger = restClient(kl.url, sigV4('111122223333'));
    const reply = await stranger.post(`/v1/keys/${key.keyId}/import-parameters`, PARAMS, ifMatch('"7"'));
    expectProblem(reply, 404, 'not-found', 'NotFoundException', `Key 'arn:aws:kms:us-east-1:111122223333:key/${key.keyId}' does not exist`);
    expect(reply.etag).toBeNull();
    const missing = '11111111-2222-3333-4444-555555555555';
    expectProblem(await rest.post(`/v1/keys/${missing}/disable`, undefined, ifMatch('"0"')), 404, 'not-found', 'NotFoundException');
  });

  it('the ETag advances with each change; a change naming an old revision is refused with 412 and changes nothing', async () => {
    const created = await rest.post('/v1/keys', { origin: 'EXTERNAL' });
    const key = expectOk(created, 201);
    expect(created.etag).toBe('"0"');
    const read = await rest.get(`/v1/keys/${key.keyId}`);
    expect(read.etag).toBe('"0"');

    const issued = await rest.post(`/v1/keys/${key.keyId}/import-parameters`, PARAMS, ifMatch(read.etag));
    const params = expectOk(issued);
    expect(issued.etag).toBe('"1"');

    await expectStale(key.keyId, () => rest.post(`/v1/keys/${key.keyId}/import-parameters`, PARAMS, ifMatch(read.etag)), '"1"');

    // The material import checks the revision too: a stale one leaves the key PendingImport.
    const material = randomBytes(32);
    const body = {
      importToken: params.importToken,
      encryptedKeyMaterial: wrapForImport('RSAES_OAEP_SHA_256', Buffer.from(params.publicKey, 'base64'), material).toString('base64'),
      expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    };
    await expectStale(key.keyId, () => rest.post(`/v1/keys/${key.keyId}/material`, body, ifMatch(read.etag)), '"1"');
    expect(expectOk(await rest.get(`/v1/keys/${key.keyId}`)).keyState).toBe('PendingImport');

    const imported = await rest.post(`/v1/keys/${key.keyId}/material`, body, ifMatch(issued.etag));
    expectOk(imported);
    expect(imported.etag).toBe('"2"');
    const enabled = await rest.get(`/v1/keys/${key.keyId}`);
    expect({ state: enabled.body.keyState, etag: enabled.etag }).toEqual({ state: 'Enabled', etag: '"2"' });

    await expectStale(key.keyId, () => rest.delete(`/v1/keys/${key.keyId}/material`, ifMatch(issued.etag)), '"2"');
    const deleted = await rest.delete(`/v1/keys/${key.keyId}/material`, ifMatch(enabled.etag));
    expect(expectOk(deleted).keyMaterialId).toBe(imported.body.keyMaterialId);
    expect(deleted.etag).toBe('"3"');
  });

  it('a change made through the AWS endpoint moves the ETag too', async () => {
    const key = expectOk(await rest.post('/v1/keys', { origin: 'EXTERNAL' }), 201);
    const read = await rest.get(`/v1/keys/${key.keyId}`);
    await kl.client().send(new GetParametersForImportCommand({ KeyId: key.keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }));
    await expectStale(key.keyId, () => rest.post(`/v1/keys/${key.keyId}/import-parameters`, PARAMS, ifMatch(read.etag)), '"1"');
    expect((await rest.get(`/v1/keys/${key.keyId}`)).etag).toBe('"1"');
  });

  it('of two writers holding the same ETag, exactly one succeeds', async () => {
    const key = expectOk(await rest.post('/v1/keys', { origin: 'EXTERNAL' }), 201);
    const { etag } = await rest.get(`/v1/keys/${key.keyId}`);
    const replies = await Promise.all([0, 1, 2].map(() => rest.post(`/v1/keys/${key.keyId}/import-parameters`, PARAMS, ifMatch(etag))));
    expect(replies.map((r) => r.status).sort()).toEqual([200, 412, 412]);
    const events = expectOk(await rest.get(`/v1/keys/${key.keyId}/events`)).events;
    expect(events.map((e: { type: string }) => e.type)).toEqual(['KeyCreated.v1', 'ImportParametersIssued.v1']);
  });

  it('without If-Match, or with *, changes are not checked; the ETag is the revision of the last event', async () => {
    const key = expectOk(await rest.post('/v1/keys', { origin: 'EXTERNAL' }), 201);
    expect((await rest.post(`/v1/keys/${key.keyId}/import-parameters`, PARAMS)).etag).toBe('"1"');
    expect((await rest.post(`/v1/keys/${key.keyId}/import-parameters`, PARAMS, { 'If-Match': '*' })).etag).toBe('"2"');
    const history = await rest.get(`/v1/keys/${key.keyId}/events`);
    const events = expectOk(history).events;
    expect(history.etag).toBe(`"${events[events.length - 1].revision}"`);
    expect((await rest.get(`/v1/keys/${key.keyId}`)).etag).toBe(history.etag);
  });
});
