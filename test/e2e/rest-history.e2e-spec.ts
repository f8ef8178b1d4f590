import { testPrincipalOf } from '../support/test-credentials';
import { GetParametersForImportCommand } from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { wrapForImport } from '../support/client-wrapping';
import { eventually } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { expectOk, expectProblem, restClient, RestClient, RestReply, sigV4 } from '../support/rest-client';

/** A key's history over REST: `?asOf` replays its stream up to a moment; `/events` lists it, paged. */
describe('REST: key history', () => {
  let kl: RunningKeyledger;
  let rest: RestClient;
  const MINUTE = 60_000;
  beforeAll(async () => {
    kl = await startKeyledger();
    rest = restClient(kl.url, sigV4('AKIAHISTORYTEST'));
  });
  afterAll(() => kl.destroy());

  const PARAMS = { wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' };
  const requestId = (reply: RestReply) => reply.headers.get('x-request-id');

  /** Creates an EXTERNAL key and imports `material`, a minute of service time between steps. */
  async function importedKey(material: Buffer, importOptions: Record<string, unknown> = { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }) {
    const created = await rest.post('/v1/keys', { origin: 'EXTERNAL', description: 'history' });
    kl.clock.advance(MINUTE);
    const issued = await rest.post(`/v1/keys/${created.body.keyId}/import-parameters`, PARAMS);
    kl.clock.advance(MINUTE);
    const encryptedKeyMaterial = wrapForImport('RSAES_OAEP_SHA_256', Buffer.from(issued.body.publicKey, 'base64'), material).toString('base64');
    const imported = await rest.post(`/v1/keys/${created.body.keyId}/material`, { importToken: issued.body.importToken, encryptedKeyMaterial, ...importOptions });
    expectOk(imported);
    kl.clock.advance(MINUTE);
    return { key: created.body, created, issued, imported, encryptedKeyMaterial };
  }

  describe('?asOf', () => {
    it('shows PendingImport before the import and Enabled after, with the revision of that moment as ETag; before creation it is 404', async () => {
      const { key } = await importedKey(randomBytes(32));
      const deleted = await rest.delete(`/v1/keys/${key.keyId}/material`);
      expectOk(deleted);
      const events = expectOk(await rest.get(`/v1/keys/${key.keyId}/events`)).events as Array<{ type: string; time: string }>;
      const at = (type: string) => Date.parse(events.find((e) => e.type === type)!.time);
      const asOf = (moment: string | number) => rest.get(`/v1/keys/${key.keyId}?asOf=${encodeURIComponent(String(moment))}`);

      expectProblem(await asOf(at('KeyCreated.v1') - 1), 404, 'not-found', 'NotFoundException', `Key '${key.arn}' does not exist`);
      const justCreated = await asOf(new Date(at('KeyCreated.v1')).toISOString());
      expect({ state: justCreated.body.keyState, etag: justCreated.etag }).toEqual({ state: 'PendingImport', etag: '"0"' });
      const beforeImport = await asOf(at('KeyMaterialImported.v1') - 1);
      expect({ state: beforeImport.body.keyState, etag: beforeImport.etag }).toEqual({ state: 'PendingImport', etag: '"1"' });
      const afterImport = await asOf(new Date(at('KeyMaterialImported.v1') + 1).toISOString());
      expect(afterImport.etag).toBe('"2"');
      expect(afterImport.body).toMatchObject({ keyState: 'Enabled', enabled: true, expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', currentKeyMaterialId: expect.any(String) });

      // Now, and any moment after now, is the present: deleted, back to PendingImport.
      const now = await rest.get(`/v1/keys/${key.keyId}`);
      expect({ state: now.body.keyState, etag: now.etag }).toEqual({ state: 'PendingImport', etag: deleted.etag });
      for (const later of [kl.clock.now(), '2999-01-01T00:00:00Z']) {
        const reply = await asOf(later);
        expect({ body: reply.body, etag: reply.etag }).toEqual({ body: now.body, etag: now.etag });
      }
    });

    it('material is shown expired from its ValidTo on, even before the expiry job recorded it', async () => {
      const validTo = new Date(kl.clock.now() + 10 * MINUTE);
      validTo.setUTCMilliseconds(0);
      const { key } = await importedKey(randomBytes(32), { expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: validTo.toISOString() });
      kl.clock.advance(60 * MINUTE);
      // The expiry job records the expiry once it notices, at a later service time.
      const events = await eventually(
        async () => expectOk(await rest.get(`/v1/keys/${key.keyId}/events`)).events as Array<{ type: string; time: string; principal: unknown; operation: string }>,
        (list) => list.some((e) => e.type === 'KeyMaterialExpired.v1'),
      );
      const expired = events.find((e) => e.type === 'KeyMaterialExpired.v1')!;
      expect(expired).toMatchObject({ principal: { type: 'Service', invokedBy: 'keyledger-expiry' }, operation: 'DeleteExpiredKeyMaterial' });
      expect(Date.parse(expired.time)).toBeGreaterThan(validTo.getTime());

      const before = await rest.get(`/v1/keys/${key.keyId}?asOf=${validTo.getTime() - 1}`);
      expect(before.body).toMatchObject({ keyState: 'Enabled', validTo: validTo.toISOString() });
      const after = await rest.get(`/v1/keys/${key.keyId}?asOf=${validTo.getTime()}`);
      expect(after.body.keyState).toBe('PendingImport');
      // Same revision: nothing had been recorded yet, the expiry follows from ValidTo alone.
      expect(after.etag).toBe(before.etag);
    });
  });

  describe('/events', () => {
    it('lists every change oldest first, with who, when, which request and operation, and payloads without material', async () => {
      const material = randomBytes(32);
      const { key, created, issued, imported, encryptedKeyMaterial } = await importedKey(material);
      // A change through the AWS endpoint shows up in the same history, under the SDK's access key.
      await kl.client({ accessKeyId: 'AKIASDKCALLER' }).send(new GetParametersForImportCommand({ KeyId: key.keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_1', WrappingKeySpec: 'RSA_2048' }));

      const reply = await rest.get(`/v1/keys/${key.keyId}/events`);
      const page = expectOk(reply);
      expect(page).toMatchObject({ keyId: key.keyId, revision: 3 });
      expect(page.nextAfterRevision).toBeUndefined();
      expect(reply.etag).toBe('"3"');
      const user = { type: 'User', accountId: '000000000000', accessKeyId: 'AKIAHISTORYTEST', name: testPrincipalOf('AKIAHISTORYTEST') };
      expect(page.events).toEqual([
        expect.objectContaining({ type: 'KeyCreated.v1', revision: 0, principal: user, requestId: requestId(created), operation: 'CreateKey' }),
        expect.objectContaining({ type: 'ImportParametersIssued.v1', revision: 1, principal: user, requestId: requestId(issued), operation: 'GetParametersForImport' }),
        expect.objectContaining({ type: 'KeyMaterialImported.v1', revision: 2, principal: user, requestId: requestId(imported), operation: 'ImportKeyMaterial' }),
        expect.objectContaining({ type: 'ImportParametersIssued.v1', revision: 3, principal: { ...user, accessKeyId: 'AKIASDKCALLER', name: testPrincipalOf('AKIASDKCALLER') }, operation: 'GetParametersForImport' }),
      ]);
      const positions = page.events.map((e: { position: number }) => e.position);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
      for (const event of page.events) {
        expect(new Date(event.time).toISOString()).toBe(event.time);
        expect(event.correlationId).toBe(event.requestId);
      }
      expect(page.events[0].data).toMatchObject({ keyId: key.keyId, arn: key.arn, origin: 'EXTERNAL', description: 'history' });
      expect(page.events[2].data).toMatchObject({ keyMaterialId: imported.body.keyMaterialId, expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE', wrappingAlgorithm: 'RSAES_OAEP_SHA_256' });

      // Nothing secret: not the material (in any encoding), not the token, not the wrapped material.
      for (const secret of [material.toString('base64'), material.toString('hex'), material.toString('base64url'), issued.body.importToken, encryptedKeyMaterial]) {
        expect(reply.text.includes(secret)).toBe(false);
      }
      expect(reply.text).not.toMatch(/importToken"|encryptedKeyMaterial|privateKey|plaintext/i);
    });

    it('pages by revision: afterRevision continues where nextAfterRevision left off', async () => {
      const key = expectOk(await rest.post('/v1/keys', { origin: 'EXTERNAL' }), 201);
      for (let i = 0; i < 4; i++) expectOk(await rest.post(`/v1/keys/${key.keyId}/import-parameters`, PARAMS));

      const seen: number[] = [];
      let after: number | undefined;
      let pages = 0;
      do {
        const page = expectOk(await rest.get(`/v1/keys/${key.keyId}/events?limit=2${after === undefined ? '' : `&afterRevision=${after}`}`));
        pages++;
        expect(page.events.length).toBeLessThanOrEqual(2);
        seen.push(...page.events.map((e: { revision: number }) => e.revision));
        after = page.nextAfterRevision;
      } while (after !== undefined);
      expect({ pages, seen }).toEqual({ pages: 3, seen: [0, 1, 2, 3, 4] });
      expect(expectOk(await rest.get(`/v1/keys/${key.keyId}/events?afterRevision=4`)).events).toEqual([]);
      expect(expectOk(await rest.get(`/v1/keys/${key.keyId}/events?afterRevision=2&limit=1`))).toMatchObject({ events: [{ revision: 3 }], nextAfterRevision: 3 });
    });

    it("another account's key has no history for this caller", async () => {
      const key = expectOk(await rest.post('/v1/keys', {}), 201);
      expectProblem(await restClient(kl.url, sigV4('123456789012')).get(`/v1/keys/${key.keyId}/events`), 404, 'not-found', 'NotFoundException');
      expectProblem(await restClient(kl.url, sigV4('AKIAHISTORYTEST', 'eu-west-1')).get(`/v1/keys/${key.keyId}?asOf=${Date.now()}`), 404, 'not-found', 'NotFoundException');
    });
  });
});
