import {
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  KMSClient,
  ListAliasesCommand,
  ListKeyRotationsCommand,
  ListResourceTagsCommand,
  ScheduleKeyDeletionCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { computeKeyMaterialId, decryptWithKeyMaterial } from '@keyledger/crypto';
import { runCliOk } from '../../apps/kms-cli/testing/run-cli';
import { eventually, readEventLog } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { expectKmsError } from '../support/kms-error-assertions';

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const DAY_MS = 86_400_000;

interface Seeded {
  action: string;
  description: string;
  keyId: string;
  keyMaterialId?: string;
  keyState: string;
  changes: string[];
}

/**
 * `keyledger seed` declaring the key lifecycle (aliases, tags, a disabled key, keys rotated on demand) against a
 * running service, checked through the AWS SDK; then `audit` and `state` read what it did from the log.
 */
describe('keyledger seed / audit / state: aliases, tags, enabled state and rotation', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  const dir = mkdtempSync(join(tmpdir(), 'keyledger-cli-lifecycle-'));
  const seedFile = join(dir, 'seed.json');
  const outFile = join(dir, 'seeded.json');
  const payments = randomBytes(32);
  const legacy = randomBytes(32);
  const firstMaterial = randomBytes(32);
  const rotationMaterial = randomBytes(32);
  const seeded = () => (JSON.parse(readFileSync(outFile, 'utf8')) as { keys: Seeded[] }).keys;
  const keyOf = (description: string) => seeded().find((k) => k.description === description)!;
  const seed = () => runCliOk(['seed', seedFile, '--endpoint-url', kl.url, '--out', outFile]);
  const cli = async (...args: string[]) => (await runCliOk([...args, '--data-dir', kl.dataDir])).stdout;
  /** The timeline's rows as [REV, EVENT, SUMMARY]. */
  const timeline = async (keyId: string) =>
    (await cli('audit', keyId))
      .trimEnd()
      .split('\n')
      .slice(4)
      .map((line) => line.split(/ {2,}/))
      .map((cells) => [cells[1], cells[2], cells[cells.length - 1]]);
  const state = async (keyId: string, ...args: string[]) => JSON.parse(await cli('state', keyId, ...args));

  beforeAll(async () => {
    kl = await startKeyledger();
    kms = kl.client();
    const file = {
      keys: [
        { description: 'payments', material: { hex: payments.toString('hex') }, aliases: ['alias/payments', 'alias/payments-current'], tags: { env: 'prod', team: 'pay' } },
        { description: 'legacy', material: { base64: legacy.toString('base64') }, enabled: false },
        {
          description: 'rotated-external',
          material: { hex: firstMaterial.toString('hex') },
          rotateOnDemand: true,
          rotationMaterial: { hex: rotationMaterial.toString('hex') },
          aliases: ['alias/rotated'],
        },
        { description: 'rotated-generated', origin: 'AWS_KMS', rotateOnDemand: true, tags: { env: 'dev' } },
      ],
    };
    writeFileSync(seedFile, JSON.stringify(file, null, 2));
  });
  afterAll(async () => {
    await kl?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('seed creates the keys and applies aliases, tags, the disabled state and the rotations, and says so', async () => {
    const run = await seed();
    expect(run.stderr).toBe('');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(new RegExp(`^created {4}${UUID} {2}SYMMETRIC_DEFAULT {2}material [0-9a-f]{8}… {2}never expires {2}"payments" {2}\\[tagged env=prod, team=pay; created alias/payments; created alias/payments-current\\]$`));
    expect(lines[1]).toMatch(/ {2}"legacy" {2}\[disabled\]$/);
    const rotated = keyOf('rotated-external');
    const rotatedId = computeKeyMaterialId(rotated.keyId, rotationMaterial);
    const firstId = computeKeyMaterialId(rotated.keyId, firstMaterial);
    expect(lines[2]).toContain(
      `  material ${rotatedId.slice(0, 8)}…  never expires  "rotated-external"  [imported rotation material ${rotatedId.slice(0, 8)}…; rotated on demand to ${rotatedId.slice(0, 8)}… (was ${firstId.slice(0, 8)}…); created alias/rotated]`,
    );
    expect(lines[3]).toMatch(/ {2}"rotated-generated" {2}\[rotated on demand to [0-9a-f]{8}… \(was [0-9a-f]{8}…\); tagged env=dev\]$/);
    expect(seeded().map((k) => [k.action, k.keyState])).toEqual([
      ['created', 'Enabled'],
      ['created', 'Disabled'],
      ['created', 'Enabled'],
      ['created', 'Enabled'],
    ]);
  });

  it('the service holds what the file declares, as the AWS SDK sees it', async () => {
    const paymentsKey = keyOf('payments').keyId;
    const aliases = (await kms.send(new ListAliasesCommand({}))).Aliases!.map((a) => [a.AliasName, a.TargetKeyId]).sort();
    expect(aliases).toEqual([
      ['alias/payments', paymentsKey],
      ['alias/payments-current', paymentsKey],
      ['alias/rotated', keyOf('rotated-external').keyId],
    ]);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/payments' }))).KeyMetadata!.KeyId).toBe(paymentsKey);
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: paymentsKey }))).Tags).toEqual([
      { TagKey: 'env', TagValue: 'prod' },
      { TagKey: 'team', TagValue: 'pay' },
    ]);

    const legacyKey = keyOf('legacy').keyId;
    expect((await kms.send(new DescribeKeyCommand({ KeyId: legacyKey }))).KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false });
    await expectKmsError(kms.send(new EncryptCommand({ KeyId: legacyKey, Plaintext: Buffer.from('x') })), 'DisabledException', /is disabled/);

    // The EXTERNAL key was rotated to the second material: it encrypts with those bytes now, and lists one rotation.
    const rotated = keyOf('rotated-external').keyId;
    expect((await kms.send(new DescribeKeyCommand({ KeyId: rotated }))).KeyMetadata!.CurrentKeyMaterialId).toBe(computeKeyMaterialId(rotated, rotationMaterial));
    const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: 'alias/rotated', Plaintext: Buffer.from('after rotation') }));
    expect(decryptWithKeyMaterial({ ciphertext: Buffer.from(CiphertextBlob!), material: rotationMaterial, encryptionContext: {} })!.toString()).toBe('after rotation');
    const externalRotations = (await kms.send(new ListKeyRotationsCommand({ KeyId: rotated, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }))).Rotations!;
    expect(externalRotations.map((r) => [r.KeyMaterialId, r.KeyMaterialState, r.ImportState, r.RotationType])).toEqual([
      [computeKeyMaterialId(rotated, firstMaterial), 'NON_CURRENT', 'IMPORTED', undefined],
      [computeKeyMaterialId(rotated, rotationMaterial), 'CURRENT', 'IMPORTED', 'ON_DEMAND'],
    ]);

    const generated = keyOf('rotated-generated').keyId;
    const generatedRotations = (await kms.send(new ListKeyRotationsCommand({ KeyId: generated }))).Rotations!;
    expect(generatedRotations.map((r) => [r.KeyMaterialId, r.RotationType])).toEqual([[keyOf('rotated-generated').keyMaterialId, 'ON_DEMAND']]);
    expect((await kms.send(new ListResourceTagsCommand({ KeyId: generated }))).Tags).toEqual([{ TagKey: 'env', TagValue: 'dev' }]);
  });

  it('is idempotent: a second run reports every key unchanged and appends no event', async () => {
    // Let the usage records of the calls above reach the log first: they are written in batches.
    let lastLength = -1;
    await eventually(
      async () => {
        await new Promise((r) => setTimeout(r, 150));
        const length = readEventLog(kl.dataDir).length;
        const settled = length === lastLength;
        lastLength = length;
        return settled;
      },
      Boolean,
    );
    const before = readEventLog(kl.dataDir);
    const ids = seeded().map((k) => k.keyId);
    const run = await seed();
    expect(run.stdout.trimEnd().split('\n').map((line) => line.split(/ +/).slice(0, 2))).toEqual(ids.map((id) => ['unchanged', id]));
    expect(run.stdout).not.toContain('[');
    expect(seeded().map((k) => [k.action, k.changes])).toEqual(ids.map(() => ['unchanged', []]));
    expect(readEventLog(kl.dataDir)).toEqual(before);
  });

  it('audit shows the new events readably, alias events included', async () => {
    const paymentsKey = keyOf('payments').keyId;
    const rows = await timeline(paymentsKey);
    expect(rows.slice(-3)).toEqual([
      ['3', 'KeyTagged.v1', 'tagged env=prod, team=pay'],
      ['-', 'AliasCreated.v1', `created alias alias/payments for key ${paymentsKey}`],
      ['-', 'AliasCreated.v1', `created alias alias/payments-current for key ${paymentsKey}`],
    ]);
    expect((await cli('audit', paymentsKey)).split('\n')[1]).toBe(`4 events in stream kms-key-${paymentsKey}, 2 alias events`);

    expect((await timeline(keyOf('legacy').keyId)).slice(-2)).toEqual([
      ['2', 'KeyMaterialImported.v1', expect.stringMatching(/^imported material [0-9a-f]{8}… DOES NOT EXPIRE wrapped RSA_2048\/RSAES_OAEP_SHA_256, sealed under master key [0-9a-f]{16}$/)],
      ['3', 'KeyDisabled.v1', 'disabled the key'],
    ]);

    const rotated = keyOf('rotated-external').keyId;
    const [first, second] = [firstMaterial, rotationMaterial].map((m) => `${computeKeyMaterialId(rotated, m).slice(0, 8)}…`);
    expect((await timeline(rotated)).slice(3)).toEqual([
      ['3', 'ImportParametersIssued.v1', expect.stringMatching(/^import parameters issued /)],
      ['4', 'KeyMaterialImported.v1', expect.stringMatching(new RegExp(`^imported material ${second} as PENDING_ROTATION DOES NOT EXPIRE wrapped RSA_2048/RSAES_OAEP_SHA_256, sealed under master key [0-9a-f]{16}$`))],
      ['5', 'KeyMaterialRotated.v1', `rotated key material on demand: ${second} (was ${first})`],
      ['-', 'AliasCreated.v1', `created alias alias/rotated for key ${rotated}`],
    ]);

    const generated = await timeline(keyOf('rotated-generated').keyId);
    expect(generated.map((row) => row[1])).toEqual(['KeyCreated.v1', 'KeyMaterialRotated.v1', 'KeyTagged.v1']);
    expect(generated[1][2]).toMatch(new RegExp(`^rotated key material on demand: ${keyOf('rotated-generated').keyMaterialId!.slice(0, 8)}… sealed under master key [0-9a-f]{16} \\(was [0-9a-f]{8}…\\)$`));
  });

  it('state --as-of before the disable shows Enabled; now it shows Disabled, with tags, aliases and rotation', async () => {
    const legacyKey = keyOf('legacy').keyId;
    const records = JSON.parse(await cli('audit', legacyKey, '--json')) as Array<{ type: string; time: string }>;
    const disabledAt = Date.parse(records.find((r) => r.type === 'KeyDisabled.v1')!.time);
    const before = await state(legacyKey, '--as-of', new Date(disabledAt - 1).toISOString());
    expect(before).toMatchObject({ Revision: 2, KeyMetadata: { KeyState: 'Enabled', Enabled: true } });
    expect((await state(legacyKey)).KeyMetadata).toMatchObject({ KeyState: 'Disabled', Enabled: false });

    const payments = await state(keyOf('payments').keyId);
    expect(payments).toMatchObject({
      Tags: [{ TagKey: 'env', TagValue: 'prod' }, { TagKey: 'team', TagValue: 'pay' }],
      Aliases: ['alias/payments', 'alias/payments-current'],
      KeyRotationStatus: { KeyRotationEnabled: false, OnDemandRotations: 0 },
    });
    const rotated = await state(keyOf('rotated-external').keyId);
    expect(rotated.KeyRotationStatus).toEqual({ KeyRotationEnabled: false, OnDemandRotations: 1 });
    expect(rotated.KeyMaterials.map((m: { KeyMaterialState: string }) => m.KeyMaterialState)).toEqual(['NON_CURRENT', 'CURRENT']);
  });

  it('brings keys that drifted back in line: re-imports lost material, re-tags, moves the alias back, disables again', async () => {
    const [paymentsKey, legacyKey, rotated] = ['payments', 'legacy', 'rotated-external'].map((d) => keyOf(d).keyId);
    await kms.send(new UpdateAliasCommand({ AliasName: 'alias/payments', TargetKeyId: legacyKey }));
    await kms.send(new UntagResourceCommand({ KeyId: paymentsKey, TagKeys: ['team'] }));
    await kms.send(new EnableKeyCommand({ KeyId: legacyKey }));
    const firstId = computeKeyMaterialId(rotated, firstMaterial);
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: rotated, KeyMaterialId: firstId }));
    expect((await kms.send(new DescribeKeyCommand({ KeyId: rotated }))).KeyMetadata!.KeyState).toBe('PendingImport');

    const run = await seed();
    expect(run.stdout.trimEnd().split('\n').map((line) => line.replace(/^.*" {2}|^.*"$/, ''))).toEqual([
      `[tagged team=pay; moved alias/payments from key ${legacyKey}]`,
      '[disabled]',
      '',
      '',
    ]);
    expect(seeded().map((k) => [k.description, k.action, k.keyState])).toEqual([
      ['payments', 'updated', 'Enabled'],
      ['legacy', 'updated', 'Disabled'],
      ['rotated-external', 'imported', 'Enabled'],
      ['rotated-generated', 'unchanged', 'Enabled'],
    ]);
    expect((await kms.send(new DescribeKeyCommand({ KeyId: 'alias/payments' }))).KeyMetadata!.KeyId).toBe(paymentsKey);
    const materials = (await kms.send(new ListKeyRotationsCommand({ KeyId: rotated, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }))).Rotations!;
    expect(materials.map((m) => [m.KeyMaterialId, m.ImportState])).toEqual([
      [firstId, 'IMPORTED'],
      [computeKeyMaterialId(rotated, rotationMaterial), 'IMPORTED'],
    ]);
    const reimport = (await timeline(rotated)).slice(-2);
    expect(reimport).toEqual([
      [expect.any(String), 'ImportParametersIssued.v1', expect.any(String)],
      [expect.any(String), 'KeyMaterialImported.v1', expect.stringMatching(new RegExp(`^re-imported material ${firstId.slice(0, 8)}… as NON_CURRENT DOES NOT EXPIRE \\(EXISTING_KEY_MATERIAL\\)`))],
    ]);
    expect((await seed()).stdout).not.toContain('[');
  });

  it('a key scheduled for deletion is PendingDeletion with its DeletionDate, and once deleted the CLI says so', async () => {
    const rotated = keyOf('rotated-external').keyId;
    const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: rotated, PendingWindowInDays: 7 }));
    const pending = await state(rotated);
    expect(pending.KeyMetadata).toMatchObject({ KeyState: 'PendingDeletion', DeletionDate: scheduled.DeletionDate!.getTime() / 1000 });

    // Past the deletion date: the maintenance job deletes the key (shredding both materials) and then its alias.
    kl.clock.advance(7 * DAY_MS + 60_000);
    await eventually(
      () => readEventLog(kl.dataDir).filter((e) => e.type === 'AliasDeleted.v1'),
      (events) => events.length === 1,
    );
    const rows = await timeline(rotated);
    const scheduledAt = rows.findIndex((row) => row[1] === 'KeyDeletionScheduled.v1');
    expect(rows.slice(-3)).toEqual([
      [rows[scheduledAt][0], 'KeyDeletionScheduled.v1', `scheduled deletion for ${scheduled.DeletionDate!.toISOString()} (7 days)`],
      [String(Number(rows[scheduledAt][0]) + 1), 'KeyDeleted.v1', 'deleted the key and shredded 2 key materials'],
      ['-', 'AliasDeleted.v1', `deleted alias alias/rotated with its key ${rotated}`],
    ]);
    // The service's clock was moved on; the CLI's `now` is the real one, so ask as of the service's now.
    const gone = await state(rotated, '--as-of', new Date(kl.clock.now()).toISOString());
    expect(gone).toMatchObject({ KeyMetadata: { KeyState: 'Deleted', Enabled: false }, Aliases: [], Deleted: { KeyMaterialsShredded: 2 } });
    await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: rotated })), 'NotFoundException', /does not exist/);
  });
});
