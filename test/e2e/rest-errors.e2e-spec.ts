import { randomBytes } from 'node:crypto';
import { wrapForImport } from '../support/client-wrapping';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { expectOk, expectProblem, restCall, restClient, RestClient, restImport } from '../support/rest-client';

/**
 * Every refusal the REST API can give, end to end: RFC 9457 problem+json with the AWS error name, a sensible
 * status (docs/rest-api.md), a request id, and never a 500 for bad input. Refusals change no key.
 */
describe('REST: errors as problem details', () => {
  let kl: RunningKeyledger;
  let rest: RestClient;
  let external: { keyId: string; arn: string };
  const DAY = 24 * 3600 * 1000;

  beforeAll(async () => {
    kl = await startKeyledger();
    rest = restClient(kl.url);
    external = expectOk(await rest.post('/v1/keys', { origin: 'EXTERNAL' }), 201);
  });
  afterAll(() => kl.destroy());

  const params = async (keyId = external.keyId) =>
    expectOk(await rest.post(`/v1/keys/${keyId}/import-parameters`, { wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' }));
  const wrap = (publicKey: string, material: Buffer) => wrapForImport('RSAES_OAEP_SHA_256', Buffer.from(publicKey, 'base64'), material).toString('base64');

  describe('400: the request is malformed or invalid', () => {
    it('a constraint is a ValidationException naming the camelCase member', async () => {
      expectProblem(
        await rest.post('/v1/keys', { keySpec: 'NOPE' }),
        400,
        'validation-failed',
        'ValidationException',
        /^1 validation error detected: Value 'NOPE' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: \[SYMMETRIC_DEFAULT, /,
      );
      expectProblem(await rest.post(`/v1/keys/${external.keyId}/import-parameters`, {}), 400, 'validation-failed', 'ValidationException', /^2 validation errors detected: /);
    });

    it('a member of the wrong JSON type, undecodable base64, an unparsable body or a non-object body is a SerializationException', async () => {
      expectProblem(await rest.post('/v1/keys', { description: 42 }), 400, 'malformed-request', 'SerializationException', "Member 'description' must be a string.");
      const { importToken } = await params();
      expectProblem(
        await rest.post(`/v1/keys/${external.keyId}/material`, { importToken, encryptedKeyMaterial: 'not base64!', expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }),
        400,
        'malformed-request',
        'SerializationException',
        "Member 'encryptedKeyMaterial' is not valid base64.",
      );
      const json = { 'Content-Type': 'application/json' };
      for (const body of ['{"description": ', "{'description': 'x'}", 'nul', '42 43']) {
        expectProblem(await rest.call('POST', '/v1/keys', { body, headers: json }), 400, 'malformed-request', 'SerializationException', 'The request body is not valid JSON.');
      }
      // Valid JSON that is not an object: the AWS endpoint's words for the same bodies.
      for (const body of ['[]', '42', 'null', '"text"', 'true']) {
        expectProblem(await rest.call('POST', '/v1/keys', { body, headers: json }), 400, 'malformed-request', 'SerializationException', 'The request body must be a JSON object.');
      }
    });

    it('times must be ISO-8601 with a zone, and the domain rules on ValidTo apply', async () => {
      const { importToken, publicKey } = await params();
      const body = { importToken, encryptedKeyMaterial: wrap(publicKey, randomBytes(32)), expirationModel: 'KEY_MATERIAL_EXPIRES' };
      for (const validTo of ['tomorrow', '2030-01-01T00:00:00', '1700000000', '2030-02-30T00:00:00Z']) {
        expectProblem(await rest.post(`/v1/keys/${external.keyId}/material`, { ...body, validTo }), 400, 'validation-failed', 'ValidationException', /at 'validTo' failed to satisfy constraint: Member must be an ISO-8601 time/);
      }
      const past = new Date(Date.now() - 1000).toISOString();
      expectProblem(await rest.post(`/v1/keys/${external.keyId}/material`, { ...body, validTo: past }), 400, 'validation-failed', 'ValidationException', 'The validTo date must be in the future.');
      expectProblem(await rest.post(`/v1/keys/${external.keyId}/material`, body), 400, 'validation-failed', 'ValidationException', 'A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES');
    });

    it('query parameters: out of range or not a number is a ValidationException, a repeated one a SerializationException, a forged marker InvalidMarkerException', async () => {
      for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'limit=1.5', 'limit=-1']) {
        expectProblem(await rest.get(`/v1/keys?${query}`), 400, 'validation-failed', 'ValidationException', /at 'limit' failed to satisfy constraint: Member must be an integer from 1 to 1000/);
      }
      expectProblem(await rest.get('/v1/keys?limit=1&limit=2'), 400, 'malformed-request', 'SerializationException', "Member 'limit' must be a string.");
      expectProblem(await rest.get('/v1/keys?marker=forged'), 400, 'invalid-marker', 'InvalidMarkerException');
      expectProblem(await rest.get(`/v1/keys/${external.keyId}?asOf=yesterday`), 400, 'validation-failed', 'ValidationException', /at 'asOf'/);
      // A day the month does not have is refused, not moved into the next month (Date.parse reads 02-30 as 03-02).
      expectProblem(await rest.get(`/v1/keys/${external.keyId}?asOf=2026-02-30T00:00:00Z`), 400, 'validation-failed', 'ValidationException', /at 'asOf'/);
      expectProblem(await rest.get('/v1/audit?from=2026-04-31T00:00:00Z'), 400, 'validation-failed', 'ValidationException', /at 'from'/);
      expectProblem(await rest.get(`/v1/keys/${external.keyId}/usage?to=2026-06-31`), 400, 'validation-failed', 'ValidationException', /at 'to'/);
      expectProblem(await rest.get(`/v1/keys/${external.keyId}/events?afterRevision=-1`), 400, 'validation-failed', 'ValidationException', /at 'afterRevision'/);
      expectProblem(await rest.delete(`/v1/keys/${external.keyId}/material?keyMaterialId=xyz`), 400, 'validation-failed', 'ValidationException', /at 'keyMaterialId'/);
    });

    it('a malformed If-Match is refused before anything runs', async () => {
      for (const ifMatch of ['3', 'W/"3"', '"3", "4"', '"abc"', '"-1"', '""']) {
        expectProblem(
          await rest.post(`/v1/keys/${external.keyId}/import-parameters`, { wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' }, { 'If-Match': ifMatch }),
          400,
          'validation-failed',
          'ValidationException',
          /^If-Match must be a single entity tag/,
        );
      }
    });

    it('a malformed key ARN is InvalidArnException; a path that cannot be decoded is a SerializationException, not a 500', async () => {
      expectProblem(await rest.get(`/v1/keys/${encodeURIComponent('arn:aws:kms:us-east-1:000000000000:thing')}`), 400, 'invalid-arn', 'InvalidArnException');
      expectProblem(await rest.get('/v1/keys/%E0%A4%A'), 400, 'malformed-request', 'SerializationException', 'The request URL could not be decoded.');
    });
  });

  describe('404: no such key, no such route', () => {
    it('an unknown key, a malformed key id and a key ARN of another account are NotFound', async () => {
      const unknown = '11111111-2222-3333-4444-555555555555';
      expectProblem(await rest.get(`/v1/keys/${unknown}`), 404, 'not-found', 'NotFoundException', `Key 'arn:aws:kms:us-east-1:000000000000:key/${unknown}' does not exist`);
      for (const [method, path] of [['GET', `/v1/keys/${unknown}/events`], ['POST', `/v1/keys/${unknown}/import-parameters`], ['DELETE', `/v1/keys/${unknown}/material`]]) {
        const body = method === 'POST' ? { wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' } : undefined;
        expectProblem(await rest.call(method, path, { body }), 404, 'not-found', 'NotFoundException');
      }
      expectProblem(await rest.get('/v1/keys/not-a-key'), 404, 'not-found', 'NotFoundException', "Invalid keyId 'not-a-key'");
      const foreign = encodeURIComponent(`arn:aws:kms:us-east-1:999999999999:key/${external.keyId}`);
      expectProblem(await rest.get(`/v1/keys/${foreign}`), 404, 'not-found', 'NotFoundException');
      expect(expectOk(await rest.get(`/v1/keys/${encodeURIComponent(external.arn)}`)).keyId).toBe(external.keyId);
    });

    it('an unknown material id is NotFound', async () => {
      expectProblem(await rest.delete(`/v1/keys/${external.keyId}/material?keyMaterialId=${'a'.repeat(64)}`), 404, 'not-found', 'NotFoundException', /is not associated with/);
    });

    it('an unknown route under /v1 is a problem too; outside /v1 the AWS endpoint keeps answering in AWS JSON', async () => {
      expectProblem(await rest.get('/v1/nothing-here'), 404, 'no-such-route', 'UnknownOperationException', 'No route for GET /v1/nothing-here.');
      expectProblem(await rest.call('PUT', '/v1/keys'), 404, 'no-such-route', 'UnknownOperationException');
      const aws = await restCall(kl.url, 'GET', '/nothing-here');
      expect(aws.status).toBe(404);
      expect(aws.headers.get('content-type')).toMatch(/^application\/x-amz-json-1\.1/);
      expect(aws.body.__type).toBe('UnknownOperationException');
    });
  });

  it("409: the key's state does not allow the import (another new material is already pending rotation)", async () => {
    const key = expectOk(await rest.post('/v1/keys', { origin: 'EXTERNAL' }), 201);
    expectOk(await restImport(rest, key.keyId, randomBytes(32)));
    expectOk(await restImport(rest, key.keyId, randomBytes(32), { import: { importType: 'NEW_KEY_MATERIAL' } }));
    expectProblem(await restImport(rest, key.keyId, randomBytes(32), { import: { importType: 'NEW_KEY_MATERIAL' } }), 409, 'invalid-key-state', 'KMSInvalidStateException', /is pending rotation/);
  });

  it('413 for a body over 256 KiB, 415 for a body that is not JSON', async () => {
    expectProblem(await rest.post('/v1/keys', { description: 'x'.repeat(300 * 1024) }), 413, 'request-too-large', 'RequestEntityTooLargeException');
    expectProblem(await rest.call('POST', '/v1/keys', { body: 'description=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported-media-type', undefined);
    expectProblem(await rest.call('POST', '/v1/keys', { body: '{}', headers: { 'Content-Type': 'text/plain' } }), 415, 'unsupported-media-type', undefined);
    // No body at all is fine where every member is optional.
    expect((await rest.call('POST', '/v1/keys')).status).toBe(201);
  });

  describe('422: well formed, but unusable with this key', () => {
    it('an import token of another key, a forged token, and material wrapped for another public key', async () => {
      const other = expectOk(await rest.post('/v1/keys', { origin: 'EXTERNAL' }), 201);
      const foreign = await params(other.keyId);
      const material = randomBytes(32);
      const body = (importToken: string, publicKey: string) => ({ importToken, encryptedKeyMaterial: wrap(publicKey, material), expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
      expectProblem(await rest.post(`/v1/keys/${external.keyId}/material`, body(foreign.importToken, foreign.publicKey)), 422, 'invalid-import-token', 'InvalidImportTokenException');
      const own = await params();
      const forged = Buffer.from(own.importToken, 'base64');
      forged[forged.length - 1] ^= 1;
      expectProblem(await rest.post(`/v1/keys/${external.keyId}/material`, body(forged.toString('base64'), own.publicKey)), 422, 'invalid-import-token', 'InvalidImportTokenException');
      // Material wrapped for another public key does not unwrap.
      expectProblem(await rest.post(`/v1/keys/${external.keyId}/material`, body(own.importToken, foreign.publicKey)), 422, 'invalid-ciphertext', 'InvalidCiphertextException');
    });

    it('an import token past its 24 hours', async () => {
      const key = expectOk(await rest.post('/v1/keys', { origin: 'EXTERNAL' }), 201);
      const { importToken, publicKey } = await params(key.keyId);
      kl.clock.advance(DAY + 60_000);
      const reply = await rest.post(`/v1/keys/${key.keyId}/material`, { importToken, encryptedKeyMaterial: wrap(publicKey, randomBytes(32)), expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
      expectProblem(reply, 422, 'expired-import-token', 'ExpiredImportTokenException', /^The import token expired at /);
    });

    it('importing into a key whose material KMS generated is unsupported', async () => {
      const own = expectOk(await rest.post('/v1/keys', { origin: 'AWS_KMS' }), 201);
      const reply = await rest.post(`/v1/keys/${own.keyId}/import-parameters`, { wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' });
      expectProblem(reply, 422, 'unsupported-operation', 'UnsupportedOperationException', `${own.arn} origin is AWS_KMS which is not valid for this operation.`);
    });
  });

  it('no bad input is ever a 500, and no refusal changes a key', async () => {
    // Refusals may be recorded in the audit trail, but never in a key's stream.
    const keysBefore = expectOk(await rest.get('/v1/keys?limit=1000')).keys;
    const historyBefore = await rest.get(`/v1/keys/${external.keyId}/events?limit=1000`);
    const json = { 'Content-Type': 'application/json' };
    const nested = `{"description":${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}}`;
    const attempts: Array<[string, string, unknown?, Record<string, string>?]> = [
      ['POST', '/v1/keys', nested, json],
      ['POST', '/v1/keys', { keySpec: null, origin: ['EXTERNAL'] }],
      ['POST', '/v1/keys', { description: { toString: 'x' } }],
      ['POST', '/v1/keys', { origin: [{ valueOf: 1, toString: 2 }] }],
      ['POST', `/v1/keys/${external.keyId}/material`, { importToken: 'AAAA', encryptedKeyMaterial: 'AAAA', validTo: { toString: 'x' } }],
      ['POST', `/v1/keys/${external.keyId}/material`, { importToken: '', encryptedKeyMaterial: '' }],
      ['POST', `/v1/keys/${external.keyId}/material`, { importToken: 'AAAA', encryptedKeyMaterial: 'AAAA', expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }],
      ['POST', `/v1/keys/${external.keyId}/import-parameters`, { wrappingAlgorithm: 'SM2PKE', wrappingKeySpec: 'SM2' }],
      ['POST', `/v1/keys/${external.keyId}/import-parameters`, { wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' }, { 'If-Match': '"99999999999999999999"' }],
      ['GET', `/v1/keys/${external.keyId}?asOf=99999999999999`],
      ['GET', `/v1/keys/${external.keyId}?asOf=2026-02-30T00:00:00Z`],
      ['GET', `/v1/keys/${external.keyId}?asOf[x]=1`],
      ['GET', '/v1/keys?marker=%00'],
      ['GET', `/v1/keys/${'x'.repeat(3000)}`],
      ['GET', '/v1/audit?from=never&limit=0'],
      ['DELETE', '/v1/keys/alias%2Fsomething/material'],
    ];
    for (const [method, path, body, headers] of attempts) {
      const reply = await rest.call(method, path, { body, headers });
      expect({ method, path, status: reply.status < 500 ? 'not a server error' : reply.status }).toEqual({ method, path, status: 'not a server error' });
      expect(reply.headers.get('content-type') ?? '').toMatch(reply.status >= 400 ? /^application\/problem\+json/ : /^application\/json/);
    }
    expect(expectOk(await rest.get('/v1/keys?limit=1000')).keys).toEqual(keysBefore);
    const historyAfter = await rest.get(`/v1/keys/${external.keyId}/events?limit=1000`);
    expect({ etag: historyAfter.etag, events: historyAfter.body.events }).toEqual({ etag: historyBefore.etag, events: historyBefore.body.events });
  });

  it('text with an unpaired surrogate (valid JSON, not Unicode) is a 400 naming the member, and nothing is stored', async () => {
    const keysBefore = expectOk(await rest.get('/v1/keys?limit=1000')).keys;
    const notText = /Value at 'description' failed to satisfy constraint: Member must be Unicode text \(it has an unpaired surrogate\)/;
    const body = '{"description": "lone \\ud800 surrogate"}';
    expectProblem(await rest.call('POST', '/v1/keys', { body, headers: { 'Content-Type': 'application/json' } }), 400, 'validation-failed', 'ValidationException', notText);
    const tagged = '{"tags": [{"key": "team", "value": "\\udfff"}]}';
    expectProblem(await rest.call('POST', `/v1/keys/${external.keyId}/tags`, { body: tagged, headers: { 'Content-Type': 'application/json' } }), 400, 'validation-failed', 'ValidationException', /tags\.1\.member\.tagValue/);
    expect(expectOk(await rest.get('/v1/keys?limit=1000')).keys).toEqual(keysBefore);
  });

  it('"__proto__" and "constructor" members are ignored like any unknown member: no prototype pollution', async () => {
    const body = '{"__proto__": {"keySpec": "RSA_2048", "origin": "EXTERNAL"}, "constructor": {"name": "x"}}';
    const key = expectOk(await rest.call('POST', '/v1/keys', { body, headers: { 'Content-Type': 'application/json' } }), 201);
    expect(key).toMatchObject({ keySpec: 'SYMMETRIC_DEFAULT', origin: 'AWS_KMS' });
  });
});
