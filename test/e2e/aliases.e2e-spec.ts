import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import {
  CancelKeyDeletionCommand,
  CreateAliasCommand,
  DecryptCommand,
  DeleteAliasCommand,
  DeleteImportedKeyMaterialCommand,
  DeriveSharedSecretCommand,
  DescribeKeyCommand,
  DisableKeyCommand,
  DisableKeyRotationCommand,
  EnableKeyCommand,
  EnableKeyRotationCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateMacCommand,
  GetKeyLastUsageCommand,
  GetKeyPolicyCommand,
  GetKeyRotationStatusCommand,
  GetParametersForImportCommand,
  GetPublicKeyCommand,
  ImportKeyMaterialCommand,
  KMSClient,
  ListAliasesCommand,
  ListAliasesCommandOutput,
  ListKeyPoliciesCommand,
  ListKeyRotationsCommand,
  ListResourceTagsCommand,
  PutKeyPolicyCommand,
  ReEncryptCommand,
  RotateKeyOnDemandCommand,
  ScheduleKeyDeletionCommand,
  SignCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAliasCommand,
  UpdateKeyDescriptionCommand,
  VerifyCommand,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import { createExternalKey, getImportParameters, importMaterial } from '../support/byok-flow';
import { wrapForImport } from '../support/client-wrapping';
import { eventually } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { describeKey, expectKmsError, expectNoChange } from '../support/kms-error-assertions';
import {
  allAliases,
  aliasArnOf,
  createKey,
  DAY,
  expectMessagelessError,
  expectNear,
  keyArnOf,
  MINUTE,
  streamTypes,
  uniqueAlias,
  waitForDeletion,
} from '../support/lifecycle-helpers';

/**
 * Aliases through @aws-sdk/client-kms (kms-operations-reference.md §9, §0.2): their own operations, where an
 * alias may stand for a key and where it may not, their errors, accounts, and what a key's deletion does to them.
 */
describe('aliases (AWS SDK)', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  beforeAll(async () => {
    kl = await startKeyledger();
    kms = kl.client();
  });
  afterAll(() => kl.destroy());

  const createAlias = (AliasName: string, TargetKeyId: string, client = kms) => client.send(new CreateAliasCommand({ AliasName, TargetKeyId }));
  const aliasEntry = async (aliasName: string, client = kms) => (await allAliases(client)).find((a) => a.AliasName === aliasName);
  const encryptVia = (KeyId: string, client = kms) => client.send(new EncryptCommand({ KeyId, Plaintext: Buffer.from('via alias') }));

  describe('CreateAlias / ListAliases', () => {
    it('lists the alias with its ARN, the bare target key id and equal creation and update dates', async () => {
      const key = await createKey(kms);
      const name = uniqueAlias('listed');
      const now = kl.clock.now();
      expect(await createAlias(name, key.KeyId!)).not.toHaveProperty('AliasName');
      const entry = await aliasEntry(name);
      expect(entry).toEqual({
        AliasName: name,
        AliasArn: aliasArnOf(name),
        TargetKeyId: key.KeyId,
        CreationDate: expect.any(Date),
        LastUpdatedDate: expect.any(Date),
      });
      expectNear(entry!.CreationDate, now);
      expect(entry!.LastUpdatedDate!.getTime()).toBe(entry!.CreationDate!.getTime());

      // The target may be named by key ARN as well.
      const byArn = uniqueAlias('by-arn');
      await createAlias(byArn, key.Arn!);
      expect((await aliasEntry(byArn))!.TargetKeyId).toBe(key.KeyId);
      expect(streamTypes(kl, key.KeyId!)).toEqual(['KeyCreated.v1']);
    });

    it('filters by key id or key ARN, and pages with Limit and Marker', async () => {
      const key = await createKey(kms);
      const other = await createKey(kms);
      const names = [uniqueAlias('page'), uniqueAlias('page'), uniqueAlias('page')];
      for (const name of names) await createAlias(name, key.KeyId!);
      await createAlias(uniqueAlias('other'), other.KeyId!);

      for (const KeyId of [key.KeyId!, key.Arn!]) {
        const filtered = await kms.send(new ListAliasesCommand({ KeyId }));
        expect(filtered.Truncated).toBe(false);
        expect(filtered.NextMarker).toBeUndefined();
        expect(filtered.Aliases!.map((a) => a.AliasName).sort()).toEqual([...names].sort());
        expect(filtered.Aliases!.every((a) => a.TargetKeyId === key.KeyId)).toBe(true);
      }

      const seen: string[] = [];
      let marker: string | undefined;
      let pages = 0;
      do {
        const page = await kms.send(new ListAliasesCommand({ KeyId: key.KeyId, Limit: 1, Marker: marker }));
        pages++;
        expect(page.Aliases).toHaveLength(1);
        seen.push(page.Aliases![0].AliasName!);
        expect(page.Truncated).toBe(pages < 3);
        if (pages < 3) expect(page.NextMarker).toEqual(expect.any(String));
        else expect(page.NextMarker).toBeUndefined();
        marker = page.NextMarker;
      } while (marker);
      expect(seen.sort()).toEqual([...names].sort());

      // Unfiltered, paged two at a time: every alias once.
      const all: string[] = [];
      marker = undefined;
      do {
        const page: ListAliasesCommandOutput = await kms.send(new ListAliasesCommand({ Limit: 2, Marker: marker }));
        expect(page.Aliases!.length).toBeLessThanOrEqual(2);
        all.push(...page.Aliases!.map((a) => a.AliasName!));
        marker = page.Truncated ? page.NextMarker : undefined;
      } while (marker);
      expect(new Set(all).size).toBe(all.length);
      expect(all).toEqual(expect.arrayContaining(names));

      const missing = randomUUID();
      await expectKmsError(kms.send(new ListAliasesCommand({ KeyId: missing })), 'NotFoundException', `Key '${keyArnOf(missing)}' does not exist`);
      await expectKmsError(
        kms.send(new ListAliasesCommand({ Marker: 'not-a-marker' })),
        'InvalidMarkerException',
        'The request was rejected because the marker that specifies where pagination should next begin is not valid.',
      );
    });
  });

  describe('UpdateAlias', () => {
    it('moves the alias to another key of the same type and usage; LastUpdatedDate changes, CreationDate does not', async () => {
      const first = await createKey(kms);
      const second = await createKey(kms);
      const name = uniqueAlias('moving');
      await createAlias(name, first.KeyId!);
      const created = (await aliasEntry(name))!;
      expect((await encryptVia(name)).KeyId).toBe(first.Arn);

      kl.clock.advance(MINUTE);
      const now = kl.clock.now();
      expect(await kms.send(new UpdateAliasCommand({ AliasName: name, TargetKeyId: second.Arn }))).not.toHaveProperty('AliasName');
      const updated = (await aliasEntry(name))!;
      expect(updated).toMatchObject({ AliasName: name, AliasArn: created.AliasArn, TargetKeyId: second.KeyId });
      expect(updated.CreationDate!.getTime()).toBe(created.CreationDate!.getTime());
      expectNear(updated.LastUpdatedDate, now);
      expect(updated.LastUpdatedDate!.getTime()).toBeGreaterThan(created.LastUpdatedDate!.getTime());
      expect((await encryptVia(name)).KeyId).toBe(second.Arn);
      // Neither key's stream records anything: the alias is its own resource.
      expect(streamTypes(kl, first.KeyId!)).toEqual(['KeyCreated.v1']);
      expect(streamTypes(kl, second.KeyId!)).toEqual(['KeyCreated.v1']);
    });

    it('refuses a key of another usage or type, a new target pending deletion, an alias target, and a missing alias', async () => {
      const symmetric = await createKey(kms);
      const name = uniqueAlias('typed');
      await createAlias(name, symmetric.KeyId!);
      const hmac = await createKey(kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
      const rsa = await createKey(kms, { KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
      const update = (TargetKeyId: string, AliasName = name) => kms.send(new UpdateAliasCommand({ AliasName, TargetKeyId }));
      await expectKmsError(
        update(hmac.KeyId!),
        'ValidationException',
        `Alias ${name} cannot be changed from a CMK with key usage ENCRYPT_DECRYPT to a CMK with key usage GENERATE_VERIFY_MAC. The key usage of the current CMK and the new CMK must be the same.`,
      );
      // Same usage, another type (symmetric to RSA): also refused (the text is UNCONFIRMED for AWS).
      await expectKmsError(update(rsa.KeyId!), 'ValidationException', /^Alias .* cannot be changed from a symmetric CMK to an? asymmetric CMK\./);

      const doomed = await createKey(kms);
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: doomed.KeyId, PendingWindowInDays: 7 }));
      await expectKmsError(update(doomed.KeyId!), 'KMSInvalidStateException', `${doomed.Arn} is pending deletion.`);
      await expectKmsError(update(name), 'ValidationException', 'Aliases must refer to keys. Not aliases');

      const missing = uniqueAlias('missing');
      await expectKmsError(update(symmetric.KeyId!, missing), 'NotFoundException', `Alias ${aliasArnOf(missing)} is not found.`);
      expect((await aliasEntry(name))!.TargetKeyId).toBe(symmetric.KeyId);
      expect(await aliasEntry(missing)).toBeUndefined();

      // An alias whose current key is pending deletion may still be moved away (reference §7.2 [10]).
      const leaving = uniqueAlias('leaving');
      const old = await createKey(kms);
      await createAlias(leaving, old.KeyId!);
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: old.KeyId, PendingWindowInDays: 7 }));
      await kms.send(new UpdateAliasCommand({ AliasName: leaving, TargetKeyId: symmetric.KeyId }));
      expect((await aliasEntry(leaving))!.TargetKeyId).toBe(symmetric.KeyId);
    });
  });

  describe('DeleteAlias', () => {
    it('removes only the alias: the key is unchanged and its stream has no new event', async () => {
      const key = await createKey(kms, { Description: 'stays' });
      const name = uniqueAlias('deleted');
      await createAlias(name, key.KeyId!);
      await expectNoChange(kl, kms, key.KeyId!, async () => {
        expect(await kms.send(new DeleteAliasCommand({ AliasName: name }))).not.toHaveProperty('AliasName');
      });
      expect(await aliasEntry(name)).toBeUndefined();
      expect((await kms.send(new ListAliasesCommand({ KeyId: key.KeyId }))).Aliases).toEqual([]);
      await expectKmsError(kms.send(new DeleteAliasCommand({ AliasName: name })), 'NotFoundException', `Alias ${aliasArnOf(name)} is not found.`);
      await expectKmsError(encryptVia(name), 'NotFoundException', `Alias ${aliasArnOf(name)} is not found.`);
      expect((await encryptVia(key.KeyId!)).KeyId).toBe(key.Arn);

      // The name is free again, for any key; it is a new alias with a new CreationDate.
      kl.clock.advance(MINUTE);
      const other = await createKey(kms);
      await createAlias(name, other.KeyId!);
      const again = (await aliasEntry(name))!;
      expect(again.TargetKeyId).toBe(other.KeyId);
      expectNear(again.CreationDate, kl.clock.now());
      expect((await encryptVia(aliasArnOf(name))).KeyId).toBe(other.Arn);
    });
  });

  describe('where an alias may name a key', () => {
    it('every operation that uses a key accepts the alias name and the alias ARN', async () => {
      const symmetric = await createKey(kms);
      const destination = await createKey(kms);
      const signing = await createKey(kms, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
      const hmac = await createKey(kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
      const agreement = await createKey(kms, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' });
      const names = {
        symmetric: uniqueAlias('use-sym'),
        destination: uniqueAlias('use-dest'),
        signing: uniqueAlias('use-sign'),
        hmac: uniqueAlias('use-hmac'),
        agreement: uniqueAlias('use-ecdh'),
      };
      await createAlias(names.symmetric, symmetric.KeyId!);
      await createAlias(names.destination, destination.KeyId!);
      await createAlias(names.signing, signing.KeyId!);
      await createAlias(names.hmac, hmac.KeyId!);
      await createAlias(names.agreement, agreement.KeyId!);
      const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ type: 'spki', format: 'der' });

      for (const form of ['name', 'arn'] as const) {
        const ref = (name: string) => (form === 'name' ? name : aliasArnOf(name));
        const sym = ref(names.symmetric);
        const label = (op: string) => `${op} with alias ${form}`;

        const described = await kms.send(new DescribeKeyCommand({ KeyId: sym }));
        expect([label('DescribeKey'), described.KeyMetadata!.KeyId]).toEqual([label('DescribeKey'), symmetric.KeyId]);

        const encrypted = await kms.send(new EncryptCommand({ KeyId: sym, Plaintext: Buffer.from(form) }));
        expect([label('Encrypt'), encrypted.KeyId]).toEqual([label('Encrypt'), symmetric.Arn]);
        const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: sym }));
        expect([label('Decrypt'), Buffer.from(decrypted.Plaintext!).toString(), decrypted.KeyId]).toEqual([label('Decrypt'), form, symmetric.Arn]);

        expect((await kms.send(new GenerateDataKeyCommand({ KeyId: sym, KeySpec: 'AES_256' }))).KeyId).toBe(symmetric.Arn);
        expect((await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: sym, NumberOfBytes: 16 }))).KeyId).toBe(symmetric.Arn);
        expect((await kms.send(new GenerateDataKeyPairCommand({ KeyId: sym, KeyPairSpec: 'ECC_NIST_P256' }))).KeyId).toBe(symmetric.Arn);
        expect((await kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: sym, KeyPairSpec: 'ECC_NIST_P256' }))).KeyId).toBe(symmetric.Arn);

        const reEncrypted = await kms.send(
          new ReEncryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, SourceKeyId: sym, DestinationKeyId: ref(names.destination) }),
        );
        expect([label('ReEncrypt'), reEncrypted.SourceKeyId, reEncrypted.KeyId]).toEqual([label('ReEncrypt'), symmetric.Arn, destination.Arn]);
        const back = await kms.send(new DecryptCommand({ CiphertextBlob: reEncrypted.CiphertextBlob }));
        expect(Buffer.from(back.Plaintext!).toString()).toBe(form);

        const message = Buffer.from(`signed via ${form}`);
        const signed = await kms.send(new SignCommand({ KeyId: ref(names.signing), Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }));
        expect([label('Sign'), signed.KeyId]).toEqual([label('Sign'), signing.Arn]);
        const verified = await kms.send(new VerifyCommand({ KeyId: ref(names.signing), Message: message, Signature: signed.Signature, SigningAlgorithm: 'ECDSA_SHA_256' }));
        expect([label('Verify'), verified.SignatureValid]).toEqual([label('Verify'), true]);
        expect((await kms.send(new GetPublicKeyCommand({ KeyId: ref(names.signing) }))).KeyId).toBe(signing.Arn);

        const mac = await kms.send(new GenerateMacCommand({ KeyId: ref(names.hmac), Message: message, MacAlgorithm: 'HMAC_SHA_256' }));
        expect([label('GenerateMac'), mac.KeyId]).toEqual([label('GenerateMac'), hmac.Arn]);
        const macValid = await kms.send(new VerifyMacCommand({ KeyId: ref(names.hmac), Message: message, Mac: mac.Mac, MacAlgorithm: 'HMAC_SHA_256' }));
        expect([label('VerifyMac'), macValid.MacValid]).toEqual([label('VerifyMac'), true]);

        const derived = await kms.send(new DeriveSharedSecretCommand({ KeyId: ref(names.agreement), KeyAgreementAlgorithm: 'ECDH', PublicKey: peer }));
        expect([label('DeriveSharedSecret'), derived.KeyId]).toEqual([label('DeriveSharedSecret'), agreement.Arn]);
      }
    });

    it('operations that take only a key id or key ARN refuse an existing alias name and alias ARN, changing nothing', async () => {
      const key = await createExternalKey(kms);
      await importMaterial(kms, key.KeyId!, randomBytes(32));
      const name = uniqueAlias('not-here');
      await createAlias(name, key.KeyId!);
      const params = await getImportParameters(kms, key.KeyId!);
      const wrapped = wrapForImport('RSAES_OAEP_SHA_256', params.PublicKey!, randomBytes(32));

      await expectNoChange(kl, kms, key.KeyId!, async () => {
        for (const alias of [name, aliasArnOf(name)]) {
          const calls: Array<[string, () => Promise<unknown>]> = [
            ['GetParametersForImport', () => kms.send(new GetParametersForImportCommand({ KeyId: alias, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' }))],
            [
              'ImportKeyMaterial',
              () =>
                kms.send(
                  new ImportKeyMaterialCommand({ KeyId: alias, ImportToken: params.ImportToken, EncryptedKeyMaterial: wrapped, ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' }),
                ),
            ],
            ['DeleteImportedKeyMaterial', () => kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: alias }))],
            ['EnableKey', () => kms.send(new EnableKeyCommand({ KeyId: alias }))],
            ['DisableKey', () => kms.send(new DisableKeyCommand({ KeyId: alias }))],
            ['UpdateKeyDescription', () => kms.send(new UpdateKeyDescriptionCommand({ KeyId: alias, Description: 'no' }))],
            ['ScheduleKeyDeletion', () => kms.send(new ScheduleKeyDeletionCommand({ KeyId: alias, PendingWindowInDays: 7 }))],
            ['CancelKeyDeletion', () => kms.send(new CancelKeyDeletionCommand({ KeyId: alias }))],
            ['TagResource', () => kms.send(new TagResourceCommand({ KeyId: alias, Tags: [{ TagKey: 'a', TagValue: 'b' }] }))],
            ['UntagResource', () => kms.send(new UntagResourceCommand({ KeyId: alias, TagKeys: ['a'] }))],
            ['ListResourceTags', () => kms.send(new ListResourceTagsCommand({ KeyId: alias }))],
            ['GetKeyPolicy', () => kms.send(new GetKeyPolicyCommand({ KeyId: alias }))],
            ['PutKeyPolicy', () => kms.send(new PutKeyPolicyCommand({ KeyId: alias, Policy: '{"Statement":[]}' }))],
            ['ListKeyPolicies', () => kms.send(new ListKeyPoliciesCommand({ KeyId: alias }))],
            ['EnableKeyRotation', () => kms.send(new EnableKeyRotationCommand({ KeyId: alias }))],
            ['DisableKeyRotation', () => kms.send(new DisableKeyRotationCommand({ KeyId: alias }))],
            ['GetKeyRotationStatus', () => kms.send(new GetKeyRotationStatusCommand({ KeyId: alias }))],
            ['RotateKeyOnDemand', () => kms.send(new RotateKeyOnDemandCommand({ KeyId: alias }))],
            ['ListKeyRotations', () => kms.send(new ListKeyRotationsCommand({ KeyId: alias }))],
            ['GetKeyLastUsage', () => kms.send(new GetKeyLastUsageCommand({ KeyId: alias }))],
            ['ListAliases', () => kms.send(new ListAliasesCommand({ KeyId: alias }))],
          ];
          for (const [operation, call] of calls) {
            const answer = await call().then(
              () => 'succeeded',
              (e: { name: string; message: string }) => `${e.name}: ${e.message}`,
            );
            expect({ operation, alias, answer }).toEqual({ operation, alias, answer: `NotFoundException: Invalid keyId '${alias}'` });
          }
          await expectKmsError(createAlias(uniqueAlias('to-alias'), alias), 'ValidationException', 'Aliases must refer to keys. Not aliases');
        }
      });
      expect(await describeKey(kms, key.KeyId!)).toMatchObject({ KeyState: 'Enabled' });
      await expectKmsError(kms.send(new ListAliasesCommand({ KeyId: 'alias/x' })), 'NotFoundException', "Invalid keyId 'alias/x'");
    });
  });

  describe('errors', () => {
    it('refuses names without the prefix, reserved, malformed or taken names, and targets that cannot take an alias', async () => {
      const key = await createKey(kms);
      const taken = uniqueAlias('taken');
      await createAlias(taken, key.KeyId!);
      const other = await createKey(kms);
      await expectNoChange(kl, kms, key.KeyId!, async () => {
        await expectKmsError(
          createAlias('no-prefix', key.KeyId!),
          'ValidationException',
          'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html',
        );
        await expectMessagelessError(createAlias('alias/aws/x', key.KeyId!), 'NotAuthorizedException');
        await expectKmsError(
          createAlias('alias/my-alias!', key.KeyId!),
          'ValidationException',
          "1 validation error detected: Value 'alias/my-alias!' at 'aliasName' failed to satisfy constraint: Member must satisfy regular expression pattern: ^[a-zA-Z0-9:/_-]+$",
        );
        await expectKmsError(createAlias('alias/my:alias', key.KeyId!), 'ValidationException', 'alias/my:alias contains invalid characters for an alias');
        const long = `alias/${'a'.repeat(251)}`;
        await expectKmsError(
          createAlias(long, key.KeyId!),
          'ValidationException',
          `1 validation error detected: Value '${long}' at 'aliasName' failed to satisfy constraint: Member must have length less than or equal to 256`,
        );
        await expectKmsError(createAlias(taken, other.KeyId!), 'AlreadyExistsException', `An alias with the name ${aliasArnOf(taken)} already exists`);
        expect((await aliasEntry(taken))!.TargetKeyId).toBe(key.KeyId);
        // UpdateAlias and DeleteAlias take an alias name too: without the prefix (an alias ARN included) it is the same refusal.
        const prefix = 'Alias must start with the prefix "alias/". Please see https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html';
        for (const name of ['no-prefix', aliasArnOf(taken)]) {
          await expectKmsError(kms.send(new UpdateAliasCommand({ AliasName: name, TargetKeyId: other.KeyId })), 'ValidationException', prefix);
          await expectKmsError(kms.send(new DeleteAliasCommand({ AliasName: name })), 'ValidationException', prefix);
        }
        expect((await aliasEntry(taken))!.TargetKeyId).toBe(key.KeyId);
      });
      expect(await aliasEntry('alias/aws/x')).toBeUndefined();

      const unknown = uniqueAlias('unknown');
      await expectKmsError(encryptVia(unknown), 'NotFoundException', `Alias ${aliasArnOf(unknown)} is not found.`);
      await expectKmsError(encryptVia(aliasArnOf(unknown)), 'NotFoundException', `Alias ${aliasArnOf(unknown)} is not found.`);
      await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: unknown })), 'NotFoundException', `Alias ${aliasArnOf(unknown)} is not found.`);

      // The same key's ARN in another partition names nothing here.
      const otherPartition = key.Arn!.replace(/^arn:aws:/, 'arn:aws-cn:');
      await expectKmsError(kms.send(new DescribeKeyCommand({ KeyId: otherPartition })), 'NotFoundException', `Key '${otherPartition}' does not exist`);

      const missingKey = randomUUID();
      await expectKmsError(createAlias(uniqueAlias('nokey'), missingKey), 'NotFoundException', `Key '${keyArnOf(missingKey)}' does not exist`);

      const pending = await createKey(kms);
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: pending.KeyId, PendingWindowInDays: 7 }));
      const refused = uniqueAlias('pending');
      await expectKmsError(createAlias(refused, pending.KeyId!), 'KMSInvalidStateException', `${pending.Arn} is pending deletion.`);
      expect(await aliasEntry(refused)).toBeUndefined();
      // A disabled key and an EXTERNAL key without material may have aliases.
      const disabled = await createKey(kms);
      await kms.send(new DisableKeyCommand({ KeyId: disabled.KeyId }));
      await createAlias(uniqueAlias('disabled'), disabled.KeyId!);
      const external = await createExternalKey(kms);
      await createAlias(uniqueAlias('pending-import'), external.KeyId!);
    });

    it('the same alias name in two accounts names two independent aliases', async () => {
      const other = kl.client({ accessKeyId: '111122223333' });
      const name = uniqueAlias('shared-name');
      const mine = await createKey(kms);
      const theirs = await createKey(other);
      expect(theirs.Arn).toBe(keyArnOf(theirs.KeyId!, '111122223333'));
      await createAlias(name, mine.KeyId!);
      // Not taken in the other account; and the other account cannot point an alias at this account's key.
      await expectKmsError(createAlias(name, mine.KeyId!, other), 'NotFoundException', `Key '${keyArnOf(mine.KeyId!, '111122223333')}' does not exist`);
      await createAlias(name, theirs.KeyId!, other);

      expect(await aliasEntry(name)).toMatchObject({ AliasArn: aliasArnOf(name), TargetKeyId: mine.KeyId });
      expect(await aliasEntry(name, other)).toMatchObject({ AliasArn: aliasArnOf(name, '111122223333'), TargetKeyId: theirs.KeyId });
      expect((await encryptVia(name)).KeyId).toBe(mine.Arn);
      expect((await encryptVia(name, other)).KeyId).toBe(theirs.Arn);
      expect((await allAliases(other)).every((a) => a.AliasArn!.includes(':111122223333:'))).toBe(true);

      await other.send(new DeleteAliasCommand({ AliasName: name }));
      expect(await aliasEntry(name, other)).toBeUndefined();
      expect(await aliasEntry(name)).toMatchObject({ TargetKeyId: mine.KeyId });
      expect((await encryptVia(name)).KeyId).toBe(mine.Arn);
      await expectKmsError(encryptVia(name, other), 'NotFoundException', `Alias ${aliasArnOf(name, '111122223333')} is not found.`);
    });
  });

  // Last: the clock moves 8 days.
  describe('a key deletion', () => {
    it('removes the key\'s aliases (not those moved away); the names can be created again', async () => {
      const doomed = await createKey(kms);
      const survivor = await createKey(kms);
      const names = [uniqueAlias('doomed'), uniqueAlias('doomed')];
      for (const name of names) await createAlias(name, doomed.KeyId!);
      const moved = uniqueAlias('moved-away');
      await createAlias(moved, doomed.KeyId!);
      await kms.send(new ScheduleKeyDeletionCommand({ KeyId: doomed.KeyId, PendingWindowInDays: 7 }));
      // Pending deletion: the aliases remain, listed for the key and still resolving (to a refusal).
      expect((await kms.send(new ListAliasesCommand({ KeyId: doomed.KeyId }))).Aliases!.map((a) => a.AliasName).sort()).toEqual([...names, moved].sort());
      await expectKmsError(encryptVia(names[0]), 'KMSInvalidStateException', `${doomed.Arn} is pending deletion.`);
      await kms.send(new UpdateAliasCommand({ AliasName: moved, TargetKeyId: survivor.KeyId }));

      kl.clock.advance(8 * DAY);
      await waitForDeletion(kl, doomed.KeyId!);
      await eventually(() => allAliases(kms), (list) => !list.some((a) => names.includes(a.AliasName!)));
      expect((await aliasEntry(moved))!.TargetKeyId).toBe(survivor.KeyId);
      await expectKmsError(encryptVia(names[0]), 'NotFoundException', `Alias ${aliasArnOf(names[0])} is not found.`);
      await expectKmsError(kms.send(new ListAliasesCommand({ KeyId: doomed.KeyId })), 'NotFoundException', `Key '${doomed.Arn}' does not exist`);
      await expectKmsError(kms.send(new DeleteAliasCommand({ AliasName: names[1] })), 'NotFoundException', `Alias ${aliasArnOf(names[1])} is not found.`);

      await createAlias(names[0], survivor.KeyId!);
      expect(await aliasEntry(names[0])).toMatchObject({ TargetKeyId: survivor.KeyId });
      expect((await encryptVia(names[0])).KeyId).toBe(survivor.Arn);
    });
  });
});
