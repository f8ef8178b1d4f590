import { DescribeKeyCommand, EncryptCommand, KMSClient, CreateKeyCommand } from '@aws-sdk/client-kms';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServiceProcess } from '../support/service-process';

const REPORTER = join(__dirname, '..', 'support', 'loaded-packages-at-exit.js');

/** Serves a create, an encrypt and a refused call on the embedded store, stops, and returns the packages it loaded. */
async function packagesLoadedBy(env: NodeJS.ProcessEnv): Promise<string[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyledger-lazy-'));
  const service = await startServiceProcess({ DATA_DIR: dataDir, NODE_OPTIONS: `--require ${REPORTER}`, ...env });
  try {
    const kms = new KMSClient({ endpoint: service.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    await kms.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: Buffer.from('lazy') }));
    // An error answer goes through the store-unavailable check, which must not need the EventStoreDB client.
    await expect(kms.send(new DescribeKeyCommand({ KeyId: 'alias/missing' }))).rejects.toMatchObject({ name: 'NotFoundException' });
  } finally {
    expect(await service.stop()).toBe(0);
    rmSync(dataDir, { recursive: true, force: true });
  }
  const line = /^loaded-packages (.*)$/m.exec(service.output());
  if (!line) throw new Error(`no loaded-packages line in:\n${service.output()}`);
  return JSON.parse(line[1]) as string[];
}

/** Dependencies only one option needs are loaded only with that option: they cost memory (issue 10). */
describe('optional dependencies stay unloaded unless configured', () => {
  it('the embedded store with JSON logs loads neither the EventStoreDB client (nor gRPC) nor pino-pretty', async () => {
    const packages = await packagesLoadedBy({ LOG_FORMAT: 'json' });
    expect(packages).toContain('better-sqlite3');
    expect(packages).not.toContain('@eventstore/db-client');
    expect(packages).not.toContain('@grpc/grpc-js');
    expect(packages).not.toContain('pino-pretty');
  });

  it('LOG_FORMAT=text loads pino-pretty', async () => {
    expect(await packagesLoadedBy({ LOG_FORMAT: 'text' })).toContain('pino-pretty');
  });
});
