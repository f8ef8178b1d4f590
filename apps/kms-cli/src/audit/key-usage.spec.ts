import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { BatchingUsageRecorder, type KeyUseRecord } from '@keyledger/application';
import { KeyEventTypes, keyStreamId, NO_STREAM_REVISION } from '@keyledger/domain';
import { SqliteEventStore, type JsonObject } from '@keyledger/event-store';
import { buildProgram } from '../main';

const KEY = '0f0e0d0c-0b0a-4908-8706-050403020100';
const OTHER_KEY = '0f0e0d0c-0b0a-4908-8706-0504030201ff';
const ARN = `arn:aws:kms:us-east-1:000000000000:key/${KEY}`;
const MATERIAL_ID = '3f2a9c01' + 'a'.repeat(56);
const T0 = Date.parse('2026-11-22T10:00:00.000Z');

const use = (n: number, extra: Partial<KeyUseRecord> = {}): KeyUseRecord => ({
  keyId: KEY,
  keyArn: ARN,
  accountId: '000000000000',
  region: 'us-east-1',
  operation: 'Decrypt',
  keyMaterialId: MATERIAL_ID,
  principal: { type: 'User', accountId: '000000000000', accessKeyId: 'app-backend' },
  requestId: `req-${n}`,
  time: T0 + n * 1000,
  outcome: 'Succeeded',
  ...extra,
});

/** `keyledger audit <keyId> --usage`, in-process, on a data directory the usage recorder wrote to. */
describe('keyledger audit --usage', () => {
  let dir: string;

  beforeAll(async () => {
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    dir = mkdtempSync(join(tmpdir(), 'keyledger-cli-usage-'));
    const store = new SqliteEventStore({ filename: join(dir, 'events.sqlite') });
    const created = { keyId: KEY, arn: ARN, accountId: '000000000000', region: 'us-east-1', description: 'orders', keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', origin: 'AWS_KMS', multiRegion: false, creationDate: new Date(T0).toISOString() };
    await store.appendToStream(keyStreamId(KEY), [{ type: KeyEventTypes.KeyCreated, data: created as JsonObject, metadata: { timestamp: new Date(T0).toISOString() } }], NO_STREAM_REVISION);
    const recorder = new BatchingUsageRecorder(store, { now: () => T0 }, { waitForPosition: async () => true }, { flushIntervalMs: 10_000 });
    recorder.record(use(1, { encryptionContext: { tenant: 'acme-secret' } }));
    recorder.record(use(2, { keyId: OTHER_KEY, keyArn: ARN.replace(KEY, OTHER_KEY) }));
    await recorder.flush();
    recorder.record(use(3, { operation: 'Encrypt', principal: { type: 'User', accountId: '000000000000', accessKeyId: 'batch-job' } }));
    recorder.record(use(4, { outcome: 'Refused', errorType: 'DisabledException', keyMaterialId: undefined }));
    await recorder.beforeApplicationShutdown();
    await store.close();
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    jest.restoreAllMocks();
  });

  async function run(...args: string[]): Promise<string> {
    let out = '';
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((out += String(chunk)), true));
    try {
      await buildProgram().parseAsync(args, { from: 'user' });
    } finally {
      write.mockRestore();
    }
    return out;
  }

  it("prints the key's uses as a table: time, who, operation, outcome, key material, request id", async () => {
    const lines = (await run('audit', ARN, '--usage', '--data-dir', dir)).trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual([`Key ${KEY}  ${ARN}`, '3 uses recorded in the usage log, 1 refused', '']);
    expect(lines[3]).toMatch(/^TIME +WHO +OPERATION +OUTCOME +KEY MATERIAL +REQUEST ID$/);
    expect(lines.slice(4).map((line) => line.split(/ {2,}/))).toEqual([
      ['2026-11-22T10:00:01.000Z', 'app-backend', 'Decrypt', 'Succeeded', '3f2a9c01…', 'req-1'],
      ['2026-11-22T10:00:03.000Z', 'batch-job', 'Encrypt', 'Succeeded', '3f2a9c01…', 'req-3'],
      ['2026-11-22T10:00:04.000Z', 'app-backend', 'Decrypt', 'Refused: DisabledException', '-', 'req-4'],
    ]);
  });

  it('--json prints the usage records with where they are in the log, never the context values', async () => {
    const out = await run('audit', KEY, '--usage', '--json', '--data-dir', dir);
    const records = JSON.parse(out);
    expect(records.map((r: { requestId: string }) => r.requestId)).toEqual(['req-1', 'req-3', 'req-4']);
    expect(records[0]).toMatchObject({
      keyId: KEY,
      keyArn: ARN,
      operation: 'Decrypt',
      keyMaterialId: MATERIAL_ID,
      principal: { type: 'User', accountId: '000000000000', accessKeyId: 'app-backend' },
      principalName: 'app-backend',
      outcome: 'Succeeded',
      time: '2026-11-22T10:00:01.000Z',
      encryptionContextHash: expect.stringMatching(/^[0-9a-f]{64}$/),
      position: 2,
      index: 0,
      streamId: expect.stringMatching(/^kms-usage-/),
    });
    expect(records[2]).toMatchObject({ outcome: 'Refused', errorType: 'DisabledException', position: 3, index: 1 });
    expect(out).not.toContain('acme-secret');
  });

  it('a key without a stream is an error, as for audit', async () => {
    await expect(run('audit', '11111111-2222-4333-8444-555555555555', '--usage', '--data-dir', dir)).rejects.toThrow(/not found/);
  });
});
