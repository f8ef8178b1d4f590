import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { DIGEST_STREAM_ID } from '@keyledger/audit';
import { eventually, readEventLog } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { expectOk, restClient, restImport, sigV4 } from '../support/rest-client';
import { testBearerTokenOf } from '../support/test-credentials';

/** Debian's chromium package (.ci/run installs it); the test drives it through playwright-core, nothing downloaded. */
const CHROMIUM = process.env.KEYLEDGER_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
/** The docs' screenshot is refreshed on request (KEYLEDGER_UPDATE_SCREENSHOT=1), so a test run leaves the tree clean. */
const UPDATE_SCREENSHOT = process.env.KEYLEDGER_UPDATE_SCREENSHOT === '1';
const SCREENSHOT = UPDATE_SCREENSHOT ? join(__dirname, '..', '..', 'docs', 'console-timeline.png') : join(tmpdir(), `keyledger-console-timeline-${process.pid}.png`);
const HOUR = 3_600_000;
const AUDITOR = 'AKIAAUDITTEST';

const midpoint = (a: string, b: string) => new Date((Date.parse(a) + Date.parse(b)) / 2).toISOString();

/**
 * The audit console in a real browser: a reviewer signs in with API credentials (SigV4 signed in the page, or a
 * bearer token), opens a key with a known history, moves the as-of picker, reads the verification, filters and
 * exports. The service runs in-process on a test clock, so the history spans hours and the timeline has room.
 */
