import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  CreateAliasCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DeleteImportedKeyMaterialCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  KMSClient,
  ListAliasesCommand,
  ListKeyPoliciesCommand,
  ListKeyRotationsCommand,
  ListKeysCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  VerifyCommand,
} from '@aws-sdk/client-kms';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { expectKmsError } from '../support/kms-error-assertions';
import { allAliases, createKey, uniqueAlias } from '../support/lifecycle-helpers';

/**
 * Lifecycle state survives a restart: on the same data directory, and with a fresh read-models file so every
 * read model is rebuilt from the event log. Every read answers exactly as before, and old ciphertexts decrypt.
 */
describe('lifecycle state across restarts (AWS SDK)', () => {
  let kl: RunningKeyledger | undefined;
  afterAll(() => kl?.destroy());

  const POLICY = '{"Version":"2012-10-17","Statement":[{"Sid":"restart","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kms:*","Resource":"*"}]}';
  const MESSAGE = Buffer.from('signed before the restart');

  /** Every lifecycle read of every key, without the per-request $metadata. */
  async function snapshot(kms: KMSClient, keys: Record<string, { keyId: string; symmetric: boolean }>) {
    // An answer without its $metadata; a refusal as its name and message.
    const strip = <T extends { $metadata?: unknown }>({ $metadata, ...rest }: T) => rest;
    const read = (call: Promise<{ $metadata?: unknown }>) => call.then(strip, (e: Error) => ({ refused: `${e.name}: ${e.message}` }));
    const perKey: Record<string, unknown> = {};
    for (const [name, { keyId, symmetric }] of Object.entries(keys)) {
      perKey[name] = {
        describe: await read(kms.send(new DescribeKeyCommand({ KeyId: keyId }))),
        tags: await read(kms.send(new ListResourceTagsCommand({ KeyId: keyId }))),
        policy: await read(kms.send(new GetKeyPolicyCommand({ KeyId: keyId }))),
        policies: await read(kms.send(new ListKeyPoliciesCommand({ KeyId: keyId }))),
        aliases: await read(kms.send(new ListAliasesCommand({ KeyId: keyId }))),
        rotationStatus: await read(kms.send(new GetKeyRotationStatusCommand({ KeyId: keyId }))),
        rotations: symmetric ? await read(kms.send(new ListKeyRotationsCommand({ KeyId: keyId, IncludeKeyMaterial: 'ALL_KEY_MATERIAL' }))) : undefined,
      };
    }
    return { perKey, aliases: await allAliases(kms), keys: await read(kms.send(new ListKeysCommand({}))) };
  }

  it('DescribeKey, aliases, tags, policies, rotation status and rotations answer as before; old ciphertexts decrypt', async () => {
    kl = await startKeyledger();
    const dataDir = kl.dataDir;
    let kms = kl.client();

    // A rotated AWS_KMS key with automatic rotation on, tags and its own policy.
    const rotated = await createKey(kms, { Description: 'rotated', Tags: [{ TagKey: 'team', TagValue: 'a' }, { TagKey: 'env', TagValue: 'dev' }, { TagKey: 'tmp', TagValue: 'x' }] });
    const beforeRotation = (await kms.send(new EncryptCommand({ KeyId: rotated.KeyId, Plaintext: Buffer.from('first material') }))).CiphertextBlob!;
    await kms.send(new EnableKeyRotationCommand({ KeyId: rotated.KeyId, RotationPeriodInDays: 180 }));
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: rotated.KeyId }));
    const afterRotation = (await kms.send(new EncryptCommand({ KeyId: rotated.KeyId, Plaintext: Buffer.from('second material') }))).CiphertextBlob!;
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: rotated.KeyId }));
    await kms.send(new TagResourceCommand({ KeyId: rotated.KeyId, Tags: [{ TagKey: 'env', TagValue: 'prod' }, { TagKey: 'owner', TagValue: 'bob' }] }));
    await kms.send(new UntagResourceCommand({ KeyId: rotated.KeyId, TagKeys: ['tmp'] }));
    await kms.send(new PutKeyPolicyCommand({ KeyId: rotated.KeyId, Policy: POLICY }));

    // An EXTERNAL key rotated to material imported as NEW_KEY_MATERIAL.
    const external = await createExternalKey(kms, { Description: 'external rotated' });
    const noExpiry = { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' } as const;
    await importMaterial(kms, external.KeyId!, randomBytes(32), { import: { ...noExpiry, KeyMaterialDescription: 'A' } });
    const underA = (await kms.send(new EncryptCommand({ KeyId: external.KeyId, Plaintext: Buffer.from('under A') }))).CiphertextBlob!;
    await importMaterial(kms, external.KeyId!, randomBytes(32), { import: { ...noExpiry, ImportType: 'NEW_KEY_MATERIAL', KeyMaterialDescription: 'B' } });
    await kms.send(new RotateKeyOnDemandCommand({ KeyId: external.KeyId }));
    const underB = (await kms.send(new EncryptCommand({ KeyId: external.KeyId, Plaintext: Buffer.from('under B') }))).CiphertextBlob!;

    // An EXTERNAL key whose material was deleted (PendingImport).
    const emptied = await createExternalKey(kms);
    await importMaterial(kms, emptied.KeyId!, randomBytes(32), { import: noExpiry });
    await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: emptied.KeyId }));

    // A disabled key and a key pending deletion (with rotation on, which reads false while pending).
    const disabled = await createKey(kms, { Tags: [{ TagKey: 'state', TagValue: 'off' }] });
    const underDisabled = (await kms.send(new EncryptCommand({ KeyId: disabled.KeyId, Plaintext: Buffer.from('d') }))).CiphertextBlob!;
    await kms.send(new DisableKeyCommand({ KeyId: disabled.KeyId }));
    const pending = await createKey(kms, { Description: 'going away' });
    const underPending = (await kms.send(new EncryptCommand({ KeyId: pending.KeyId, Plaintext: Buffer.from('p') }))).CiphertextBlob!;
    await kms.send(new EnableKeyRotationCommand({ KeyId: pending.KeyId }));

    // A signing key created with a policy.
    const signing = await createKey(kms, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Policy: POLICY });
    const signature = (await kms.send(new SignCommand({ KeyId: signing.KeyId, Message: MESSAGE, SigningAlgorithm: 'ECDSA_SHA_256' }))).Signature!;

    // Aliases: plain, moved, deleted, and one on the key about to be scheduled for deletion.
    const aliases = { plain: uniqueAlias('r-plain'), moved: uniqueAlias('r-moved'), deleted: uniqueAlias('r-deleted'), pending: uniqueAlias('r-pending'), signing: uniqueAlias('r-sign') };
    await kms.send(new CreateAliasCommand({ AliasName: aliases.plain, TargetKeyId: rotated.KeyId }));
    await kms.send(new CreateAliasCommand({ AliasName: aliases.moved, TargetKeyId: disabled.KeyId }));
    await new Promise((r) => setTimeout(r, 20));
    await kms.send(new UpdateAliasCommand({ AliasName: aliases.moved, TargetKeyId: external.KeyId }));
    await kms.send(new CreateAliasCommand({ AliasName: aliases.deleted, TargetKeyId: rotated.KeyId }));
    await kms.send(new DeleteAliasCommand({ AliasName: aliases.deleted }));
    await kms.send(new CreateAliasCommand({ AliasName: aliases.pending, TargetKeyId: pending.KeyId }));
    await kms.send(new CreateAliasCommand({ AliasName: aliases.signing, TargetKeyId: signing.KeyId }));
    await kms.send(new ScheduleKeyDeletionCommand({ KeyId: pending.KeyId, PendingWindowInDays: 20 }));

    const keys = {
      rotated: { keyId: rotated.KeyId!, symmetric: true },
      external: { keyId: external.KeyId!, symmetric: true },
      emptied: { keyId: emptied.KeyId!, symmetric: true },
      disabled: { keyId: disabled.KeyId!, symmetric: true },
      pending: { keyId: pending.KeyId!, symmetric: true },
      signing: { keyId: signing.KeyId!, symmetric: false },
    };
    const before = await snapshot(kms, keys);
    // The snapshot holds what was set up (so that "equal after the restart" means something).
    const rotatedBefore = before.perKey.rotated as any;
    expect(rotatedBefore.rotations.Rotations.map((r: any) => r.KeyMaterialState)).toEqual(['NON_CURRENT', 'NON_CURRENT', 'CURRENT']);
    expect(rotatedBefore.tags.Tags).toEqual([{ TagKey: 'team', TagValue: 'a' }, { TagKey: 'env', TagValue: 'prod' }, { TagKey: 'owner', TagValue: 'bob' }]);
    expect(rotatedBefore.policy.Policy).toBe(POLICY);
    expect(rotatedBefore.rotationStatus).toMatchObject({ KeyRotationEnabled: true, RotationPeriodInDays: 180 });
    expect((before.perKey.pending as any).describe.KeyMetadata).toMatchObject({ KeyState: 'PendingDeletion', DeletionDate: expect.any(Date) });
    expect((before.perKey.pending as any).rotationStatus.KeyRotationEnabled).toBe(false);
    expect((before.perKey.disabled as any).describe.KeyMetadata.KeyState).toBe('Disabled');
    expect((before.perKey.emptied as any).describe.KeyMetadata.KeyState).toBe('PendingImport');
    // Nothing was refused while taking the snapshot (imported keys read rotation false, reference Appendix B #28).
    expect((before.perKey.emptied as any).rotationStatus).toEqual({ KeyId: emptied.Arn, KeyRotationEnabled: false });
    expect(JSON.stringify(before)).not.toContain('"refused"');
    expect((before.perKey.external as any).aliases.Aliases.map((a: any) => a.AliasName)).toEqual([aliases.moved]);
    expect(before.aliases.map((a) => a.AliasName)).not.toContain(aliases.deleted);

    async function checkCiphertexts(client: KMSClient) {
      const first = await client.send(new DecryptCommand({ CiphertextBlob: beforeRotation }));
      expect([Buffer.from(first.Plaintext!).toString(), first.KeyMaterialId]).toEqual(['first material', rotatedBefore.rotations.Rotations[0].KeyMaterialId]);
      const second = await client.send(new DecryptCommand({ CiphertextBlob: afterRotation }));
      expect([Buffer.from(second.Plaintext!).toString(), second.KeyMaterialId]).toEqual(['second material', rotatedBefore.rotations.Rotations[1].KeyMaterialId]);
      expect(Buffer.from((await client.send(new DecryptCommand({ CiphertextBlob: underA }))).Plaintext!).toString()).toBe('under A');
      expect(Buffer.from((await client.send(new DecryptCommand({ CiphertextBlob: underB, KeyId: aliases.moved }))).Plaintext!).toString()).toBe('under B');
      const verified = await client.send(new VerifyCommand({ KeyId: aliases.signing, Message: MESSAGE, Signature: signature, SigningAlgorithm: 'ECDSA_SHA_256' }));
      expect(verified.SignatureValid).toBe(true);
      await expectKmsError(client.send(new DecryptCommand({ CiphertextBlob: underDisabled })), 'DisabledException', `${disabled.Arn} is disabled.`);
      await expectKmsError(client.send(new DecryptCommand({ CiphertextBlob: underPending })), 'KMSInvalidStateException', `${pending.Arn} is pending deletion.`);
    }
    await checkCiphertexts(kms);

    // Same data directory, same read-models file.
    await kl.stop();
    kl = await startKeyledger({ dataDir });
    kms = kl.client();
    expect(await snapshot(kms, keys)).toEqual(before);
    await checkCiphertexts(kms);

    // Same data directory, a read-models file that does not exist yet: every read model is rebuilt from the log.
    await kl.stop();
    const rebuilt = join(dataDir, 'rebuilt-read-models.sqlite');
    expect(existsSync(rebuilt)).toBe(false);
    kl = await startKeyledger({ dataDir, env: { KEYLEDGER_READ_MODELS_FILE: rebuilt } });
    expect(existsSync(rebuilt)).toBe(true);
    kms = kl.client();
    expect(await snapshot(kms, keys)).toEqual(before);
    await checkCiphertexts(kms);
  });
});
