import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BACKWARDS, END, EventStoreDBClient, FORWARDS, START, StreamNotFoundError } from '@eventstore/db-client';
import { DecryptCommand, DeleteImportedKeyMaterialCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { MasterKey, MaterialSealer, sealedMaterialMasterKeyId } from '@keyledger/crypto';
import { EventStoreDbEventStore } from '@keyledger/event-store';
import { EventStoreDbDouble, startEventStoreDbDouble } from '../../libs/event-store/src/testing/eventstoredb-double';
import { runCli, runCliOk } from '../../apps/kms-cli/testing/run-cli';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { kmsClientFor } from '../support/multi-instance-scenarios';
import { ServiceProcess, startServiceProcess } from '../support/service-process';
import { whileServing } from '../support/while-serving';

/**
 * Master key rotation on EventStoreDB (the protocol double, reached over gRPC by the real client in the service
 * and in the CLI): deleted material's sealed blob stays in the log until a scavenge, so rotating its master key
 * away is what makes it unrecoverable. The blobs are read from the log and opened with MaterialSealer here,
 * independently of the service.
 */

jest.setTimeout(180_000);

const keyA = MasterKey.generate();
const keyB = MasterKey.generate();
const DEPLOYMENT = 'rotation-e2e';
const VAULT_PREFIX = `${DEPLOYMENT}-vault-`;
const MATERIAL_SEALED = 'KeyMaterialSealed.v1';
const context = (keyId: string, keyMaterialId: string) => `kms-key/${keyId}/material/${keyMaterialId}`;

interface SealedEvent {
  streamId: string;
  keyId: string;
  keyMaterialId: string;
  blob: Buffer;
}

describe('master key rotation on EventStoreDB (protocol double, real processes)', () => {
  let double: EventStoreDbDouble;
  let client: EventStoreDBClient;
  let dataDir: string;
  let service: ServiceProcess | undefined;
  let storeEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    double = await startEventStoreDbDouble();
    client = EventStoreDBClient.connectionString(double.connectionString);
    dataDir = mkdtempSync(join(tmpdir(), 'keyledger-mk-rotation-esdb-'));
    storeEnv = { KEYLEDGER_EVENTSTORE_URL: double.connectionString, KEYLEDGER_EVENTSTORE_DEPLOYMENT: DEPLOYMENT };
  });

  afterAll(async () => {
    await service?.stop();
    await client?.dispose();
    await double?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const start = async (env: NodeJS.ProcessEnv) => {
    service = await startServiceProcess({ DATA_DIR: dataDir, LOG_FORMAT: 'json', ...storeEnv, ...env });
    return kmsClientFor(service.url);
  };
  const stop = async () => {
    await service!.stopCleanly();
    service = undefined;
  };

  /** Every KeyMaterialSealed event of the vault in `$all`, including deleted streams' (no scavenge ran). */
  async function sealedEventsInLog(): Promise<SealedEvent[]> {
    const out: SealedEvent[] = [];
    for await (const resolved of client.readAll({ direction: FORWARDS, fromPosition: START })) {
      const event = resolved.event;
      if (!event?.streamId.startsWith(VAULT_PREFIX) || event.type !== MATERIAL_SEALED) continue;
      const data = event.data as { keyId: string; keyMaterialId: string; sealed: string };
      out.push({ streamId: event.streamId, keyId: data.keyId, keyMaterialId: data.keyMaterialId, blob: Buffer.from(data.sealed, 'base64') });
    }
    return out;
  }

  /** What a vault stream reads as now: its latest event, or undefined once deleted. */
  async function latestOf(streamId: string): Promise<{ type: string; data: { sealed?: string } } | undefined> {
    let latest: { type: string; data: { sealed?: string } } | undefined;
    try {
      // Read to the end (one event): leaving the iteration early would leave the call open.
      for await (const resolved of client.readStream(streamId, { direction: BACKWARDS, fromRevision: END, maxCount: 1 })) {
        latest = { type: resolved.event!.type, data: resolved.event!.data as { sealed?: string } };
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      throw error;
    }
    return latest;
  }

  async function encrypt(kms: KMSClient, keyId: string, plaintext: Buffer): Promise<Uint8Array> {
    return (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: plaintext }))).CiphertextBlob!;
  }
  async function decrypt(kms: KMSClient, ciphertext: Uint8Array): Promise<Buffer> {
    return Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: ciphertext }))).Plaintext!);
  }

  it('re-seals live material under the new key while serving, and leaves deleted material only under the destroyed key', async () => {
    // 1. Key A only: two keys with known imported material; one key's material is then deleted.
    let kms = await start({ KEYLEDGER_MASTER_KEY: keyA.toBase64() });
    const live = await createExternalKey(kms);
    const doomed = await createExternalKey(kms);
    const liveMaterial = randomBytes(32);
    const doomedMaterial = randomBytes(32);
    await importMaterial(kms, live.KeyId!, liveMaterial);
    await importMaterial(kms, doomed.KeyId!, doomedMaterial);
    const plaintext = randomBytes(40);
    const ciphertext = await encrypt(kms, live.KeyId!, plaintext);
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: doomed.KeyId! }));
    await stop();

    const before = await sealedEventsInLog();
    expect(before.map((e) => [e.keyId, sealedMaterialMasterKeyId(e.blob)]).sort()).toEqual([[live.KeyId, keyA.id], [doomed.KeyId, keyA.id]].sort());
    const doomedBlob = before.find((e) => e.keyId === doomed.KeyId)!;
    expect(await latestOf(doomedBlob.streamId)).toBeUndefined(); // shredded: the stream is deleted, the blob is still in $all

    // 2. B current, A previous: the service serves the old material; the dry run counts what would be re-sealed.
    const rotatingEnv = { ...storeEnv, KEYLEDGER_MASTER_KEY: keyB.toBase64(), KEYLEDGER_PREVIOUS_MASTER_KEYS: keyA.toBase64() };
    kms = await start(rotatingEnv);
    expect(await decrypt(kms, ciphertext)).toEqual(plaintext);
    const dryRun = await runCliOk(['rotate-master-key', '--dry-run'], rotatingEnv);
    expect(dryRun.stdout).toMatch(new RegExp(`${keyA.id}\\s+previous\\s+1\\b`));
    expect(dryRun.stdout).toContain(`1 row(s) would be re-sealed under ${keyB.id}.`);
    // The stream prefixes come from KEYLEDGER_EVENTSTORE_DEPLOYMENT: the default deployment holds nothing here.
    const otherDeployment = await runCliOk(['rotate-master-key', '--dry-run'], { ...rotatingEnv, KEYLEDGER_EVENTSTORE_DEPLOYMENT: '' });
    expect(otherDeployment.stdout).toContain('The vault holds no key material.');
    expect(await sealedEventsInLog()).toEqual(before);

    // The service keeps answering Encrypt/Decrypt on the live key (old ciphertexts included) while the command runs.
    const { result: rotation, roundErrors: loopErrors } = await whileServing(
      async () => {
        expect(await decrypt(kms, ciphertext)).toEqual(plaintext);
        expect(await decrypt(kms, await encrypt(kms, live.KeyId!, plaintext))).toEqual(plaintext);
      },
      () => runCli(['rotate-master-key'], rotatingEnv),
    );
    expect({ code: rotation.code, stderr: rotation.stderr }).toEqual({ code: 0, stderr: '' });
    expect(rotation.stdout).toContain(`Re-sealed 1 key material(s) under master key ${keyB.id} (from master key ${keyA.id}).`);
    expect(rotation.stdout).toContain('0 key material(s) remaining');
    expect(loopErrors).toEqual([]);
    expect((await runCliOk(['rotate-master-key'], rotatingEnv)).stdout).toContain('Re-sealed 0 key material(s)');

    // Independently, from the log: every live vault stream's latest blob is sealed under B and opens with B alone.
    const after = await sealedEventsInLog();
    const liveStreams = [...new Set(after.map((e) => e.streamId))];
    const latest = await Promise.all(liveStreams.map(async (streamId) => ({ streamId, event: await latestOf(streamId) })));
    const readable = latest.filter((entry) => entry.event !== undefined);
    expect(readable).toHaveLength(1);
    const liveEntry = after.find((e) => e.streamId === readable[0].streamId)!;
    expect(liveEntry.keyId).toBe(live.KeyId);
    expect(readable[0].event!.type).toBe(MATERIAL_SEALED);
    const liveBlob = Buffer.from(readable[0].event!.data.sealed!, 'base64');
    expect(sealedMaterialMasterKeyId(liveBlob)).toBe(keyB.id);
    expect(new MaterialSealer(keyB).open(liveBlob, context(liveEntry.keyId, liveEntry.keyMaterialId))).toEqual(liveMaterial);

    // The deleted material's blob is still in the log (no scavenge ran), sealed under A: B cannot open it, A can.
    const stillThere = after.filter((e) => e.keyId === doomed.KeyId);
    expect(stillThere.map((e) => e.blob)).toEqual([doomedBlob.blob]);
    expect(sealedMaterialMasterKeyId(doomedBlob.blob)).toBe(keyA.id);
    const doomedContext = context(doomedBlob.keyId, doomedBlob.keyMaterialId);
    expect(() => new MaterialSealer(keyB).open(doomedBlob.blob, doomedContext)).toThrow(/sealed under master key/);
    expect(new MaterialSealer(keyA).open(doomedBlob.blob, doomedContext)).toEqual(doomedMaterial);
    expect(await latestOf(doomedBlob.streamId)).toBeUndefined(); // the re-seal did not bring it back
    await stop();

    // 3. B alone (A removed and destroyed): the service starts and the old ciphertext decrypts.
    kms = await start({ KEYLEDGER_MASTER_KEY: keyB.toBase64() });
    expect(await decrypt(kms, ciphertext)).toEqual(plaintext);
    await stop();

    // The rotation is recorded once in the deployment's log, hash-chained like every stream.
    const log = new EventStoreDbEventStore({ connectionString: double.connectionString, streamPrefix: `${DEPLOYMENT}-log-` });
    try {
      const rotations = await log.readStream('keyledger-master-key');
      expect(rotations).toHaveLength(1);
      expect(rotations[0].type).toBe('MasterKeyRotated.v1');
      expect(rotations[0].data).toEqual({
        fromMasterKeyIds: [keyA.id],
        toMasterKeyId: keyB.id,
        rewrapped: [{ keyId: liveEntry.keyId, keyMaterialId: liveEntry.keyMaterialId }],
        remaining: 0,
      });
      expect(rotations[0].metadata).toMatchObject({ operation: 'RotateMasterKey', previousEventHash: null });
    } finally {
      await log.close();
    }
  });

  it('refuses a vault holding material under a key that is neither current nor previous', async () => {
    const run = await runCli(['rotate-master-key', '--dry-run'], { ...storeEnv, KEYLEDGER_MASTER_KEY: MasterKey.generate().toBase64() });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`sealed under master key(s) ${keyB.id}`);
    const badDeployment = await runCli(['rotate-master-key'], { ...storeEnv, KEYLEDGER_EVENTSTORE_DEPLOYMENT: 'Not Valid', KEYLEDGER_MASTER_KEY: keyB.toBase64() });
    expect(badDeployment.code).toBe(1);
    expect(badDeployment.stderr).toContain('KEYLEDGER_EVENTSTORE_DEPLOYMENT');
  });
});