describe('audit console (headless Chromium)', () => {
  let kl: RunningKeyledger;
  let browser: Browser;
  let keyId: string;
  let otherKeyId: string;
  let events: Array<{ type: string; time: string }>;
  let validTo: Date;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`Chromium is missing at ${CHROMIUM}: the console's browser test needs Debian's chromium package (apt-get install chromium; .ci/run installs it).`);
    }
    kl = await startKeyledger({ env: { KEYLEDGER_AUDIT_DIGEST_INTERVAL_MS: '200' } });
    const ops = restClient(kl.url, sigV4('ops-team'));
    const app = restClient(kl.url, sigV4('app-backend'));
    const alice = restClient(kl.url, sigV4('AKIAALICE'));

    // A BYOK key's life: created, imported with an expiry, used, disabled (a use refused), a bad reimport refused, enabled, used.
    const key = expectOk(await ops.post('/v1/keys', { origin: 'EXTERNAL', description: 'Payments BYOK key' }), 201);
    keyId = key.keyId;
    expect((await ops.call('PUT', `/v1/aliases/${encodeURIComponent('alias/payments-byok')}`, { body: { targetKeyId: keyId } })).status).toBe(201);
    kl.clock.advance(HOUR);
    const material = randomBytes(32);
    validTo = new Date(kl.clock.now() + 200 * 24 * HOUR);
    validTo.setUTCMilliseconds(0);
    expectOk(await restImport(ops, keyId, material, { import: { expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: validTo.toISOString() } }));
    kl.clock.advance(HOUR);
    for (let i = 0; i < 3; i++) expectOk(await app.post(`/v1/keys/${keyId}/encrypt`, { plaintext: Buffer.from(`order ${i}`).toString('base64') }));
    kl.clock.advance(HOUR);
    expectOk(await alice.post(`/v1/keys/${keyId}/disable`));
    kl.clock.advance(HOUR / 2);
    expect((await app.post(`/v1/keys/${keyId}/encrypt`, { plaintext: 'aGVsbG8=' })).status).toBe(409);
    kl.clock.advance(HOUR / 2);
    expect((await restImport(ops, keyId, randomBytes(32), { import: { importType: 'EXISTING_KEY_MATERIAL', expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: validTo.toISOString() } })).status).toBe(422);
    kl.clock.advance(HOUR / 2);
    expectOk(await alice.post(`/v1/keys/${keyId}/enable`));
    kl.clock.advance(HOUR);
    for (let i = 0; i < 2; i++) expectOk(await app.post(`/v1/keys/${keyId}/encrypt`, { plaintext: 'aGVsbG8=' }));
    otherKeyId = expectOk(await ops.post('/v1/keys', { description: 'Signing key', keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' }), 201).keyId;

    events = expectOk(await restClient(kl.url, sigV4(AUDITOR)).get(`/v1/keys/${keyId}/events`)).events;
    // Wait until a signed digest covers every change, so the console has digests to show.
    const lastChange = () => Math.max(...readEventLog(kl.dataDir).filter((e) => e.streamId !== DIGEST_STREAM_ID).map((e) => e.position));
    await eventually(() => readEventLog(kl.dataDir, DIGEST_STREAM_ID), (d) => d.length > 0 && (d[d.length - 1].data.toPosition as number) >= lastChange());

    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await kl?.destroy();
    if (!UPDATE_SCREENSHOT) rmSync(SCREENSHOT, { force: true });
  });

  async function openConsole(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1480, height: 1040 }, timezoneId: 'UTC', acceptDownloads: true });
    const page = await context.newPage();
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('console', (message) => message.type() === 'error' && pageErrors.push(message.text()));
    // The page loads nothing but its own origin.
    page.on('request', (request) => expect(request.url().startsWith(kl.url) || request.url().startsWith('blob:')).toBe(true));
    await page.goto(`${kl.url}/console`);
    return page;
  }

  const eventTime = (type: string) => events.find((e) => e.type === type)!.time;
  const asOfState = async (page: Page, moment: string) => {
    await page.fill('#asof-input', moment);
    await page.press('#asof-input', 'Enter');
    await page.waitForSelector(`#asof-moment:text-is("As of ${new Date(moment).toISOString()}")`);
    return (await page.textContent('#asof-key-state'))?.trim();
  };

  it('signs in with an access key (SigV4 in the page), shows the keys, the timeline, the state as of a moment and the verification', async () => {
    const page = await openConsole();

    // A wrong secret is refused by the API, and the page says why.
    await page.fill('#access-key-id', AUDITOR);
    await page.fill('#secret-access-key', 'not-the-secret');
    await page.click('#sign-in');
    await expect(page.waitForSelector('#signin-error:has-text("InvalidSignature")', { timeout: 10_000 })).resolves.toBeTruthy();
    pageErrors.length = 0; // the browser logs the expected 401

    await page.fill('#secret-access-key', 'test');
    await page.click('#sign-in');
    const row = await page.waitForSelector(`tr[data-key-id="${keyId}"]`);
    const rowText = (await row.textContent())!;
    for (const text of ['alias/payments-byok', 'Enabled', 'SYMMETRIC_DEFAULT', 'EXTERNAL']) expect(rowText).toContain(text);
    expect(rowText).toContain(validTo.toISOString().slice(0, 10)); // material expiry
    expect(await page.textContent(`tr[data-key-id="${otherKeyId}"]`)).toContain('ECC_NIST_P256');
    expect(await page.textContent('#signed-in-as')).toContain(AUDITOR);

    // The log verifies: hash chains and signed digests.
    await page.waitForSelector('#verification-status[data-status="ok"]');
    expect(await page.textContent('#verification')).toMatch(/[1-9]\d* signed digests? verified/);

    // The key's timeline: every event, the refused attempts and the uses, by kind.
    await row.click();
    await page.waitForSelector('#timeline svg');
    const markers = async (kind: string) => page.locator(`#timeline .marker[data-kind="${kind}"]`).count();
    expect(await markers('lifecycle')).toBe(events.filter((e) => /KeyCreated|KeyEnabled|KeyDisabled/.test(e.type)).length);
    expect(await markers('material')).toBe(events.filter((e) => /ImportParameters|KeyMaterial/.test(e.type)).length);
    expect(await markers('usage')).toBe(5);
    expect(await markers('refused')).toBe(2); // the Encrypt while disabled, the reimport of other material
    const entries = (await page.textContent('#entries'))!;
    for (const text of ['KeyCreated', 'KeyMaterialImported', 'KeyDisabled', 'KeyEnabled', 'IncorrectKeyMaterialException', 'DisabledException', 'ops-team', 'app-backend', 'AKIAALICE']) {
      expect(entries).toContain(text);
    }

    // As of a moment between two events, the state replayed from the stream.
    expect(await asOfState(page, midpoint(eventTime('KeyDisabled.v1'), eventTime('KeyEnabled.v1')))).toBe('Disabled');
    expect(await asOfState(page, midpoint(eventTime('KeyCreated.v1'), eventTime('KeyMaterialImported.v1')))).toBe('PendingImport');
    await page.click('#asof-latest');
    await page.waitForSelector('#asof-moment:text-is("Now (latest revision)")');
    expect((await page.textContent('#asof-key-state'))?.trim()).toBe('Enabled');

    // The slider moves the moment too.
    const sliderMs = Math.floor((Date.parse(eventTime('KeyDisabled.v1')) + Date.parse(eventTime('KeyEnabled.v1'))) / 2);
    await page.$eval('#asof-slider', (slider: { value: string; dispatchEvent(event: Event): boolean }, ms) => {
      slider.value = String(ms);
      slider.dispatchEvent(new Event('input'));
    }, sliderMs);
    await page.waitForSelector(`#asof-moment:text-is("As of ${new Date(sliderMs).toISOString()}")`);
    await page.waitForSelector('#asof-key-state:text-is("Disabled")');

    // A screenshot of the timeline for the docs, with the cursor between the disable and the enable.
    await page.screenshot({ path: SCREENSHOT, fullPage: false });

    // Filters, then an export of exactly what is shown.
    await page.selectOption('#filter-principal', 'app-backend');
    expect(await page.locator('#entries tr').count()).toBe(6);
    expect(await page.locator('#entries tr[data-kind="usage"]').count()).toBe(5);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    const exported = JSON.parse(readFileSync((await download.path())!, 'utf8'));
    expect(exported.key.keyId).toBe(keyId);
    expect(exported.filters.principal).toBe('app-backend');
    expect(exported.entries).toHaveLength(6);
    expect(exported.entries.every((e: { principalId: string }) => e.principalId === 'app-backend')).toBe(true);
    expect(exported.asOf).toMatchObject({ moment: new Date(sliderMs).toISOString(), key: { keyState: 'Disabled' } });
    expect(exported.verification.ok).toBe(true);

    await page.selectOption('#filter-principal', '');
    await page.selectOption('#filter-type', 'KeyDisabled.v1');
    expect(await page.locator('#entries tr').count()).toBe(1);
    await page.click('#clear-filters');
    await page.fill('#filter-from', eventTime('KeyDisabled.v1'));
    await page.fill('#filter-to', eventTime('KeyEnabled.v1'));
    await page.press('#filter-to', 'Tab');
    expect(await page.locator('#entries tr').count()).toBe(4); // the disable, the refused use, the reimport's parameters and its refusal
    expect(pageErrors).toEqual([]);
  });

  it('signs in with a bearer token, and the page hashes identically without WebCrypto', async () => {
    const page = await openConsole();
    await page.check('input[name="mode"][value="bearer"]');
    await page.fill('#bearer-token', testBearerTokenOf(AUDITOR));
    await page.click('#sign-in');
    await page.waitForSelector(`tr[data-key-id="${keyId}"]`);
    // Plain http to another host has no crypto.subtle: the page's own SHA-256 and HMAC must agree with WebCrypto.
    // A string, so the test compiler does not rewrite the page's dynamic import.
    const mismatches = await page.evaluate(`(async () => {
      const { sha256Sync, hmacSync, toHex } = await import('/console/sigv4.js');
      const bad = [];
      for (const size of [0, 1, 55, 56, 63, 64, 65, 200]) {
        const data = crypto.getRandomValues(new Uint8Array(size));
        const key = crypto.getRandomValues(new Uint8Array(1 + (size % 80)));
        const digest = toHex(await crypto.subtle.digest('SHA-256', data));
        const hmacKey = await crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
        const mac = toHex(await crypto.subtle.sign('HMAC', hmacKey, data));
        if (toHex(sha256Sync(data)) !== digest || toHex(hmacSync(key, data)) !== mac) bad.push(size);
      }
      return bad;
    })()`);
    expect(mismatches).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
