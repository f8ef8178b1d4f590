import {
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  ImportKeyMaterialCommand,
  KMSClient,
  ListKeysCommand,
} from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { createExternalKey, getImportParameters, importMaterial } from './byok-flow';
import { wrapForImport } from './client-wrapping';
import { eventually, LoggedEvent } from './event-log';
import { race } from './race';

export interface TwoInstances {
  urls: [string, string];
  /** The whole event log as the store holds it (position order). */
  readLog(): Promise<LoggedEvent[]>;
}

export const kmsClientFor = (url: string) =>
  new KMSClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 });
const describeOn = async (kms: KMSClient, keyId: string) => (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;
const keyStream = (log: LoggedEvent[], keyId: string) => log.filter((e) => e.streamId === `kms-key-${keyId}`);

/**
 * What must hold when two Keyledger instances share one store, whatever the store: every conflicting append is
 * re-decided, so racing commands through both instances lose no event and break no rule, both expiry jobs
 * record each expiry once, and both instances' read models converge.
 */
export function describeTwoInstanceScenarios(name: string, start: () => Promise<TwoInstances>, stop: () => Promise<void>): void {
  describe(name, () => {
    let env: TwoInstances;
    let kmsA: KMSClient;
    let kmsB: KMSClient;
    beforeAll(async () => {
      env = await start();
      [kmsA, kmsB] = env.urls.map(kmsClientFor);
    });
    afterAll(() => stop());

    it('racing first imports of different material: exactly one wins, the other is refused by the same-material rule', async () => {
      for (let round = 0; round < 5; round++) {
        const key = await createExternalKey(kmsA);
        const [pa, pb] = await Promise.all([getImportParameters(kmsA, key.KeyId!), getImportParameters(kmsB, key.KeyId!)]);
        const attempt = (kms: KMSClient, p: typeof pa) =>
          kms.send(
            new ImportKeyMaterialCommand({
              KeyId: key.KeyId,
              ImportToken: p.ImportToken,
              EncryptedKeyMaterial: wrapForImport('RSAES_OAEP_SHA_256', p.PublicKey!, randomBytes(32)),
              ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
            }),
          );
        const { won, lost } = await race([attempt(kmsA, pa), attempt(kmsB, pb)]);
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(1);
        expect(lost[0]).toMatchObject({ name: 'IncorrectKeyMaterialException' });
        const imported = keyStream(await env.readLog(), key.KeyId!).filter((e) => e.type === 'KeyMaterialImported.v1');
        expect(imported).toHaveLength(1);
        expect(imported[0].data.keyMaterialId).toBe(won[0].KeyMaterialId);
      }
    });

    it('racing same-material imports and racing deletions record each change once, through either instance', async () => {
      const material = randomBytes(32);
      const key = await createExternalKey(kmsB);
      const twice = await race([importMaterial(kmsA, key.KeyId!, material), importMaterial(kmsB, key.KeyId!, material)]);
      expect(twice.lost).toEqual([]);
      const imports = keyStream(await env.readLog(), key.KeyId!).filter((e) => e.type === 'KeyMaterialImported.v1');
      expect(imports.map((e) => e.data.reimport).sort()).toEqual([false, true]);

      // Material imported through one instance is usable through the other (shared vault).
      const ciphertext = (await kmsB.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('shared') }))).CiphertextBlob;
      expect(Buffer.from((await kmsA.send(new DecryptCommand({ CiphertextBlob: ciphertext }))).Plaintext!).toString()).toBe('shared');

      const deletions = await race([
        kmsA.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId })),
        kmsB.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId })),
        kmsA.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId })),
      ]);
      expect(deletions.lost).toEqual([]);
      expect(keyStream(await env.readLog(), key.KeyId!).filter((e) => e.type === 'KeyMaterialDeleted.v1')).toHaveLength(1);
    });

    it("a disable through one instance stops uses through the other once its subscription delivers it; the writer's own next use is refused at once", async () => {
      const key = await createExternalKey(kmsA);
      await importMaterial(kmsA, key.KeyId!, randomBytes(32));
      const encryptOn = (kms: KMSClient) => kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') }));
      await eventually(() => encryptOn(kmsB).then(() => true, () => false), Boolean); // B has the key's state cached now
      await encryptOn(kmsB);

      await kmsA.send(new DisableKeyCommand({ KeyId: key.KeyId }));
      await expect(encryptOn(kmsA)).rejects.toMatchObject({ name: 'DisabledException' });
      const disabledAt = Date.now();
      const refusedOnB = await eventually(() => encryptOn(kmsB).then(() => undefined, (error: Error) => error.name), (name) => name !== undefined);
      expect(refusedOnB).toBe('DisabledException');
      // The instances trust a cached state for 60 s (KEYLEDGER_KEY_STATE_TRUST_MS), so only the subscription can
      // have told B this soon; the bound is loose because CI machines are slow, the lag is usually tens of ms.
      expect(Date.now() - disabledAt).toBeLessThan(10_000);

      await kmsA.send(new EnableKeyCommand({ KeyId: key.KeyId }));
      await eventually(() => encryptOn(kmsB).then(() => true, () => false), Boolean);
    });

    it('both expiry jobs run, and each expired material is recorded exactly once', async () => {
      const keys: string[] = [];
      for (let i = 0; i < 4; i++) {
        const key = await createExternalKey(i % 2 ? kmsA : kmsB);
        await importMaterial(i % 2 ? kmsB : kmsA, key.KeyId!, randomBytes(32), {
          import: { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: new Date(Date.now() + 1500) },
        });
        keys.push(key.KeyId!);
      }
      for (const keyId of keys) {
        await eventually(async () => keyStream(await env.readLog(), keyId).some((e) => e.type === 'KeyMaterialExpired.v1'), Boolean);
      }
      await new Promise((r) => setTimeout(r, 1000)); // several more sweeps of both jobs
      const log = await env.readLog();
      for (const keyId of keys) {
        expect(keyStream(log, keyId).filter((e) => e.type === 'KeyMaterialExpired.v1')).toHaveLength(1);
        for (const kms of [kmsA, kmsB]) expect((await describeOn(kms, keyId)).KeyState).toBe('PendingImport');
      }
    });

    it("loses no event, and both instances' projections converge to the same answers", async () => {
      const log = await env.readLog();
      const positions = log.map((e) => e.position);
      expect(positions).toEqual([...positions].sort((x, y) => x - y));
      const byStream = new Map<string, number[]>();
      for (const e of log) byStream.set(e.streamId, [...(byStream.get(e.streamId) ?? []), e.revision]);
      for (const revisions of byStream.values()) expect(revisions).toEqual(revisions.map((_, i) => i));

      const head = Math.max(...positions);
      for (const url of env.urls) {
        await eventually(async () => (await (await fetch(`${url}/health`)).json()) as { projections: { checkpoint: number } }, (h) => h.projections.checkpoint >= head);
      }
      const listA = (await kmsA.send(new ListKeysCommand({ Limit: 1000 }))).Keys;
      const listB = (await kmsB.send(new ListKeysCommand({ Limit: 1000 }))).Keys;
      expect(listA).toEqual(listB);
      expect(listA!.length).toBe([...byStream.keys()].filter((s) => s.startsWith('kms-key-')).length);
      for (const { KeyId } of listA!) expect(await describeOn(kmsA, KeyId!)).toEqual(await describeOn(kmsB, KeyId!));
    });
  });
}
