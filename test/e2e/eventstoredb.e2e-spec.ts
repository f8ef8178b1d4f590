import { CreateKeyCommand, DecryptCommand, DeleteImportedKeyMaterialCommand, DescribeKeyCommand, EncryptCommand, ImportKeyMaterialCommand, KMSClient, ListKeysCommand } from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { usageRecordsOf } from '../../libs/application/src/usage/usage-batch';
import { EventStoreDbDouble, startEventStoreDbDouble } from '../../libs/event-store/src/testing/eventstoredb-double';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { eventually } from '../support/event-log';
import { readEventStoreDbLog } from '../support/eventstoredb-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { expectOk, restClient, sigV4 } from '../support/rest-client';
import { fetchAllUsage, fetchUsage } from '../support/usage';

const describeKey = async (kms: KMSClient, keyId: string) => (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;

/**
 * The whole service on the EventStoreDB adapters (log and vault), driven with the AWS SDK. The server is the
 * in-process protocol DOUBLE (libs/event-store/src/testing/eventstoredb-double) speaking gRPC to the real
 * @eventstore/db-client; see docs/eventstoredb.md for running the adapter suite against a real server.
 */
describe('Keyledger on EventStoreDB (protocol double)', () => {
  let double: EventStoreDbDouble;
  let kl: RunningKeyledger;
  const env = () => ({ KEYLEDGER_EVENTSTORE_URL: double.connectionString, KEYLEDGER_MASTER_KEY: masterKey, KEYLEDGER_INSTANCE_ID: 'e2e-instance' });
  const masterKey = randomBytes(32).toString('base64');

  beforeAll(async () => {
    double = await startEventStoreDbDouble();
    kl = await startKeyledger({ env: env() });
  });
  afterAll(async () => {
    await kl?.destroy();
    await double?.stop();
  });

  it('runs the BYOK flow with the log and the vault on EventStoreDB, and survives a restart with fresh read models', async () => {
    const kms = kl.client();
    const health = (await (await fetch(`${kl.url}/health`)).json()) as { eventStore: { kind: string } };
    expect(health.eventStore.kind).toBe('eventstoredb');

    const material = randomBytes(32);
    const key = await createExternalKey(kms);
    const imported = await importMaterial(kms, key.KeyId!, material, { import: { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: new Date(Date.now() + 86400_000) } });
    expect(await describeKey(kms, key.KeyId!)).toMatchObject({ KeyState: 'Enabled', CurrentKeyMaterialId: imported.KeyMaterialId });
    const ciphertext = (await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('on eventstoredb') }))).CiphertextBlob;
    const generated = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;

    const log = await readEventStoreDbLog(double.connectionString);
    expect(log.filter((e) => e.streamId === `kms-key-${key.KeyId}`).map((e) => e.type)).toEqual([
      'KeyCreated.v1',
      'ImportParametersIssued.v1',
      'KeyMaterialImported.v1',
    ]);
    // Nothing secret reached the server's log.
    const everything = JSON.stringify(log);
    for (const secret of [material.toString('base64'), material.toString('hex')]) expect(everything).not.toContain(secret);

    // A new instance with an empty data directory rebuilds its read models from EventStoreDB and reads the
    // shared vault.
    const before = [await describeKey(kms, key.KeyId!), await describeKey(kms, generated.KeyId!)];
    await kl.destroy();
    kl = await startKeyledger({ env: env() });
    const again = kl.client();
    await eventually(() => describeKey(again, key.KeyId!).catch(() => undefined), (m) => m !== undefined);
    expect([await describeKey(again, key.KeyId!), await describeKey(again, generated.KeyId!)]).toEqual(before);
    const decrypted = await again.send(new DecryptCommand({ CiphertextBlob: ciphertext }));
    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('on eventstoredb');

    // Deletion shreds the material in the EventStoreDB vault: after it, the same material must be imported again.
    await again.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
    await expect(again.send(new DecryptCommand({ CiphertextBlob: ciphertext }))).rejects.toMatchObject({ name: 'KMSInvalidStateException' });
    await importMaterial(again, key.KeyId!, material);
    expect(Buffer.from((await again.send(new DecryptCommand({ CiphertextBlob: ciphertext }))).Plaintext!).toString()).toBe('on eventstoredb');
  });

  it("publishes each instance's projection checkpoint to EventStoreDB", async () => {
    const { EventStoreDbCheckpointStore } = await import('@keyledger/event-store');
    const health = async () => ((await (await fetch(`${kl.url}/health`)).json()) as { projections: { checkpoint: number } }).projections.checkpoint;
    const published = new EventStoreDbCheckpointStore({ connectionString: double.connectionString, instanceId: 'e2e-instance' });
    try {
      const seen = await eventually(
        async () => ({ published: await published.read(), checkpoint: await health() }),
        ({ published: p, checkpoint }) => p > 0 && p === checkpoint,
      );
      expect(seen.published).toBeGreaterThan(0);
    } finally {
      await published.close();
    }
  });

  it("serves the audit trail from its own index and the events EventStoreDB holds at the indexed positions", async () => {
    const kms = kl.client();
    const key = await createExternalKey(kms);
    await importMaterial(kms, key.KeyId!, randomBytes(32));
    const forged = new ImportKeyMaterialCommand({ KeyId: key.KeyId, ImportToken: randomBytes(64), EncryptedKeyMaterial: randomBytes(256), ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    await expect(kms.send(forged)).rejects.toMatchObject({ name: 'InvalidImportTokenException' });
    const stream = (await readEventStoreDbLog(double.connectionString)).filter((e) => e.streamId === `kms-key-${key.KeyId}`);
    const rest = restClient(kl.url, sigV4('test'));
    const trail = await eventually(
      async () => expectOk(await rest.get(`/v1/audit?keyId=${key.KeyId}&limit=2`)),
      (page) => page.records.length === 2,
    );
    // Positions, streams and event data are the log's own (positions on EventStoreDB are sparse commit positions).
    expect(trail.records.map((r: { position: number; streamId: string; type: string; data: unknown }) => [r.position, r.streamId, r.type, r.data])).toEqual(
      stream.slice(0, 2).map((e) => [e.position, e.streamId, e.type, e.data]),
    );
    const next = await eventually(
      async () => expectOk(await rest.get(`/v1/audit?keyId=${key.KeyId}&afterPosition=${trail.nextAfterPosition}`)),
      (page) => page.records.length === 2,
    );
    expect(next.records.map((r: { type: string }) => r.type)).toEqual(['KeyMaterialImported.v1', 'RequestRefused.v1']);
    expect(next.records[0]).toMatchObject({ position: stream[2].position, outcome: 'Succeeded', operation: 'ImportKeyMaterial', principal: { accessKeyId: 'test' } });
    expect(next.records[1]).toMatchObject({ outcome: 'Refused', operation: 'ImportKeyMaterial', errorType: 'InvalidImportTokenException' });
  });

  it("serves a key's usage log from its index and the usage batches EventStoreDB holds", async () => {
    const kms = kl.client();
    const key = (await kms.send(new CreateKeyCommand({ Description: 'usage on eventstoredb' }))).KeyMetadata!;
    const requestIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const encrypted = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from(`use ${i}`), EncryptionContext: i === 2 ? { purpose: 'e2e' } : undefined }));
      requestIds.push(encrypted.$metadata.requestId!);
    }
    // The usage endpoint flushes the recorder first: all three uses, oldest first, in two pages.
    const first = await fetchUsage(kl.url, key.KeyId!, { limit: 2 });
    expect(first.status).toBe(200);
    expect(first.body.records.map((r) => r.requestId)).toEqual(requestIds.slice(0, 2));
    const all = await fetchAllUsage(kl.url, key.KeyId!, { limit: 2 });
    expect(all.map((r) => r.requestId)).toEqual(requestIds);
    // Each record is the one in the KeyUsageRecorded.v2 batch on the server, read back from it.
    const batches = (await readEventStoreDbLog(double.connectionString)).filter((e) => e.streamId.startsWith('kms-usage-'));
    expect(batches.every((e) => e.type === 'KeyUsageRecorded.v2')).toBe(true);
    const logged = batches.flatMap((e) => (usageRecordsOf(e) ?? []) as Array<Record<string, unknown>>).filter((r) => r.keyId === key.KeyId);
    expect(all.map(({ cursor: _cursor, ...record }) => record)).toEqual(
      logged.map(({ accountId: _account, region: _region, ...record }) => record),
    );
    expect(all[2].encryptionContextHash).toMatch(/^[0-9a-f]{64}$/);
    expect(key.CurrentKeyMaterialId).toMatch(/^[0-9a-f]{64}$/);
    expect(all[0]).toMatchObject({ operation: 'Encrypt', outcome: 'Succeeded', principal: { accessKeyId: 'test' }, keyMaterialId: key.CurrentKeyMaterialId });
  });

  it('keeps its read models current after the server drops the subscription', async () => {
    const kms = kl.client();
    const before = (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys!.length;
    expect(double.dropSubscriptions()).toBeGreaterThan(0);
    const created = [];
    for (let i = 0; i < 3; i++) created.push((await kms.send(new CreateKeyCommand({ Description: `after drop ${i}` }))).KeyMetadata!.KeyId);
    const listed = (await kms.send(new ListKeysCommand({ Limit: 1000 }))).Keys!.map((k) => k.KeyId);
    expect(listed).toHaveLength(before + 3);
    expect(listed.slice(-3)).toEqual(created);
  });
});
