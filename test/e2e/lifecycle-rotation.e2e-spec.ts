import { randomBytes, randomUUID } from 'node:crypto';
import {
  CancelKeyDeletionCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListKeyRotationsCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { eventually } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { describeKey, expectKmsError, expectNoChange } from '../support/kms-error-assertions';
import { createKey, DAY, expectMessagelessError, expectNear, keyArnOf, MINUTE, streamTypes } from '../support/lifecycle-helpers';

/**
 * Rotation settings, on-demand rotation of AWS_KMS and EXTERNAL keys, and automatic rotation by the maintenance
 * job (kms-operations-reference.md §13, kms-api-reference.md §11), through @aws-sdk/client-kms.
 */
describe('key rotation (AWS SDK)', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  beforeAll(async () => {
    kl = await startKeyledger();
    kms = kl.client();
  });
  afterAll(() => kl.destroy());

  const status = (keyId: string) => kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }));
  const rotations = async (keyId: string, IncludeKeyMaterial?: 'ALL_KEY_MATERIAL' | 'ROTATIONS_ONLY') =>
    kms.send(new ListKeyRotationsCommand({ KeyId: keyId, IncludeKeyMaterial }));
  const encrypt = async (keyId: string, text: string) => (await kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(text) }))).CiphertextBlob!;
  const decrypt = (blob: Uint8Array) => kms.send(new DecryptCommand({ CiphertextBlob: blob }));
  const noExpiry = { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' } as const;

  describe('EnableKeyRotation / DisableKeyRotation / GetKeyRotationStatus', () => {
    it('enables with the default and a chosen period, reports the next date, and disables', async () => {
      const key = await createKey(kms);
      const arn = key.Arn!;
      const initial = await status(key.KeyId!);
      expect(initial).toMatchObject({ KeyId: arn, KeyRotationEnabled: false });
      expect(initial.RotationPeriodInDays).toBeUndefined();
      expect(initial.NextRotationDate).toBeUndefined();

      let now = kl.clock.now();
      expect(await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId }))).not.toHaveProperty('KeyId');
      const enabled = await status(key.KeyId!);
      expect(enabled).toMatchObject({ KeyId: arn, KeyRotationEnabled: true, RotationPeriodInDays: 365 });
      expectNear(enabled.NextRotationDate, now + 365 * DAY);

      // The same period again changes nothing; a new period restarts the schedule.
      await expectNoChange(kl, kms, key.KeyId!, () => kms.send(new EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: 365 })));
      now = kl.clock.now();
      await kms.send(new EnableKeyRotationCommand({ KeyId: arn, RotationPeriodInDays: 90 }));
      const ninety = await status(arn);
      expect(ninety).toMatchObject({ KeyId: arn, KeyRotationEnabled: true, RotationPeriodInDays: 90 });
      expectNear(ninety.NextRotationDate, now + 90 * DAY);

      expect(await kms.send(new DisableKeyRotationCommand({ KeyId: key.KeyId }))).not.toHaveProperty('KeyId');
      const disabled = await status(key.KeyId!);
      expect(disabled).toMatchObject({ KeyId: arn, KeyRotationEnabled: false });
      expect(disabled.RotationPeriodInDays).toBeUndefined();
      expect(disabled.NextRotationDate).toBeUndefined();
      expect(streamTypes(kl, key.KeyId!).filter((t) => t.startsWith('KeyRotation'))).toEqual(['KeyRotationEnabled.v1', 'KeyRotationEnabled.v1', 'KeyRotationDisabled.v1']);
    });

    it('refuses periods outside 90..2560 with the Coral template', async () => {
      const key = await createKey(kms);
      await expectNoChange(kl, kms, key.KeyId!, async () => {
        await expectKmsError(
          kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 89 })),
          'ValidationException',
          "1 validation error detected: Value '89' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value greater than or equal to 90",
        );
        await expectKmsError(
          kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 2561 })),
          'ValidationException',
          "1 validation error detected: Value '2561' at 'rotationPeriodInDays' failed to satisfy constraint: Member must have value less than or equal to 2560",
        );
      });
    });

    it('an EXTERNAL key is refused by origin; RSA and HMAC keys are unsupported; their status reads false', async () => {
      const external = await createExternalKey(kms);
      await importMaterial(kms, external.KeyId!, randomBytes(32));
      const origin = `${external.Arn} origin is EXTERNAL which is not valid for this operation.`;
      await expectNoChange(kl, kms, external.KeyId!, async () => {
        await expectKmsError(kms.send(new EnableKeyRotationCommand({ KeyId: external.KeyId })), 'UnsupportedOperationException', origin);
        await expectKmsError(kms.send(new DisableKeyRotationCommand({ KeyId: external.KeyId })), 'UnsupportedOperationException', origin);
      });
      expect(await status(external.KeyId!)).toMatchObject({ KeyId: external.Arn, KeyRotationEnabled: false });

      const rsa = await createKey(kms, { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
      const hmac = await createKey(kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
      for (const key of [rsa, hmac]) {
        await expectNoChange(kl, kms, key.KeyId!, async () => {
          await expectMessagelessError(kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId })), 'UnsupportedOperationException');
          await expectMessagelessError(kms.send(new DisableKeyRotationCommand({ KeyId: key.KeyId })), 'UnsupportedOperationException');
        });
        expect(await status(key.KeyId!)).toMatchObject({ KeyId: key.Arn, KeyRotationEnabled: false });
      }
    });

    it('a disabled key is refused with DisabledException; a key pending deletion reads false and gets its setting back on cancel', async () => {
      const disabled = await createKey(kms);
      await kms.send(new DisableKeyCommand({ KeyId: disabled.KeyId }));
      await expectKmsError(kms.send(new EnableKeyRotationCommand({ KeyId: disabled.KeyId })), 'DisabledException', `${disabled.Arn} is disabled.`);
      await expectKmsError(kms.send(new DisableKeyRotationCommand({ KeyId: disabled.KeyId })), 'DisabledException', `${disabled.Arn} is disabled.`);

      const key = await createKey(kms);
      await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 180 }));
      const before = await status(key.KeyId!);
      expect(before).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 180 });
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      const pending = await status(key.KeyId!);
      expect(pending).toMatchObject({ KeyId: key.Arn, KeyRotationEnabled: false });
      expect(pending.RotationPeriodInDays).toBeUndefined();
      expect(pending.NextRotationDate).toBeUndefined();
      await expectKmsError(kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId })), 'KMSInvalidStateException', `${key.Arn} is pending deletion.`);
      await expectKmsError(kms.send(new DisableKeyRotationCommand({ KeyId: key.KeyId })), 'KMSInvalidStateException', `${key.Arn} is pending deletion.`);

      await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
      const after = await status(key.KeyId!);
      expect(after).toEqual({ ...before, $metadata: expect.anything() });
    });
  });

  describe('RotateKeyOnDemand on an AWS_KMS key', () => {
    it('makes new material current; old ciphertexts decrypt with the old material; ListKeyRotations lists the rotation', async () => {
      const key = await createKey(kms);
      const keyId = key.KeyId!;
      const arn = key.Arn!;
      const first = key.CurrentKeyMaterialId!;
      expect(first).toMatch(/^[a-f0-9]{64}$/);
      const old = await encrypt(keyId, 'before rotation');
      expect((await rotations(keyId)).Rotations).toEqual([]);

      const now = kl.clock.now();
      const rotated = await kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }));
      expect(rotated.KeyId).toBe(arn);
      const second = (await describeKey(kms, keyId)).CurrentKeyMaterialId!;
      expect(second).toMatch(/^[a-f0-9]{64}$/);
      expect(second).not.toBe(first);

      const decryptedOld = await decrypt(old);
      expect(Buffer.from(decryptedOld.Plaintext!).toString()).toBe('before rotation');
      expect(decryptedOld.KeyMaterialId).toBe(first);
      const fresh = await encrypt(keyId, 'after rotation');
      expect((await decrypt(fresh)).KeyMaterialId).toBe(second);
      expect((await kms.send(new GenerateDataKeyCommand({ KeyId: keyId, KeySpec: 'AES_256' }))).KeyMaterialId).toBe(second);

      const only = await rotations(keyId);
      expect(only.Truncated).toBe(false);
      expect(only.Rotations).toEqual([{ KeyId: keyId, KeyMaterialId: second, KeyMaterialState: 'CURRENT', RotationDate: expect.any(Date), RotationType: 'ON_DEMAND' }]);
      expectNear(only.Rotations![0].RotationDate, now);
      expect((await rotations(arn, 'ROTATIONS_ONLY')).Rotations).toEqual(only.Rotations);

      const all = await rotations(keyId, 'ALL_KEY_MATERIAL');
      expect(all.Rotations).toEqual([{ KeyId: keyId, KeyMaterialId: first, KeyMaterialState: 'NON_CURRENT' }, ...only.Rotations!]);

      // A second rotation, listed oldest first, and paged.
      await kms.send(new RotateKeyOnDemandCommand({ KeyId: arn }));
      const third = (await describeKey(kms, keyId)).CurrentKeyMaterialId!;
      const page1 = await kms.send(new ListKeyRotationsCommand({ KeyId: keyId, Limit: 1 }));
      expect(page1).toMatchObject({ Truncated: true, NextMarker: expect.any(String) });
      expect(page1.Rotations).toEqual([{ ...only.Rotations![0], KeyMaterialState: 'NON_CURRENT' }]);
      const page2 = await kms.send(new ListKeyRotationsCommand({ KeyId: keyId, Limit: 1, Marker: page1.NextMarker }));
      expect(page2.Truncated).toBe(false);
      expect(page2.Rotations).toEqual([expect.objectContaining({ KeyMaterialId: third, KeyMaterialState: 'CURRENT', RotationType: 'ON_DEMAND' })]);
      expect((await decrypt(old)).KeyMaterialId).toBe(first);
      expect((await decrypt(fresh)).KeyMaterialId).toBe(second);
    });

    it('allows 25 on-demand rotations per key; the 26th is refused', async () => {
      const key = await createKey(kms);
      const old = await encrypt(key.KeyId!, 'oldest');
      for (let i = 0; i < 25; i++) await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
      await expectNoChange(kl, kms, key.KeyId!, () =>
        expectKmsError(
          kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId })),
          'LimitExceededException',
          `The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations can be performed for this key: ${key.Arn}`,
        ),
      );
      const listed = await rotations(key.KeyId!);
      expect(listed.Rotations).toHaveLength(25);
      expect(new Set(listed.Rotations!.map((r) => r.KeyMaterialId)).size).toBe(25);
      expect((await decrypt(old)).KeyMaterialId).toBe(key.CurrentKeyMaterialId);
    });

    it('does not move NextRotationDate of automatic rotation', async () => {
      const key = await createKey(kms);
      await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 100 }));
      const before = await status(key.KeyId!);
      await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
      const after = await status(key.KeyId!);
      expect(after.NextRotationDate!.getTime()).toBe(before.NextRotationDate!.getTime());
      expect(after.RotationPeriodInDays).toBe(100);
    });

    it('is refused on a disabled key (before the key type), on RSA and HMAC keys, on a key pending deletion, on an unknown key', async () => {
      const disabled = await createKey(kms);
      await kms.send(new DisableKeyCommand({ KeyId: disabled.KeyId }));
      await expectNoChange(kl, kms, disabled.KeyId!, () =>
        expectKmsError(kms.send(new RotateKeyOnDemandCommand({ KeyId: disabled.KeyId })), 'DisabledException', `${disabled.Arn} is disabled.`),
      );

      const rsa = await createKey(kms, { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
      await expectNoChange(kl, kms, rsa.KeyId!, () => expectMessagelessError(kms.send(new RotateKeyOnDemandCommand({ KeyId: rsa.KeyId })), 'UnsupportedOperationException'));
      await expectMessagelessError(kms.send(new ListKeyRotationsCommand({ KeyId: rsa.KeyId })), 'UnsupportedOperationException');
      await kms.send(new DisableKeyCommand({ KeyId: rsa.KeyId }));
      await expectKmsError(kms.send(new RotateKeyOnDemandCommand({ KeyId: rsa.KeyId })), 'DisabledException', `${rsa.Arn} is disabled.`);

      const hmac = await createKey(kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
      await expectMessagelessError(kms.send(new RotateKeyOnDemandCommand({ KeyId: hmac.KeyId })), 'UnsupportedOperationException');

      const pending = await createKey(kms);
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: pending.KeyId, PendingWindowInDays: 7 }));
      await expectKmsError(kms.send(new RotateKeyOnDemandCommand({ KeyId: pending.KeyId })), 'KMSInvalidStateException', `${pending.Arn} is pending deletion.`);
      await kms.send(new CancelKeyDeletionCommand({ KeyId: pending.KeyId }));

      const id = randomUUID();
      await expectKmsError(kms.send(new RotateKeyOnDemandCommand({ KeyId: id })), 'NotFoundException', `Key '${keyArnOf(id)}' does not exist`);
    });
  });

  describe('RotateKeyOnDemand on an EXTERNAL key', () => {
    it('rotates to material imported as NEW_KEY_MATERIAL; the old material stays NON_CURRENT and still decrypts', async () => {
      const key = await createExternalKey(kms);
      const keyId = key.KeyId!;
      const arn = key.Arn!;
      await expectKmsError(kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId })), 'KMSInvalidStateException', `${arn} is pending import.`);

      const materialA = randomBytes(32);
      const a = (await importMaterial(kms, keyId, materialA, { import: { ...noExpiry, KeyMaterialDescription: 'material A' } })).KeyMaterialId!;
      const old = await encrypt(keyId, 'under A');
      const nothingPending = `No available key material pending rotation for the key: ${arn}.`;
      await expectNoChange(kl, kms, keyId, () => expectKmsError(kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId })), 'KMSInvalidStateException', nothingPending));

      const b = (await importMaterial(kms, keyId, randomBytes(32), { import: { ...noExpiry, ImportType: 'NEW_KEY_MATERIAL', KeyMaterialDescription: 'material B' } }))
        .KeyMaterialId!;
      expect(b).not.toBe(a);
      expect((await describeKey(kms, keyId)).CurrentKeyMaterialId).toBe(a);
      const entryA = { KeyId: keyId, KeyMaterialId: a, KeyMaterialDescription: 'material A', ImportState: 'IMPORTED', ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' };
      const entryB = { KeyId: keyId, KeyMaterialId: b, KeyMaterialDescription: 'material B', ImportState: 'IMPORTED', ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' };
      expect((await rotations(keyId, 'ALL_KEY_MATERIAL')).Rotations).toEqual([
        { ...entryA, KeyMaterialState: 'CURRENT' },
        { ...entryB, KeyMaterialState: 'PENDING_ROTATION' },
      ]);
      expect((await rotations(keyId)).Rotations).toEqual([]);

      const now = kl.clock.now();
      expect((await kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId }))).KeyId).toBe(arn);
      expect(await describeKey(kms, keyId)).toMatchObject({ KeyState: 'Enabled', CurrentKeyMaterialId: b });
      const decryptedOld = await decrypt(old);
      expect(Buffer.from(decryptedOld.Plaintext!).toString()).toBe('under A');
      expect(decryptedOld.KeyMaterialId).toBe(a);
      const fresh = await encrypt(keyId, 'under B');
      expect((await decrypt(fresh)).KeyMaterialId).toBe(b);

      const all = await rotations(keyId, 'ALL_KEY_MATERIAL');
      expect(all.Rotations).toEqual([
        { ...entryA, KeyMaterialState: 'NON_CURRENT' },
        { ...entryB, KeyMaterialState: 'CURRENT', RotationDate: expect.any(Date), RotationType: 'ON_DEMAND' },
      ]);
      expectNear(all.Rotations![1].RotationDate, now);
      expect((await rotations(keyId)).Rotations).toEqual([all.Rotations![1]]);
      await expectKmsError(kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId })), 'KMSInvalidStateException', nothingPending);

      // Deleting the NON_CURRENT material makes the whole key PendingImport; the same material restores it.
      const deleted = await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: keyId, KeyMaterialId: a }));
      expect(deleted).toMatchObject({ KeyId: arn, KeyMaterialId: a });
      const pendingImport = await describeKey(kms, keyId);
      expect(pendingImport).toMatchObject({ KeyState: 'PendingImport', Enabled: false, CurrentKeyMaterialId: b });
      expect(pendingImport).not.toHaveProperty('ExpirationModel');
      const afterDelete = await rotations(keyId, 'ALL_KEY_MATERIAL');
      expect(afterDelete.Rotations![0]).toEqual({ KeyId: keyId, KeyMaterialId: a, KeyMaterialDescription: 'material A', ImportState: 'PENDING_IMPORT', KeyMaterialState: 'NON_CURRENT' });
      await expectKmsError(kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from('x') })), 'KMSInvalidStateException', `${arn} is pending import.`);
      await importMaterial(kms, keyId, materialA, { import: noExpiry });
      expect(await describeKey(kms, keyId)).toMatchObject({ KeyState: 'Enabled', CurrentKeyMaterialId: b, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
      expect((await decrypt(old)).KeyMaterialId).toBe(a);
    });

    it('a disabled EXTERNAL key with material pending rotation is refused with DisabledException', async () => {
      const key = await createExternalKey(kms);
      await importMaterial(kms, key.KeyId!, randomBytes(32), { import: noExpiry });
      await importMaterial(kms, key.KeyId!, randomBytes(32), { import: { ...noExpiry, ImportType: 'NEW_KEY_MATERIAL' } });
      await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
      await expectNoChange(kl, kms, key.KeyId!, () =>
        expectKmsError(kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId })), 'DisabledException', `${key.Arn} is disabled.`),
      );
      await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
      await kms.send(new RotateKeyOnDemandCommand({ KeyId: key.KeyId }));
    });
  });

  // Last: the clock moves by months.
  describe('automatic rotation (clock moved past NextRotationDate)', () => {
    it('refuses on-demand rotation within 20 minutes of it, then rotates once and schedules the next one a period later', async () => {
      const key = await createKey(kms);
      const keyId = key.KeyId!;
      const first = key.CurrentKeyMaterialId!;
      const old = await encrypt(keyId, 'before automatic rotation');
      await kms.send(new EnableKeyRotationCommand({ KeyId: keyId, RotationPeriodInDays: 90 }));
      const scheduled = (await status(keyId)).NextRotationDate!.getTime();

      kl.clock.advance(90 * DAY - 10 * MINUTE);
      // Not due yet: nothing rotates, and on-demand rotation is refused so close to it.
      await new Promise((r) => setTimeout(r, 300));
      expect((await rotations(keyId)).Rotations).toEqual([]);
      await expectKmsError(
        kms.send(new RotateKeyOnDemandCommand({ KeyId: keyId })),
        'ConflictException',
        `An automatic rotation of ${key.Arn} is due within 20 minutes. Retry after it.`,
      );

      kl.clock.advance(11 * MINUTE);
      const listed = await eventually(() => rotations(keyId), (r) => (r.Rotations ?? []).length > 0);
      expect(listed.Rotations).toEqual([
        { KeyId: keyId, KeyMaterialId: expect.stringMatching(/^[a-f0-9]{64}$/), KeyMaterialState: 'CURRENT', RotationDate: expect.any(Date), RotationType: 'AUTOMATIC' },
      ]);
      const rotation = listed.Rotations![0];
      expect(rotation.KeyMaterialId).not.toBe(first);
      expect(rotation.RotationDate!.getTime()).toBeGreaterThanOrEqual(scheduled);
      expectNear(rotation.RotationDate, kl.clock.now());

      const after = await status(keyId);
      expect(after).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 90 });
      expectNear(after.NextRotationDate, rotation.RotationDate!.getTime() + 90 * DAY, 1000);
      expect((await describeKey(kms, keyId)).CurrentKeyMaterialId).toBe(rotation.KeyMaterialId);
      expect((await decrypt(old)).KeyMaterialId).toBe(first);
      expect((await decrypt(await encrypt(keyId, 'after'))).KeyMaterialId).toBe(rotation.KeyMaterialId);

      // Exactly one rotation, although the job kept running.
      await new Promise((r) => setTimeout(r, 300));
      expect(streamTypes(kl, keyId).filter((t) => t === 'KeyMaterialRotated.v1')).toHaveLength(1);
      expect((await rotations(keyId, 'ALL_KEY_MATERIAL')).Rotations!.map((r) => [r.KeyMaterialId, r.KeyMaterialState, r.RotationType])).toEqual([
        [first, 'NON_CURRENT', undefined],
        [rotation.KeyMaterialId, 'CURRENT', 'AUTOMATIC'],
      ]);
    });

    it('a disabled key is not rotated while disabled', async () => {
      const key = await createKey(kms);
      await kms.send(new EnableKeyRotationCommand({ KeyId: key.KeyId, RotationPeriodInDays: 90 }));
      await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
      kl.clock.advance(91 * DAY);
      await new Promise((r) => setTimeout(r, 400));
      expect((await rotations(key.KeyId!)).Rotations).toEqual([]);
      await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
      const listed = await eventually(() => rotations(key.KeyId!), (r) => (r.Rotations ?? []).length > 0);
      expect(listed.Rotations).toEqual([expect.objectContaining({ RotationType: 'AUTOMATIC', KeyMaterialState: 'CURRENT' })]);
    });
  });
});
