import { randomBytes, randomUUID } from 'node:crypto';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  CreateKeyCommand,
  DecryptCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  EnableKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GetKeyLastUsageCommand,
  GetKeyPolicyCommand,
  KMSClient,
  ListKeyPoliciesCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  Tag,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateKeyDescriptionCommand,
} from '@aws-sdk/client-kms';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { eventually, readEventLog } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { describeKey, expectKmsError, expectNoChange } from '../support/kms-error-assertions';
import {
  allAliases,
  allKeyIds,
  createKey,
  DAY,
  expectNear,
  keyArnOf,
  keyHistory,
  streamTypes,
  uniqueAlias,
  vaultRowsOf,
  waitForDeletion,
} from '../support/lifecycle-helpers';

/**
 * Key lifecycle, tags and key policies through @aws-sdk/client-kms against the running service
 * (kms-operations-reference.md §7, §10, §11; rotation is in lifecycle-rotation.e2e-spec.ts).
 */
describe('key lifecycle, tags and policies (AWS SDK)', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  beforeAll(async () => {
    kl = await startKeyledger();
    kms = kl.client();
  });
  afterAll(() => kl.destroy());

  const encrypt = (keyId: string, text = 'x') => kms.send(new EncryptCommand({ KeyId: keyId, Plaintext: Buffer.from(text) }));

  describe('DisableKey / EnableKey', () => {
    it('toggle KeyState and Enabled, are idempotent, and a disabled key refuses to encrypt', async () => {
      const key = await createKey(kms);
      const arn = keyArnOf(key.KeyId!);
      expect(key).toMatchObject({ KeyState: 'Enabled', Enabled: true, Arn: arn });

      expect(await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }))).not.toHaveProperty('KeyId');
      expect(await describeKey(kms, key.KeyId!)).toMatchObject({ KeyState: 'Disabled', Enabled: false });
      const afterFirstDisable = streamTypes(kl, key.KeyId!);
      expect(afterFirstDisable.slice(-1)).toEqual(['KeyDisabled.v1']);
      // Idempotent, by key ARN too, and records nothing more.
      await kms.send(new DisableKeyCommand({ KeyId: arn }));
      expect(await describeKey(kms, key.KeyId!)).toMatchObject({ KeyState: 'Disabled', Enabled: false });
      expect(streamTypes(kl, key.KeyId!)).toEqual(afterFirstDisable);

      await expectKmsError(encrypt(key.KeyId!), 'DisabledException', `${arn} is disabled.`);
      await expectKmsError(kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256' })), 'DisabledException', `${arn} is disabled.`);

      await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
      expect(await describeKey(kms, key.KeyId!)).toMatchObject({ KeyState: 'Enabled', Enabled: true });
      const afterEnable = streamTypes(kl, key.KeyId!);
      expect(afterEnable.slice(-1)).toEqual(['KeyEnabled.v1']);
      await kms.send(new EnableKeyCommand({ KeyId: arn }));
      expect(streamTypes(kl, key.KeyId!)).toEqual(afterEnable);
      expect((await encrypt(key.KeyId!)).KeyId).toBe(arn);
    });

    it('an unknown key is NotFound with its ARN', async () => {
      const id = randomUUID();
      await expectKmsError(kms.send(new DisableKeyCommand({ KeyId: id })), 'NotFoundException', `Key '${keyArnOf(id)}' does not exist`);
      await expectKmsError(kms.send(new EnableKeyCommand({ KeyId: id })), 'NotFoundException', `Key '${keyArnOf(id)}' does not exist`);
    });
  });

  describe('UpdateKeyDescription', () => {
    it('replaces the description, including with the empty string', async () => {
      const key = await createKey(kms, { Description: 'first' });
      expect(await kms.send(new UpdateKeyDescriptionCommand({ KeyId: key.KeyId, Description: 'second description' }))).not.toHaveProperty('KeyId');
      expect((await describeKey(kms, key.KeyId!)).Description).toBe('second description');
      await kms.send(new UpdateKeyDescriptionCommand({ KeyId: key.Arn, Description: '' }));
      expect((await describeKey(kms, key.KeyId!)).Description).toBe('');
      expect(streamTypes(kl, key.KeyId!).filter((t) => t === 'KeyDescriptionUpdated.v1')).toHaveLength(2);
    });
  });

  describe('ScheduleKeyDeletion / CancelKeyDeletion', () => {
    it('schedules the deletion: ARN, DeletionDate now + N days, PendingDeletion; crypto and a second schedule are refused', async () => {
      const key = await createKey(kms);
      const arn = key.Arn!;
      const before = (await encrypt(key.KeyId!, 'before deletion')).CiphertextBlob!;

      const now = kl.clock.now();
      const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      expect(scheduled).toMatchObject({ KeyId: arn, KeyState: 'PendingDeletion', PendingWindowInDays: 7 });
      expectNear(scheduled.DeletionDate, now + 7 * DAY);

      const described = await describeKey(kms, key.KeyId!);
      expect(described).toMatchObject({ KeyState: 'PendingDeletion', Enabled: false });
      expect(described.DeletionDate!.getTime()).toBe(scheduled.DeletionDate!.getTime());

      const pending = `${arn} is pending deletion.`;
      await expectKmsError(encrypt(key.KeyId!), 'KMSInvalidStateException', pending);
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: before })), 'KMSInvalidStateException', pending);
      await expectKmsError(kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256' })), 'KMSInvalidStateException', pending);
      await expectNoChange(kl, kms, key.KeyId!, () =>
        expectKmsError(kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 10 })), 'KMSInvalidStateException', pending),
      );
    });

    it('defaults to 30 days', async () => {
      const key = await createKey(kms);
      const now = kl.clock.now();
      const scheduled = await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.Arn }));
      expect(scheduled).toMatchObject({ KeyId: key.Arn, KeyState: 'PendingDeletion', PendingWindowInDays: 30 });
      expectNear(scheduled.DeletionDate, now + 30 * DAY);
    });

    it('refuses windows outside 7..30, with the Coral template outside the model range 1..365', async () => {
      const key = await createKey(kms);
      await expectNoChange(kl, kms, key.KeyId!, async () => {
        const schedule = (days: number) => kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: days }));
        await expectKmsError(schedule(6), 'ValidationException', 'PendingWindowInDays must be between 7 and 30');
        await expectKmsError(schedule(31), 'ValidationException', 'PendingWindowInDays must be between 7 and 30');
        await expectKmsError(
          schedule(0),
          'ValidationException',
          "1 validation error detected: Value '0' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 1",
        );
        await expectKmsError(
          schedule(366),
          'ValidationException',
          "1 validation error detected: Value '366' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 365",
        );
      });
    });

    it('CancelKeyDeletion leaves the key Disabled without DeletionDate; on a key not pending deletion it is refused', async () => {
      const key = await createKey(kms);
      const arn = key.Arn!;
      await expectNoChange(kl, kms, key.KeyId!, () =>
        expectKmsError(kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId })), 'KMSInvalidStateException', `${arn} is not pending deletion.`),
      );
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      const canceled = await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
      expect(canceled.KeyId).toBe(arn);
      const described = await describeKey(kms, key.KeyId!);
      expect(described).toMatchObject({ KeyState: 'Disabled', Enabled: false });
      expect(described.DeletionDate).toBeUndefined();
      await expectKmsError(kms.send(new CancelKeyDeletionCommand({ KeyId: arn })), 'KMSInvalidStateException', `${arn} is not pending deletion.`);
      // A disabled key, too, is not pending deletion.
      await expectKmsError(kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId })), 'KMSInvalidStateException', `${arn} is not pending deletion.`);
      await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
      expect((await encrypt(key.KeyId!)).KeyId).toBe(arn);
    });

    it('an EXTERNAL key without material returns to PendingImport when its deletion is canceled', async () => {
      const key = await createExternalKey(kms);
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      expect((await describeKey(kms, key.KeyId!)).KeyState).toBe('PendingDeletion');
      await kms.send(new CancelKeyDeletionCommand({ KeyId: key.KeyId }));
      const described = await describeKey(kms, key.KeyId!);
      expect(described).toMatchObject({ KeyState: 'PendingImport', Enabled: false });
      expect(described.DeletionDate).toBeUndefined();
    });
  });

  describe('tags', () => {
    const listTags = async (keyId: string) => (await kms.send(new ListResourceTagsCommand({ KeyId: keyId }))).Tags;

    it('CreateKey keeps the tags in the order given; TagResource replaces in place and appends; UntagResource ignores unknown keys', async () => {
      const tags: Tag[] = [
        { TagKey: 'team', TagValue: 'payments' },
        { TagKey: 'Env', TagValue: 'prod' },
        { TagKey: 'cost-center', TagValue: '' },
      ];
      const key = await createKey(kms, { Tags: tags });
      const listed = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId }));
      expect(listed.Tags).toEqual(tags);
      expect(listed.Truncated).toBe(false);
      expect(listed.NextMarker).toBeUndefined();

      expect(await kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'Env', TagValue: 'staging' }, { TagKey: 'owner', TagValue: 'alice' }] }))).not.toHaveProperty('KeyId');
      expect(await listTags(key.KeyId!)).toEqual([
        { TagKey: 'team', TagValue: 'payments' },
        { TagKey: 'Env', TagValue: 'staging' },
        { TagKey: 'cost-center', TagValue: '' },
        { TagKey: 'owner', TagValue: 'alice' },
      ]);
      // Tag keys are case-sensitive: 'env' is another tag.
      await kms.send(new TagResourceCommand({ KeyId: key.Arn, Tags: [{ TagKey: 'env', TagValue: 'lower' }] }));
      expect((await listTags(key.KeyId!))!.map((t) => t.TagKey)).toEqual(['team', 'Env', 'cost-center', 'owner', 'env']);

      await kms.send(new UntagResourceCommand({ KeyId: key.KeyId, TagKeys: ['team', 'no-such-tag'] }));
      expect(await listTags(key.KeyId!)).toEqual([
        { TagKey: 'Env', TagValue: 'staging' },
        { TagKey: 'cost-center', TagValue: '' },
        { TagKey: 'owner', TagValue: 'alice' },
        { TagKey: 'env', TagValue: 'lower' },
      ]);
      // Removing only unknown tags is fine and records nothing.
      await expectNoChange(kl, kms, key.KeyId!, () => kms.send(new UntagResourceCommand({ KeyId: key.KeyId, TagKeys: ['never-there'] })));
    });

    it('pages with Limit and Marker', async () => {
      const tags = ['a', 'b', 'c'].map((k, i) => ({ TagKey: k, TagValue: String(i) }));
      const key = await createKey(kms, { Tags: tags });
      const seen: Tag[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const page = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId, Limit: 1, Marker: marker }));
        pages++;
        expect(page.Tags).toHaveLength(1);
        seen.push(...page.Tags!);
        if (pages < 3) expect(page).toMatchObject({ Truncated: true, NextMarker: expect.any(String) });
        else {
          expect(page.Truncated).toBe(false);
          expect(page.NextMarker).toBeUndefined();
        }
        marker = page.NextMarker;
      } while (marker);
      expect(pages).toBe(3);
      expect(seen).toEqual(tags);
      const two = await kms.send(new ListResourceTagsCommand({ KeyId: key.KeyId, Limit: 2 }));
      expect(two.Tags).toEqual(tags.slice(0, 2));
      expect(two.Truncated).toBe(true);
    });

    it('refuses reserved, duplicate, too many and too long tags, changing nothing', async () => {
      const key = await createKey(kms, { Tags: [{ TagKey: 'keep', TagValue: 'me' }] });
      const tag = (tags: Tag[]) => kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: tags }));
      const longKey = 'k'.repeat(129);
      const longValue = 'v'.repeat(257);
      await expectNoChange(kl, kms, key.KeyId!, async () => {
        await expectKmsError(tag([{ TagKey: 'aws:owner', TagValue: 'x' }]), 'TagException', 'Tags beginning with aws: are reserved');
        await expectKmsError(tag([{ TagKey: 'AWS:owner', TagValue: 'x' }]), 'TagException', 'Tags beginning with aws: are reserved');
        await expectKmsError(
          tag([
            { TagKey: 'dup', TagValue: '1' },
            { TagKey: 'dup', TagValue: '2' },
          ]),
          'TagException',
          'Duplicate tag keys',
        );
        // 50 tags is the most a key may have: the one already there plus 50 new ones is too many.
        await expectKmsError(tag(Array.from({ length: 50 }, (_, i) => ({ TagKey: `t${i}`, TagValue: 'x' }))), 'TagException', 'Too many tags');
        await expectKmsError(
          tag([{ TagKey: longKey, TagValue: 'x' }]),
          'ValidationException',
          `1 validation error detected: Value '${longKey}' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128`,
        );
        await expectKmsError(
          tag([{ TagKey: '', TagValue: 'x' }]),
          'ValidationException',
          "1 validation error detected: Value '' at 'tags.1.member.tagKey' failed to satisfy constraint: Member must have length greater than or equal to 1",
        );
        await expectKmsError(kms.send(new UntagResourceCommand({ KeyId: key.KeyId, TagKeys: ['aws:owner'] })), 'TagException', 'Tags beginning with aws: are reserved');
        await expectKmsError(
          tag([{ TagKey: 'ok', TagValue: longValue }]),
          'ValidationException',
          `1 validation error detected: Value '${longValue}' at 'tags.1.member.tagValue' failed to satisfy constraint: Member must have length less than or equal to 256`,
        );
      });
      expect(await listTags(key.KeyId!)).toEqual([{ TagKey: 'keep', TagValue: 'me' }]);

      // CreateKey applies the same rules and creates nothing.
      const keysBefore = (await allKeyIds(kms)).length;
      const create = (tags: Tag[]) => kms.send(new CreateKeyCommand({ Tags: tags }));
      await expectKmsError(create([{ TagKey: 'aws:x', TagValue: 'y' }]), 'TagException', 'Tags beginning with aws: are reserved');
      await expectKmsError(create(Array.from({ length: 51 }, (_, i) => ({ TagKey: `t${i}`, TagValue: 'x' }))), 'TagException', 'Too many tags');
      await expectKmsError(
        create([
          { TagKey: 'a', TagValue: '1' },
          { TagKey: 'a', TagValue: '1' },
        ]),
        'TagException',
        'Duplicate tag keys',
      );
      await expectKmsError(
        create([
          { TagKey: 'fine', TagValue: '' },
          { TagKey: longKey, TagValue: 'x' },
        ]),
        'ValidationException',
        `1 validation error detected: Value '${longKey}' at 'tags.2.member.tagKey' failed to satisfy constraint: Member must have length less than or equal to 128`,
      );
      expect((await allKeyIds(kms)).length).toBe(keysBefore);

      // Exactly 50 at creation is allowed.
      const full = await createKey(kms, { Tags: Array.from({ length: 50 }, (_, i) => ({ TagKey: `t${i}`, TagValue: 'x' })) });
      expect(await listTags(full.KeyId!)).toHaveLength(50);
    });

    it('a key pending deletion cannot be tagged or untagged, but its tags can be listed', async () => {
      const key = await createKey(kms, { Tags: [{ TagKey: 'a', TagValue: '1' }] });
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      const pending = `${key.Arn} is pending deletion.`;
      await expectNoChange(kl, kms, key.KeyId!, async () => {
        await expectKmsError(kms.send(new TagResourceCommand({ KeyId: key.KeyId, Tags: [{ TagKey: 'b', TagValue: '2' }] })), 'KMSInvalidStateException', pending);
        await expectKmsError(kms.send(new UntagResourceCommand({ KeyId: key.KeyId, TagKeys: ['a'] })), 'KMSInvalidStateException', pending);
      });
      expect(await listTags(key.KeyId!)).toEqual([{ TagKey: 'a', TagValue: '1' }]);
    });
  });

  describe('key policies', () => {
    /** kms-operations-reference.md §11.1, with this service's account. */
    const DEFAULT_POLICY = `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::000000000000:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`;
    const CUSTOM_POLICY = '{"Version":"2012-10-17",  "Statement":[{"Sid":"custom","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/alice"},\n\t"Action":"kms:Decrypt","Resource":"*"}]}\r\n';

    it('a new key has the default policy; ListKeyPolicies names only "default"; another PolicyName does not exist', async () => {
      const key = await createKey(kms);
      expect(await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).toMatchObject({ Policy: DEFAULT_POLICY, PolicyName: 'default' });
      expect((await kms.send(new GetKeyPolicyCommand({ KeyId: key.Arn, PolicyName: 'default' }))).Policy).toBe(DEFAULT_POLICY);
      const listed = await kms.send(new ListKeyPoliciesCommand({ KeyId: key.KeyId }));
      expect(listed.PolicyNames).toEqual(['default']);
      expect(listed.Truncated).toBe(false);
      await expectKmsError(kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: 'other' })), 'NotFoundException', 'No such policy exists');
    });

    it('PutKeyPolicy stores the document byte for byte; CreateKey with Policy stores it too', async () => {
      const key = await createKey(kms);
      expect(await kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: CUSTOM_POLICY }))).not.toHaveProperty('KeyId');
      expect((await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy).toBe(CUSTOM_POLICY);
      await kms.send(new PutKeyPolicyCommand({ KeyId: key.Arn, PolicyName: 'default', Policy: DEFAULT_POLICY }));
      expect((await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy).toBe(DEFAULT_POLICY);
      expect(streamTypes(kl, key.KeyId!).filter((t) => t === 'KeyPolicyPut.v1')).toHaveLength(2);

      const created = await createKey(kms, { Policy: CUSTOM_POLICY });
      expect((await kms.send(new GetKeyPolicyCommand({ KeyId: created.KeyId }))).Policy).toBe(CUSTOM_POLICY);
    });

    it('a malformed policy is refused by PutKeyPolicy and CreateKey; a key pending deletion still takes a policy', async () => {
      const key = await createKey(kms);
      await expectNoChange(kl, kms, key.KeyId!, async () => {
        await expectKmsError(kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: 'not json' })), 'MalformedPolicyDocumentException', 'The key policy is not valid JSON.');
        await expectKmsError(
          kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: '{"Version":"2012-10-17"}' })),
          'MalformedPolicyDocumentException',
          'The key policy must be a JSON object with a Statement.',
        );
        await expectKmsError(kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, PolicyName: 'other', Policy: CUSTOM_POLICY })), 'NotFoundException', 'No such policy exists');
      });
      const policyOfLength = (n: number) => `{"Statement":[],"Padding":"${' '.repeat(n - 29)}"}`;
      const tooLong = policyOfLength(131073);
      expect(tooLong.length).toBe(131073);
      await expectKmsError(
        kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: tooLong })),
        'LimitExceededException',
        'The key policy is 131073 characters long; the limit is 131072.',
      );
      expect((await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy).toBe(DEFAULT_POLICY);
      // The longest policy the model allows is stored.
      const longest = await createKey(kms);
      await kms.send(new PutKeyPolicyCommand({ KeyId: longest.KeyId, Policy: policyOfLength(131072) }));
      expect((await kms.send(new GetKeyPolicyCommand({ KeyId: longest.KeyId }))).Policy).toBe(policyOfLength(131072));
      const keysBefore = (await allKeyIds(kms)).length;
      await expectKmsError(kms.send(new CreateKeyCommand({ Policy: '{"Statement": [' })), 'MalformedPolicyDocumentException', 'The key policy is not valid JSON.');
      expect((await allKeyIds(kms)).length).toBe(keysBefore);

      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: key.KeyId, PendingWindowInDays: 7 }));
      await kms.send(new PutKeyPolicyCommand({ KeyId: key.KeyId, Policy: CUSTOM_POLICY }));
      expect((await kms.send(new GetKeyPolicyCommand({ KeyId: key.KeyId }))).Policy).toBe(CUSTOM_POLICY);
      expect((await kms.send(new ListKeyPoliciesCommand({ KeyId: key.KeyId }))).PolicyNames).toEqual(['default']);
    });
  });

  // Last: moving the clock 8 days deletes every key of this file that is pending deletion.
  describe('the deletion itself (clock moved past DeletionDate)', () => {
    it('removes the key, its material and its aliases; every operation then answers NotFound; the history stays readable', async () => {
      const key = await createKey(kms, { Description: 'to be deleted', Tags: [{ TagKey: 'a', TagValue: '1' }] });
      const keyId = key.KeyId!;
      const arn = key.Arn!;
      const bystander = await createKey(kms);
      const aliasNames = [uniqueAlias('doomed'), uniqueAlias('doomed')];
      for (const AliasName of aliasNames) await kms.send(new CreateAliasCommand({ AliasName, TargetKeyId: keyId }));
      const keptAlias = uniqueAlias('kept');
      await kms.send(new CreateAliasCommand({ AliasName: keptAlias, TargetKeyId: bystander.KeyId }));
      const ciphertext = (await encrypt(keyId, 'gone soon')).CiphertextBlob!;
      expect(vaultRowsOf(kl.dataDir, keyId)).toHaveLength(1);
      // Keys with several materials: a rotated AWS_KMS key, an EXTERNAL key with current, non-current and pending material.
      const rotated = await createKey(kms);
      await kms.send(new RotateKeyOnDemandCommand({ KeyId: rotated.KeyId }));
      const external = await createExternalKey(kms);
      const noExpiry = { ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' } as const;
      await importMaterial(kms, external.KeyId!, randomBytes(32), { import: noExpiry });
      await importMaterial(kms, external.KeyId!, randomBytes(32), { import: { ...noExpiry, ImportType: 'NEW_KEY_MATERIAL' } });
      await kms.send(new RotateKeyOnDemandCommand({ KeyId: external.KeyId }));
      await importMaterial(kms, external.KeyId!, randomBytes(32), { import: { ...noExpiry, ImportType: 'NEW_KEY_MATERIAL' } });
      expect(vaultRowsOf(kl.dataDir, rotated.KeyId!)).toHaveLength(2);
      expect(vaultRowsOf(kl.dataDir, external.KeyId!)).toHaveLength(3);

      for (const id of [keyId, rotated.KeyId!, external.KeyId!]) await kms.send(new ScheduleKeyDeletionCommand({ KeyId: id, PendingWindowInDays: 7 }));
      kl.clock.advance(8 * DAY);
      for (const id of [keyId, rotated.KeyId!, external.KeyId!]) await waitForDeletion(kl, id);

      const gone = `Key '${arn}' does not exist`;
      await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: keyId })), 'NotFoundException', gone);
      await expectKmsError(encrypt(keyId), 'NotFoundException', gone);
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: ciphertext, KeyId: keyId })), 'NotFoundException', gone);
      // Without a KeyId the caller learns nothing about the key (kms-operations-reference.md §0.2).
      await expectKmsError(
        kms.send(new DecryptCommand({ CiphertextBlob: ciphertext })),
        'AccessDeniedException',
        'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.',
      );
      await expectKmsError(kms.send(new GetKeyPolicyCommand({ KeyId: keyId })), 'NotFoundException', gone);
      await expectKmsError(kms.send(new ListResourceTagsCommand({ KeyId: keyId })), 'NotFoundException', gone);
      await expectKmsError(kms.send(new EnableKeyCommand({ KeyId: keyId })), 'NotFoundException', gone);
      await expectKmsError(kms.send(new CancelKeyDeletionCommand({ KeyId: arn })), 'NotFoundException', gone);

      expect(await allKeyIds(kms)).not.toContain(keyId);
      expect(await allKeyIds(kms)).toContain(bystander.KeyId);
      // The same sweep removes the key's aliases right after recording the deletion.
      const aliases = await eventually(() => allAliases(kms), (list) => !list.some((a) => aliasNames.includes(a.AliasName!)));
      expect(aliases.filter((a) => a.TargetKeyId === keyId)).toEqual([]);
      expect(aliases.find((a) => a.AliasName === keptAlias)).toMatchObject({ TargetKeyId: bystander.KeyId });
      await expectKmsError(encrypt(aliasNames[0]), 'NotFoundException', `Alias arn:aws:kms:us-east-1:000000000000:${aliasNames[0]} is not found.`);

      expect(vaultRowsOf(kl.dataDir, keyId)).toEqual([]);
      expect(vaultRowsOf(kl.dataDir, rotated.KeyId!)).toEqual([]);
      expect(vaultRowsOf(kl.dataDir, external.KeyId!)).toEqual([]);
      await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: external.KeyId })), 'NotFoundException', `Key '${external.Arn}' does not exist`);
      expect(vaultRowsOf(kl.dataDir, bystander.KeyId!)).toHaveLength(1);

      const history = await keyHistory(kl, keyId);
      expect(history.status).toBe(200);
      const types = (history.body.events as Array<{ type: string }>).map((e) => e.type);
      expect(types[0]).toBe('KeyCreated.v1');
      expect(types).toContain('KeyDeletionScheduled.v1');
      expect(types[types.length - 1]).toBe('KeyDeleted.v1');
      const deleted = readEventLog(kl.dataDir, `kms-key-${keyId}`).pop()!;
      expect(deleted.metadata.principal).toMatchObject({ type: 'Service' });
      await expectKmsError(kms.send(new GetKeyLastUsageCommand({ KeyId: keyId })), 'NotFoundException', gone);
    });
  });
});

