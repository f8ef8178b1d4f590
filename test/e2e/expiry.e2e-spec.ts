import { DecryptCommand, DescribeKeyCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { eventually, readEventLog } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';

const state = async (kms: KMSClient, keyId: string) => (await kms.send(new DescribeKeyCommand({ KeyId: keyId }))).KeyMetadata!;

describe('key material expiry', () => {
  describe('the expiry job (100 ms interval, real time)', () => {
    let kl: RunningKeyledger;
    beforeAll(async () => (kl = await startKeyledger({ env: { KEYLEDGER_EXPIRY_INTERVAL_MS: '100' } })));
    afterAll(() => kl.destroy());

    it('records KeyMaterialExpired within seconds of ValidTo, on the service\'s behalf, and the same material restores the key', async () => {
      const kms = kl.client();
      const material = randomBytes(32);
      const key = await createExternalKey(kms);
      const validTo = new Date(Date.now() + 1500);
      const imported = await importMaterial(kms, key.KeyId!, material, { import: { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: validTo } });
      const ciphertext = (await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('short-lived') }))).CiphertextBlob;

      const expired = await eventually(
        () => readEventLog(kl.dataDir, `kms-key-${key.KeyId}`).find((e) => e.type === 'KeyMaterialExpired.v1'),
        (e) => e !== undefined,
      );
      expect(expired!.data).toEqual({ keyMaterialId: imported.KeyMaterialId, validTo: validTo.toISOString() });
      expect(expired!.metadata.principal).toEqual({ type: 'Service', accountId: '000000000000', invokedBy: 'keyledger-expiry' });
      expect(expired!.metadata.operation).toBe('DeleteExpiredKeyMaterial');
      // Recorded within seconds of ValidTo (the interval is 100 ms; allow for a loaded machine).
      expect(Date.parse(expired!.metadata.timestamp) - validTo.getTime()).toBeLessThan(5000);

      const afterExpiry = await state(kms, key.KeyId!);
      expect(afterExpiry).toMatchObject({ KeyState: 'PendingImport', Enabled: false, CurrentKeyMaterialId: imported.KeyMaterialId });
      expect(afterExpiry.ExpirationModel).toBeUndefined();
      await expect(kms.send(new DecryptCommand({ CiphertextBlob: ciphertext }))).rejects.toMatchObject({ name: 'KMSInvalidStateException' });

      // Expired material is gone for good; only the same material brings the key back.
      await expect(importMaterial(kms, key.KeyId!, randomBytes(32))).rejects.toMatchObject({ name: 'IncorrectKeyMaterialException' });
      await importMaterial(kms, key.KeyId!, material);
      expect((await state(kms, key.KeyId!)).KeyState).toBe('Enabled');
      const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: ciphertext }));
      expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('short-lived');

      // Exactly one expiry was recorded even though the job kept running.
      expect(readEventLog(kl.dataDir, `kms-key-${key.KeyId}`).filter((e) => e.type === 'KeyMaterialExpired.v1')).toHaveLength(1);
    });
  });

  describe('before the job has run (job interval 1 h, clock moved past ValidTo)', () => {
    let kl: RunningKeyledger;
    beforeAll(async () => (kl = await startKeyledger({ env: { KEYLEDGER_EXPIRY_INTERVAL_MS: '3600000' } })));
    afterAll(() => kl.destroy());

    it('no operation uses material past its ValidTo, and the next command records the expiry first', async () => {
      const kms = kl.client();
      const material = randomBytes(32);
      const key = await createExternalKey(kms);
      await importMaterial(kms, key.KeyId!, material, { import: { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: new Date(Date.now() + 3600_000) } });
      const ciphertext = (await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') }))).CiphertextBlob;

      kl.clock.advance(3600_000 + 1000);
      expect((await state(kms, key.KeyId!)).KeyState).toBe('PendingImport');
      await expect(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') }))).rejects.toMatchObject({
        name: 'KMSInvalidStateException',
        message: `${key.Arn} is pending import.`,
      });
      await expect(kms.send(new DecryptCommand({ CiphertextBlob: ciphertext }))).rejects.toMatchObject({ name: 'KMSInvalidStateException' });
      const stream = `kms-key-${key.KeyId}`;
      expect(readEventLog(kl.dataDir, stream).map((e) => e.type)).not.toContain('KeyMaterialExpired.v1');

      // The next command on the key (here GetParametersForImport, then the reimport) is decided after
      // recording the expiry on the service's behalf.
      await importMaterial(kms, key.KeyId!, material);
      const types = readEventLog(kl.dataDir, stream).map((e) => e.type);
      expect(types.slice(-3)).toEqual(['KeyMaterialExpired.v1', 'ImportParametersIssued.v1', 'KeyMaterialImported.v1']);
      const [expired, , reimported] = readEventLog(kl.dataDir, stream).slice(-3);
      expect(expired.metadata.principal.type).toBe('Service');
      expect(reimported.metadata.principal).toMatchObject({ type: 'User', accessKeyId: 'test' });
      expect(reimported.data).toMatchObject({ reimport: true, importType: 'EXISTING_KEY_MATERIAL' });
    });
  });
});
