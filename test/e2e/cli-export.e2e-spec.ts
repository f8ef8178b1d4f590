import { CreateKeyCommand, DeleteImportedKeyMaterialCommand, KMSClient } from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NO_STREAM, SqliteEventStore } from '@keyledger/event-store';
import { parseCsv, runCli, runCliOk, sleep } from '../../apps/kms-cli/testing/run-cli';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { LoggedEvent, readEventLog } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';

const CSV_HEADER = [
  'position', 'stream_id', 'revision', 'key_id', 'type', 'time', 'recorded_at', 'principal', 'principal_type', 'account_id',
  'region', 'request_id', 'correlation_id', 'operation', 'outcome', 'error_type', 'error_message', 'data',
];

/** `keyledger export` as a separate process over the log of a running service, refusals included. */
describe('keyledger export', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  let imported: string;
  let generated: string;
  let log: LoggedEvent[];
  const window: { from?: string; to?: string } = {};
  const outDir = mkdtempSync(join(tmpdir(), 'keyledger-cli-export-'));
  const exportRows = async (...args: string[]) =>
    (await runCliOk(['export', '--data-dir', kl.dataDir, ...args])).stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line));

  beforeAll(async () => {
    kl = await startKeyledger();
    kms = kl.client();
    imported = (await createExternalKey(kms, { Description: 'billing, "EU"\nline two' })).KeyId!;
    await importMaterial(kms, imported, randomBytes(32));
    generated = (await kms.send(new CreateKeyCommand({ Description: 'generated' }))).KeyMetadata!.KeyId!;
    await sleep(15);
    window.from = new Date().toISOString();
    await sleep(15);
    await kl.client({ accessKeyId: 'ops-team' }).send(new DeleteImportedKeyMaterialCommand({ KeyId: imported }));
    await sleep(15);
    window.to = new Date().toISOString();
    await sleep(15);
    // A refused request as libs/audit records it (audit-streams.ts): a stream of refusals per key, outside the key's stream.
    const store = new SqliteEventStore({ filename: join(kl.dataDir, 'events.sqlite') });
    await store.appendToStream(
      `kms-refusals-${imported}`,
      [
        {
          type: 'RequestRefused.v1',
          data: {
            operation: 'ImportKeyMaterial',
            keyId: imported,
            requestedKeyId: imported,
            parameters: { expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' },
            errorType: 'IncorrectKeyMaterialException',
            errorMessage: 'The key material does not match.',
          },
          metadata: {
            accountId: '000000000000',
            region: 'us-east-1',
            principal: { type: 'User', accountId: '000000000000', accessKeyId: 'intruder' },
            requestId: 'req-refused-1',
            correlationId: 'req-refused-1',
            causationId: 'req-refused-1',
            operation: 'ImportKeyMaterial',
            timestamp: new Date().toISOString(),
          },
        },
      ],
      NO_STREAM,
    );
    await store.close();
    log = readEventLog(kl.dataDir);
  });
  afterAll(async () => {
    await kl?.destroy();
    rmSync(outDir, { recursive: true, force: true });
  });

  it('exports every event of the log as JSON Lines, in log order, with stream, revision, who, request and payload', async () => {
    const rows = await exportRows();
    expect(rows).toHaveLength(log.length);
    expect(rows.map((r) => [r.position, r.streamId, r.revision, r.type])).toEqual(log.map((e) => [e.position, e.streamId, e.revision, e.type]));
    expect(rows.map((r) => r.data)).toEqual(log.map((e) => e.data));
    expect(rows.map((r) => r.requestId)).toEqual(log.map((e) => e.metadata.requestId));
    expect(rows.map((r) => r.time)).toEqual(log.map((e) => e.metadata.timestamp));
    const refusal = rows[rows.length - 1];
    expect(refusal).toMatchObject({
      streamId: `kms-refusals-${imported}`,
      keyId: imported,
      outcome: 'Refused',
      errorType: 'IncorrectKeyMaterialException',
      errorMessage: 'The key material does not match.',
      principalName: 'intruder',
      operation: 'ImportKeyMaterial',
    });
    expect(rows.slice(0, -1).every((r) => r.outcome === 'Succeeded')).toBe(true);
  });

  it('exports CSV (RFC 4180) with a header and one record per event; awkward payloads survive the round trip', async () => {
    const { stdout } = await runCliOk(['export', '--format', 'csv', '--data-dir', kl.dataDir]);
    const [header, ...records] = parseCsv(stdout);
    expect(header).toEqual(CSV_HEADER);
    expect(records).toHaveLength(log.length);
    const column = (name: string) => records.map((record) => record[CSV_HEADER.indexOf(name)]);
    expect(column('position')).toEqual(log.map((e) => String(e.position)));
    expect(column('type')).toEqual(log.map((e) => e.type));
    expect(column('data').map((data) => JSON.parse(data))).toEqual(log.map((e) => e.data));
    expect(column('principal')).toContain('ops-team');
    expect(column('outcome').filter((o) => o === 'Refused')).toHaveLength(1);
  });

  it('filters by key (refusals about the key included), type, principal and time window', async () => {
    const byKey = await exportRows('--key', imported);
    expect(byKey.map((r) => r.type)).toEqual([
      'KeyCreated.v1',
      'ImportParametersIssued.v1',
      'KeyMaterialImported.v1',
      'KeyMaterialDeleted.v1',
      'RequestRefused.v1',
    ]);
    expect((await exportRows('--key', generated)).map((r) => r.type)).toEqual(['KeyCreated.v1']);

    const byType = await exportRows('--type', 'KeyCreated,KeyMaterialDeleted.v1');
    expect(byType.map((r) => [r.type, r.keyId])).toEqual([
      ['KeyCreated.v1', imported],
      ['KeyCreated.v1', generated],
      ['KeyMaterialDeleted.v1', imported],
    ]);

    const byPrincipal = await exportRows('--principal', 'ops-team');
    expect(byPrincipal.map((r) => [r.type, r.operation])).toEqual([['KeyMaterialDeleted.v1', 'DeleteImportedKeyMaterial']]);

    const inWindow = await exportRows('--from', window.from!, '--to', window.to!);
    expect(inWindow.map((r) => r.type)).toEqual(['KeyMaterialDeleted.v1']);
    const { stdout } = await runCliOk(['export', '--format', 'csv', '--from', window.to!, '--data-dir', kl.dataDir]);
    expect(parseCsv(stdout).slice(1).map((record) => record[4])).toEqual(['RequestRefused.v1']);
  });

  it('--out writes the file whole and reports the count on stderr', async () => {
    const file = join(outDir, 'trail.csv');
    const run = await runCliOk(['export', '--format', 'csv', '--out', file, '--data-dir', kl.dataDir]);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`exported ${log.length} events to ${file}\n`);
    expect(parseCsv(readFileSync(file, 'utf8'))).toHaveLength(log.length + 1);
    expect(readdirSync(outDir)).toEqual(['trail.csv']);
  });

  it('an --out it cannot write is one line and exit code 1, with nothing left behind', async () => {
    const notADirectory = join(outDir, 'plain-file');
    writeFileSync(notADirectory, 'x');
    const cases: Array<[string[], string]> = [
      [['--out', join(outDir, 'missing', 'trail.csv')], `--out: cannot write ${join(outDir, 'missing', 'trail.csv')}: ENOENT (no such file or directory)`],
      [['--out', outDir], `--out: cannot write ${outDir}: EISDIR (illegal operation on a directory)`],
      [['--format', 'cloudtrail', '--out', notADirectory], `--out: cannot write ${notADirectory}: ENOTDIR (not a directory)`],
    ];
    for (const [args, message] of cases) {
      const run = await runCli(['export', ...args, '--data-dir', kl.dataDir]);
      expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 1, stderr: `keyledger: ${message}\n` });
    }
    expect(readdirSync(outDir).sort()).toEqual(['plain-file', 'trail.csv']);
    rmSync(notADirectory);
  });

  it("audit shows refused requests about the key in its timeline, without a revision of the key's stream", async () => {
    const { stdout } = await runCliOk(['audit', imported, '--data-dir', kl.dataDir]);
    const lines = stdout.trimEnd().split('\n');
    expect(lines[1]).toBe(`4 events in stream kms-key-${imported}, 1 refused request`);
    expect(lines[lines.length - 1].split(/ {2,}/).slice(1)).toEqual([
      '-',
      'RequestRefused.v1',
      'intruder',
      'ImportKeyMaterial',
      'req-refused-1',
      'refused: IncorrectKeyMaterialException "The key material does not match."',
    ]);
    expect(lines[4]).toContain('created SYMMETRIC_DEFAULT ENCRYPT_DECRYPT origin EXTERNAL "billing, \\"EU\\"\\nline two"');
  });
});
