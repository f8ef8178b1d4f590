import { testPrincipalOf } from '../support/test-credentials';
import { CreateKeyCommand, DeleteImportedKeyMaterialCommand, ImportKeyMaterialCommand, KMSClient } from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { computeKeyMaterialId } from '@keyledger/crypto';
import { runCli, runCliOk, sleep } from '../../apps/kms-cli/testing/run-cli';
import { getImportParameters } from '../support/byok-flow';
import { wrapForImport } from '../support/client-wrapping';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { operation } from '../support/raw-aws-json';

/** `keyledger audit` and `keyledger state` as separate processes, reading the log of a service that is still running. */
describe('keyledger audit / state', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  const material = randomBytes(32);
  const validTo = new Date(Date.now() + 7 * 86_400_000);
  let keyId: string;
  let arn: string;
  let materialId: string;
  const requestIds: Record<string, string> = {};
  const moments: Record<'beforeCreate' | 'beforeImport' | 'afterImport' | 'afterDelete', string> = {} as never;
  const mark = async (name: keyof typeof moments) => {
    await sleep(15);
    moments[name] = new Date().toISOString();
    await sleep(15);
  };

  beforeAll(async () => {
    kl = await startKeyledger();
    kms = kl.client();
    await mark('beforeCreate');
    const created = await kms.send(new CreateKeyCommand({ Origin: 'EXTERNAL', Description: 'audit me' }));
    keyId = created.KeyMetadata!.KeyId!;
    arn = created.KeyMetadata!.Arn!;
    requestIds.create = created.$metadata.requestId!;
    await mark('beforeImport');
    const params = await getImportParameters(kms, keyId);
    requestIds.parameters = params.$metadata.requestId!;
    const imported = await kms.send(
      new ImportKeyMaterialCommand({
        KeyId: keyId,
        ImportToken: params.ImportToken,
        EncryptedKeyMaterial: wrapForImport('RSAES_OAEP_SHA_256', params.PublicKey!, material),
        ExpirationModel: 'KEY_MATERIAL_EXPIRES',
        ValidTo: validTo,
      }),
    );
    requestIds.import = imported.$metadata.requestId!;
    materialId = imported.KeyMaterialId!;
    await mark('afterImport');
    const deleted = await kl.client({ accessKeyId: 'ops-team' }).send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId }));
    requestIds.delete = deleted.$metadata.requestId!;
    await mark('afterDelete');
  });
  afterAll(() => kl?.destroy());

  it('audit prints the key stream as a timeline: time, revision, event, who, operation, request id, summary', async () => {
    const { stdout, stderr } = await runCliOk(['audit', keyId, '--data-dir', kl.dataDir]);
    expect(stderr).toBe('');
    const lines = stdout.trimEnd().split('\n');
    expect(lines.slice(0, 3)).toEqual([`Key ${keyId}  ${arn}`, `4 events in stream kms-key-${keyId}`, '']);
    expect(lines[3]).toMatch(/^TIME +REV +EVENT +WHO +OPERATION +REQUEST ID +SUMMARY$/);
    const rows = lines.slice(4).map((line) => line.split(/ {2,}/));
    const short = `${materialId.slice(0, 8)}…`;
    expect(rows.map((row) => row.slice(1, 6))).toEqual([
      ['0', 'KeyCreated.v1', 'test', 'CreateKey', requestIds.create],
      ['1', 'ImportParametersIssued.v1', 'test', 'GetParametersForImport', requestIds.parameters],
      ['2', 'KeyMaterialImported.v1', 'test', 'ImportKeyMaterial', requestIds.import],
      ['3', 'KeyMaterialDeleted.v1', 'ops-team', 'DeleteImportedKeyMaterial', requestIds.delete],
    ]);
    expect(rows.map((row) => row[6])).toEqual([
      'created SYMMETRIC_DEFAULT ENCRYPT_DECRYPT origin EXTERNAL "audit me"',
      expect.stringMatching(/^import parameters issued RSA_2048\/RSAES_OAEP_SHA_256 valid to \S+Z \(token [0-9a-f]{8}…\)$/),
      // The master key id's value is checked in master-key-rotation.e2e-spec.ts; here the summary's form.
      expect.stringMatching(new RegExp(`^imported material ${short} EXPIRES ${validTo.toISOString()} wrapped RSA_2048/RSAES_OAEP_SHA_256, sealed under master key [0-9a-f]{16}$`)),
      `material ${short} deleted`,
    ]);
    const times = rows.map((row) => Date.parse(row[0]));
    expect(times[0]).toBeGreaterThan(Date.parse(moments.beforeCreate));
    expect(times[0]).toBeLessThan(Date.parse(moments.beforeImport));
    expect(times[3]).toBeGreaterThan(Date.parse(moments.afterImport));
  });

  it('audit --json gives the same history as audit records, and accepts the key ARN', async () => {
    const { stdout } = await runCliOk(['audit', arn, '--json', '--data-dir', kl.dataDir]);
    const records = JSON.parse(stdout) as Array<Record<string, any>>;
    expect(records.map((r) => [r.revision, r.type, r.requestId, r.operation, r.outcome])).toEqual([
      [0, 'KeyCreated.v1', requestIds.create, 'CreateKey', 'Succeeded'],
      [1, 'ImportParametersIssued.v1', requestIds.parameters, 'GetParametersForImport', 'Succeeded'],
      [2, 'KeyMaterialImported.v1', requestIds.import, 'ImportKeyMaterial', 'Succeeded'],
      [3, 'KeyMaterialDeleted.v1', requestIds.delete, 'DeleteImportedKeyMaterial', 'Succeeded'],
    ]);
    expect(records[3].principal).toEqual({ type: 'User', accountId: '000000000000', accessKeyId: 'ops-team', name: testPrincipalOf('ops-team') });
    expect(records[2].data).toMatchObject({ keyMaterialId: materialId, expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: validTo.toISOString() });
    expect(records[2].summary).toContain(`imported material ${materialId.slice(0, 8)}…`);
    expect(records.every((r) => r.keyId === keyId && r.streamId === `kms-key-${keyId}`)).toBe(true);
  });

  it('audit of a key that does not exist fails with a one-line message', async () => {
    const run = await runCli(['audit', '11111111-2222-4333-8444-555555555555', '--data-dir', kl.dataDir]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^keyledger: Key '11111111-2222-4333-8444-555555555555' not found: stream kms-key-\S+ has no events in .*events\.sqlite\.\n$/);
  });

  const stateAt = async (...args: string[]) => JSON.parse((await runCliOk(['state', keyId, '--data-dir', kl.dataDir, ...args])).stdout);

  it('state --as-of folds the stream up to that moment: PendingImport before the import, Enabled after, PendingImport after the delete', async () => {
    const before = await stateAt('--as-of', moments.beforeImport);
    expect(before).toMatchObject({ AsOf: moments.beforeImport, Revision: 0, KeyMetadata: { KeyId: keyId, KeyState: 'PendingImport', Enabled: false } });
    expect(before.KeyMetadata.CurrentKeyMaterialId).toBeUndefined();

    const imported = await stateAt('--as-of', moments.afterImport);
    expect(imported.Revision).toBe(2);
    expect(imported.KeyMetadata).toMatchObject({
      KeyState: 'Enabled',
      Enabled: true,
      ExpirationModel: 'KEY_MATERIAL_EXPIRES',
      ValidTo: validTo.getTime() / 1000,
      CurrentKeyMaterialId: computeKeyMaterialId(keyId, material),
    });

    const deleted = await stateAt('--as-of', moments.afterDelete);
    expect(deleted.Revision).toBe(3);
    expect(deleted.KeyMetadata).toMatchObject({ KeyState: 'PendingImport', CurrentKeyMaterialId: materialId });
    expect(deleted.KeyMetadata.ExpirationModel).toBeUndefined();
  });

  it('state without --as-of is exactly what DescribeKey answers now', async () => {
    const now = await stateAt();
    const described = JSON.parse((await operation(kl.url, 'DescribeKey', { KeyId: keyId })).text);
    expect(now.KeyMetadata).toEqual(described.KeyMetadata);
    expect(now.Revision).toBe(3);
  });

  it('state --revision stops after that event; with --as-of past ValidTo the material counts as expired', async () => {
    const atImport = await stateAt('--revision', '2');
    expect(atImport.KeyMetadata.KeyState).toBe('Enabled');
    const pastValidTo = new Date(validTo.getTime() + 1000).toISOString();
    const expired = await stateAt('--revision', '2', '--as-of', pastValidTo);
    expect(expired).toMatchObject({ AsOf: pastValidTo, Revision: 2, KeyMetadata: { KeyState: 'PendingImport' } });
  });

  it('state before the key existed, or with a time that is not one, fails with a one-line message', async () => {
    const early = await runCli(['state', keyId, '--as-of', moments.beforeCreate, '--data-dir', kl.dataDir]);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(new RegExp(`^keyledger: Key '${keyId}' did not exist yet at ${moments.beforeCreate} \\(created \\S+\\)\\.\\n$`));
    const garbage = await runCli(['state', keyId, '--as-of', 'yesterday-ish', '--data-dir', kl.dataDir]);
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toContain("--as-of: 'yesterday-ish' is not a time");
  });
});
