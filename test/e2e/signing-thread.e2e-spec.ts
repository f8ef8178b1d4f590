import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { expectKmsError } from '../support/kms-error-assertions';
import { ServiceProcess, startServiceProcess } from '../support/service-process';

/**
 * The signing thread (KEYLEDGER_SIGNING_THREAD) on the built service, as `npm start` runs it: under concurrent load
 * the SigV4 signatures are computed on a thread of its own, with the same answers and refusals; a client that waits
 * for each answer never starts it.
 */
const MISMATCH = /^The request signature we calculated does not match the signature you provided\./;

async function metric(service: ServiceProcess, name: string): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no ${name} in /metrics`);
  return Number(line.slice(name.length + 1));
}

const client = (service: ServiceProcess, secretAccessKey = 'test') =>
  new KMSClient({ endpoint: service.url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey }, maxAttempts: 1 });

/** `calls` round trips at `concurrency`: Encrypt then Decrypt, checked; every fifth call signed with a wrong secret instead, refused. */
async function load(service: ServiceProcess, keyId: string, calls: number, concurrency: number): Promise<void> {
  const good = client(service);
  const forged = client(service, 'not-the-secret');
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < calls) {
        const n = next++;
        const plaintext = randomBytes(64);
        if (n % 5 === 4) {
          await expectKmsError(forged.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext })), 'InvalidSignatureException', MISMATCH);
          continue;
        }
        const { CiphertextBlob } = await good.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext }));
        const { Plaintext } = await good.send(new DecryptCommand({ CiphertextBlob }));
        expect(Buffer.from(Plaintext!).equals(plaintext)).toBe(true);
      }
    }),
  );
}

describe('the SigV4 signing thread', () => {
  const dirs: string[] = [];
  const services: ServiceProcess[] = [];
  const start = async (env: NodeJS.ProcessEnv = {}) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyledger-signing-thread-'));
    dirs.push(dataDir);
    const service = await startServiceProcess({ DATA_DIR: dataDir, ...env });
    services.push(service);
    return service;
  };
  afterAll(async () => {
    await Promise.all(services.map((s) => s.stopCleanly()));
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  it('is not started by a client that waits for each answer, and takes over under concurrent load with the same answers and refusals', async () => {
    const service = await start();
    const keyId = (await client(service).send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await load(service, keyId, 30, 1);
    expect(await metric(service, 'keyledger_sigv4_thread_signatures_total')).toBe(0);
    expect(await metric(service, 'keyledger_sigv4_thread_running')).toBe(0);

    // Many clients at once: requests arrive several per event-loop turn, turn after turn. Rounds until the thread
    // has taken some (it starts once such turns follow each other and takes jobs once ready), each checked in full.
    for (let round = 0; round < 5 && (await metric(service, 'keyledger_sigv4_thread_signatures_total')) === 0; round++) {
      await load(service, keyId, 300, 32);
    }
    expect(await metric(service, 'keyledger_sigv4_thread_signatures_total')).toBeGreaterThan(0);
    expect(await metric(service, 'keyledger_sigv4_thread_running')).toBe(1);
  });

  it('KEYLEDGER_SIGNING_THREAD=off keeps every signature on the event loop', async () => {
    const service = await start({ KEYLEDGER_SIGNING_THREAD: 'off' });
    const keyId = (await client(service).send(new CreateKeyCommand({}))).KeyMetadata!.KeyId!;
    await load(service, keyId, 300, 32);
    expect(await metric(service, 'keyledger_sigv4_thread_signatures_total')).toBe(0);
    expect(await metric(service, 'keyledger_sigv4_thread_running')).toBe(0);
  });
});
