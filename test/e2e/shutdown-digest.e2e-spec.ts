import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateKeyCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import type { VerificationReport } from '@keyledger/audit';
import { main as keyledgerCli } from '../../apps/kms-cli/src/main';
import { startServiceProcess } from '../support/service-process';

/** `keyledger verify --json` on the data directory, as an operator runs it after the service stopped. */
async function verify(dataDir: string): Promise<VerificationReport> {
  let printed = '';
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => ((printed += String(chunk)), true)),
    jest.spyOn(process.stderr, 'write').mockImplementation(() => true),
  ];
  try {
    await keyledgerCli(['node', 'keyledger', 'verify', '--data-dir', dataDir, '--json']);
  } finally {
    spies.forEach((spy) => spy.mockRestore());
  }
  return JSON.parse(printed) as VerificationReport;
}

async function someRequests(url: string): Promise<void> {
  const kms = new KMSClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
  const { KeyMetadata } = await kms.send(new CreateKeyCommand({ Description: 'shutdown digest' }));
  await kms.send(new EncryptCommand({ KeyId: KeyMetadata!.KeyId, Plaintext: Buffer.from('hello') })); // a usage record too
  kms.destroy();
}

describe('a final signed digest at graceful shutdown (a real process sent SIGTERM)', () => {
  let dataDir: string;
  // Periodic digests are off (a day, by time only), so any digest in the log is the shutdown's.
  const env = () => ({ DATA_DIR: dataDir, KEYLEDGER_AUDIT_DIGEST_INTERVAL_MS: '86400000', KEYLEDGER_AUDIT_DIGEST_EVERY_EVENTS: '0', KEYLEDGER_USAGE_FLUSH_MS: '1000' });

  beforeEach(() => (dataDir = mkdtempSync(join(tmpdir(), 'keyledger-shutdown-digest-'))));
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('leaves no unsigned tail after a clean stop, and again after a clean restart', async () => {
    const first = await startServiceProcess(env());
    await someRequests(first.url);
    await first.stopCleanly();
    expect(first.output()).toContain('final audit digest signed');
    const once = await verify(dataDir);
    expect(once).toMatchObject({ ok: true, digestCount: 1, undigestedEventCount: 0 });
    // The usage batch flushed at shutdown (a 1 s flush interval) is covered too.
    expect(once.lastDigest!.toPosition).toBe(once.headPosition - 1);

    const second = await startServiceProcess(env());
    await someRequests(second.url);
    await second.stopCleanly();
    const twice = await verify(dataDir);
    expect(twice).toMatchObject({ ok: true, digestCount: 2, undigestedEventCount: 0 });
    expect(twice.warnings.join(' ')).not.toMatch(/not (yet )?(covered|signed)/i);
  }, 60_000);

  it('a process killed without a chance to stop leaves its tail unsigned (what the final digest prevents)', async () => {
    const killed = await startServiceProcess(env());
    await someRequests(killed.url);
    killed.child.kill('SIGKILL');
    await new Promise((resolve) => killed.child.once('exit', resolve));
    const report = await verify(dataDir);
    expect(report.digestCount).toBe(0);
    expect(report.undigestedEventCount).toBeGreaterThan(0);
  }, 60_000);
});
