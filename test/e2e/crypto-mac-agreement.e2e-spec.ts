import {
  CreateKeyCommand,
  DecryptCommand,
  DeleteImportedKeyMaterialCommand,
  DeriveSharedSecretCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateMacCommand,
  GetKeyLastUsageCommand,
  GetPublicKeyCommand,
  KeyMetadata,
  KeySpec,
  KMSClient,
  MacAlgorithmSpec,
  ReEncryptCommand,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import { createHash, createHmac, diffieHellman, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalEncryptionContext } from '@keyledger/crypto';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { CURVES, expectMessagelessKmsError, flipBit, localKeyPair, opensslOk, pkcs8Pem, publicFromSpki, scratchDir, spkiPem } from '../support/crypto-independent';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { describeKey, expectKmsError } from '../support/kms-error-assertions';
import { restCall } from '../support/rest-client';
import { fetchAllUsage, fetchUsage } from '../support/usage';

/**
 * HMAC, ECDH key agreement and usage tracking through @aws-sdk/client-kms against the real service. MACs are
 * recomputed with node:crypto's createHmac over the imported material, shared secrets with node:crypto's
 * diffieHellman and `openssl pkeyutl -derive`; usage records are compared with the request ids the SDK saw.
 */

const HMAC_SPECS = ['HMAC_224', 'HMAC_256', 'HMAC_384', 'HMAC_512'] as const;
const HMAC_BYTES: Record<string, number> = { HMAC_224: 28, HMAC_256: 32, HMAC_384: 48, HMAC_512: 64 };
const macAlgorithm = (spec: string) => `HMAC_SHA_${spec.slice(5)}` as MacAlgorithmSpec;
const macHash = (spec: string) => `sha${spec.slice(5)}`;
const AGREEMENT_SPECS = ['ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521'] as const;
const SECRET_BYTES: Record<string, number> = { ECC_NIST_P256: 32, ECC_NIST_P384: 48, ECC_NIST_P521: 66 };

describe('HMAC, key agreement and key usage through @aws-sdk/client-kms', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  let scratch: ReturnType<typeof scratchDir>;

  const createKey = async (spec: string, usage: string): Promise<KeyMetadata> =>
    (await kms.send(new CreateKeyCommand({ KeySpec: spec as KeySpec, KeyUsage: usage as never }))).KeyMetadata!;

  beforeAll(async () => {
    kl = await startKeyledger();
    kms = kl.client();
    scratch = scratchDir();
  });
  afterAll(async () => {
    scratch.remove();
    await kl.destroy();
  });

  describe('GenerateMac / VerifyMac', () => {
    const hmacKeys = new Map<string, { key: KeyMetadata; material?: Buffer }>();
    let symmetric: KeyMetadata;

    beforeAll(async () => {
      for (const spec of HMAC_SPECS) {
        const material = randomBytes(HMAC_BYTES[spec]);
        const external = await createExternalKey(kms, { KeySpec: spec, KeyUsage: 'GENERATE_VERIFY_MAC' });
        await importMaterial(kms, external.KeyId!, material, { wrappingAlgorithm: 'RSAES_OAEP_SHA_256' });
        hmacKeys.set(`${spec}/EXTERNAL`, { key: await describeKey(kms, external.KeyId!), material });
        hmacKeys.set(`${spec}/AWS_KMS`, { key: await createKey(spec, 'GENERATE_VERIFY_MAC') });
      }
      symmetric = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
    });

    const cases = HMAC_SPECS.flatMap((spec) => (['EXTERNAL', 'AWS_KMS'] as const).map((origin) => ({ spec, origin })));

    it.each(cases)('$spec ($origin): the MAC is HMAC over the key material; VerifyMac accepts it and nothing else', async ({ spec, origin }) => {
      const { key, material } = hmacKeys.get(`${spec}/${origin}`)!;
      const algorithm = macAlgorithm(spec);
      const message = randomBytes(500);
      const generated = await kms.send(new GenerateMacCommand({ KeyId: key.KeyId, Message: message, MacAlgorithm: algorithm }));
      expect(generated.KeyId).toBe(key.Arn);
      expect(generated.MacAlgorithm).toBe(algorithm);
      const mac = Buffer.from(generated.Mac!);
      expect(mac.length).toBe(HMAC_BYTES[spec]);

      if (material) {
        // The imported bytes are the HMAC key: node:crypto computes the same MAC.
        expect(mac.equals(createHmac(macHash(spec), material).update(message).digest())).toBe(true);
        // And a MAC computed here over another message (4096 bytes, the maximum) verifies in Keyledger.
        const other = randomBytes(4096);
        const localMac = createHmac(macHash(spec), material).update(other).digest();
        expect(await kms.send(new VerifyMacCommand({ KeyId: key.Arn, Message: other, MacAlgorithm: algorithm, Mac: localMac }))).toMatchObject({
          KeyId: key.Arn,
          MacValid: true,
          MacAlgorithm: algorithm,
        });
        const generatedMax = await kms.send(new GenerateMacCommand({ KeyId: key.KeyId, Message: other, MacAlgorithm: algorithm }));
        expect(Buffer.from(generatedMax.Mac!).equals(localMac)).toBe(true);
      } else {
        // Generated material is unknown here: HMAC is deterministic per key and message, and differs per message.
        const again = await kms.send(new GenerateMacCommand({ KeyId: key.Arn, Message: message, MacAlgorithm: algorithm }));
        expect(Buffer.from(again.Mac!).equals(mac)).toBe(true);
        const differentMessage = await kms.send(new GenerateMacCommand({ KeyId: key.KeyId, Message: flipBit(message, 0), MacAlgorithm: algorithm }));
        expect(Buffer.from(differentMessage.Mac!).equals(mac)).toBe(false);
      }

      const verified = await kms.send(new VerifyMacCommand({ KeyId: key.KeyId, Message: message, MacAlgorithm: algorithm, Mac: mac }));
      expect(verified).toMatchObject({ KeyId: key.Arn, MacValid: true, MacAlgorithm: algorithm });

      const wrong = [
        { Message: message, Mac: flipBit(mac, 0) },
        { Message: message, Mac: flipBit(mac, -1) },
        { Message: message, Mac: mac.subarray(0, mac.length - 1) },
        { Message: message, Mac: Buffer.concat([mac, Buffer.from([0])]) },
        { Message: flipBit(message, 10), Mac: mac },
        { Message: Buffer.from('a different message'), Mac: mac },
      ];
      for (const input of wrong) {
        await expectMessagelessKmsError(kms.send(new VerifyMacCommand({ KeyId: key.KeyId, MacAlgorithm: algorithm, ...input })), 'KMSInvalidMacException');
      }
    });

    it('a MAC of another HMAC key does not verify', async () => {
      const a = hmacKeys.get('HMAC_256/EXTERNAL')!.key;
      const b = hmacKeys.get('HMAC_256/AWS_KMS')!.key;
      const message = Buffer.from('same message, other key');
      const { Mac } = await kms.send(new GenerateMacCommand({ KeyId: a.KeyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' }));
      await expectMessagelessKmsError(kms.send(new VerifyMacCommand({ KeyId: b.KeyId, Message: message, MacAlgorithm: 'HMAC_SHA_256', Mac })), 'KMSInvalidMacException');
    });

    it('a MacAlgorithm of another spec is InvalidKeyUsageException "Algorithm X is incompatible with key spec Y."', async () => {
      const pairs: Array<[string, MacAlgorithmSpec]> = [
        ['HMAC_224', 'HMAC_SHA_256'],
        ['HMAC_256', 'HMAC_SHA_512'],
        ['HMAC_384', 'HMAC_SHA_224'],
        ['HMAC_512', 'HMAC_SHA_384'],
      ];
      for (const [spec, algorithm] of pairs) {
        for (const origin of ['EXTERNAL', 'AWS_KMS']) {
          const { key } = hmacKeys.get(`${spec}/${origin}`)!;
          const message = `Algorithm ${algorithm} is incompatible with key spec ${spec}.`;
          await expectKmsError(kms.send(new GenerateMacCommand({ KeyId: key.KeyId, Message: Buffer.from('m'), MacAlgorithm: algorithm })), 'InvalidKeyUsageException', message);
          await expectKmsError(
            kms.send(new VerifyMacCommand({ KeyId: key.KeyId, Message: Buffer.from('m'), MacAlgorithm: algorithm, Mac: randomBytes(32) })),
            'InvalidKeyUsageException',
            message,
          );
        }
      }
    });

    it('MacAlgorithm INVALID is a ValidationException listing the enum in AWS\'s order', async () => {
      const { key } = hmacKeys.get('HMAC_256/EXTERNAL')!;
      const message =
        "1 validation error detected: Value 'INVALID' at 'macAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [HMAC_SHA_384, HMAC_SHA_256, HMAC_SHA_224, HMAC_SHA_512]";
      await expectKmsError(kms.send(new GenerateMacCommand({ KeyId: key.KeyId, Message: Buffer.from('m'), MacAlgorithm: 'INVALID' as MacAlgorithmSpec })), 'ValidationException', message);
      await expectKmsError(
        kms.send(new VerifyMacCommand({ KeyId: key.KeyId, Message: Buffer.from('m'), MacAlgorithm: 'INVALID' as MacAlgorithmSpec, Mac: randomBytes(32) })),
        'ValidationException',
        message,
      );
    });

    it('a symmetric encryption key cannot GenerateMac or VerifyMac', async () => {
      await expectKmsError(
        kms.send(new GenerateMacCommand({ KeyId: symmetric.KeyId, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_256' })),
        'InvalidKeyUsageException',
        `${symmetric.Arn} key usage is ENCRYPT_DECRYPT which is not valid for GenerateMac.`,
      );
      await expectKmsError(
        kms.send(new VerifyMacCommand({ KeyId: symmetric.KeyId, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_256', Mac: randomBytes(32) })),
        'InvalidKeyUsageException',
        `${symmetric.Arn} key usage is ENCRYPT_DECRYPT which is not valid for VerifyMac.`,
      );
    });

    it('a message of 4097 bytes is a ValidationException; KeyId key_id is NotFoundException', async () => {
      const { key } = hmacKeys.get('HMAC_384/AWS_KMS')!;
      const tooLong = "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096";
      await expectKmsError(kms.send(new GenerateMacCommand({ KeyId: key.KeyId, Message: randomBytes(4097), MacAlgorithm: 'HMAC_SHA_384' })), 'ValidationException', tooLong);
      await expectKmsError(
        kms.send(new VerifyMacCommand({ KeyId: key.KeyId, Message: randomBytes(4097), MacAlgorithm: 'HMAC_SHA_384', Mac: randomBytes(48) })),
        'ValidationException',
        tooLong,
      );
      await expectKmsError(kms.send(new GenerateMacCommand({ KeyId: 'key_id', Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_256' })), 'NotFoundException', "Invalid keyId 'key_id'");
      await expectKmsError(
        kms.send(new VerifyMacCommand({ KeyId: 'key_id', Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_256', Mac: randomBytes(32) })),
        'NotFoundException',
        "Invalid keyId 'key_id'",
      );
    });
  });

  describe('DeriveSharedSecret', () => {
    const agreementKeys = new Map<string, { key: KeyMetadata; local?: ReturnType<typeof localKeyPair> }>();

    beforeAll(async () => {
      for (const spec of AGREEMENT_SPECS) {
        const local = localKeyPair(spec);
        const external = await createExternalKey(kms, { KeySpec: spec, KeyUsage: 'KEY_AGREEMENT' });
        await importMaterial(kms, external.KeyId!, local.pkcs8, { wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256' });
        agreementKeys.set(`${spec}/EXTERNAL`, { key: await describeKey(kms, external.KeyId!), local });
        agreementKeys.set(`${spec}/AWS_KMS`, { key: await createKey(spec, 'KEY_AGREEMENT') });
      }
    });

    const cases = AGREEMENT_SPECS.flatMap((spec) => (['EXTERNAL', 'AWS_KMS'] as const).map((origin) => ({ spec, origin })));

    it.each(cases)('$spec ($origin): SharedSecret equals node diffieHellman and openssl pkeyutl -derive', async ({ spec, origin }) => {
      const { key, local } = agreementKeys.get(`${spec}/${origin}`)!;
      const peer = generateKeyPairSync('ec', { namedCurve: CURVES[spec] });
      const peerSpki = peer.publicKey.export({ format: 'der', type: 'spki' });
      const { PublicKey } = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));

      const derived = await kms.send(new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peerSpki }));
      expect(derived).toMatchObject({ KeyId: key.Arn, KeyAgreementAlgorithm: 'ECDH', KeyOrigin: origin });
      const secret = Buffer.from(derived.SharedSecret!);
      expect(secret.length).toBe(SECRET_BYTES[spec]);

      // The peer's side, computed here with the KMS key's public half.
      const peerSide = diffieHellman({ privateKey: peer.privateKey, publicKey: publicFromSpki(PublicKey!) });
      expect(secret.equals(peerSide)).toBe(true);
      // openssl derives the same bytes.
      const tag = `${spec}-${origin}`;
      const peerPath = scratch.write(`peer-${tag}.pem`, pkcs8Pem(peer.privateKey.export({ format: 'der', type: 'pkcs8' })));
      const kmsPubPath = scratch.write(`kms-pub-${tag}.pem`, spkiPem(PublicKey!));
      expect(opensslOk(['pkeyutl', '-derive', '-inkey', peerPath, '-peerkey', kmsPubPath]).equals(secret)).toBe(true);
      if (local) {
        // The imported private key gives the same secret with the peer's public key.
        expect(diffieHellman({ privateKey: local.privateKey, publicKey: peer.publicKey }).equals(secret)).toBe(true);
      }
      // Another peer, another secret.
      const other = generateKeyPairSync('ec', { namedCurve: CURVES[spec] }).publicKey.export({ format: 'der', type: 'spki' });
      const otherSecret = await kms.send(new DeriveSharedSecretCommand({ KeyId: key.Arn, KeyAgreementAlgorithm: 'ECDH', PublicKey: other }));
      expect(Buffer.from(otherSecret.SharedSecret!).equals(secret)).toBe(false);
    });

    it('a SIGN_VERIFY key is InvalidKeyUsageException naming DeriveSharedSecret', async () => {
      const signing = await createKey('ECC_NIST_P256', 'SIGN_VERIFY');
      const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' });
      await expectKmsError(
        kms.send(new DeriveSharedSecretCommand({ KeyId: signing.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peer })),
        'InvalidKeyUsageException',
        `${signing.Arn} key usage is SIGN_VERIFY which is not valid for DeriveSharedSecret.`,
      );
    });

    it('CreateKey RSA_2048 for KEY_AGREEMENT is refused in the words AWS uses', async () => {
      await expectKmsError(
        kms.send(new CreateKeyCommand({ KeySpec: 'RSA_2048', KeyUsage: 'KEY_AGREEMENT' })),
        'ValidationException',
        'KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048',
      );
    });

    it('garbage, a key of another curve and an RSA key as PublicKey are ValidationExceptions', async () => {
      const { key } = agreementKeys.get('ECC_NIST_P256/EXTERNAL')!;
      const derive = (PublicKey: Uint8Array) => kms.send(new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey }));
      await expectMessagelessKmsError(derive(randomBytes(91)), 'ValidationException');
      const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' });
      await expectMessagelessKmsError(derive(p256.subarray(0, p256.length - 5)), 'ValidationException');
      const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ format: 'der', type: 'spki' });
      await expectKmsError(derive(p384), 'ValidationException', /[\s\S]*/);
      const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'der', type: 'spki' });
      await expectKmsError(derive(rsa), 'ValidationException', /[\s\S]*/);
    });

    it('KeyAgreementAlgorithm INVALID is a ValidationException', async () => {
      const { key } = agreementKeys.get('ECC_NIST_P384/AWS_KMS')!;
      const peer = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ format: 'der', type: 'spki' });
      await expectKmsError(
        kms.send(new DeriveSharedSecretCommand({ KeyId: key.KeyId, KeyAgreementAlgorithm: 'INVALID' as 'ECDH', PublicKey: peer })),
        'ValidationException',
        "1 validation error detected: Value 'INVALID' at 'keyAgreementAlgorithm' failed to satisfy constraint: Member must satisfy enum value set: [ECDH]",
      );
    });
  });

  describe('GetKeyLastUsage', () => {
    const near = (date: Date | undefined, from: number, to: number) => {
      expect(date).toBeInstanceOf(Date);
      // Within the window of the call, allowing a second for the service's timestamp rounding.
      expect(date!.getTime()).toBeGreaterThanOrEqual(from - 1000);
      expect(date!.getTime()).toBeLessThanOrEqual(to + 1000);
    };

    it('a new key has no KeyLastUsage; tracking starts at its creation', async () => {
      const key = await createKey('ECC_NIST_P256', 'SIGN_VERIFY');
      const described = await describeKey(kms, key.KeyId!);
      const usage = await kms.send(new GetKeyLastUsageCommand({ KeyId: key.KeyId }));
      expect(usage.KeyId).toBe(key.Arn);
      expect(usage.KeyLastUsage).toBeUndefined();
      expect(usage.TrackingStartDate?.getTime()).toBe(described.CreationDate!.getTime());
      expect(usage.KeyCreationDate?.getTime()).toBe(described.CreationDate!.getTime());
      // GetPublicKey is not a tracked use.
      await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
      expect((await kms.send(new GetKeyLastUsageCommand({ KeyId: key.Arn }))).KeyLastUsage).toBeUndefined();
    });

    it('after Sign then Verify it names Verify with the request id the SDK saw; a refused use does not count', async () => {
      const key = await createKey('ECC_NIST_P256', 'SIGN_VERIFY');
      const message = Buffer.from('tracked');
      const signed = await kms.send(new SignCommand({ KeyId: key.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }));
      const before = Date.now();
      const verified = await kms.send(new VerifyCommand({ KeyId: key.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256', Signature: signed.Signature }));
      const after = Date.now();
      expect(verified.$metadata.requestId).toMatch(/\S/);
      expect(verified.$metadata.requestId).not.toBe(signed.$metadata.requestId);

      const usage = await kms.send(new GetKeyLastUsageCommand({ KeyId: key.KeyId }));
      expect(usage.KeyId).toBe(key.Arn);
      expect(usage.KeyLastUsage).toMatchObject({ Operation: 'Verify', KmsRequestId: verified.$metadata.requestId });
      near(usage.KeyLastUsage!.Timestamp, before, after);

      // Refused attempts afterwards (a bad signature, a wrong algorithm) leave the last use as it was.
      await expectMessagelessKmsError(
        kms.send(new VerifyCommand({ KeyId: key.KeyId, Message: Buffer.from('other'), SigningAlgorithm: 'ECDSA_SHA_256', Signature: signed.Signature })),
        'KMSInvalidSignatureException',
      );
      await expectKmsError(
        kms.send(new SignCommand({ KeyId: key.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_512' })),
        'InvalidKeyUsageException',
        'Algorithm ECDSA_SHA_512 is incompatible with key spec ECC_NIST_P256.',
      );
      const still = await kms.send(new GetKeyLastUsageCommand({ KeyId: key.Arn }));
      expect(still.KeyLastUsage).toMatchObject({ Operation: 'Verify', KmsRequestId: verified.$metadata.requestId });
    });

    it('a VerifyMac with a wrong MAC does not count: the last use stays GenerateMac', async () => {
      const key = await createKey('HMAC_256', 'GENERATE_VERIFY_MAC');
      const before = Date.now();
      const generated = await kms.send(new GenerateMacCommand({ KeyId: key.KeyId, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_256' }));
      const after = Date.now();
      await expectMessagelessKmsError(
        kms.send(new VerifyMacCommand({ KeyId: key.KeyId, Message: Buffer.from('m'), MacAlgorithm: 'HMAC_SHA_256', Mac: flipBit(generated.Mac!, 0) })),
        'KMSInvalidMacException',
      );
      const usage = await kms.send(new GetKeyLastUsageCommand({ KeyId: key.KeyId }));
      expect(usage.KeyLastUsage).toMatchObject({ Operation: 'GenerateMac', KmsRequestId: generated.$metadata.requestId });
      near(usage.KeyLastUsage!.Timestamp, before, after);
    });

    it('ReEncrypt counts as a use of both keys; a DryRun counts for neither', async () => {
      const source = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
      const destination = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: source.KeyId, Plaintext: Buffer.from('move me') }));
      const moved = await kms.send(new ReEncryptCommand({ CiphertextBlob, DestinationKeyId: destination.KeyId }));
      for (const key of [source, destination]) {
        const usage = await kms.send(new GetKeyLastUsageCommand({ KeyId: key.KeyId }));
        expect(usage.KeyLastUsage).toMatchObject({ Operation: 'ReEncrypt', KmsRequestId: moved.$metadata.requestId });
      }
      await expectKmsError(
        kms.send(new EncryptCommand({ KeyId: destination.KeyId, Plaintext: Buffer.from('x'), DryRun: true })),
        'DryRunOperationException',
        'The request would have succeeded, but the DryRun option is set.',
      );
      expect((await kms.send(new GetKeyLastUsageCommand({ KeyId: destination.KeyId }))).KeyLastUsage).toMatchObject({
        Operation: 'ReEncrypt',
        KmsRequestId: moved.$metadata.requestId,
      });
    });

    it('an alias name and an unknown key are NotFoundException', async () => {
      await expectKmsError(kms.send(new GetKeyLastUsageCommand({ KeyId: 'alias/x' })), 'NotFoundException', "Invalid keyId 'alias/x'");
      const known = await createKey('HMAC_224', 'GENERATE_VERIFY_MAC');
      const unknownId = randomUUID();
      const unknownArn = known.Arn!.replace(known.KeyId!, unknownId);
      await expectKmsError(kms.send(new GetKeyLastUsageCommand({ KeyId: unknownId })), 'NotFoundException', `Key '${unknownArn}' does not exist`);
      await expectKmsError(kms.send(new GetKeyLastUsageCommand({ KeyId: unknownArn })), 'NotFoundException', `Key '${unknownArn}' does not exist`);
    });
  });

  describe('refusals decided before the key\'s own checks are recorded under the key named', () => {
    it('a ciphertext of another key, an unreadable ciphertext, a data key with both or neither size, an SM2 pair', async () => {
      const named = (await kms.send(new CreateKeyCommand({ Description: 'named in refused calls' }))).KeyMetadata!;
      const other = (await kms.send(new CreateKeyCommand({}))).KeyMetadata!;
      const ofOther = (await kms.send(new EncryptCommand({ KeyId: other.KeyId, Plaintext: Buffer.from('x') }))).CiphertextBlob!;
      const refusals: Array<[Promise<unknown>, string]> = [
        [kms.send(new DecryptCommand({ KeyId: named.KeyId, CiphertextBlob: ofOther })), 'IncorrectKeyException'],
        [kms.send(new DecryptCommand({ KeyId: named.Arn, CiphertextBlob: randomBytes(80) })), 'InvalidCiphertextException'],
        [kms.send(new GenerateDataKeyCommand({ KeyId: named.KeyId, KeySpec: 'AES_256', NumberOfBytes: 32 })), 'ValidationException'],
        [kms.send(new GenerateDataKeyCommand({ KeyId: named.KeyId })), 'ValidationException'],
        [kms.send(new GenerateDataKeyPairCommand({ KeyId: named.KeyId, KeyPairSpec: 'SM2' })), 'UnsupportedOperationException'],
      ];
      for (const [call, errorType] of refusals) await expect(call).rejects.toMatchObject({ name: errorType });
      const records = await fetchAllUsage(kl.url, named.KeyId!);
      expect(records.map((r) => [r.operation, r.outcome, r.errorType])).toEqual([
        ['Decrypt', 'Refused', 'IncorrectKeyException'],
        ['Decrypt', 'Refused', 'InvalidCiphertextException'],
        ['GenerateDataKey', 'Refused', 'ValidationException'],
        ['GenerateDataKey', 'Refused', 'ValidationException'],
        ['GenerateDataKeyPair', 'Refused', 'UnsupportedOperationException'],
      ]);
      // The other key was not used: a refusal is filed under the key the caller named.
      expect((await fetchAllUsage(kl.url, other.KeyId!)).map((r) => r.operation)).toEqual(['Encrypt']);
    });
  });

  describe('the usage log records uses, not secrets', () => {
    /** Every file of the data directory (events.sqlite, read-models.sqlite and their -wal/-shm files, anything else). */
    const dataFiles = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        return statSync(path).isDirectory() ? dataFiles(path) : [path];
      });

    it('Encrypt and Decrypt are listed with principal, outcome, material and context hash; the context value is stored nowhere; the key revision is unchanged', async () => {
      const key = (await kms.send(new CreateKeyCommand({ Description: 'usage log' }))).KeyMetadata!;
      const described = await describeKey(kms, key.KeyId!);
      const revisionBefore = await restCall(kl.url, 'GET', `/v1/keys/${key.KeyId}`);
      expect(revisionBefore.status).toBe(200);
      expect(revisionBefore.etag).toMatch(/^"\d+"$/);

      const secretValue = `value-${randomBytes(16).toString('hex')}`;
      const plaintextMarker = `plaintext-${randomBytes(16).toString('hex')}`;
      const context = { secretish: secretValue };
      const encrypted = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from(plaintextMarker), EncryptionContext: context }));
      const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: context }));
      expect(Buffer.from(decrypted.Plaintext!).toString()).toBe(plaintextMarker);

      const reply = await fetchUsage(kl.url, key.KeyId!);
      expect(reply.status).toBe(200);
      expect(reply.text).not.toContain(secretValue);
      expect(reply.text).not.toContain(plaintextMarker);
      const records = await fetchAllUsage(kl.url, key.KeyId!);
      const contextHash = createHash('sha256').update(canonicalEncryptionContext(context)).digest('hex');
      const expected = (operation: string, requestId: string | undefined) => ({
        keyId: key.KeyId,
        keyArn: key.Arn,
        operation,
        keyMaterialId: described.CurrentKeyMaterialId,
        principal: expect.objectContaining({ accessKeyId: 'test', accountId: key.AWSAccountId }),
        requestId,
        outcome: 'Succeeded',
        encryptionContextHash: contextHash,
      });
      expect(records.find((r) => r.requestId === encrypted.$metadata.requestId)).toMatchObject(expected('Encrypt', encrypted.$metadata.requestId));
      expect(records.find((r) => r.requestId === decrypted.$metadata.requestId)).toMatchObject(expected('Decrypt', decrypted.$metadata.requestId));
      expect(records.map((r) => r.operation)).toEqual(['Encrypt', 'Decrypt']);
      for (const record of records) expect(record).not.toHaveProperty('errorType');

      // Nothing under the data directory holds the context value (or the plaintext), while the context hash is
      // there: the files read are the ones the usage log is written to.
      for (const name of ['events.sqlite', 'read-models.sqlite']) expect(existsSync(join(kl.dataDir, name))).toBe(true);
      const files = dataFiles(kl.dataDir);
      expect(files).toEqual(expect.arrayContaining([join(kl.dataDir, 'events.sqlite'), join(kl.dataDir, 'read-models.sqlite')]));
      let hashSeen = false;
      for (const file of files) {
        const bytes = readFileSync(file);
        expect({ file, hasSecret: bytes.includes(secretValue) }).toEqual({ file, hasSecret: false });
        expect({ file, hasSecretUtf16: bytes.includes(Buffer.from(secretValue, 'utf16le')) }).toEqual({ file, hasSecretUtf16: false });
        expect({ file, hasPlaintext: bytes.includes(plaintextMarker) }).toEqual({ file, hasPlaintext: false });
        hashSeen ||= bytes.includes(contextHash);
      }
      expect(hashSeen).toBe(true);

      // A refused attempt is listed as Refused with the error it got, and changes no revision either.
      const refused = await kms
        .send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, EncryptionContext: { secretish: 'wrong' } }))
        .then(
          () => undefined,
          (e: { name: string; $metadata: { requestId?: string } }) => e,
        );
      expect(refused?.name).toBe('InvalidCiphertextException');
      const afterRefusal = await fetchAllUsage(kl.url, key.KeyId!);
      expect(afterRefusal.find((r) => r.requestId === refused!.$metadata.requestId)).toMatchObject({
        operation: 'Decrypt',
        outcome: 'Refused',
        errorType: 'InvalidCiphertextException',
        principal: expect.objectContaining({ accessKeyId: 'test' }),
        encryptionContextHash: createHash('sha256').update(canonicalEncryptionContext({ secretish: 'wrong' })).digest('hex'),
      });

      // Using a key is not a change of the key: its stream revision (ETag) is the same.
      const revisionAfter = await restCall(kl.url, 'GET', `/v1/keys/${key.KeyId}`);
      expect(revisionAfter.etag).toBe(revisionBefore.etag);
    });
  });

  describe('key states', () => {
    it('after DeleteImportedKeyMaterial, GenerateMac, VerifyMac and DeriveSharedSecret are KMSInvalidStateException "<arn> is pending import."', async () => {
      const material = randomBytes(32);
      const hmac = await createExternalKey(kms, { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
      await importMaterial(kms, hmac.KeyId!, material, { wrappingAlgorithm: 'RSAES_OAEP_SHA_256' });
      const local = localKeyPair('ECC_NIST_P256');
      const agreement = await createExternalKey(kms, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'KEY_AGREEMENT' });
      await importMaterial(kms, agreement.KeyId!, local.pkcs8, { wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256' });
      const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).publicKey.export({ format: 'der', type: 'spki' });
      const message = Buffer.from('m');
      const mac = createHmac('sha256', material).update(message).digest();
      const lastGood = await kms.send(new VerifyMacCommand({ KeyId: hmac.KeyId, Message: message, MacAlgorithm: 'HMAC_SHA_256', Mac: mac }));
      expect(lastGood).toMatchObject({ MacValid: true });

      await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: hmac.KeyId }));
      await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: agreement.KeyId }));
      await expectKmsError(
        kms.send(new GenerateMacCommand({ KeyId: hmac.KeyId, Message: message, MacAlgorithm: 'HMAC_SHA_256' })),
        'KMSInvalidStateException',
        `${hmac.Arn} is pending import.`,
      );
      await expectKmsError(
        kms.send(new VerifyMacCommand({ KeyId: hmac.KeyId, Message: message, MacAlgorithm: 'HMAC_SHA_256', Mac: mac })),
        'KMSInvalidStateException',
        `${hmac.Arn} is pending import.`,
      );
      await expectKmsError(
        kms.send(new DeriveSharedSecretCommand({ KeyId: agreement.KeyId, KeyAgreementAlgorithm: 'ECDH', PublicKey: peer })),
        'KMSInvalidStateException',
        `${agreement.Arn} is pending import.`,
      );
      // GetKeyLastUsage has no state errors: it still answers, with the last successful use.
      expect((await kms.send(new GetKeyLastUsageCommand({ KeyId: hmac.KeyId }))).KeyLastUsage).toMatchObject({
        Operation: 'VerifyMac',
        KmsRequestId: lastGood.$metadata.requestId,
      });
      const neverImported = await createExternalKey(kms);
      const usage = await kms.send(new GetKeyLastUsageCommand({ KeyId: neverImported.KeyId }));
      expect(usage.KeyId).toBe(neverImported.Arn);
      expect(usage.KeyLastUsage).toBeUndefined();
    });
  });
});
