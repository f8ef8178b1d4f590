import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import {
  DescribeKeyCommand,
  EncryptCommand,
  ImportKeyMaterialCommand,
  KMSClient,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { loadConfig } from '../../apps/kms-api/src/config/config';
import { createKeyledgerApp } from '../../apps/kms-api/src/create-app';
import { main as keyledgerCli } from '../../apps/kms-cli/src/main';
import { createExternalKey, getImportParameters, importMaterial } from '../support/byok-flow';
import { wrapForImport } from '../support/client-wrapping';
import { readEventLog } from '../support/event-log';
import { expectKmsError } from '../support/kms-error-assertions';
import { restCall } from '../support/rest-client';
import { testCredentialsFile } from '../support/test-credentials';

const HOUR = 3600_000;

/** The real application with its own service clock (no test seam): only the admin endpoint moves it. */
async function start(env: NodeJS.ProcessEnv = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyledger-test-clock-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    KEYLEDGER_WRAPPING_KEY_POOL_SIZE: '0',
    // The periodic sweep is slow here, so what the test sees is the sweep the clock move runs.
    KEYLEDGER_EXPIRY_INTERVAL_MS: '3600000',
    KEYLEDGER_CREDENTIALS_FILE: testCredentialsFile(),
    ...env,
  });
  const app: INestApplication = await createKeyledgerApp(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const kms = new KMSClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  return {
    url,
    dataDir,
    kms,
    stop: async () => {
      kms.destroy();
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** `keyledger <args>` in this process, capturing stdout. */
async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const printed = { stdout: '', stderr: '' };
  const spies = (['stdout', 'stderr'] as const).map((stream) =>
    jest.spyOn(process[stream], 'write').mockImplementation((chunk: string | Uint8Array) => ((printed[stream] += String(chunk)), true)),
  );
  try {
    return { code: await keyledgerCli(['node', 'keyledger', ...args]), ...printed };
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
}

describe('the test clock (development mode)', () => {
  let service: Awaited<ReturnType<typeof start>>;
  beforeAll(async () => (service = await start()));
  afterAll(() => service.stop());

  it('material with ValidTo 1 h ahead: advance 2 h, Encrypt is refused and KeyMaterialExpired is in the log at the moved time', async () => {
    const { kms, url, dataDir } = service;
    const key = await createExternalKey(kms);
    await importMaterial(kms, key.KeyId!, randomBytes(32), { import: { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: new Date(Date.now() + HOUR) } });
    await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('before') }));

    const moved = await restCall(url, 'POST', '/v1/admin/clock', { body: { advanceSeconds: 7200 } });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ mode: 'development', offsetSeconds: 7200, sweep: { expiredMaterials: 1 } });
    expect(Date.parse(moved.body.now) - Date.parse(moved.body.wallClock)).toBeGreaterThanOrEqual(7200_000);

    await expectKmsError(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('after') })), 'KMSInvalidStateException', /pending import|PendingImport/i);
    const expired = readEventLog(dataDir, `kms-key-${key.KeyId}`).find((e) => e.type === 'KeyMaterialExpired.v1');
    expect(expired).toBeDefined();
    // Recorded at the service's time, two hours ahead of the wall clock.
    expect(Date.parse(expired!.metadata.timestamp) - Date.now()).toBeGreaterThan(2 * HOUR - 60_000);

    const health = await (await fetch(`${url}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', mode: 'development', clock: { offsetSeconds: 7200 } });
  });

  it('ScheduleKeyDeletion 7 days, `keyledger clock advance 8d`: the key is gone', async () => {
    const { kms, url } = service;
    const key = await createExternalKey(kms);
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));

    const advanced = await cli('clock', 'advance', '8d', '--endpoint-url', url);
    expect(advanced).toMatchObject({ code: 0, stderr: '' });
    expect(advanced.stdout).toMatch(/^service clock \S+ \(8d2h ahead of the wall clock, development mode\)\nmaintenance sweep: 0 material\(s\) expired, 1 key\(s\) deleted, /);
    await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: key.KeyId })), 'NotFoundException', /does not exist/);

    const shown = await cli('clock', 'show', '--endpoint-url', url, '--json');
    expect(JSON.parse(shown.stdout)).toMatchObject({ mode: 'development', offsetSeconds: 8 * 86400 + 7200 });
  });

  it('an import token lapses after 24 hours of service time', async () => {
    const { kms, url } = service;
    const key = await createExternalKey(kms);
    const params = await getImportParameters(kms, key.KeyId!);
    expect((await restCall(url, 'POST', '/v1/admin/clock', { body: { advanceSeconds: 25 * 3600 } })).status).toBe(200);
    const wrapped = wrapForImport('RSAES_OAEP_SHA_256', params.PublicKey!, randomBytes(32));
    await expectKmsError(
      kms.send(new ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken: params.ImportToken, EncryptedKeyMaterial: wrapped, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' })),
      'ExpiredImportTokenException',
      /expired/i,
    );
  });

  it('refuses bad requests with 400 and unauthenticated ones with 401; the clock never goes back', async () => {
    const { url } = service;
    const current = (await restCall(url, 'GET', '/v1/admin/clock')).body.offsetSeconds as number;
    for (const body of [{}, { advanceSeconds: 1, offsetSeconds: 5 }, { advanceSeconds: -5 }, { advanceSeconds: 'soon' }, { advanceSeconds: 1.5 }, { offsetSeconds: current - 1 }]) {
      const reply = await restCall(url, 'POST', '/v1/admin/clock', { body });
      expect({ body, status: reply.status, type: reply.body.awsErrorType }).toEqual({ body, status: 400, type: expect.stringMatching(/ValidationException|SerializationException/) });
    }
    expect((await restCall(url, 'POST', '/v1/admin/clock', { body: { advanceSeconds: 1 }, headers: { 'x-test-sign-as': 'unsigned' } })).status).toBe(401);
    expect((await restCall(url, 'GET', '/v1/admin/clock')).body.offsetSeconds).toBe(current);
    const set = await restCall(url, 'POST', '/v1/admin/clock', { body: { offsetSeconds: current + 60 } });
    expect(set.body.offsetSeconds).toBe(current + 60);
  });

  it('is in the OpenAPI document', async () => {
    const document = (await (await fetch(`${service.url}/openapi.json`)).json()) as { paths: Record<string, object> };
    expect(Object.keys(document.paths['/v1/admin/clock'])).toEqual(expect.arrayContaining(['get', 'post']));
  });
});

describe('the test clock in production mode', () => {
  it('is refused with 403 AccessDeniedException; /health says production and no offset', async () => {
    const service = await start({ KEYLEDGER_MODE: 'production', KEYLEDGER_MASTER_KEY: randomBytes(32).toString('base64') });
    try {
      const refused = await restCall(service.url, 'POST', '/v1/admin/clock', { body: { advanceSeconds: 7200 } });
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ awsErrorType: 'AccessDeniedException', detail: expect.stringMatching(/development mode/) });
      const health = await (await fetch(`${service.url}/health`)).json();
      expect(health).toMatchObject({ mode: 'production', clock: { offsetSeconds: 0 } });
      const refusedCli = await cli('clock', 'advance', '2h', '--endpoint-url', service.url);
      expect(refusedCli).toMatchObject({ code: 1, stderr: expect.stringContaining('403 AccessDeniedException: The service clock can only be moved in development mode') });
    } finally {
      await service.stop();
    }
  });
});
