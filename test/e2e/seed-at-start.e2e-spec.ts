import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { DecryptCommand, DescribeKeyCommand, EncryptCommand, KMSClient, ListAliasesCommand, ListKeysCommand } from '@aws-sdk/client-kms';
import { computeKeyMaterialId } from '@keyledger/crypto';
import { loadConfig } from '../../apps/kms-api/src/config/config';
import { createKeyledgerApp } from '../../apps/kms-api/src/create-app';
import { readChanges } from '../support/event-log';
import { runServiceExpectingFailure, startServiceProcess } from '../support/service-process';
import { testCredentialsFile } from '../support/test-credentials';

const MATERIAL = randomBytes(32);

function seedFile(dir: string, content: object): string {
  const file = join(dir, 'seed.json');
  writeFileSync(file, JSON.stringify(content));
  return file;
}

const KEYS = {
  keys: [
    { description: 'orders-db', material: { hex: MATERIAL.toString('hex') }, validTo: '+30d', aliases: ['alias/orders'], tags: { env: 'test' } },
    { description: 'generated', origin: 'AWS_KMS' },
  ],
};

/** Starts the real application as main.ts does (createKeyledgerApp, then listen) on a data directory. */
async function start(dataDir: string, env: NodeJS.ProcessEnv) {
  const config = loadConfig({ DATA_DIR: dataDir, KEYLEDGER_WRAPPING_KEY_POOL_SIZE: '0', KEYLEDGER_CREDENTIALS_FILE: testCredentialsFile(), ...env });
  const app: INestApplication = await createKeyledgerApp(config, { logger: false });
  // main.ts exits when listen fails (the seed is applied within it); a test closes what was opened instead.
  await app.listen(0, '127.0.0.1').catch(async (error: Error) => {
    await app.close();
    throw error;
  });
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const client = (accessKeyId = 'test') => new KMSClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId, secretAccessKey: 'test' }, maxAttempts: 1 });
  return { app, url, client };
}

