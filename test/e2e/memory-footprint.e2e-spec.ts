import { CreateKeyCommand, DescribeKeyCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_SEMI_SPACE_MIB } from '../../apps/kms-api/src/heap-limits';
import { startServiceProcess } from '../support/service-process';

const REPORTER = join(__dirname, '..', 'support', 'report-at-exit.js');
const MIB = 1024 * 1024;

interface ExitReport {
  packages: string[];
  heapSpaces: Record<string, number>;
}

/**
 * Runs the built service (node bin/keyledger-api.js) on the embedded store, serves a create, `encrypts` encrypts
 * (8 at a time) and a refused call, stops it, and returns what it reported at exit.
 */
async function serveAndReport(env: NodeJS.ProcessEnv, encrypts = 1): Promise<ExitReport> {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyledger-footprint-'));
  const { NODE_OPTIONS = '', ...rest } = env;
  const service = await startServiceProcess({ DATA_DIR: dataDir, NODE_OPTIONS: `--require ${REPORTER} ${NODE_OPTIONS}`, ...rest });
  try {
    const kms = new KMSClient({ endpoint: service.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
    const { KeyMetadata } = await kms.send(new CreateKeyCommand({}));
    let left = encrypts;
    const worker = async () => {
      while (left-- > 0) await kms.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: Buffer.alloc(64, 1) }));
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    // An error answer goes through the store-unavailable check, which must not need the EventStoreDB client.
    await expect(kms.send(new DescribeKeyCommand({ KeyId: 'alias/missing' }))).rejects.toMatchObject({ name: 'NotFoundException' });
  } finally {
    await service.stopCleanly();
    rmSync(dataDir, { recursive: true, force: true });
  }
  const line = (name: string) => {
    const match = new RegExp(`^${name} (.*)$`, 'm').exec(service.output());
    if (!match) throw new Error(`no ${name} line in:\n${service.output()}`);
    return JSON.parse(match[1]);
  };
  return { packages: line('loaded-packages'), heapSpaces: line('heap-spaces') };
}

/** Dependencies only one option needs are loaded only with that option: they cost memory (issue 10). */
describe('optional dependencies stay unloaded unless configured', () => {
  it('the embedded store with JSON logs loads neither the EventStoreDB client (nor gRPC) nor pino-pretty', async () => {
    const { packages } = await serveAndReport({ LOG_FORMAT: 'json' });
    expect(packages).toContain('better-sqlite3');
    expect(packages).not.toContain('@eventstore/db-client');
    expect(packages).not.toContain('@grpc/grpc-js');
    expect(packages).not.toContain('pino-pretty');
  });

  it('LOG_FORMAT=text loads pino-pretty', async () => {
    expect((await serveAndReport({ LOG_FORMAT: 'text' })).packages).toContain('pino-pretty');
  });
});

/** V8's young generation would be 2 x 16 MiB after start-up alone; the entry point caps it (heap-limits.ts). */
describe('heap limits of node bin/keyledger-api.js', () => {
  it('keeps the young generation within 2 x MAX_SEMI_SPACE_MIB through start-up and 2,000 encrypts', async () => {
    const { heapSpaces } = await serveAndReport({ LOG_FORMAT: 'json' }, 2000);
    expect(heapSpaces.new_space).toBeLessThanOrEqual(2 * MAX_SEMI_SPACE_MIB * MIB);
  });

  it('leaves the young generation to a semi-space flag given to node', async () => {
    const { heapSpaces } = await serveAndReport({ LOG_FORMAT: 'json', NODE_OPTIONS: '--max-semi-space-size=16' });
    expect(heapSpaces.new_space).toBeGreaterThan(2 * MAX_SEMI_SPACE_MIB * MIB);
  });
});
