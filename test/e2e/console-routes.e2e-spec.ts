import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DIGEST_STREAM_ID } from '@keyledger/audit';
import { eventually, readEventLog } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { expectOk, restClient, sigV4, unsigned } from '../support/rest-client';

/** The routes around the audit console: GET /, the console's static files, and /v1/audit/verification. */
describe('audit console routes', () => {
  let kl: RunningKeyledger;

  beforeAll(async () => {
    kl = await startKeyledger({ env: { KEYLEDGER_AUDIT_DIGEST_INTERVAL_MS: '200' } });
  });
  afterAll(async () => kl?.destroy());

  it('GET / points to the console, the docs and /health: JSON by default, HTML for browsers', async () => {
    const json = await fetch(`${kl.url}/`);
    expect(json.status).toBe(200);
    const body = (await json.json()) as any;
    expect(body.links).toMatchObject({ console: { href: '/console' }, docs: { href: '/docs' }, health: { href: '/health' } });
    const html = await fetch(`${kl.url}/`, { headers: { Accept: 'text/html,application/xhtml+xml' } });
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    const text = await html.text();
    for (const href of ['/console', '/docs', '/health']) expect(text).toContain(`href="${href}"`);
  });

  it('serves the console page and its files without credentials, with a CSP that allows nothing foreign', async () => {
    for (const path of ['/console', '/console/']) {
      const page = await fetch(`${kl.url}${path}`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(await page.text()).toContain('<script type="module" src="/console/app.js">');
    }
    const script = await fetch(`${kl.url}/console/app.js`);
    expect({ status: script.status, type: script.headers.get('content-type') }).toEqual({ status: 200, type: 'text/javascript; charset=utf-8' });
    // No other name reaches the file system, encoded or not.
    for (const path of ['/console/nope.js', '/console/..%2F..%2Fpackage.json', '/console/%2e%2e%2fsrc%2fmain.ts']) {
      expect((await fetch(`${kl.url}${path}`)).status).toBe(404);
    }
  });

  it('/v1/audit/verification is authenticated like the rest of the API and documented in OpenAPI', async () => {
    expect((await restClient(kl.url).get('/v1/audit/verification', unsigned())).status).toBe(401);
    const document = (await (await fetch(`${kl.url}/openapi.json`)).json()) as any;
    expect(document.paths['/v1/audit/verification'].get.operationId).toBe('verifyAuditLog');
  });

  it('reports a clean log with its signed digests, then names the first broken event to its owner only', async () => {
    const alice = restClient(kl.url, sigV4('AKIAALICE'));
    const key = expectOk(await alice.post('/v1/keys', { description: 'to be tampered with' }), 201);
    await alice.post(`/v1/keys/${key.keyId}/disable`);
    const lastChange = () => Math.max(...readEventLog(kl.dataDir).filter((e) => e.streamId !== DIGEST_STREAM_ID).map((e) => e.position));
    await eventually(
      () => readEventLog(kl.dataDir, DIGEST_STREAM_ID),
      (digests) => digests.length > 0 && (digests[digests.length - 1].data.toPosition as number) >= lastChange(),
    );

    const clean = expectOk(await alice.get('/v1/audit/verification'));
    expect(clean).toMatchObject({ ok: true, problemCount: 0, problems: [], eventCount: expect.any(Number) });
    expect(clean.digestCount).toBeGreaterThan(0);
    expect(clean.lastDigest.toPosition).toBeGreaterThanOrEqual(lastChange());
    expect(clean.publicKeyFingerprint).toMatch(/^[0-9a-f]{64}$/);

    // An edit of the key's creation event, made behind the service's back.
    const created = readEventLog(kl.dataDir, `kms-key-${key.keyId}`)[0];
    const db = new Database(join(kl.dataDir, 'events.sqlite'));
    try {
      db.prepare(`UPDATE events SET data = json_set(data, '$.description', 'forged') WHERE position = ?`).run(created.position);
    } finally {
      db.close();
    }

    const failed = expectOk(await alice.get('/v1/audit/verification'));
    expect(failed.ok).toBe(false);
    expect(failed.firstProblem).toMatchObject({
      kind: 'event-modified',
      position: created.position,
      event: { keyId: key.keyId, type: 'KeyCreated.v1', revision: 0, streamId: `kms-key-${key.keyId}` },
    });

    // Another account learns that the log is broken and where, not whose key or what.
    const other = expectOk(await restClient(kl.url, sigV4('111122223333')).get('/v1/audit/verification'));
    expect(other.ok).toBe(false);
    expect(other.firstProblem.position).toBe(created.position);
    expect(other.firstProblem.event).toBeUndefined();
    expect(JSON.stringify(other.problems)).not.toContain(key.keyId);
  });
});
