import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { CredentialStore } from './credentials';
import { SigningThread } from './signing-thread';
import { ReceivedRequest, SigV4Verifier } from './sigv4-verifier';

/**
 * Requests signed by the real AWS SDK (captured before they leave the client), verified here; then changed the
 * ways an attacker would change them.
 */
const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);
const store = new CredentialStore({ allowDefault: true });
const alice = { accessKeyId: 'AKIAALICE', secretAccessKey: 'alice-secret', accountId: '111122223333', principal: 'arn:aws:iam::111122223333:user/alice' };
const aliceDir = mkdtempSync(join(tmpdir(), 'keyledger-credentials-'));
const aliceFile = join(aliceDir, 'credentials.json');
writeFileSync(aliceFile, JSON.stringify({ credentials: [alice] }));
const withAlice = new CredentialStore({ allowDefault: false, file: aliceFile });
afterAll(() => {
  withAlice.close();
  rmSync(aliceDir, { recursive: true, force: true });
});

async function sdkRequest(options: { accessKeyId?: string; secretAccessKey?: string; body?: object; target?: string; at?: number; region?: string } = {}): Promise<ReceivedRequest> {
  let captured: ReceivedRequest | undefined;
  const client = new KMSClient({
    endpoint: 'http://127.0.0.1:8080',
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: options.accessKeyId ?? 'test', secretAccessKey: options.secretAccessKey ?? 'test' },
    systemClockOffset: (options.at ?? NOW) - Date.now(),
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { method: string; path: string; headers: Record<string, string>; body: string };
      const headers = Object.fromEntries(Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), v]));
      captured = { method: request.method, url: request.path, headers: { ...headers, host: '127.0.0.1:8080' }, body: Buffer.from(request.body ?? '') };
      throw new Error('captured');
    },
    { step: 'finalizeRequest', priority: 'low', name: 'capture' },
  );
  await client.send(new ListKeysCommand({ Limit: 10 })).catch(() => undefined);
  if (!captured) throw new Error('no request captured');
  if (options.body) captured.body = Buffer.from(JSON.stringify(options.body));
  if (options.target) captured.headers['x-amz-target'] = options.target;
  return captured;
}

// The signing thread loads the compiled module (npm test builds first), as the service does from dist/.
const COMPILED_SIGNING = join(__dirname, '../../../../dist/apps/kms-api/src/auth/sigv4-signing.js');
const signingThread = new SigningThread({ signingModule: COMPILED_SIGNING, use: 'always' });
beforeAll(async () => expect(await signingThread.whenReady()).toBe(true));
afterAll(() => signingThread.close());

