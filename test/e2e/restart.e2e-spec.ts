import {
  CreateKeyCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  EncryptCommand,
  KMSClient,
  ListKeysCommand,
} from '@aws-sdk/client-kms';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { eventHead } from '../support/kms-error-assertions';
import { operation } from '../support/raw-aws-json';
import { runServiceExpectingFailure, ServiceProcess, startServiceProcess } from '../support/service-process';

const clientFor = (url: string) =>
  new KMSClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });

async function snapshot(kms: KMSClient, keyIds: string[]) {
  const described = [];
  for (const keyId of keyIds) described.push((await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata);
  const listed = (await kms.send(new ListKeysCommand({}))).Keys;
  return { described, listed };
}

interface Health {
  eventStore: { headPosition: number };
  projections: { checkpoint: number; lag: number };
}
const health = async (url: string): Promise<Health> => (await fetch(`${url}/health`)).json() as Promise<Health>;
/** The head of a stopped service's embedded log, read from the file. */
const eventHeadOfLog = async (dataDir: string): Promise<number> => {
  const log = new Database(join(dataDir, 'events.sqlite'), { readonly: true });
  try {
    return log.prepare('SELECT MAX(position) FROM events').pluck().get() as number;
  } finally {
    log.close();
  }
};

/** The built service as separate OS processes: `node bin/keyledger-api.js` started, stopped with SIGTERM, restarted. */
describe('restart on the same data directory', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyledger-restart-'));
  let service: ServiceProcess | undefined;
  afterAll(async () => {
    await service?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every key, state and material; the projection resumes from its checkpoint and can be rebuilt from zero', async () => {
    service = await startServiceProcess({ DATA_DIR: dataDir, LOG_FORMAT: 'json' });
    expect(service.output()).toContain('generated a development master key');
    let kms = clientFor(service.url);

    const material = randomBytes(32);
    const expiring = await createExternalKey(kms);
    await importMaterial(kms, expiring.KeyId!, material, { import: { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: new Date(Date.now() + 86400_000) } });
    const deleted = await createExternalKey(kms);
    await importMaterial(kms, deleted.KeyId!, randomBytes(32));
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: deleted.KeyId }));
    const pending = await createExternalKey(kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const generated = (await kms.send(new CreateKeyCommand({ Description: 'aws-kms' }))).KeyMetadata!;
    const ciphertext = (await kms.send(new EncryptCommand({ KeyId: expiring.KeyId, Plaintext: Buffer.from('survives restarts') }))).CiphertextBlob;
    const generatedCiphertext = (await kms.send(new EncryptCommand({ KeyId: generated.KeyId, Plaintext: Buffer.from('generated') }))).CiphertextBlob;
    const keyIds = [expiring.KeyId!, deleted.KeyId!, pending.KeyId!, generated.KeyId!];
    const before = await snapshot(kms, keyIds);
    expect(before.described.map((m) => m!.KeyState)).toEqual(['Enabled', 'PendingImport', 'PendingImport', 'Enabled']);
    const headBefore = await eventHead(service); // once the last uses' usage batch is in the log too

    await service.stopCleanly(); // graceful shutdown on SIGTERM
    const logs = [service.output()];

    service = await startServiceProcess({ DATA_DIR: dataDir, LOG_FORMAT: 'json' });
    kms = clientFor(service.url);
    const resumed = await health(service.url);
    expect(resumed.eventStore.headPosition).toBe(headBefore + 1); // the final audit digest signed at shutdown
    expect(resumed.projections.checkpoint).toBe(headBefore + 1);
    expect(await snapshot(kms, keyIds)).toEqual(before);
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: ciphertext }));
    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('survives restarts');
    expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: generatedCiphertext }))).Plaintext!).toString()).toBe('generated');
    await service.stopCleanly();
    logs.push(service.output());

    // Read models are disposable: without them the service replays the log from position 0.
    const removeReadModels = () => {
      for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, `read-models.sqlite${suffix}`), { force: true });
    };
    removeReadModels();
    service = await startServiceProcess({ DATA_DIR: dataDir, LOG_FORMAT: 'json' });
    kms = clientFor(service.url);
    const deadline = Date.now() + 10000;
    while ((await health(service.url)).projections.checkpoint < headBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(await snapshot(kms, keyIds)).toEqual(before);
    expect(service.output()).not.toContain('rebuilding them with keyledger replay'); // a short log: caught up while serving
    await service.stopCleanly();
    logs.push(service.output());

    // From KEYLEDGER_STARTUP_REPLAY_MIN_EVENTS events on, `keyledger replay` rebuilds them before the service serves.
    removeReadModels();
    const headAtStart = await eventHeadOfLog(dataDir);
    service = await startServiceProcess({ DATA_DIR: dataDir, LOG_FORMAT: 'json', KEYLEDGER_STARTUP_REPLAY_MIN_EVENTS: '1' });
    const first = await health(service.url); // the first answer: the read models were there before it listened
    expect(first.projections.checkpoint).toBeGreaterThanOrEqual(headAtStart);
    expect(service.output()).toContain('read models rebuilt before start');
    expect(service.output()).toContain(`replayed ${headAtStart} events (log head ${headAtStart})`);
    kms = clientFor(service.url);
    expect(await snapshot(kms, keyIds)).toEqual(before);
    await service.stopCleanly();
    logs.push(service.output());
    service = undefined;

    // Nothing secret was logged in any run: neither the material nor the dev master key.
    const everything = logs.join('\n');
    expect(everything).toContain('Keyledger is serving');
    for (const secret of [material.toString('base64'), material.toString('hex'), readFileSync(join(dataDir, 'master.key'), 'utf8').trim()]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('rebuilds read models that are ahead of the log (a commit lost in a power cut), so keys created afterwards are listed', async () => {
    const cutDir = mkdtempSync(join(tmpdir(), 'keyledger-power-cut-'));
    const logFiles = ['events.sqlite', 'events.sqlite-wal', 'events.sqlite-shm'].map((name) => join(cutDir, name));
    try {
      let cut = await startServiceProcess({ DATA_DIR: cutDir, LOG_FORMAT: 'json' });
      const kept = await createExternalKey(clientFor(cut.url));
      await cut.stopCleanly();
      const logOnDisk = readFileSync(logFiles[0]); // the log as a power cut after this point leaves it

      cut = await startServiceProcess({ DATA_DIR: cutDir, LOG_FORMAT: 'json' });
      const lost = await createExternalKey(clientFor(cut.url));
      await cut.stopCleanly(); // the read models have the lost key's events, and the shutdown's digest
      for (const file of logFiles) rmSync(file, { force: true });
      writeFileSync(logFiles[0], logOnDisk);

      cut = await startServiceProcess({ DATA_DIR: cutDir, LOG_FORMAT: 'json' });
      const kms = clientFor(cut.url);
      const created = await createExternalKey(kms); // at positions the lost events had
      const deadline = Date.now() + 10000;
      const listed = async () => ((await kms.send(new ListKeysCommand({}))).Keys ?? []).map((key) => key.KeyId);
      while (!(await listed()).includes(created.KeyId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect((await listed()).sort()).toEqual([kept.KeyId, created.KeyId].sort());
      await expect(kms.send(new DescribeKeyCommand({ KeyId: lost.KeyId }))).rejects.toMatchObject({ name: 'NotFoundException' });
      expect(cut.output()).toContain('the read models are ahead of the event log');
      await cut.stopCleanly();
    } finally {
      rmSync(cutDir, { recursive: true, force: true });
    }
  });

  it('answers a slow request in flight when SIGTERM arrives, telling its client the connection closes, logs that request, then exits 0', async () => {
    const busyDir = mkdtempSync(join(tmpdir(), 'keyledger-busy-'));
    const busy = await startServiceProcess({ DATA_DIR: busyDir, LOG_FORMAT: 'json' });
    const key = await createExternalKey(clientFor(busy.url));
    // With the pool disabled, an RSA_4096 wrapping key is generated on demand: a request that takes seconds.
    // Sent raw, so the answer's Connection header can be read.
    const inFlight = operation(busy.url, 'GetParametersForImport', { KeyId: key.KeyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_4096' });
    await new Promise((r) => setTimeout(r, 150));
    const exited = busy.stop();
    const answered = await inFlight;
    expect(answered.status).toBe(200);
    const parameters = JSON.parse(answered.text) as { KeyId: string; PublicKey: string };
    expect(parameters.KeyId).toBe(key.Arn);
    expect(Buffer.from(parameters.PublicKey, 'base64').length).toBeGreaterThan(500);
    // Without it the client would send its next request on a kept-alive socket that is about to be closed.
    expect(answered.headers.get('connection')).toBe('close');
    expect(await exited).toBe(0);
    const shutdownLine = busy.output().split('\n').find((line) => line.includes('"msg":"shutting down"'));
    expect(JSON.parse(shutdownLine!)).toMatchObject({ signal: 'SIGTERM', requestsInFlight: 1 });
    // Stopped: new connections are refused.
    await expect(fetch(`${busy.url}/health`)).rejects.toThrow();
    rmSync(busyDir, { recursive: true, force: true });
  });

  it('refuses to start with a master key other than the one that sealed the data directory', async () => {
    const { code, output } = await runServiceExpectingFailure({ DATA_DIR: dataDir, KEYLEDGER_MASTER_KEY: randomBytes(32).toString('base64') });
    expect(code).not.toBe(0);
    expect(output).toMatch(/sealed under master key\(s\) [0-9a-f]{16}, but the configured master key is [0-9a-f]{16}/);
  });

  it('refuses to start with an unusable configured master key, without echoing it', async () => {
    const bad = 'this-is-not-a-32-byte-base64-key';
    const badKeyDir = mkdtempSync(join(tmpdir(), 'keyledger-badkey-'));
    const { code, output } = await runServiceExpectingFailure({ DATA_DIR: badKeyDir, KEYLEDGER_MASTER_KEY: bad });
    rmSync(badKeyDir, { recursive: true, force: true });
    expect(code).not.toBe(0);
    expect(output).toContain('KEYLEDGER_MASTER_KEY is unusable');
    expect(output).not.toContain(bad);
  });
});
