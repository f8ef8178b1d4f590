import {
  CreateKeyCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyPairWithoutPlaintextCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateRandomCommand,
  KeyMetadata,
  KMSClient,
  ReEncryptCommand,
} from '@aws-sdk/client-kms';
import { createHash, randomBytes, randomUUID, sign, verify } from 'node:crypto';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import {
  CURVES,
  decryptKeyledgerBlobLocally,
  encryptKeyledgerBlobLocally,
  expectMessagelessKmsError,
  flipBit,
  opensslOk,
  parseKeyledgerBlob,
  privateFromPkcs8,
  publicFromSpki,
  scratchDir,
  SPKI_BYTES,
  spkiOfPkcs8,
} from '../support/crypto-independent';
import { readEventLog } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { describeKey, expectKmsError } from '../support/kms-error-assertions';

/**
 * SYMMETRIC_DEFAULT keys through @aws-sdk/client-kms against the real service: Encrypt/Decrypt, data keys,
 * ReEncrypt, GenerateRandom and data key pairs. Every result is checked independently: the imported key's
 * ciphertexts are opened with node:crypto's aes-256-gcm and the known 32 bytes, key pairs with node:crypto and
 * the openssl CLI.
 */
describe('symmetric cryptography through @aws-sdk/client-kms', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  /** Known material of the imported key. */
  const material = randomBytes(32);
  let imported: KeyMetadata;
  let generated: KeyMetadata;
  let signingKey: KeyMetadata;
  /** CurrentKeyMaterialId per key id, from DescribeKey. */
  const materialIds: Record<string, string> = {};

  beforeAll(async () => {
    // The expiry job is slowed to once an hour so the ValidTo tests see the key before the job has run.
    kl = await startKeyledger({ env: { KEYLEDGER_EXPIRY_INTERVAL_MS: '3600000' } });
    kms = kl.client();
    imported = await createExternalKey(kms, { Description: 'imported symmetric' });
    await importMaterial(kms, imported.KeyId!, material);
    imported = await describeKey(kms, imported.KeyId!);
    generated = (await kms.send(new CreateKeyCommand({ Description: 'generated symmetric' }))).KeyMetadata!;
    signingKey = (await kms.send(new CreateKeyCommand({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }))).KeyMetadata!;
    for (const key of [imported, generated]) {
      const described = await describeKey(kms, key.KeyId!);
      expect(described.CurrentKeyMaterialId).toMatch(/^[0-9a-f]{64}$/);
      materialIds[key.KeyId!] = described.CurrentKeyMaterialId!;
    }
  });
  afterAll(() => kl.destroy());

  const keys = () => [
    { name: 'imported', key: imported },
    { name: 'generated', key: generated },
  ];

  describe('Encrypt / Decrypt', () => {
    it.each(['imported', 'generated'])('%s key: round trip with an EncryptionContext; Decrypt without KeyId, with the key id and with the key ARN', async (which) => {
      const key = keys().find((k) => k.name === which)!.key;
      const plaintext = randomBytes(100);
      const context = { tenant: 'acme', purpose: 'e2e', 'ünïcode': 'välue' };
      const encrypted = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: plaintext, EncryptionContext: context }));
      expect(encrypted.KeyId).toBe(key.Arn);
      expect(encrypted.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
      // Encrypt's response has no KeyMaterialId (reference §3, §6).
      expect(encrypted).not.toHaveProperty('KeyMaterialId');

      // The order of the pairs does not matter, only their content.
      const reversed = Object.fromEntries(Object.entries(context).reverse());
      for (const KeyId of [undefined, key.KeyId, key.Arn]) {
        const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: reversed, KeyId }));
        expect(Buffer.from(decrypted.Plaintext!).equals(plaintext)).toBe(true);
        expect(decrypted.KeyId).toBe(key.Arn);
        expect(decrypted.EncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
        expect(decrypted.KeyMaterialId).toBe(materialIds[key.KeyId!]);
      }

      // Same plaintext twice: different ciphertexts (fresh nonce).
      const again = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: plaintext, EncryptionContext: context }));
      expect(Buffer.from(again.CiphertextBlob!).equals(Buffer.from(encrypted.CiphertextBlob!))).toBe(false);
    });

    it('Decrypt with a KeyId that is another key is IncorrectKeyException', async () => {
      const encrypted = await kms.send(new EncryptCommand({ KeyId: imported.KeyId, Plaintext: Buffer.from('for the imported key') }));
      const incorrect = 'The key ID in the request does not identify a CMK that can perform this operation.';
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: generated.KeyId })), 'IncorrectKeyException', incorrect);
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: generated.Arn })), 'IncorrectKeyException', incorrect);
      // A key of another kind (an HMAC key, reference §6) is just as incorrect.
      const hmac = (await kms.send(new CreateKeyCommand({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }))).KeyMetadata!;
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: hmac.KeyId })), 'IncorrectKeyException', incorrect);
    });

    it.each(['imported', 'generated'])('%s key: a wrong, missing or extra EncryptionContext is InvalidCiphertextException', async (which) => {
      const key = keys().find((k) => k.name === which)!.key;
      const context = { tenant: 'acme', purpose: 'e2e' };
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('bound to its context'), EncryptionContext: context }));
      const wrongContexts: Array<Record<string, string> | undefined> = [
        undefined,
        {},
        { tenant: 'acme' },
        { tenant: 'acme', purpose: 'e2e', extra: 'x' },
        { tenant: 'ACME', purpose: 'e2e' },
        { Tenant: 'acme', purpose: 'e2e' },
        { tenant: 'acme', purpose: 'e2e ' },
      ];
      for (const EncryptionContext of wrongContexts) {
        await expectMessagelessKmsError(kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext })), 'InvalidCiphertextException');
      }
      // And a ciphertext made without a context does not decrypt with one.
      const bare = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('no context') }));
      await expectMessagelessKmsError(kms.send(new DecryptCommand({ CiphertextBlob: bare.CiphertextBlob, EncryptionContext: { a: 'b' } })), 'InvalidCiphertextException');
      const ok = await kms.send(new DecryptCommand({ CiphertextBlob: bare.CiphertextBlob }));
      expect(Buffer.from(ok.Plaintext!).toString()).toBe('no context');
    });

    it('plaintext of 4096 bytes is accepted, 4097 bytes is a ValidationException', async () => {
      const max = randomBytes(4096);
      const encrypted = await kms.send(new EncryptCommand({ KeyId: imported.KeyId, Plaintext: max }));
      expect(decryptKeyledgerBlobLocally(encrypted.CiphertextBlob!, material).equals(max)).toBe(true);
      await expectKmsError(
        kms.send(new EncryptCommand({ KeyId: imported.KeyId, Plaintext: randomBytes(4097) })),
        'ValidationException',
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: Member must have length less than or equal to 4096",
      );
    });

    it.each(['imported', 'generated'])('%s key: a corrupted, truncated, extended or foreign ciphertext is InvalidCiphertextException', async (which) => {
      const key = keys().find((k) => k.name === which)!.key;
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('do not touch'), EncryptionContext: { a: '1' } }));
      const blob = Buffer.from(CiphertextBlob!);
      const parsed = parseKeyledgerBlob(blob);
      const nonceAt = parsed.header.length;
      const corrupted = [
        flipBit(blob, -1), // ciphertext body
        flipBit(blob, nonceAt), // nonce
        flipBit(blob, nonceAt + 12), // tag
        flipBit(blob, parsed.header.length - 1), // key material id in the header
        blob.subarray(0, blob.length - 1),
        Buffer.concat([blob, Buffer.from([0])]),
        blob.subarray(parsed.header.length), // header stripped
        randomBytes(blob.length),
      ];
      for (const bad of corrupted) {
        await expectMessagelessKmsError(kms.send(new DecryptCommand({ CiphertextBlob: bad, EncryptionContext: { a: '1' } })), 'InvalidCiphertextException');
      }
    });

    it('a ciphertext that refers to a key that does not exist, or not in the caller\'s region, is AccessDeniedException (reference §0.2)', async () => {
      const message = 'The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access.';
      // Well-formed, sealed with the imported material, but naming a key id that does not exist.
      const orphan = encryptKeyledgerBlobLocally({ keyId: randomUUID(), keyMaterialId: materialIds[imported.KeyId!], material, plaintext: Buffer.from('orphan') });
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob: orphan })), 'AccessDeniedException', message);
      await expectKmsError(kms.send(new ReEncryptCommand({ CiphertextBlob: orphan, DestinationKeyId: generated.KeyId })), 'AccessDeniedException', message);
      // A real ciphertext, decrypted by the same account from another region.
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: imported.KeyId, Plaintext: Buffer.from('us-east-1 only') }));
      await expectKmsError(kl.client({ region: 'eu-west-1' }).send(new DecryptCommand({ CiphertextBlob })), 'AccessDeniedException', message);
    });

    it('a ciphertext whose key reference bytes are corrupted is refused as a bad ciphertext, not as a key the caller named', async () => {
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: generated.KeyId, Plaintext: Buffer.from('x') }));
      // Byte 6 lies inside the key id of the header (magic, version, length, then the key id).
      const corrupted = flipBit(CiphertextBlob!, 6);
      const corruptedId = parseKeyledgerBlob(corrupted).keyId;
      expect(corruptedId).not.toBe(generated.KeyId);
      for (const call of [
        () => kms.send(new DecryptCommand({ CiphertextBlob: corrupted })),
        () => kms.send(new ReEncryptCommand({ CiphertextBlob: corrupted, DestinationKeyId: generated.KeyId })),
      ]) {
        const outcome = await call().then(
          () => ({ name: 'succeeded', status: 200, namesCorruptedKey: false }),
          (e: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => ({
            name: e.name,
            status: e.$metadata?.httpStatusCode,
            namesCorruptedKey: e.message.includes(corruptedId),
          }),
        );
        expect(['InvalidCiphertextException', 'AccessDeniedException']).toContain(outcome.name);
        expect(outcome).toMatchObject({ status: 400, namesCorruptedKey: false });
      }
    });

    it('the imported 32 bytes really are the key: Keyledger ciphertext opens locally with aes-256-gcm, and a locally sealed blob opens in Keyledger', async () => {
      const plaintext = randomBytes(333);
      const context = { department: 'finance', 'b-key': 'value with spaces', a: '' };
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: imported.KeyId, Plaintext: plaintext, EncryptionContext: context }));
      const parsed = parseKeyledgerBlob(CiphertextBlob!);
      expect(parsed.keyId).toBe(imported.KeyId);
      expect(parsed.keyMaterialId).toBe(materialIds[imported.KeyId!]);
      expect(parsed.ciphertext.length).toBe(plaintext.length);
      expect(decryptKeyledgerBlobLocally(CiphertextBlob!, material, context).equals(plaintext)).toBe(true);
      // The context is authenticated locally too: without it, or with another material, the tag does not verify.
      expect(() => decryptKeyledgerBlobLocally(CiphertextBlob!, material, {})).toThrow();
      expect(() => decryptKeyledgerBlobLocally(CiphertextBlob!, randomBytes(32), context)).toThrow();

      // The other direction: a blob sealed here with the known material decrypts in Keyledger without a KeyId.
      const local = encryptKeyledgerBlobLocally({ keyId: imported.KeyId!, keyMaterialId: materialIds[imported.KeyId!], material, plaintext, encryptionContext: context });
      const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: local, EncryptionContext: context }));
      expect(Buffer.from(decrypted.Plaintext!).equals(plaintext)).toBe(true);
      expect(decrypted.KeyId).toBe(imported.Arn);
      // Sealed with other bytes under the same header, it is refused.
      const forged = encryptKeyledgerBlobLocally({ keyId: imported.KeyId!, keyMaterialId: materialIds[imported.KeyId!], material: randomBytes(32), plaintext, encryptionContext: context });
      await expectMessagelessKmsError(kms.send(new DecryptCommand({ CiphertextBlob: forged, EncryptionContext: context })), 'InvalidCiphertextException');
    });
  });

  describe('GenerateDataKey / GenerateDataKeyWithoutPlaintext', () => {
    const sizes: Array<{ label: string; input: { KeySpec?: 'AES_256' | 'AES_128'; NumberOfBytes?: number }; bytes: number }> = [
      { label: 'KeySpec AES_256', input: { KeySpec: 'AES_256' }, bytes: 32 },
      { label: 'KeySpec AES_128', input: { KeySpec: 'AES_128' }, bytes: 16 },
      { label: 'NumberOfBytes 1', input: { NumberOfBytes: 1 }, bytes: 1 },
      { label: 'NumberOfBytes 1024', input: { NumberOfBytes: 1024 }, bytes: 1024 },
    ];

    it.each(['imported', 'generated'])('%s key: AES_256, AES_128, 1 and 1024 bytes; the CiphertextBlob decrypts to the Plaintext', async (which) => {
      const key = keys().find((k) => k.name === which)!.key;
      const context = { app: 'envelope', which };
      for (const size of sizes) {
        const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, EncryptionContext: context, ...size.input }));
        expect({ size: size.label, length: dataKey.Plaintext?.length }).toEqual({ size: size.label, length: size.bytes });
        expect(dataKey.KeyId).toBe(key.Arn);
        expect(dataKey.KeyMaterialId).toBe(materialIds[key.KeyId!]);
        const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob, EncryptionContext: context }));
        expect(Buffer.from(decrypted.Plaintext!).equals(Buffer.from(dataKey.Plaintext!))).toBe(true);
        expect(decrypted.KeyMaterialId).toBe(materialIds[key.KeyId!]);
        if (which === 'imported') {
          expect(decryptKeyledgerBlobLocally(dataKey.CiphertextBlob!, material, context).equals(Buffer.from(dataKey.Plaintext!))).toBe(true);
        }
        await expectMessagelessKmsError(kms.send(new DecryptCommand({ CiphertextBlob: dataKey.CiphertextBlob })), 'InvalidCiphertextException');
      }
      const a = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256' }));
      const b = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256' }));
      expect(Buffer.from(a.Plaintext!).equals(Buffer.from(b.Plaintext!))).toBe(false);
    });

    it('both KeySpec and NumberOfBytes, or neither, is a ValidationException', async () => {
      for (const command of [GenerateDataKeyCommand, GenerateDataKeyWithoutPlaintextCommand]) {
        const message = 'Please specify either number of bytes or key spec.';
        await expectKmsError(kms.send(new command({ KeyId: imported.KeyId, KeySpec: 'AES_256', NumberOfBytes: 32 })), 'ValidationException', message);
        await expectKmsError(kms.send(new command({ KeyId: imported.KeyId })), 'ValidationException', message);
      }
    });

    it('NumberOfBytes 0 and 1025 get the Coral range templates', async () => {
      for (const command of [GenerateDataKeyCommand, GenerateDataKeyWithoutPlaintextCommand]) {
        await expectKmsError(
          kms.send(new command({ KeyId: generated.KeyId, NumberOfBytes: 0 })),
          'ValidationException',
          "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
        );
        await expectKmsError(
          kms.send(new command({ KeyId: generated.KeyId, NumberOfBytes: 1025 })),
          'ValidationException',
          "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
        );
      }
    });

    it.each(['imported', 'generated'])('%s key: WithoutPlaintext has no Plaintext; its CiphertextBlob decrypts to 32 bytes', async (which) => {
      const key = keys().find((k) => k.name === which)!.key;
      const context = { stored: 'for later' };
      const result = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.KeyId, KeySpec: 'AES_256', EncryptionContext: context }));
      expect(result).not.toHaveProperty('Plaintext');
      expect(result.KeyId).toBe(key.Arn);
      expect(result.KeyMaterialId).toBe(materialIds[key.KeyId!]);
      const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: result.CiphertextBlob, EncryptionContext: context }));
      expect(decrypted.Plaintext!.length).toBe(32);
      if (which === 'imported') {
        expect(decryptKeyledgerBlobLocally(result.CiphertextBlob!, material, context).equals(Buffer.from(decrypted.Plaintext!))).toBe(true);
      }
      const small = await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.KeyId, NumberOfBytes: 7 }));
      expect((await kms.send(new DecryptCommand({ CiphertextBlob: small.CiphertextBlob }))).Plaintext!.length).toBe(7);
    });
  });

  describe('ReEncrypt', () => {
    const cases = [
      { label: 'imported -> same key', from: 'imported', to: 'imported' },
      { label: 'imported -> generated', from: 'imported', to: 'generated' },
      { label: 'generated -> imported', from: 'generated', to: 'imported' },
    ];

    it.each(cases)('$label with Source/Destination encryption contexts', async ({ from, to }) => {
      const source = keys().find((k) => k.name === from)!.key;
      const destination = keys().find((k) => k.name === to)!.key;
      const plaintext = randomBytes(64);
      const sourceContext = { stage: 'source' };
      const destinationContext = { stage: 'destination', extra: 'yes' };
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: source.KeyId, Plaintext: plaintext, EncryptionContext: sourceContext }));
      const result = await kms.send(
        new ReEncryptCommand({
          CiphertextBlob,
          SourceEncryptionContext: sourceContext,
          DestinationKeyId: destination.KeyId,
          DestinationEncryptionContext: destinationContext,
        }),
      );
      expect(result.SourceKeyId).toBe(source.Arn);
      expect(result.KeyId).toBe(destination.Arn);
      expect(result.SourceEncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
      expect(result.DestinationEncryptionAlgorithm).toBe('SYMMETRIC_DEFAULT');
      expect(result.SourceKeyMaterialId).toBe(materialIds[source.KeyId!]);
      expect(result.DestinationKeyMaterialId).toBe(materialIds[destination.KeyId!]);

      const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: result.CiphertextBlob, EncryptionContext: destinationContext }));
      expect(Buffer.from(decrypted.Plaintext!).equals(plaintext)).toBe(true);
      expect(decrypted.KeyId).toBe(destination.Arn);
      if (to === 'imported') expect(decryptKeyledgerBlobLocally(result.CiphertextBlob!, material, destinationContext).equals(plaintext)).toBe(true);
      expect(parseKeyledgerBlob(result.CiphertextBlob!).keyId).toBe(destination.KeyId);
      // Bound to the destination context now, not the source's.
      await expectMessagelessKmsError(kms.send(new DecryptCommand({ CiphertextBlob: result.CiphertextBlob, EncryptionContext: sourceContext })), 'InvalidCiphertextException');

      // With SourceKeyId given as the right key (id or ARN) it works too.
      const named = await kms.send(
        new ReEncryptCommand({ CiphertextBlob, SourceKeyId: source.Arn, SourceEncryptionContext: sourceContext, DestinationKeyId: destination.Arn }),
      );
      const plain = await kms.send(new DecryptCommand({ CiphertextBlob: named.CiphertextBlob }));
      expect(Buffer.from(plain.Plaintext!).equals(plaintext)).toBe(true);
    });

    it('a wrong SourceKeyId is IncorrectKeyException; a wrong source context is InvalidCiphertextException', async () => {
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: imported.KeyId, Plaintext: Buffer.from('re'), EncryptionContext: { k: 'v' } }));
      await expectKmsError(
        kms.send(new ReEncryptCommand({ CiphertextBlob, SourceKeyId: generated.KeyId, SourceEncryptionContext: { k: 'v' }, DestinationKeyId: generated.KeyId })),
        'IncorrectKeyException',
        'The key ID in the request does not identify a CMK that can perform this operation.',
      );
      await expectMessagelessKmsError(
        kms.send(new ReEncryptCommand({ CiphertextBlob, SourceEncryptionContext: { k: 'other' }, DestinationKeyId: generated.KeyId })),
        'InvalidCiphertextException',
      );
      await expectMessagelessKmsError(kms.send(new ReEncryptCommand({ CiphertextBlob: flipBit(CiphertextBlob!, -1), SourceEncryptionContext: { k: 'v' }, DestinationKeyId: generated.KeyId })), 'InvalidCiphertextException');
    });

    it('a destination key with SIGN_VERIFY usage is InvalidKeyUsageException naming ReEncrypt', async () => {
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: generated.KeyId, Plaintext: Buffer.from('re') }));
      await expectKmsError(
        kms.send(new ReEncryptCommand({ CiphertextBlob, DestinationKeyId: signingKey.KeyId })),
        'InvalidKeyUsageException',
        `${signingKey.Arn} key usage is SIGN_VERIFY which is not valid for ReEncrypt.`,
      );
    });
  });

  describe('GenerateRandom', () => {
    it.each([1, 12, 1024])('NumberOfBytes %i gives exactly that many bytes', async (n) => {
      const a = await kms.send(new GenerateRandomCommand({ NumberOfBytes: n }));
      const b = await kms.send(new GenerateRandomCommand({ NumberOfBytes: n }));
      expect(a.Plaintext!.length).toBe(n);
      expect(b.Plaintext!.length).toBe(n);
      // One byte collides with probability 1/256; longer outputs must differ.
      if (n > 1) expect(Buffer.from(a.Plaintext!).equals(Buffer.from(b.Plaintext!))).toBe(false);
    });

    it('NumberOfBytes omitted, 0 and 1025 are ValidationExceptions with AWS\'s texts', async () => {
      await expectKmsError(kms.send(new GenerateRandomCommand({})), 'ValidationException', 'NumberOfBytes is required.');
      await expectKmsError(
        kms.send(new GenerateRandomCommand({ NumberOfBytes: 0 })),
        'ValidationException',
        "1 validation error detected: Value '0' at 'numberOfBytes' failed to satisfy constraint: Member must have value greater than or equal to 1",
      );
      await expectKmsError(
        kms.send(new GenerateRandomCommand({ NumberOfBytes: 1025 })),
        'ValidationException',
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: Member must have value less than or equal to 1024",
      );
    });
  });

  describe('GenerateDataKeyPair / GenerateDataKeyPairWithoutPlaintext', () => {
    let scratch: ReturnType<typeof scratchDir>;
    beforeAll(() => (scratch = scratchDir()));
    afterAll(() => scratch.remove());

    const specs = ['RSA_2048', 'ECC_NIST_P256', 'ECC_SECG_P256K1', 'ECC_NIST_P384', 'ECC_NIST_P521', 'ECC_NIST_EDWARDS25519'] as const;

    /** The PKCS#8 DER is a key pair of the spec, its public half is `publicKey`, openssl reads it, and it signs. */
    function checkPair(spec: string, pkcs8: Buffer, publicKey: Uint8Array, label: string): void {
      const privateKey = privateFromPkcs8(pkcs8);
      if (spec.startsWith('RSA_')) {
        expect(privateKey.asymmetricKeyType).toBe('rsa');
        expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(Number(spec.slice(4)));
      } else if (spec === 'ECC_NIST_EDWARDS25519') {
        expect(privateKey.asymmetricKeyType).toBe('ed25519');
      } else {
        expect(privateKey.asymmetricKeyType).toBe('ec');
        expect(privateKey.asymmetricKeyDetails?.namedCurve).toBe(CURVES[spec]);
      }
      expect(spkiOfPkcs8(pkcs8).equals(Buffer.from(publicKey))).toBe(true);
      expect(publicKey.length).toBe(SPKI_BYTES[spec]);

      // openssl parses the PKCS#8 DER and derives the same SubjectPublicKeyInfo.
      const privPath = scratch.write(`${label}.der`, pkcs8);
      opensslOk(['pkey', '-inform', 'DER', '-in', privPath, '-noout']);
      const opensslSpki = opensslOk(['pkey', '-inform', 'DER', '-in', privPath, '-pubout', '-outform', 'DER']);
      expect(opensslSpki.equals(Buffer.from(publicKey))).toBe(true);

      // A signature made with the private key verifies with PublicKey (Ed25519 hashes internally: no digest name).
      const message = randomBytes(50);
      const digest = spec === 'ECC_NIST_EDWARDS25519' ? null : 'sha256';
      const signature = sign(digest, message, privateKey);
      expect(verify(digest, message, publicFromSpki(publicKey), signature)).toBe(true);
      expect(verify(digest, Buffer.concat([message, Buffer.from('x')]), publicFromSpki(publicKey), signature)).toBe(false);
    }

    it.each(specs)('%s: PrivateKeyCiphertextBlob decrypts to PrivateKeyPlaintext, a PKCS#8 key pair matching PublicKey', async (spec) => {
      for (const { name, key } of keys()) {
        const context = { pair: spec };
        const pair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: key.KeyId, KeyPairSpec: spec, EncryptionContext: context }));
        expect(pair.KeyId).toBe(key.Arn);
        expect(pair.KeyPairSpec).toBe(spec);
        expect(pair.KeyMaterialId).toBe(materialIds[key.KeyId!]);
        const plaintext = Buffer.from(pair.PrivateKeyPlaintext!);
        const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob, EncryptionContext: context }));
        expect(Buffer.from(decrypted.Plaintext!).equals(plaintext)).toBe(true);
        if (name === 'imported') expect(decryptKeyledgerBlobLocally(pair.PrivateKeyCiphertextBlob!, material, context).equals(plaintext)).toBe(true);
        checkPair(spec, plaintext, pair.PublicKey!, `${spec}-${name}`);
      }
    });

    it.each(specs)('%s WithoutPlaintext: no PrivateKeyPlaintext; the decrypted private key matches PublicKey', async (spec) => {
      for (const { name, key } of keys()) {
        const pair = await kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: key.KeyId, KeyPairSpec: spec }));
        expect(pair).not.toHaveProperty('PrivateKeyPlaintext');
        expect(pair.KeyId).toBe(key.Arn);
        expect(pair.KeyPairSpec).toBe(spec);
        expect(pair.KeyMaterialId).toBe(materialIds[key.KeyId!]);
        const decrypted = Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: pair.PrivateKeyCiphertextBlob }))).Plaintext!);
        if (name === 'imported') expect(decryptKeyledgerBlobLocally(pair.PrivateKeyCiphertextBlob!, material).equals(decrypted)).toBe(true);
        checkPair(spec, decrypted, pair.PublicKey!, `${spec}-${name}-np`);
      }
    });

    it('two pairs of the same spec differ', async () => {
      const a = await kms.send(new GenerateDataKeyPairCommand({ KeyId: generated.KeyId, KeyPairSpec: 'ECC_NIST_P256' }));
      const b = await kms.send(new GenerateDataKeyPairCommand({ KeyId: generated.KeyId, KeyPairSpec: 'ECC_NIST_P256' }));
      expect(Buffer.from(a.PublicKey!).equals(Buffer.from(b.PublicKey!))).toBe(false);
      expect(createHash('sha256').update(a.PrivateKeyPlaintext!).digest('hex')).not.toBe(createHash('sha256').update(b.PrivateKeyPlaintext!).digest('hex'));
    });

    it('KeyPairSpec SM2 is UnsupportedOperationException', async () => {
      await expectMessagelessKmsError(kms.send(new GenerateDataKeyPairCommand({ KeyId: generated.KeyId, KeyPairSpec: 'SM2' })), 'UnsupportedOperationException');
      await expectMessagelessKmsError(kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: generated.KeyId, KeyPairSpec: 'SM2' })), 'UnsupportedOperationException');
    });

    it('DryRun is DryRunOperationException', async () => {
      const message = 'The request would have succeeded, but the DryRun option is set.';
      await expectKmsError(kms.send(new GenerateDataKeyPairCommand({ KeyId: imported.KeyId, KeyPairSpec: 'ECC_NIST_P256', DryRun: true })), 'DryRunOperationException', message);
      await expectKmsError(
        kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: generated.KeyId, KeyPairSpec: 'RSA_2048', DryRun: true })),
        'DryRunOperationException',
        message,
      );
    });
  });

  describe('dry runs without a ciphertext (DryRunModifiers IGNORE_CIPHERTEXT) and grant tokens', () => {
    const dryRunMessage = 'The request would have succeeded, but the DryRun option is set.';
    const ignoring = { DryRun: true, DryRunModifiers: ['IGNORE_CIPHERTEXT' as const] };

    it('Decrypt and ReEncrypt check the named keys and answer DryRunOperationException, with no ciphertext sent', async () => {
      await expectKmsError(kms.send(new DecryptCommand({ KeyId: imported.KeyId, ...ignoring })), 'DryRunOperationException', dryRunMessage);
      await expectKmsError(
        kms.send(new ReEncryptCommand({ SourceKeyId: imported.KeyId, DestinationKeyId: generated.Arn, ...ignoring })),
        'DryRunOperationException',
        dryRunMessage,
      );
      // The ciphertext is not read: garbage in it does not turn the dry run into InvalidCiphertextException.
      await expectKmsError(kms.send(new DecryptCommand({ KeyId: generated.KeyId, CiphertextBlob: randomBytes(64), ...ignoring })), 'DryRunOperationException', dryRunMessage);
    });

    it('the named key is checked as a use would be: a key of another usage is refused, an unknown one is NotFoundException', async () => {
      await expectKmsError(
        kms.send(new DecryptCommand({ KeyId: signingKey.KeyId, ...ignoring })),
        'InvalidKeyUsageException',
        `${signingKey.Arn} key usage is SIGN_VERIFY which is not valid for Decrypt.`,
      );
      const unknown = randomUUID();
      await expectKmsError(kms.send(new DecryptCommand({ KeyId: unknown, ...ignoring })), 'NotFoundException', `Key 'arn:aws:kms:us-east-1:000000000000:key/${unknown}' does not exist`);
    });

    it('without the modifier, or without DryRun, the ciphertext is required; with it, the key is', async () => {
      const missing = (member: string) => `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`;
      await expectKmsError(kms.send(new DecryptCommand({ KeyId: imported.KeyId, DryRun: true })), 'ValidationException', missing('ciphertextBlob'));
      await expectKmsError(
        kms.send(new DecryptCommand({ KeyId: imported.KeyId, DryRunModifiers: ['IGNORE_CIPHERTEXT'] })),
        'ValidationException',
        missing('ciphertextBlob'),
      );
      await expectKmsError(kms.send(new DecryptCommand({ ...ignoring })), 'ValidationException', missing('keyId'));
      await expectKmsError(kms.send(new ReEncryptCommand({ DestinationKeyId: generated.KeyId, ...ignoring })), 'ValidationException', missing('sourceKeyId'));
    });

    it('up to 10 grant tokens of up to 8192 characters are accepted (and ignored); more, or an empty one, is a ValidationException', async () => {
      const tokens = Array.from({ length: 10 }, () => randomBytes(6144).toString('base64'));
      const encrypted = await kms.send(new EncryptCommand({ KeyId: imported.KeyId, Plaintext: Buffer.from('granted'), GrantTokens: tokens }));
      expect(decryptKeyledgerBlobLocally(encrypted.CiphertextBlob!, material).toString()).toBe('granted');
      await expectKmsError(
        kms.send(new EncryptCommand({ KeyId: imported.KeyId, Plaintext: Buffer.from('x'), GrantTokens: [...tokens, 'eleventh'] })),
        'ValidationException',
        "1 validation error detected: Value '[list]' at 'grantTokens' failed to satisfy constraint: Member must have length less than or equal to 10",
      );
      await expectKmsError(
        kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, GrantTokens: ['t', ''] })),
        'ValidationException',
        "1 validation error detected: Value '' at 'grantTokens.2.member' failed to satisfy constraint: Member must have length greater than or equal to 1",
      );
    });
  });

  describe('key states: no material, no cryptography', () => {
    /** Every operation of this file on `key` (Decrypt and ReEncrypt of a ciphertext made before) is refused with `<arn> is pending import.` */
    async function expectAllPendingImport(key: KeyMetadata, ciphertext: Uint8Array, context: Record<string, string>): Promise<void> {
      const message = `${key.Arn} is pending import.`;
      const other = await kms.send(new EncryptCommand({ KeyId: generated.KeyId, Plaintext: Buffer.from('to it') }));
      const refusals: Array<[string, () => Promise<unknown>]> = [
        ['Encrypt', () => kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') }))],
        ['Decrypt', () => kms.send(new DecryptCommand({ CiphertextBlob: ciphertext, EncryptionContext: context }))],
        ['Decrypt with KeyId', () => kms.send(new DecryptCommand({ CiphertextBlob: ciphertext, EncryptionContext: context, KeyId: key.Arn }))],
        ['ReEncrypt from it', () => kms.send(new ReEncryptCommand({ CiphertextBlob: ciphertext, SourceEncryptionContext: context, DestinationKeyId: generated.KeyId }))],
        ['ReEncrypt to it', () => kms.send(new ReEncryptCommand({ CiphertextBlob: other.CiphertextBlob, DestinationKeyId: key.KeyId }))],
        ['GenerateDataKey', () => kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_256' }))],
        ['GenerateDataKeyWithoutPlaintext', () => kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: key.KeyId, NumberOfBytes: 16 }))],
        ['GenerateDataKeyPair', () => kms.send(new GenerateDataKeyPairCommand({ KeyId: key.KeyId, KeyPairSpec: 'ECC_NIST_P256' }))],
        ['GenerateDataKeyPairWithoutPlaintext', () => kms.send(new GenerateDataKeyPairWithoutPlaintextCommand({ KeyId: key.KeyId, KeyPairSpec: 'ECC_NIST_P256' }))],
      ];
      for (const [operation, call] of refusals) {
        const failure = await call().then(
          () => ({ operation, name: 'succeeded', message: '', status: 200 }),
          (e: { name: string; message: string; $metadata?: { httpStatusCode?: number } }) => ({ operation, name: e.name, message: e.message, status: e.$metadata?.httpStatusCode }),
        );
        expect(failure).toEqual({ operation, name: 'KMSInvalidStateException', message, status: 400 });
      }
    }

    it('after DeleteImportedKeyMaterial every operation on the key is KMSInvalidStateException "<arn> is pending import."', async () => {
      const key = await createExternalKey(kms);
      const keyMaterial = randomBytes(32);
      await importMaterial(kms, key.KeyId!, keyMaterial);
      const context = { before: 'delete' };
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('made before'), EncryptionContext: context }));
      // Working before the deletion (and the material is the imported one).
      expect(decryptKeyledgerBlobLocally(CiphertextBlob!, keyMaterial, context).toString()).toBe('made before');

      await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: key.KeyId }));
      await expectAllPendingImport(key, CiphertextBlob!, context);
    });

    it('after the material\'s ValidTo every operation is refused the same way, even before the expiry job ran', async () => {
      const key = await createExternalKey(kms);
      const keyMaterial = randomBytes(32);
      const validTo = new Date(kl.clock.now() + 5_000);
      await importMaterial(kms, key.KeyId!, keyMaterial, { import: { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: validTo } });
      const context = { before: 'expiry' };
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('made before'), EncryptionContext: context }));
      const ok = await kms.send(new GenerateDataKeyCommand({ KeyId: key.KeyId, KeySpec: 'AES_128' }));
      expect(decryptKeyledgerBlobLocally(ok.CiphertextBlob!, keyMaterial).equals(Buffer.from(ok.Plaintext!))).toBe(true);

      kl.clock.advance(6_000);
      await expectAllPendingImport(key, CiphertextBlob!, context);
      // The job (interval 1 h) has not recorded the expiry: the refusals come from the ValidTo itself.
      expect(readEventLog(kl.dataDir, `kms-key-${key.KeyId}`).map((e) => e.type)).not.toContain('KeyMaterialExpired.v1');
    });
  });
});