describe.each([
  ['inline', undefined],
  ['on the signing thread', signingThread],
])('SigV4Verifier, signatures computed %s', (_, thread) => {
  const verifier = (credentials = store, now = NOW) => new SigV4Verifier(credentials, () => now, ['x-amz-target'], thread);

  async function refusal(request: ReceivedRequest, v = verifier()): Promise<{ type: string; message: string }> {
    try {
      await v.verify(request);
    } catch (error) {
      return { type: (error as Error).name, message: (error as Error).message };
    }
    throw new Error('the request was accepted');
  }

  it('accepts a request the AWS SDK signed, naming the credential and the scope region', async () => {
    const signed = await sdkRequest({ region: 'eu-west-1' });
    const result = await verifier().verify(signed);
    expect(result).toEqual({ credential: expect.objectContaining({ accessKeyId: 'test', accountId: '000000000000' }), region: 'eu-west-1' });
    const fromFile = await verifier(withAlice).verify(await sdkRequest({ accessKeyId: 'AKIAALICE', secretAccessKey: 'alice-secret' }));
    expect(fromFile.credential.principal).toBe(alice.principal);
  });

  it('refuses a wrong secret', async () => {
    expect(await refusal(await sdkRequest({ secretAccessKey: 'not-test' }))).toEqual({
      type: 'InvalidSignatureException',
      message: expect.stringMatching(/^The request signature we calculated does not match the signature you provided\./),
    });
  });

  it('refuses an unknown access key', async () => {
    expect(await refusal(await sdkRequest({ accessKeyId: 'AKIAMALLORY' }))).toEqual({
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    });
    expect((await refusal(await sdkRequest(), verifier(withAlice))).type).toBe('UnrecognizedClientException');
  });

  it('refuses a body or a target changed after signing', async () => {
    expect((await refusal(await sdkRequest({ body: { Limit: 11 } }))).type).toBe('InvalidSignatureException');
    expect((await refusal(await sdkRequest({ target: 'TrentService.ScheduleKeyDeletion' }))).type).toBe('InvalidSignatureException');
  });

  it('refuses a changed signed header, and a SignedHeaders list naming a missing header', async () => {
    const signed = await sdkRequest();
    signed.headers['content-type'] = 'application/json';
    expect((await refusal(signed)).type).toBe('InvalidSignatureException');
    const missing = await sdkRequest();
    delete missing.headers['x-amz-user-agent'];
    expect(await refusal(missing)).toEqual({ type: 'IncompleteSignatureException', message: "'x-amz-user-agent' is named as a SignedHeader, but it does not exist in the HTTP request." });
  });

  it('refuses a date outside the five-minute skew, with AWS\'s texts', async () => {
    const old = await sdkRequest({ at: NOW - 6 * 60 * 1000 });
    expect(await refusal(old)).toEqual({
      type: 'InvalidSignatureException',
      message: 'Signature expired: 20261205T115400Z is now earlier than 20261205T115500Z (20261205T120000Z - 5 min.)',
    });
    const future = await sdkRequest({ at: NOW + 6 * 60 * 1000 });
    expect(await refusal(future)).toEqual({
      type: 'InvalidSignatureException',
      message: 'Signature not yet current: 20261205T120600Z is still later than 20261205T120500Z (20261205T120000Z + 5 min.)',
    });
    await expect(verifier(store, NOW + 4 * 60 * 1000).verify(await sdkRequest())).resolves.toBeDefined();
  });

  it('refuses a missing, junk or incomplete Authorization header', async () => {
    const signed = await sdkRequest();
    const { authorization, ...unsigned } = signed.headers;
    expect(await refusal({ ...signed, headers: unsigned })).toEqual({ type: 'MissingAuthenticationTokenException', message: 'Missing Authentication Token' });
    expect((await refusal({ ...signed, headers: { ...unsigned, authorization: 'Bearer nonsense' } })).type).toBe('IncompleteSignatureException');
    const noSignature = String(authorization).replace(/, Signature=[0-9a-f]+/, '');
    expect(await refusal({ ...signed, headers: { ...unsigned, authorization: noSignature } })).toEqual({
      type: 'IncompleteSignatureException',
      message: `Authorization header requires 'Signature' parameter. Authorization=${noSignature}`,
    });
    const junk = String(authorization).replace(/Signature=[0-9a-f]+/, `Signature=${'0'.repeat(64)}`);
    expect((await refusal({ ...signed, headers: { ...unsigned, authorization: junk } })).type).toBe('InvalidSignatureException');
  });

  it('refuses a target that was not signed, a scope for another service, and a presigned query string', async () => {
    const signed = await sdkRequest();
    const unsignedTarget = String(signed.headers.authorization).replace(';x-amz-target', '');
    expect(await refusal({ ...signed, headers: { ...signed.headers, authorization: unsignedTarget } })).toEqual({
      type: 'IncompleteSignatureException',
      message: "'x-amz-target' must be a SignedHeader.",
    });
    const s3 = String(signed.headers.authorization).replace('/kms/', '/s3/');
    expect((await refusal({ ...signed, headers: { ...signed.headers, authorization: s3 } })).type).toBe('InvalidSignatureException');
    const { authorization: _a, ...unsigned } = signed.headers;
    expect((await refusal({ ...signed, url: '/?X-Amz-Signature=abc&X-Amz-Credential=test', headers: unsigned })).type).toBe('IncompleteSignatureException');
  });

  it('holds the body to a declared x-amz-content-sha256 and refuses UNSIGNED-PAYLOAD', async () => {
    const signed = await sdkRequest();
    const declared = { ...signed, headers: { ...signed.headers, 'x-amz-content-sha256': createHash('sha256').update('{}').digest('hex') } };
    expect(await refusal(declared)).toEqual({ type: 'InvalidSignatureException', message: 'The provided x-amz-content-sha256 header does not match what was computed.' });
    const unsignedPayload = { ...signed, headers: { ...signed.headers, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' } };
    expect((await refusal(unsignedPayload)).type).toBe('InvalidSignatureException');
  });
});

describe('SigV4Verifier with a signing thread', () => {
  it('has the thread compute the signatures it wants', async () => {
    const before = signingThread.signatures;
    const v = new SigV4Verifier(store, () => NOW, ['x-amz-target'], signingThread);
    await v.verify(await sdkRequest());
    await expect(v.verify(await sdkRequest({ secretAccessKey: 'not-test' }))).rejects.toThrow(/does not match the signature you provided/);
    expect(signingThread.signatures).toBe(before + 2);
  });

  it('verifies inline when the thread fails', async () => {
    const broken = new SigningThread({ signingModule: join(__dirname, 'no-such-module.js'), use: 'always' });
    try {
      expect(await broken.whenReady()).toBe(false);
      const v = new SigV4Verifier(store, () => NOW, ['x-amz-target'], broken);
      await expect(v.verify(await sdkRequest({ region: 'eu-west-1' }))).resolves.toEqual(expect.objectContaining({ region: 'eu-west-1' }));
      await expect(v.verify(await sdkRequest({ secretAccessKey: 'not-test' }))).rejects.toThrow(/does not match the signature you provided/);
    } finally {
      await broken.close();
    }
  });
});
