import { randomBytes } from 'node:crypto';
import { wrapForImport } from '../support/client-wrapping';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { OpenApiClient, OpenApiOperation } from '../support/openapi-client';
import { restCall, unsigned } from '../support/rest-client';
import { testBearerTokenOf } from '../support/test-credentials';

/** Changes to an existing key: each takes If-Match (412 when the key moved on) and answers with the new revision as ETag. */
const KEY_CHANGES = [
  'POST /v1/keys/{keyId}/import-parameters',
  'POST /v1/keys/{keyId}/material',
  'DELETE /v1/keys/{keyId}/material',
  'POST /v1/keys/{keyId}/enable',
  'POST /v1/keys/{keyId}/disable',
  'PUT /v1/keys/{keyId}/description',
  'POST /v1/keys/{keyId}/deletion',
  'DELETE /v1/keys/{keyId}/deletion',
  'POST /v1/keys/{keyId}/tags',
  'DELETE /v1/keys/{keyId}/tags',
  'PUT /v1/keys/{keyId}/policy',
  'PUT /v1/keys/{keyId}/rotation',
  'POST /v1/keys/{keyId}/rotations',
];

/** Uses of a key (and /random): they change no key, so they take no If-Match (tag 'cryptographic operations'). */
const CRYPTOGRAPHIC = [
  'POST /v1/keys/{keyId}/encrypt',
  'POST /v1/keys/{keyId}/decrypt',
  'POST /v1/keys/{keyId}/re-encrypt',
  'POST /v1/keys/{keyId}/data-key',
  'POST /v1/keys/{keyId}/data-key-pair',
  'POST /v1/keys/{keyId}/sign',
  'POST /v1/keys/{keyId}/verify',
  'POST /v1/keys/{keyId}/mac',
  'POST /v1/keys/{keyId}/mac/verify',
  'POST /v1/keys/{keyId}/shared-secret',
  'GET /v1/keys/{keyId}/public-key',
  'POST /v1/random',
];

/** Every route of the REST API. */
const EVERY_ROUTE = [
  ...KEY_CHANGES,
  ...CRYPTOGRAPHIC,
  'POST /v1/keys',
  'GET /v1/keys',
  'GET /v1/keys/{keyId}',
  'GET /v1/keys/{keyId}/events',
  'GET /v1/keys/{keyId}/usage',
  'GET /v1/keys/{keyId}/tags',
  'GET /v1/keys/{keyId}/policy',
  'GET /v1/keys/{keyId}/rotation',
  'GET /v1/keys/{keyId}/rotations',
  'GET /v1/keys/{keyId}/aliases',
  'GET /v1/aliases',
  'PUT /v1/aliases/{aliasName}',
  'DELETE /v1/aliases/{aliasName}',
  'GET /v1/audit',
  'GET /v1/audit/verification',
  'GET /v1/admin/clock',
  'POST /v1/admin/clock',
];

const UNKNOWN_KEY = '11111111-2222-3333-4444-555555555555';
/** A documented path filled in with a key and an alias that do not exist. */
const urlOf = (path: string): string => path.replace('{keyId}', UNKNOWN_KEY).replace('{aliasName}', 'alias%2Fno-such-alias');