describe('KEYLEDGER_SEED_FILE: keys applied at start-up through the import flow', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'keyledger-seed-at-start-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('the keys are there, usable and recorded as imported by the seeding principal as soon as the service listens; a second start creates nothing', async () => {
    const dataDir = join(dir, 'data');
    const env = { KEYLEDGER_SEED_FILE: seedFile(dir, KEYS) };
    let service = await start(dataDir, env);
    let kms = service.client();
    const health = await (await fetch(`${service.url}/health`)).json();
    expect(health).toMatchObject({ status: 'ok', seed: { status: 'done', keys: 2, created: 2, unchanged: 0 } });

    const { Aliases } = await kms.send(new ListAliasesCommand({}));
    const orders = Aliases!.find((a) => a.AliasName === 'alias/orders')!;
    const { KeyMetadata } = await kms.send(new DescribeKeyCommand({ KeyId: 'alias/orders' }));
    expect(KeyMetadata).toMatchObject({ KeyId: orders.TargetKeyId, Origin: 'EXTERNAL', KeyState: 'Enabled', ExpirationModel: 'KEY_MATERIAL_EXPIRES', Description: 'orders-db' });
    // The material the file gave, not some other: its KeyMaterialId is a hash of exactly those bytes.
    expect(KeyMetadata!.CurrentKeyMaterialId).toBe(computeKeyMaterialId(KeyMetadata!.KeyId!, MATERIAL));
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: 'alias/orders', Plaintext: Buffer.from('seeded') }));
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob }))).Plaintext!).toString()).toBe('seeded');

    const changes = readChanges(dataDir);
    const ofOrders = changes.filter((e) => e.streamId === `kms-key-${KeyMetadata!.KeyId}`).map((e) => e.type);
    expect(ofOrders).toEqual(expect.arrayContaining(['KeyCreated.v1', 'ImportParametersIssued.v1', 'KeyMaterialImported.v1']));
    const imported = changes.find((e) => e.type === 'KeyMaterialImported.v1')!;
    expect(imported.metadata.principal).toMatchObject({ accessKeyId: 'test', accountId: '000000000000' });
    expect(JSON.stringify(changes)).not.toContain(MATERIAL.toString('hex'));
    expect(JSON.stringify(changes)).not.toContain(MATERIAL.toString('base64'));
    kms.destroy();
    await service.app.close();

    service = await start(dataDir, env);
    kms = service.client();
    expect(await (await fetch(`${service.url}/health`)).json()).toMatchObject({ status: 'ok', seed: { status: 'done', keys: 2, created: 0, imported: 0, updated: 0, unchanged: 2 } });
    expect((await kms.send(new ListKeysCommand({}))).Keys).toHaveLength(2);
    const after = readChanges(dataDir).filter((e) => !e.streamId.startsWith('keyledger-audit-digests'));
    expect(after.filter((e) => e.type === 'KeyCreated.v1')).toHaveLength(2);
    expect(after.length).toBe(changes.length);
    kms.destroy();
    await service.app.close();
  }, 60_000);

  it('seeds as the principal the file names, in its account (production mode: an entry of the credentials file)', async () => {
    const env = {
      KEYLEDGER_SEED_FILE: seedFile(dir, { accessKeyId: '111122223333', keys: [{ description: 'payments', material: { hex: MATERIAL.toString('hex') } }] }),
      KEYLEDGER_MODE: 'production',
      KEYLEDGER_MASTER_KEY: randomBytes(32).toString('base64'),
    };
    const service = await start(join(dir, 'data'), env);
    const kms = service.client('111122223333');
    const { Keys } = await kms.send(new ListKeysCommand({}));
    expect(Keys).toHaveLength(1);
    expect(Keys![0].KeyArn).toMatch(/^arn:aws:kms:us-east-1:111122223333:key\//);
    expect((await service.client('test').send(new ListKeysCommand({}))).Keys).toHaveLength(0); // not in the default account
    kms.destroy();
    await service.app.close();
  }, 60_000);

  it('a seed that cannot be applied stops the start with a clear message, before anything listens', async () => {
    const env = { KEYLEDGER_SEED_FILE: seedFile(dir, { keys: [{ description: 'short', material: { hex: 'abcd' } }] }) };
    await expect(start(join(dir, 'data'), env)).rejects.toThrow(/^KEYLEDGER_SEED_FILE \S+seed\.json could not be applied: keys\[0\] "short": SYMMETRIC_DEFAULT key material must be 32 bytes, got 2\.$/);
    const stranger = { KEYLEDGER_SEED_FILE: seedFile(dir, { accessKeyId: 'AKIANOBODY', keys: KEYS.keys }) };
    await expect(start(join(dir, 'data2'), stranger)).rejects.toThrow("the seed file's accessKeyId 'AKIANOBODY' is not a principal of this service");
  });

  it('as a process, the banner carries the seed summary and is the only start-up line at info', async () => {
    const service = await startServiceProcess({ DATA_DIR: join(dir, 'banner-data'), KEYLEDGER_SEED_FILE: seedFile(dir, KEYS) });
    try {
      // Log lines are flushed every 100 ms: wait for the banner.
      for (let i = 0; i < 40 && !service.output().includes('Keyledger is serving'); i++) await new Promise((r) => setTimeout(r, 50));
      const info = service
        .output()
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((line) => line.level === 'info' && line.msg !== 'request');
      expect(info).toHaveLength(1);
      expect(info[0]).toMatchObject({ msg: 'Keyledger is serving', seed: { status: 'done', keys: KEYS.keys.length, created: KEYS.keys.length } });
    } finally {
      await service.stop();
    }
  }, 30_000);

  it('the service process exits non-zero with that one line, no stack', async () => {
    const file = seedFile(dir, { keys: [{ description: 'short', material: { hex: 'abcd' } }] });
    const { code, output } = await runServiceExpectingFailure({ DATA_DIR: join(dir, 'data'), KEYLEDGER_SEED_FILE: file, KEYLEDGER_WRAPPING_KEY_POOL_SIZE: '0' });
    expect(code).toBe(1);
    const fatal = output.split('\n').filter((line) => line.includes('Keyledger could not start'));
    expect(fatal).toHaveLength(1);
    expect(JSON.parse(fatal[0]).error).toMatch(/^KEYLEDGER_SEED_FILE \S+ could not be applied: keys\[0\] "short": SYMMETRIC_DEFAULT key material must be 32 bytes, got 2\.$/);
    expect(output).not.toMatch(/\n\s+at /);
  }, 30_000);
});
