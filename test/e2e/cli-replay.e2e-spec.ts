import { CreateKeyCommand, DeleteImportedKeyMaterialCommand } from '@aws-sdk/client-kms';
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, runCliOk } from '../../apps/kms-cli/testing/run-cli';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { readEventLog } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { operation } from '../support/raw-aws-json';

/** What clients see of the read models: DescribeKey of every key and ListKeys, as raw JSON. */
async function readModelAnswers(url: string, keyIds: string[]) {
  const described = [];
  for (const keyId of keyIds) described.push(JSON.parse((await operation(url, 'DescribeKey', { KeyId: keyId })).text));
  const listed = JSON.parse((await operation(url, 'ListKeys', { Limit: 2 })).text);
  return { described, listed };
}

const health = async (url: string) => (await fetch(`${url}/health`)).json() as Promise<{ eventStore: { headPosition: number }; projections: { checkpoint: number } }>;

/** `keyledger replay` as a separate process: rebuild the read models from the log, then serve them. */
describe('keyledger replay', () => {
  let kl: RunningKeyledger;
  let dataDir: string;
  let keyIds: string[];
  let before: Awaited<ReturnType<typeof readModelAnswers>>;
  const otherDir = mkdtempSync(join(tmpdir(), 'keyledger-cli-replay-'));

  beforeAll(async () => {
    kl = await startKeyledger();
    dataDir = kl.dataDir;
    const kms = kl.client();
    const expiring = (await createExternalKey(kms, { Description: 'expiring' })).KeyId!;
    await importMaterial(kms, expiring, randomBytes(32), { import: { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: new Date(Date.now() + 86_400_000) } });
    const deleted = (await createExternalKey(kms, { Description: 'deleted' })).KeyId!;
    await importMaterial(kms, deleted, randomBytes(32));
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: deleted }));
    const pending = (await createExternalKey(kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' })).KeyId!;
    const generated = (await kms.send(new CreateKeyCommand({ Description: 'generated' }))).KeyMetadata!.KeyId!;
    keyIds = [expiring, deleted, pending, generated];
    before = await readModelAnswers(kl.url, keyIds);
    expect(before.described.map((d) => d.KeyMetadata.KeyState)).toEqual(['Enabled', 'PendingImport', 'PendingImport', 'Enabled']);
  });
  afterAll(async () => {
    await kl?.destroy();
    rmSync(otherDir, { recursive: true, force: true });
  });

  it('refuses to replace read models a running service has open, and leaves nothing behind', async () => {
    const run = await runCli(['replay', '--data-dir', dataDir]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`keyledger: ${join(dataDir, 'read-models.sqlite')} is in use (is the service running?). Stop the service, run the replay, then start it again.\n`);
    expect(readdirSync(dataDir).filter((name) => name.includes('replay'))).toEqual([]);
  });

  it('rebuilds every projection from the log; the restarted service answers exactly as before', async () => {
    await kl.stop();
    const events = readEventLog(dataDir).length;
    // The audit trail lists every event but the log digests (the stop signed a final one).
    const audited = readEventLog(dataDir).filter((e) => e.type !== 'LogDigest.v1').length;
    // Damage the read models, so only a real rebuild can give the old answers back.
    const damaged = new Database(join(dataDir, 'read-models.sqlite'));
    damaged.exec("UPDATE key_summaries SET state = '{}'; DELETE FROM material_expiry_schedule; DELETE FROM audit_entries;");
    damaged.close();

    const { stdout } = await runCliOk(['replay', '--data-dir', dataDir]);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(new RegExp(`^replayed ${events} events \\(log head ${events}\\) in \\d+\\.\\d\\d s: [\\d,]+ events/s$`));
    expect(lines.slice(1)).toEqual([
      `projections: keys, aliases, audit, usage -> ${join(dataDir, 'read-models.sqlite')}`,
      `rows: aliases 0, audit_entries ${audited}, key_summaries 4, material_expiry_schedule 1, usage_groups 0`,
      'start the service to serve them; it catches up from the log head above.',
    ]);
    expect(readdirSync(dataDir).filter((name) => name.includes('replay'))).toEqual([]);

    kl = await startKeyledger({ dataDir });
    expect(await readModelAnswers(kl.url, keyIds)).toEqual(before);
    expect((await health(kl.url)).projections.checkpoint).toBe(events);
    await kl.stop();
  });

  it('--read-models builds another file, which a service started with KEYLEDGER_READ_MODELS_FILE serves', async () => {
    const file = join(otherDir, 'rebuilt.sqlite');
    const { stdout } = await runCliOk(['replay', '--data-dir', dataDir, '--read-models', file, '--no-progress']);
    expect(stdout).toContain(`projections: keys, aliases, audit, usage -> ${file}`);
    expect(readdirSync(otherDir)).toEqual(['rebuilt.sqlite']);
    kl = await startKeyledger({ dataDir, env: { KEYLEDGER_READ_MODELS_FILE: file } });
    expect(await readModelAnswers(kl.url, keyIds)).toEqual(before);
  });
});
