import { randomBytes } from 'node:crypto';
import { wrapForImport } from '../support/client-wrapping';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { OpenApiClient } from '../support/openapi-client';
import { restCall } from '../support/rest-client';

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
    expect(operations.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort()).toEqual([
      'DELETE /v1/keys/{keyId}/material',
      'GET /v1/audit',
      'GET /v1/keys',
      'GET /v1/keys/{keyId}',
      'GET /v1/keys/{keyId}/events',
      'POST /v1/keys',
      'POST /v1/keys/{keyId}/import-parameters',
      'POST /v1/keys/{keyId}/material',
    ]);
    for (const { operation } of operations) {
      expect(operation.operationId).toMatch(/^[a-z][A-Za-z]+$/);
      expect(operation.summary).toBeTruthy();
      const statuses = Object.keys(operation.responses);
      expect(statuses.some((s) => s.startsWith('2'))).toBe(true);
      expect(statuses).toEqual(expect.arrayContaining(['400', '500']));
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        expect(Object.keys(operation.responses[status].content ?? {})).toEqual(['application/problem+json']);
      }
    }
    const mutations = operations.filter((o) => o.method !== 'get' && o.path.includes('{keyId}'));
    for (const { operation } of mutations) {
      expect(operation.parameters?.some((p) => p.in === 'header' && p.name === 'If-Match')).toBe(true);
      expect(operation.responses['412']).toBeDefined();
    }
  });

  it('every documented path and method is served (no framework 404), and answers as documented', async () => {
    const unknownKey = '11111111-2222-3333-4444-555555555555';
    for (const { method, path, operation } of api.operations()) {
      const url = path.replace('{keyId}', unknownKey);
      const body = operation.requestBody ? {} : undefined;
      const reply = await restCall(kl.url, method.toUpperCase(), url, { body });
      expect({ route: `${method} ${path}`, status: reply.status, type: reply.body?.type }).not.toMatchObject({ status: 404, type: 'urn:keyledger:problem:no-such-route' });
      expect(reply.text).not.toMatch(/Cannot (GET|POST|DELETE)/);
      api.checkAgainstDocument(operation.operationId, operation, reply);
    }
    // The check itself is real: an undocumented route is the framework's 404.
    const missing = await restCall(kl.url, 'PATCH', `/v1/keys/${unknownKey}`);
    expect({ status: missing.status, type: missing.body.type }).toEqual({ status: 404, type: 'urn:keyledger:problem:no-such-route' });
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
