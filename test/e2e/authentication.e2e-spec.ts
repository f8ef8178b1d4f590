import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, DescribeKeyCommand, EncryptCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { readEventLog } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { expectKmsError } from '../support/kms-error-assertions';
import { expectAwsError, expectOk, post } from '../support/raw-aws-json';
import { restCall, unsigned } from '../support/rest-client';
import { runServiceExpectingFailure, startServiceProcess } from '../support/service-process';
import { signedHeaders } from '../support/sigv4';
import { testBearerTokenOf, testPrincipalOf } from '../support/test-credentials';

const MISMATCH = /^The request signature we calculated does not match the signature you provided\./;

describe('authentication: every request is signed and verified; principals come from the credentials file', () => {
  let kl: RunningKeyledger;
  beforeAll(async () => {
    kl = await startKeyledger();
  });
  afterAll(async () => kl?.destroy());

  const sdk = (credentials: { accessKeyId: string; secretAccessKey: string }, region = 'us-east-1') =>
    new KMSClient({ endpoint: kl.url, region, credentials, maxAttempts: 1 });

  it('the AWS SDK with a known access key and its secret is served, and events record the principal the file names', async () => {
    const key = (await sdk({ accessKeyId: 'AKIAALICE', secretAccessKey: 'test' }).send(new CreateKeyCommand({}))).KeyMetadata!;
    expect(key.AWSAccountId).toBe('000000000000');
    const [created] = readEventLog(kl.dataDir, `kms-key-${key.KeyId}`);
    expect(created.metadata.principal).toEqual({ type: 'User', accountId: '000000000000', accessKeyId: 'AKIAALICE', name: testPrincipalOf('AKIAALICE') });
    // A 12-digit access key id is an account only because the credentials file says so.
    const other = (await sdk({ accessKeyId: '111122223333', secretAccessKey: 'test' }).send(new CreateKeyCommand({}))).KeyMetadata!;
    expect(other.Arn).toMatch(/^arn:aws:kms:us-east-1:111122223333:key\//);
  });

  it('a wrong secret, an unknown access key and no credentials at all are refused with AWS\'s errors, and change nothing', async () => {
    const before = readEventLog(kl.dataDir).length;
    await expectKmsError(sdk({ accessKeyId: 'test', secretAccessKey: 'wrong' }).send(new ListKeysCommand({})), 'InvalidSignatureException', MISMATCH);
    await expectKmsError(
      sdk({ accessKeyId: '444455556666', secretAccessKey: 'test' }).send(new CreateKeyCommand({})),
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
    expectAwsError(await post(kl.url, 'TrentService.CreateKey', '{}', '/', null), 400, 'MissingAuthenticationTokenException', 'Missing Authentication Token');
    expect(readEventLog(kl.dataDir)).toHaveLength(before);
  });

  it('a body, a target or a signed header changed after signing, a junk signature and a stale date are refused', async () => {
    const key = (await kl.client().send(new CreateKeyCommand({}))).KeyMetadata!;
    const url = `${kl.url}/`;
    const body = JSON.stringify({ KeyId: key.KeyId, Plaintext: Buffer.from('hello').toString('base64') });
    const headers = { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': 'TrentService.Encrypt' };
    const signed = await signedHeaders(url, 'POST', headers, body, { accessKeyId: 'test' });
    const send = async (h: Record<string, string>, b: string) => {
      const response = await fetch(url, { method: 'POST', headers: h, body: b });
      return { status: response.status, headers: response.headers, text: await response.text() };
    };
    expectOk(await send(signed, body));
    expectAwsError(await send(signed, body.replace('aGVsbG8=', 'aGVsbG9v')), 400, 'InvalidSignatureException', MISMATCH);
    expectAwsError(await send({ ...signed, 'x-amz-target': 'TrentService.ScheduleKeyDeletion' }, body), 400, 'InvalidSignatureException', MISMATCH);
    expectAwsError(await send({ ...signed, 'content-type': 'application/json' }, body), 400, 'InvalidSignatureException', MISMATCH);
    expectAwsError(await send({ ...signed, authorization: signed.authorization.replace(/Signature=\w+/, `Signature=${'a'.repeat(64)}`) }, body), 400, 'InvalidSignatureException', MISMATCH);
    const yearOld = { ...signed, 'x-amz-date': '20251205T000000Z', authorization: signed.authorization.replace(/\/\d{8}\//, '/20251205/') };
    expectAwsError(await send(yearOld, body), 400, 'InvalidSignatureException', /^Signature expired: 20251205T000000Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/);
    expect((await kl.client().send(new DescribeKeyCommand({ KeyId: key.KeyId }))).KeyMetadata!.KeyState).toBe('Enabled');
  });

  it('REST: signed or bearer requests are served; unsigned, unknown-token and mis-signed ones are 401 problems; /health and the document stay open', async () => {
    expect((await restCall(kl.url, 'GET', '/v1/keys')).status).toBe(200);
    const bearer = await restCall(kl.url, 'GET', '/v1/keys', { headers: { Authorization: `Bearer ${testBearerTokenOf('111122223333')}` } });
    expect(bearer.status).toBe(200);
    for (const reply of [
      await restCall(kl.url, 'GET', '/v1/keys', { headers: unsigned() }),
      await restCall(kl.url, 'GET', '/v1/keys', { headers: { Authorization: 'Bearer not-a-token' } }),
      await restCall(kl.url, 'GET', '/v1/audit', { headers: { Authorization: `AWS4-HMAC-SHA256 Credential=test/20261205/us-east-1/kms/aws4_request, SignedHeaders=host;x-amz-date, Signature=${'0'.repeat(64)}`, 'X-Amz-Date': '20261205T000000Z' } }),
    ]) {
      expect({ status: reply.status, type: reply.body?.type }).toEqual({ status: 401, type: 'urn:keyledger:problem:unauthenticated' });
    }
    expect((await fetch(`${kl.url}/health`)).status).toBe(200);
    expect((await fetch(`${kl.url}/openapi.json`)).status).toBe(200);
  });

  it('the credentials file is reloaded when it changes: a removed principal is refused, an added one served', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyledger-credentials-'));
    const file = join(dir, 'credentials.json');
    const entry = (accessKeyId: string) => ({ accessKeyId, secretAccessKey: 's3cret', accountId: '222233334444', principal: `user/${accessKeyId}` });
    writeFileSync(file, JSON.stringify({ credentials: [entry('AKIAFIRST')] }));
    const own = await startKeyledger({ env: { KEYLEDGER_CREDENTIALS_FILE: file, KEYLEDGER_DEFAULT_CREDENTIALS: 'off' } });
    try {
      const client = (accessKeyId: string, secretAccessKey = 's3cret') => new KMSClient({ endpoint: own.url, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
      expect((await client('AKIAFIRST').send(new ListKeysCommand({}))).Keys).toEqual([]);
      await expectKmsError(client('test', 'test').send(new ListKeysCommand({})), 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      writeFileSync(file, JSON.stringify({ credentials: [entry('AKIASECOND')] }));
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && !(await client('AKIASECOND').send(new ListKeysCommand({})).then(() => true, () => false))) {
        await new Promise((r) => setTimeout(r, 200));
      }
      expect((await client('AKIASECOND').send(new ListKeysCommand({}))).Keys).toEqual([]);
      await expectKmsError(client('AKIAFIRST').send(new ListKeysCommand({})), 'UnrecognizedClientException', 'The security token included in the request is invalid.');
    } finally {
      await own.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('production mode and data files (real processes)', () => {
  it('refuses to start without a master key and a credentials file, saying why', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyledger-prod-'));
    try {
      const { code, output } = await runServiceExpectingFailure({ DATA_DIR: dataDir, KEYLEDGER_MODE: 'production', KEYLEDGER_CREDENTIALS_FILE: '' });
      expect(code).toBe(1);
      expect(output).toContain('Production mode needs KEYLEDGER_MASTER_KEY');
      expect(output).toContain('KEYLEDGER_CREDENTIALS_FILE');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it('in production mode test/test is refused; data files are 0600 and the data directory 0700', async () => {
    const root = mkdtempSync(join(tmpdir(), 'keyledger-prod-'));
    const dataDir = join(root, 'data');
    const credentials = join(root, 'credentials.json');
    writeFileSync(credentials, JSON.stringify({ credentials: [{ accessKeyId: 'AKIAPROD', secretAccessKey: 'prod-secret', accountId: '123412341234', principal: 'ops' }] }));
    const service = await startServiceProcess({ DATA_DIR: dataDir, KEYLEDGER_MODE: 'production', KEYLEDGER_CREDENTIALS_FILE: credentials, KEYLEDGER_MASTER_KEY: Buffer.alloc(32, 7).toString('base64') });
    try {
      const client = (accessKeyId: string, secretAccessKey: string) => new KMSClient({ endpoint: service.url, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
      await expectKmsError(client('test', 'test').send(new ListKeysCommand({})), 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      const key = (await client('AKIAPROD', 'prod-secret').send(new CreateKeyCommand({}))).KeyMetadata!;
      await client('AKIAPROD', 'prod-secret').send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') }));
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      for (const name of readdirSync(dataDir)) {
        expect({ name, mode: (statSync(join(dataDir, name)).mode & 0o777).toString(8) }).toEqual({ name, mode: '600' });
      }
    } finally {
      await service.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