/** The OpenAPI document is complete and true: every route it lists exists, and a client built from it alone runs the import flow. */
describe('REST: OpenAPI document', () => {
  let kl: RunningKeyledger;
  let api: OpenApiClient;
  beforeAll(async () => {
    kl = await startKeyledger();
    api = await OpenApiClient.load(kl.url);
  });
  afterAll(() => kl.destroy());

  it('describes the REST API only, every operation with an id, a summary, a success and problem+json errors', () => {
    const { document } = api;
    expect(document.openapi).toMatch(/^3\./);
    expect(document.info.title).toBe('Keyledger REST API');
    const operations = api.operations();
    expect(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort()).toEqual(EVERY_ROUTE.sort());
    for (const { operation } of operations) {
      expect(operation.operationId).toMatch(/^[a-z][A-Za-z]+$/);
      expect(operation.summary).toBeTruthy();
      const statuses = Object.keys(operation.responses);
      expect(statuses.some((s) => s.startsWith('2'))).toBe(true);
      // A request that carries nothing to validate (no parameters, no body) cannot be malformed: 500 is always documented, 400 where input is taken.
      const takesInput = (operation.parameters?.length ?? 0) > 0 || operation.requestBody !== undefined;
      expect(statuses).toEqual(expect.arrayContaining(takesInput ? ['400', '500'] : ['500']));
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        expect(Object.keys(operation.responses[status].content ?? {})).toEqual(['application/problem+json']);
      }
    }
  });

  it('If-Match and 412 on every change to a key, and on nothing else: not on the cryptographic operations, which change no key', () => {
    const operations = api.operations();
    const route = (o: { method: string; path: string }) => `${o.method.toUpperCase()} ${o.path}`;
    const tagsOf = (o: { operation: object }) => (o.operation as { tags?: string[] }).tags ?? [];
    const takesIfMatch = (o: { operation: OpenApiOperation }) => o.operation.parameters?.some((p) => p.in === 'header' && p.name === 'If-Match') ?? false;

    // The rule: a change (not a GET) to an existing key (a path under /v1/keys/{keyId}) that is not a use of the key.
    const cryptographic = operations.filter((o) => tagsOf(o).includes('cryptographic operations'));
    const keyChanges = operations.filter((o) => o.method !== 'get' && o.path.startsWith('/v1/keys/{keyId}') && !tagsOf(o).includes('cryptographic operations'));
    expect(keyChanges.map(route).sort()).toEqual(KEY_CHANGES.sort());
    expect(cryptographic.map(route).sort()).toEqual(CRYPTOGRAPHIC.sort());

    for (const o of keyChanges) {
      expect({ route: route(o), ifMatch: takesIfMatch(o), has412: o.operation.responses['412'] !== undefined }).toEqual({ route: route(o), ifMatch: true, has412: true });
      // A change answers with the key's new revision.
      const success = Object.entries(o.operation.responses).find(([status]) => status.startsWith('2'))![1];
      expect({ route: route(o), etag: Object.keys(success.headers ?? {}).includes('ETag') }).toEqual({ route: route(o), etag: true });
    }
    // Everything else takes no If-Match and cannot be refused with 412: uses of a key, reads, creating a key, aliases
    // (their own streams, not the key's), /random, /audit.
    for (const o of operations.filter((op) => !keyChanges.includes(op))) {
      expect({ route: route(o), ifMatch: takesIfMatch(o), has412: o.operation.responses['412'] !== undefined }).toEqual({ route: route(o), ifMatch: false, has412: false });
    }
  });

  it('every route that can carry a body documents 413 and 415, and answers a text body with the 415 it documents', async () => {
    const withBodies = api.operations().filter((o) => o.method !== 'get');
    const undocumented = withBodies.filter((o) => !['413', '415'].every((s) => Object.keys(o.operation.responses).includes(s))).map((o) => `${o.method} ${o.path}`);
    expect(undocumented).toEqual([]);
    for (const { method, path, operation } of withBodies) {
      const reply = await restCall(kl.url, method.toUpperCase(), urlOf(path), { body: 'plain text', headers: { 'Content-Type': 'text/plain' } });
      expect({ route: `${method} ${path}`, status: reply.status }).toEqual({ route: `${method} ${path}`, status: 415 });
      api.checkAgainstDocument(operation.operationId, operation, reply);
    }
  });

  it('every documented path and method is served (no framework 404), and answers as documented', async () => {
    for (const { method, path, operation } of api.operations()) {
      const url = urlOf(path);
      const body = operation.requestBody ? {} : undefined;
      const reply = await restCall(kl.url, method.toUpperCase(), url, { body });
      expect({ route: `${method} ${path}`, status: reply.status, type: reply.body?.type }).not.toMatchObject({ status: 404, type: 'urn:keyledger:problem:no-such-route' });
      expect(reply.text).not.toMatch(/Cannot (GET|POST|PUT|DELETE)/);
      api.checkAgainstDocument(operation.operationId, operation, reply);
    }
    // The check itself is real: an undocumented route is the framework's 404.
    const missing = await restCall(kl.url, 'PATCH', `/v1/keys/${UNKNOWN_KEY}`);
    expect({ status: missing.status, type: missing.body.type }).toEqual({ status: 404, type: 'urn:keyledger:problem:no-such-route' });
  });

  it('says every route needs a SigV4 signature or a bearer token, and every route answers a caller with neither with the 401 it documents', async () => {
    const { document } = api;
    // Either scheme, and no empty requirement: nothing under /v1 is open.
    expect(document.security).toEqual([{ sigv4: [] }, { bearer: [] }]);
    expect((document.components as { securitySchemes?: unknown }).securitySchemes).toMatchObject({
      sigv4: { type: 'apiKey', in: 'header', name: 'Authorization' },
      bearer: { type: 'http', scheme: 'bearer' },
    });
    expect((document.info as { description?: string }).description).toMatch(/Every request is authenticated/);

    for (const { method, path, operation } of api.operations()) {
      const url = urlOf(path);
      const reply = await restCall(kl.url, method.toUpperCase(), url, { body: operation.requestBody ? {} : undefined, headers: unsigned() });
      const route = `${method} ${path}`;
      expect({ route, status: reply.status, type: reply.body?.type, awsErrorType: reply.body?.awsErrorType }).toEqual({
        route,
        status: 401,
        type: 'urn:keyledger:problem:unauthenticated',
        awsErrorType: 'MissingAuthenticationTokenException',
      });
      api.checkAgainstDocument(operation.operationId, operation, reply);
    }
    // The bearer scheme the document names is served.
    const bearer = await restCall(kl.url, 'GET', '/v1/keys', { headers: { Authorization: `Bearer ${testBearerTokenOf('111122223333')}` } });
    expect(bearer.status).toBe(200);
  });

  it('a client that knows only the document runs the BYOK flow, with If-Match from ETag', async () => {
    const created = await api.call('createKey', { body: { origin: 'EXTERNAL', description: 'from the OpenAPI document' } });
    expect(created.status).toBe(201);
    const keyId = created.body.keyId;

    const params = await api.call('getImportParameters', {
      params: { keyId, 'If-Match': created.etag! },
      body: { wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_1', wrappingKeySpec: 'RSA_2048' },
    });
    expect(params.status).toBe(200);
    const encryptedKeyMaterial = wrapForImport('RSA_AES_KEY_WRAP_SHA_1', Buffer.from(params.body.publicKey, 'base64'), randomBytes(32)).toString('base64');

    const stale = await api.call('importKeyMaterial', {
      params: { keyId, 'If-Match': created.etag! },
      body: { importToken: params.body.importToken, encryptedKeyMaterial, expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' },
    });
    expect(stale.status).toBe(412);
    const imported = await api.call('importKeyMaterial', {
      params: { keyId, 'If-Match': stale.etag! },
      body: { importToken: params.body.importToken, encryptedKeyMaterial, expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' },
    });
    expect(imported.status).toBe(200);

    const key = await api.call('getKey', { params: { keyId } });
    expect({ state: key.body.keyState, etag: key.etag }).toEqual({ state: 'Enabled', etag: imported.etag });
    const before = await api.call('getKey', { params: { keyId, asOf: created.body.creationDate } });
    expect(before.body.keyState).toBe('PendingImport');
    expect((await api.call('listKeys', { params: { limit: '1000' } })).body.keys).toContainEqual({ keyId, keyArn: created.body.arn });

    const deleted = await api.call('deleteKeyMaterial', { params: { keyId, keyMaterialId: imported.body.keyMaterialId, 'If-Match': key.etag! } });
    expect(deleted.body.keyMaterialId).toBe(imported.body.keyMaterialId);
    const events = await api.call('listKeyEvents', { params: { keyId, limit: '10' } });
    expect(events.body.events.map((e: { type: string }) => e.type)).toEqual(['KeyCreated.v1', 'ImportParametersIssued.v1', 'KeyMaterialImported.v1', 'KeyMaterialDeleted.v1']);
    expect(events.etag).toBe(deleted.etag);
  });

  it('/docs serves the interactive page for the same document', async () => {
    const page = await fetch(`${kl.url}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toMatch(/<title>Keyledger REST API<\/title>/);
    expect(html).toMatch(/swagger-ui/);
    const init = await (await fetch(`${kl.url}/docs/swagger-ui-init.js`)).text();
    expect(init).toContain('"operationId": "getImportParameters"');
  });
});
