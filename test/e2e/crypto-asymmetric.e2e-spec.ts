import {
  CreateKeyCommand,
  DecryptCommand,
  EncryptCommand,
  EncryptionAlgorithmSpec,
  GetPublicKeyCommand,
  GetPublicKeyCommandOutput,
  KeyMetadata,
  KeySpec,
  KeyUsageType,
  KMSClient,
  MessageType,
  SignCommand,
  SigningAlgorithmSpec,
  ReEncryptCommand,
  VerifyCommand,
  DeleteImportedKeyMaterialCommand,
} from '@aws-sdk/client-kms';
import { constants, createHash, KeyObject, privateDecrypt, publicEncrypt, randomBytes, sign, verify } from 'node:crypto';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import {
  CURVES,
  expectMessagelessKmsError,
  flipBit,
  localKeyPair,
  openssl,
  opensslOk,
  parseEcdsaDer,
  publicFromSpki,
  scratchDir,
  SPKI_BYTES,
  spkiOfPkcs8,
  spkiPem,
} from '../support/crypto-independent';
import { readEventLog } from '../support/event-log';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { describeKey, expectKmsError } from '../support/kms-error-assertions';

/**
 * Asymmetric keys through @aws-sdk/client-kms against the real service: RSA encryption, signing with every
 * algorithm each spec allows, GetPublicKey and the algorithm lists of DescribeKey. Every signature and
 * ciphertext is checked with node:crypto and with the openssl CLI; imported keys are compared byte for byte with
 * the private keys generated here.
 */

const RSA_SIGNING = [
  'RSASSA_PKCS1_V1_5_SHA_256',
  'RSASSA_PKCS1_V1_5_SHA_384',
  'RSASSA_PKCS1_V1_5_SHA_512',
  'RSASSA_PSS_SHA_256',
  'RSASSA_PSS_SHA_384',
  'RSASSA_PSS_SHA_512',
] as const;
const ECDSA_BY_SPEC: Record<string, SigningAlgorithmSpec> = {
  ECC_NIST_P256: 'ECDSA_SHA_256',
  ECC_NIST_P384: 'ECDSA_SHA_384',
  ECC_NIST_P521: 'ECDSA_SHA_512',
  ECC_SECG_P256K1: 'ECDSA_SHA_256',
};
const ECC_SPECS = Object.keys(ECDSA_BY_SPEC);

/** What an algorithm name means: its hash and padding. */
function algorithmParts(algorithm: string): { hash: 'sha256' | 'sha384' | 'sha512'; bytes: number; kind: 'pkcs1' | 'pss' | 'ecdsa' } {
  const bits = Number(algorithm.slice(-3));
  const kind = algorithm.startsWith('RSASSA_PSS') ? 'pss' : algorithm.startsWith('RSASSA_PKCS1') ? 'pkcs1' : 'ecdsa';
  return { hash: `sha${bits}` as 'sha256' | 'sha384' | 'sha512', bytes: bits / 8, kind };
}

/** node:crypto's verify with the KMS algorithm's parameters: PSS salt = hash length, ECDSA DER. */
function nodeVerify(algorithm: string, message: Buffer, publicKey: KeyObject, signature: Uint8Array): boolean {
  const { hash, bytes, kind } = algorithmParts(algorithm);
  const key =
    kind === 'pss'
      ? { key: publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bytes }
      : kind === 'pkcs1'
        ? { key: publicKey, padding: constants.RSA_PKCS1_PADDING }
        : { key: publicKey, dsaEncoding: 'der' as const };
  return verify(hash, message, key, Buffer.from(signature));
}

function nodeSign(algorithm: string, message: Buffer, privateKey: KeyObject): Buffer {
  const { hash, bytes, kind } = algorithmParts(algorithm);
  const key =
    kind === 'pss'
      ? { key: privateKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: bytes }
      : kind === 'pkcs1'
        ? { key: privateKey, padding: constants.RSA_PKCS1_PADDING }
        : { key: privateKey, dsaEncoding: 'der' as const };
  return sign(hash, message, key);
}

describe('asymmetric cryptography through @aws-sdk/client-kms', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  let scratch: ReturnType<typeof scratchDir>;
  let fileCounter = 0;

  /** Imported keys with the private key generated here, by `${spec}/${usage}`. */
  const importedKeys = new Map<string, { key: KeyMetadata; local: ReturnType<typeof localKeyPair> }>();
  /** Generated (AWS_KMS) keys, created once each, by `${spec}/${usage}`. */
  const generatedKeys = new Map<string, Promise<KeyMetadata>>();
  const publicKeys = new Map<string, Promise<GetPublicKeyCommandOutput>>();

  const generatedKey = (spec: string, usage: string): Promise<KeyMetadata> => {
    const id = `${spec}/${usage}`;
    if (!generatedKeys.has(id)) {
      generatedKeys.set(id, kms.send(new CreateKeyCommand({ KeySpec: spec as KeySpec, KeyUsage: usage as KeyUsageType })).then((r) => r.KeyMetadata!));
    }
    return generatedKeys.get(id)!;
  };
  const keyFor = async (spec: string, usage: string, origin: 'EXTERNAL' | 'AWS_KMS'): Promise<KeyMetadata> =>
    origin === 'EXTERNAL' ? importedKeys.get(`${spec}/${usage}`)!.key : generatedKey(spec, usage);
  const publicKeyOf = (key: KeyMetadata): Promise<GetPublicKeyCommandOutput> => {
    if (!publicKeys.has(key.KeyId!)) publicKeys.set(key.KeyId!, kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId })));
    return publicKeys.get(key.KeyId!)!;
  };

  async function importKey(spec: string, usage: KeyUsageType): Promise<void> {
    const local = localKeyPair(spec);
    const created = await createExternalKey(kms, { KeySpec: spec as KeySpec, KeyUsage: usage });
    await importMaterial(kms, created.KeyId!, local.pkcs8, { wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256' });
    importedKeys.set(`${spec}/${usage}`, { key: await describeKey(kms, created.KeyId!), local });
  }

  /** `openssl dgst -<hash> -verify pub.pem -signature sig.bin [PSS options] msg.bin`: exit status and output. */
  function opensslVerify(algorithm: string, spki: Uint8Array, message: Buffer, signature: Uint8Array) {
    const { hash, bytes, kind } = algorithmParts(algorithm);
    const n = ++fileCounter;
    const pub = scratch.write(`pub-${n}.pem`, spkiPem(spki));
    const sig = scratch.write(`sig-${n}.bin`, signature);
    const msg = scratch.write(`msg-${n}.bin`, message);
    const pss = kind === 'pss' ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', `rsa_pss_saltlen:${bytes}`] : [];
    return openssl(['dgst', `-${hash}`, '-verify', pub, '-signature', sig, ...pss, msg]);
  }

  beforeAll(async () => {
    // The expiry job is slowed to once an hour so the ValidTo test sees the key before the job has run.
    kl = await startKeyledger({ env: { KEYLEDGER_EXPIRY_INTERVAL_MS: '3600000' } });
    kms = kl.client();
    scratch = scratchDir();
    await importKey('RSA_2048', 'ENCRYPT_DECRYPT');
    await importKey('RSA_2048', 'SIGN_VERIFY');
    for (const spec of ECC_SPECS) await importKey(spec, 'SIGN_VERIFY');
  });
  afterAll(async () => {
    scratch.remove();
    await kl.destroy();
  });

  describe('RSA Encrypt / Decrypt', () => {
    const encryptionCases = [
      { spec: 'RSA_2048', origin: 'EXTERNAL' as const, algorithm: 'RSAES_OAEP_SHA_1' as const, hash: 'sha1', limit: 214 },
      { spec: 'RSA_2048', origin: 'EXTERNAL' as const, algorithm: 'RSAES_OAEP_SHA_256' as const, hash: 'sha256', limit: 190 },
      { spec: 'RSA_3072', origin: 'AWS_KMS' as const, algorithm: 'RSAES_OAEP_SHA_1' as const, hash: 'sha1', limit: 342 },
      { spec: 'RSA_3072', origin: 'AWS_KMS' as const, algorithm: 'RSAES_OAEP_SHA_256' as const, hash: 'sha256', limit: 318 },
    ];

    it.each(encryptionCases)('$spec ($origin) $algorithm: Encrypt, Decrypt, offline encryption, and the exact plaintext limit $limit', async (c) => {
      const key = await keyFor(c.spec, 'ENCRYPT_DECRYPT', c.origin);
      const modulusBytes = Number(c.spec.slice(4)) / 8;
      const plaintext = randomBytes(c.limit);
      const encrypted = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: plaintext, EncryptionAlgorithm: c.algorithm }));
      expect(encrypted.KeyId).toBe(key.Arn);
      expect(encrypted.EncryptionAlgorithm).toBe(c.algorithm);
      expect(encrypted.CiphertextBlob!.length).toBe(modulusBytes);
      expect(encrypted).not.toHaveProperty('KeyMaterialId');

      if (c.origin === 'EXTERNAL') {
        // The imported private key opens it here, with OAEP and the algorithm's hash (MGF1 with the same hash).
        const local = importedKeys.get(`${c.spec}/ENCRYPT_DECRYPT`)!.local;
        const opened = privateDecrypt({ key: local.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: c.hash }, encrypted.CiphertextBlob!);
        expect(opened.equals(plaintext)).toBe(true);
        const otherHash = c.hash === 'sha1' ? 'sha256' : 'sha1';
        expect(() => privateDecrypt({ key: local.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: otherHash }, encrypted.CiphertextBlob!)).toThrow();
      }

      const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob, KeyId: key.KeyId, EncryptionAlgorithm: c.algorithm }));
      expect(Buffer.from(decrypted.Plaintext!).equals(plaintext)).toBe(true);
      expect(decrypted.KeyId).toBe(key.Arn);
      expect(decrypted.EncryptionAlgorithm).toBe(c.algorithm);
      expect(decrypted).not.toHaveProperty('KeyMaterialId');

      // Encrypted here with GetPublicKey's public key, decrypted by Keyledger (KeyId as ARN this time).
      const { PublicKey } = await publicKeyOf(key);
      const offlinePlaintext = randomBytes(c.limit);
      const offline = publicEncrypt({ key: publicFromSpki(PublicKey!), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: c.hash }, offlinePlaintext);
      const online = await kms.send(new DecryptCommand({ CiphertextBlob: offline, KeyId: key.Arn, EncryptionAlgorithm: c.algorithm }));
      expect(Buffer.from(online.Plaintext!).equals(offlinePlaintext)).toBe(true);

      // One byte more than the limit is refused.
      await expectKmsError(
        kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: randomBytes(c.limit + 1), EncryptionAlgorithm: c.algorithm })),
        'ValidationException',
        `Algorithm ${c.algorithm} and key spec ${c.spec} cannot encrypt data larger than ${c.limit} bytes.`,
      );
    });

    it('EncryptionAlgorithm omitted with an RSA key is "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048."', async () => {
      const { key } = importedKeys.get('RSA_2048/ENCRYPT_DECRYPT')!;
      const message = 'Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.';
      await expectKmsError(kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x') })), 'InvalidKeyUsageException', message);
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
      await expectKmsError(kms.send(new DecryptCommand({ CiphertextBlob, KeyId: key.KeyId })), 'InvalidKeyUsageException', message);
      const generated3072 = await generatedKey('RSA_3072', 'ENCRYPT_DECRYPT');
      await expectKmsError(
        kms.send(new EncryptCommand({ KeyId: generated3072.KeyId, Plaintext: Buffer.from('x') })),
        'InvalidKeyUsageException',
        'Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_3072.',
      );
    });

    it('RSAES on a symmetric key is "Algorithm RSAES_OAEP_SHA_256 is incompatible with key spec SYMMETRIC_DEFAULT."', async () => {
      const symmetric = await generatedKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT');
      for (const algorithm of ['RSAES_OAEP_SHA_256', 'RSAES_OAEP_SHA_1'] as const) {
        await expectKmsError(
          kms.send(new EncryptCommand({ KeyId: symmetric.KeyId, Plaintext: Buffer.from('x'), EncryptionAlgorithm: algorithm })),
          'InvalidKeyUsageException',
          `Algorithm ${algorithm} is incompatible with key spec SYMMETRIC_DEFAULT.`,
        );
      }
    });

    it('RSA ciphertext without KeyId, with the wrong algorithm, the wrong RSA key or corrupted is InvalidCiphertextException', async () => {
      const { key } = importedKeys.get('RSA_2048/ENCRYPT_DECRYPT')!;
      const other = await generatedKey('RSA_3072', 'ENCRYPT_DECRYPT');
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('rsa secret'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' }));
      await expectMessagelessKmsError(kms.send(new DecryptCommand({ CiphertextBlob })), 'InvalidCiphertextException');
      await expectMessagelessKmsError(kms.send(new DecryptCommand({ CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' })), 'InvalidCiphertextException');
      await expectMessagelessKmsError(
        kms.send(new DecryptCommand({ CiphertextBlob, KeyId: key.KeyId, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })),
        'InvalidCiphertextException',
      );
      await expectMessagelessKmsError(
        kms.send(new DecryptCommand({ CiphertextBlob, KeyId: other.KeyId, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' })),
        'InvalidCiphertextException',
      );
      await expectMessagelessKmsError(
        kms.send(new DecryptCommand({ CiphertextBlob: flipBit(CiphertextBlob!, 100), KeyId: key.KeyId, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' })),
        'InvalidCiphertextException',
      );
      // The untouched ciphertext still decrypts.
      const ok = await kms.send(new DecryptCommand({ CiphertextBlob, KeyId: key.KeyId, EncryptionAlgorithm: 'RSAES_OAEP_SHA_1' }));
      expect(Buffer.from(ok.Plaintext!).toString()).toBe('rsa secret');
    });

    it('an EncryptionContext with an RSA key is a ValidationException', async () => {
      const { key } = importedKeys.get('RSA_2048/ENCRYPT_DECRYPT')!;
      await expectKmsError(
        kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256', EncryptionContext: { a: 'b' } })),
        'ValidationException',
        /\S/,
      );
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
      await expectKmsError(
        kms.send(new DecryptCommand({ CiphertextBlob, KeyId: key.KeyId, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256', EncryptionContext: { a: 'b' } })),
        'ValidationException',
        /\S/,
      );
    });

    it('an RSA SIGN_VERIFY key cannot Encrypt or Decrypt', async () => {
      const { key } = importedKeys.get('RSA_2048/SIGN_VERIFY')!;
      await expectKmsError(
        kms.send(new EncryptCommand({ KeyId: key.KeyId, Plaintext: Buffer.from('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })),
        'InvalidKeyUsageException',
        `${key.Arn} key usage is SIGN_VERIFY which is not valid for Encrypt.`,
      );
      await expectKmsError(
        kms.send(new DecryptCommand({ CiphertextBlob: randomBytes(256), KeyId: key.KeyId, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })),
        'InvalidKeyUsageException',
        `${key.Arn} key usage is SIGN_VERIFY which is not valid for Decrypt.`,
      );
    });
  });

  describe('ReEncrypt between RSA and symmetric keys', () => {
    it('RSA source (SourceKeyId + SourceEncryptionAlgorithm) to a symmetric key, and back to the RSA key with another algorithm', async () => {
      const { key: rsa, local } = importedKeys.get('RSA_2048/ENCRYPT_DECRYPT')!;
      const symmetric = await generatedKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT');
      const symmetricMaterialId = (await describeKey(kms, symmetric.KeyId!)).CurrentKeyMaterialId;
      const plaintext = randomBytes(150);
      const rsaCiphertext = publicEncrypt({ key: local.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, plaintext);

      const toSymmetric = await kms.send(
        new ReEncryptCommand({
          CiphertextBlob: rsaCiphertext,
          SourceKeyId: rsa.KeyId,
          SourceEncryptionAlgorithm: 'RSAES_OAEP_SHA_1',
          DestinationKeyId: symmetric.KeyId,
          DestinationEncryptionContext: { moved: 'yes' },
        }),
      );
      expect(toSymmetric).toMatchObject({ SourceKeyId: rsa.Arn, KeyId: symmetric.Arn, SourceEncryptionAlgorithm: 'RSAES_OAEP_SHA_1', DestinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
      // Key material ids only for the symmetric side (reference §5.3).
      expect(toSymmetric).not.toHaveProperty('SourceKeyMaterialId');
      expect(toSymmetric.DestinationKeyMaterialId).toBe(symmetricMaterialId);
      const viaSymmetric = await kms.send(new DecryptCommand({ CiphertextBlob: toSymmetric.CiphertextBlob, EncryptionContext: { moved: 'yes' } }));
      expect(Buffer.from(viaSymmetric.Plaintext!).equals(plaintext)).toBe(true);

      const back = await kms.send(
        new ReEncryptCommand({
          CiphertextBlob: toSymmetric.CiphertextBlob,
          SourceEncryptionContext: { moved: 'yes' },
          DestinationKeyId: rsa.Arn,
          DestinationEncryptionAlgorithm: 'RSAES_OAEP_SHA_256',
        }),
      );
      expect(back).toMatchObject({ SourceKeyId: symmetric.Arn, KeyId: rsa.Arn, SourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT', DestinationEncryptionAlgorithm: 'RSAES_OAEP_SHA_256' });
      expect(back.SourceKeyMaterialId).toBe(symmetricMaterialId);
      expect(back).not.toHaveProperty('DestinationKeyMaterialId');
      // Opened here with the imported private key and OAEP SHA-256.
      const opened = privateDecrypt({ key: local.privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, back.CiphertextBlob!);
      expect(opened.equals(plaintext)).toBe(true);

      // The RSA source without its algorithm, or with the wrong one, is refused.
      await expectKmsError(
        kms.send(new ReEncryptCommand({ CiphertextBlob: rsaCiphertext, SourceKeyId: rsa.KeyId, DestinationKeyId: symmetric.KeyId })),
        'InvalidKeyUsageException',
        'Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.',
      );
      await expectMessagelessKmsError(
        kms.send(new ReEncryptCommand({ CiphertextBlob: rsaCiphertext, SourceKeyId: rsa.KeyId, SourceEncryptionAlgorithm: 'RSAES_OAEP_SHA_256', DestinationKeyId: symmetric.KeyId })),
        'InvalidCiphertextException',
      );
    });
  });

  describe('Sign / Verify with every algorithm of every spec', () => {
    const signingCases = [
      ...RSA_SIGNING.map((algorithm) => ({ spec: 'RSA_2048', origin: 'EXTERNAL' as const, algorithm })),
      ...RSA_SIGNING.map((algorithm) => ({ spec: 'RSA_3072', origin: 'AWS_KMS' as const, algorithm })),
      ...ECC_SPECS.flatMap((spec) => (['EXTERNAL', 'AWS_KMS'] as const).map((origin) => ({ spec, origin, algorithm: ECDSA_BY_SPEC[spec] }))),
    ];

    it.each(signingCases)('$spec ($origin) $algorithm, RAW and DIGEST: node:crypto and openssl verify; Keyledger verifies', async ({ spec, origin, algorithm }) => {
      const key = await keyFor(spec, 'SIGN_VERIFY', origin);
      const { PublicKey } = await publicKeyOf(key);
      const publicKey = publicFromSpki(PublicKey!);
      const { hash, kind } = algorithmParts(algorithm);
      const message = randomBytes(300);
      const digest = createHash(hash).update(message).digest();
      const tampered = flipBit(message, 0);

      for (const messageType of ['RAW', 'DIGEST'] as MessageType[]) {
        const input = messageType === 'RAW' ? message : digest;
        const signed = await kms.send(new SignCommand({ KeyId: key.KeyId, Message: input, MessageType: messageType, SigningAlgorithm: algorithm }));
        expect(signed.KeyId).toBe(key.Arn);
        expect(signed.SigningAlgorithm).toBe(algorithm);
        const signature = Buffer.from(signed.Signature!);
        if (kind === 'ecdsa') {
          // DER SEQUENCE { INTEGER r, INTEGER s }, both positive.
          const { r, s } = parseEcdsaDer(signature);
          expect(r > 0n && s > 0n).toBe(true);
        } else {
          expect(signature.length).toBe(Number(spec.slice(4)) / 8);
        }

        // node:crypto verifies it over the message (DIGEST signs the same hash KMS would compute for RAW).
        expect({ messageType, valid: nodeVerify(algorithm, message, publicKey, signature) }).toEqual({ messageType, valid: true });
        expect(nodeVerify(algorithm, tampered, publicKey, signature)).toBe(false);
        // openssl verifies it too.
        const verified = opensslVerify(algorithm, PublicKey!, message, signature);
        expect({ messageType, status: verified.status, out: verified.stdout.toString().trim() }).toEqual({ messageType, status: 0, out: 'Verified OK' });
        if (messageType === 'RAW') expect(opensslVerify(algorithm, PublicKey!, tampered, signature).status).not.toBe(0);

        // Keyledger verifies it, as RAW and as DIGEST.
        for (const [type, body] of [['RAW', message], ['DIGEST', digest]] as Array<[MessageType, Buffer]>) {
          const ok = await kms.send(new VerifyCommand({ KeyId: key.KeyId, Message: body, MessageType: type, SigningAlgorithm: algorithm, Signature: signature }));
          expect(ok).toMatchObject({ KeyId: key.Arn, SignatureValid: true, SigningAlgorithm: algorithm });
        }
        // A modified message or signature does not verify.
        await expectMessagelessKmsError(
          kms.send(new VerifyCommand({ KeyId: key.KeyId, Message: messageType === 'RAW' ? tampered : flipBit(digest, 3), MessageType: messageType, SigningAlgorithm: algorithm, Signature: signature })),
          'KMSInvalidSignatureException',
        );
        await expectMessagelessKmsError(
          kms.send(new VerifyCommand({ KeyId: key.KeyId, Message: input, MessageType: messageType, SigningAlgorithm: algorithm, Signature: flipBit(signature, -1) })),
          'KMSInvalidSignatureException',
        );
      }

      if (origin === 'EXTERNAL') {
        // A signature made here with the imported private key verifies in Keyledger.
        const local = importedKeys.get(`${spec}/SIGN_VERIFY`)!.local;
        const localSignature = nodeSign(algorithm, message, local.privateKey);
        for (const [type, body] of [['RAW', message], ['DIGEST', digest]] as Array<[MessageType, Buffer]>) {
          const ok = await kms.send(new VerifyCommand({ KeyId: key.Arn, Message: body, MessageType: type, SigningAlgorithm: algorithm, Signature: localSignature }));
          expect(ok).toMatchObject({ KeyId: key.Arn, SignatureValid: true, SigningAlgorithm: algorithm });
        }
        // A digest one byte short is refused.
        await expectKmsError(
          kms.send(new SignCommand({ KeyId: key.KeyId, Message: digest.subarray(1), MessageType: 'DIGEST', SigningAlgorithm: algorithm })),
          'ValidationException',
          `Digest is invalid length for algorithm ${algorithm}.`,
        );
      }
    });

    it('a DIGEST of the wrong length is a ValidationException (Sign and Verify)', async () => {
      const p256 = importedKeys.get('ECC_NIST_P256/SIGN_VERIFY')!.key;
      const message = 'Digest is invalid length for algorithm ECDSA_SHA_256.';
      for (const length of [31, 33, 48, 64]) {
        await expectKmsError(kms.send(new SignCommand({ KeyId: p256.KeyId, Message: randomBytes(length), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256' })), 'ValidationException', message);
      }
      await expectKmsError(
        kms.send(new VerifyCommand({ KeyId: p256.KeyId, Message: randomBytes(20), MessageType: 'DIGEST', SigningAlgorithm: 'ECDSA_SHA_256', Signature: randomBytes(70) })),
        'ValidationException',
        message,
      );
      const rsa = importedKeys.get('RSA_2048/SIGN_VERIFY')!.key;
      await expectKmsError(
        kms.send(new SignCommand({ KeyId: rsa.KeyId, Message: randomBytes(32), MessageType: 'DIGEST', SigningAlgorithm: 'RSASSA_PSS_SHA_384' })),
        'ValidationException',
        'Digest is invalid length for algorithm RSASSA_PSS_SHA_384.',
      );
    });

    it('an algorithm the spec does not allow is InvalidKeyUsageException "Algorithm X is incompatible with key spec Y."', async () => {
      const cases: Array<{ spec: string; origin: 'EXTERNAL' | 'AWS_KMS'; algorithm: SigningAlgorithmSpec }> = [
        { spec: 'ECC_NIST_P521', origin: 'EXTERNAL', algorithm: 'ECDSA_SHA_256' },
        { spec: 'ECC_NIST_P521', origin: 'AWS_KMS', algorithm: 'ECDSA_SHA_384' },
        { spec: 'ECC_NIST_P256', origin: 'EXTERNAL', algorithm: 'ECDSA_SHA_384' },
        { spec: 'ECC_NIST_P384', origin: 'AWS_KMS', algorithm: 'ECDSA_SHA_512' },
        { spec: 'ECC_SECG_P256K1', origin: 'EXTERNAL', algorithm: 'ECDSA_SHA_512' },
        { spec: 'ECC_NIST_P256', origin: 'AWS_KMS', algorithm: 'RSASSA_PSS_SHA_256' },
        { spec: 'RSA_2048', origin: 'EXTERNAL', algorithm: 'ECDSA_SHA_256' },
        { spec: 'RSA_3072', origin: 'AWS_KMS', algorithm: 'ECDSA_SHA_384' },
      ];
      for (const c of cases) {
        const key = await keyFor(c.spec, 'SIGN_VERIFY', c.origin);
        const message = `Algorithm ${c.algorithm} is incompatible with key spec ${c.spec}.`;
        await expectKmsError(kms.send(new SignCommand({ KeyId: key.KeyId, Message: Buffer.from('m'), SigningAlgorithm: c.algorithm })), 'InvalidKeyUsageException', message);
        await expectKmsError(
          kms.send(new VerifyCommand({ KeyId: key.KeyId, Message: Buffer.from('m'), SigningAlgorithm: c.algorithm, Signature: randomBytes(64) })),
          'InvalidKeyUsageException',
          message,
        );
      }
    });

    it('HMAC, symmetric and RSA encryption keys cannot Sign or Verify', async () => {
      const hmac = await generatedKey('HMAC_256', 'GENERATE_VERIFY_MAC');
      const symmetric = await generatedKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT');
      const rsaEncryption = importedKeys.get('RSA_2048/ENCRYPT_DECRYPT')!.key;
      for (const [key, usage] of [
        [hmac, 'GENERATE_VERIFY_MAC'],
        [symmetric, 'ENCRYPT_DECRYPT'],
        [rsaEncryption, 'ENCRYPT_DECRYPT'],
      ] as Array<[KeyMetadata, string]>) {
        await expectKmsError(
          kms.send(new SignCommand({ KeyId: key.KeyId, Message: Buffer.from('m'), SigningAlgorithm: 'RSASSA_PSS_SHA_256' })),
          'InvalidKeyUsageException',
          `${key.Arn} key usage is ${usage} which is not valid for Sign.`,
        );
        await expectKmsError(
          kms.send(new VerifyCommand({ KeyId: key.KeyId, Message: Buffer.from('m'), SigningAlgorithm: 'ECDSA_SHA_256', Signature: randomBytes(64) })),
          'InvalidKeyUsageException',
          `${key.Arn} key usage is ${usage} which is not valid for Verify.`,
        );
      }
    });

    it('malformed signatures are KMSInvalidSignatureException, RAW and DIGEST alike; the other valid ECDSA s verifies as node:crypto says', async () => {
      const message = randomBytes(40);
      const digest = createHash('sha256').update(message).digest();
      const verifyBoth = async (key: KeyMetadata, algorithm: SigningAlgorithmSpec, signature: Uint8Array) => {
        const outcomes: string[] = [];
        for (const [MessageType, Message] of [['RAW', message], ['DIGEST', digest]] as Array<[MessageType, Buffer]>) {
          outcomes.push(
            await kms.send(new VerifyCommand({ KeyId: key.KeyId, Message, MessageType, SigningAlgorithm: algorithm, Signature: signature })).then(
              (r) => (r.SignatureValid ? 'valid' : 'false'),
              (e: { name: string; $metadata?: { httpStatusCode?: number } }) => `${e.name} ${e.$metadata?.httpStatusCode}`,
            ),
          );
        }
        return outcomes;
      };
      const refused = ['KMSInvalidSignatureException 400', 'KMSInvalidSignatureException 400'];

      const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
      const derInteger = (value: bigint) => {
        let bytes = Buffer.from(value.toString(16).padStart(Math.ceil(value.toString(16).length / 2) * 2, '0'), 'hex');
        if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
        return Buffer.concat([Buffer.from([0x02, bytes.length]), bytes]);
      };
      const derSignature = (r: bigint, s: bigint) => {
        const body = Buffer.concat([derInteger(r), derInteger(s)]);
        return Buffer.concat([Buffer.from([0x30, body.length]), body]);
      };
      for (const origin of ['EXTERNAL', 'AWS_KMS'] as const) {
        const key = await keyFor('ECC_NIST_P256', 'SIGN_VERIFY', origin);
        const publicKey = publicFromSpki((await publicKeyOf(key)).PublicKey!);
        const signed = await kms.send(new SignCommand({ KeyId: key.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }));
        const { r, s } = parseEcdsaDer(signed.Signature!);
        // (r, n - s) is the other valid signature for the same nonce: node:crypto (OpenSSL) accepts it, so must Keyledger.
        const otherS = derSignature(r, P256_ORDER - s);
        expect(nodeVerify('ECDSA_SHA_256', message, publicKey, otherS)).toBe(true);
        expect(await verifyBoth(key, 'ECDSA_SHA_256', otherS)).toEqual(['valid', 'valid']);
        // IEEE P1363 (r || s) instead of DER, trailing bytes after the DER, garbage: refused.
        const p1363 = Buffer.concat([Buffer.from(r.toString(16).padStart(64, '0'), 'hex'), Buffer.from(s.toString(16).padStart(64, '0'), 'hex')]);
        for (const bad of [p1363, Buffer.concat([Buffer.from(signed.Signature!), Buffer.from([0])]), randomBytes(1), randomBytes(72)]) {
          expect(nodeVerify('ECDSA_SHA_256', message, publicKey, bad)).toBe(false);
          expect(await verifyBoth(key, 'ECDSA_SHA_256', bad)).toEqual(refused);
        }
      }
      const rsa = importedKeys.get('RSA_2048/SIGN_VERIFY')!.key;
      for (const algorithm of ['RSASSA_PSS_SHA_256', 'RSASSA_PKCS1_V1_5_SHA_256'] as const) {
        const signed = await kms.send(new SignCommand({ KeyId: rsa.KeyId, Message: message, SigningAlgorithm: algorithm }));
        const signature = Buffer.from(signed.Signature!);
        expect(await verifyBoth(rsa, algorithm, signature)).toEqual(['valid', 'valid']);
        for (const bad of [randomBytes(1), signature.subarray(1), Buffer.concat([signature, Buffer.from([0])]), Buffer.concat([Buffer.from([0]), signature]), Buffer.alloc(256, 0xff), Buffer.alloc(256)]) {
          expect(await verifyBoth(rsa, algorithm, bad)).toEqual(refused);
        }
      }
    });

    it('a Message of 4097 bytes is a ValidationException; 4096 bytes signs', async () => {
      const key = importedKeys.get('ECC_NIST_P384/SIGN_VERIFY')!;
      const max = randomBytes(4096);
      const signed = await kms.send(new SignCommand({ KeyId: key.key.KeyId, Message: max, SigningAlgorithm: 'ECDSA_SHA_384' }));
      expect(nodeVerify('ECDSA_SHA_384', max, key.local.publicKey, signed.Signature!)).toBe(true);
      await expectKmsError(
        kms.send(new SignCommand({ KeyId: key.key.KeyId, Message: randomBytes(4097), SigningAlgorithm: 'ECDSA_SHA_384' })),
        'ValidationException',
        "1 validation error detected: Value at 'message' failed to satisfy constraint: Member must have length less than or equal to 4096",
      );
    });
  });

  describe('GetPublicKey', () => {
    const importedCases = [
      { spec: 'RSA_2048', usage: 'ENCRYPT_DECRYPT' },
      { spec: 'RSA_2048', usage: 'SIGN_VERIFY' },
      ...ECC_SPECS.map((spec) => ({ spec, usage: 'SIGN_VERIFY' })),
    ];

    it.each(importedCases)('imported $spec ($usage): the SPKI is the one computed here from the private key, byte for byte', async ({ spec, usage }) => {
      const { key, local } = importedKeys.get(`${spec}/${usage}`)!;
      const result = await kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId }));
      const spki = Buffer.from(result.PublicKey!);
      expect(spki.equals(spkiOfPkcs8(local.pkcs8))).toBe(true);
      expect(spki.equals(local.spki)).toBe(true);
      expect(spki.length).toBe(SPKI_BYTES[spec]);
      expect(result.KeyId).toBe(key.Arn);
      expect(result.KeySpec).toBe(spec);
      expect(result.CustomerMasterKeySpec).toBe(spec);
      expect(result.KeyUsage).toBe(usage);
      const lists = {
        EncryptionAlgorithms: result.EncryptionAlgorithms,
        SigningAlgorithms: result.SigningAlgorithms,
        MacAlgorithms: (result as { MacAlgorithms?: string[] }).MacAlgorithms,
        KeyAgreementAlgorithms: result.KeyAgreementAlgorithms,
      };
      const expected =
        usage === 'ENCRYPT_DECRYPT'
          ? { EncryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] }
          : { SigningAlgorithms: key.SigningAlgorithms };
      expect(Object.fromEntries(Object.entries(lists).filter(([, v]) => v !== undefined))).toEqual(expected);
      if (usage === 'SIGN_VERIFY') expect(result.SigningAlgorithms).toEqual(spec.startsWith('RSA') ? [...RSA_SIGNING] : [ECDSA_BY_SPEC[spec]]);
      // ARN and key id give the same answer.
      const byArn = await kms.send(new GetPublicKeyCommand({ KeyId: key.Arn }));
      expect(Buffer.from(byArn.PublicKey!).equals(spki)).toBe(true);
    });

    it('generated keys: the SPKI has the size of its spec, openssl reads it, and the lists match DescribeKey', async () => {
      const cases = [
        { spec: 'RSA_3072', usage: 'ENCRYPT_DECRYPT', text: /Public-Key: \(3072 bit\)/ },
        { spec: 'RSA_3072', usage: 'SIGN_VERIFY', text: /Public-Key: \(3072 bit\)/ },
        { spec: 'ECC_NIST_P256', usage: 'SIGN_VERIFY', text: /ASN1 OID: prime256v1/ },
        { spec: 'ECC_NIST_P384', usage: 'SIGN_VERIFY', text: /ASN1 OID: secp384r1/ },
        { spec: 'ECC_NIST_P521', usage: 'SIGN_VERIFY', text: /ASN1 OID: secp521r1/ },
        { spec: 'ECC_SECG_P256K1', usage: 'SIGN_VERIFY', text: /ASN1 OID: secp256k1/ },
        { spec: 'ECC_NIST_P256', usage: 'KEY_AGREEMENT', text: /ASN1 OID: prime256v1/ },
      ];
      for (const c of cases) {
        const key = await generatedKey(c.spec, c.usage);
        const described = await describeKey(kms, key.KeyId!);
        const result = await kms.send(new GetPublicKeyCommand({ KeyId: key.Arn }));
        expect({ spec: c.spec, size: result.PublicKey!.length }).toEqual({ spec: c.spec, size: SPKI_BYTES[c.spec] });
        expect(result).toMatchObject({ KeyId: key.Arn, KeySpec: c.spec, CustomerMasterKeySpec: c.spec, KeyUsage: c.usage });
        const path = scratch.write(`generated-${c.spec}-${c.usage}.der`, result.PublicKey!);
        expect(opensslOk(['pkey', '-pubin', '-inform', 'DER', '-in', path, '-noout', '-text']).toString()).toMatch(c.text);
        const lists = {
          EncryptionAlgorithms: result.EncryptionAlgorithms,
          SigningAlgorithms: result.SigningAlgorithms,
          KeyAgreementAlgorithms: result.KeyAgreementAlgorithms,
        };
        const present = Object.fromEntries(Object.entries(lists).filter(([, v]) => v !== undefined));
        expect(Object.keys(present)).toHaveLength(1);
        const name = Object.keys(present)[0] as keyof typeof lists;
        expect(present[name]).toEqual(described[name]);
        if (c.usage === 'KEY_AGREEMENT') expect(result.KeyAgreementAlgorithms).toEqual(['ECDH']);
        if (c.usage === 'ENCRYPT_DECRYPT') expect(result.EncryptionAlgorithms).toEqual(['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256']);
      }
    });

    it('symmetric and HMAC keys have no public key: UnsupportedOperationException', async () => {
      for (const key of [await generatedKey('SYMMETRIC_DEFAULT', 'ENCRYPT_DECRYPT'), await generatedKey('HMAC_256', 'GENERATE_VERIFY_MAC')]) {
        await expectMessagelessKmsError(kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId })), 'UnsupportedOperationException');
      }
    });
  });

  describe('DescribeKey algorithm lists for generated keys of every spec', () => {
    const RSA_ENCRYPTION = ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'];
    const table: Array<{ spec: string; usage: string; list: string; expected: string[] }> = [
      { spec: 'SYMMETRIC_DEFAULT', usage: 'ENCRYPT_DECRYPT', list: 'EncryptionAlgorithms', expected: ['SYMMETRIC_DEFAULT'] },
      { spec: 'HMAC_224', usage: 'GENERATE_VERIFY_MAC', list: 'MacAlgorithms', expected: ['HMAC_SHA_224'] },
      { spec: 'HMAC_256', usage: 'GENERATE_VERIFY_MAC', list: 'MacAlgorithms', expected: ['HMAC_SHA_256'] },
      { spec: 'HMAC_384', usage: 'GENERATE_VERIFY_MAC', list: 'MacAlgorithms', expected: ['HMAC_SHA_384'] },
      { spec: 'HMAC_512', usage: 'GENERATE_VERIFY_MAC', list: 'MacAlgorithms', expected: ['HMAC_SHA_512'] },
      ...['RSA_2048', 'RSA_3072', 'RSA_4096'].flatMap((spec) => [
        { spec, usage: 'ENCRYPT_DECRYPT', list: 'EncryptionAlgorithms', expected: RSA_ENCRYPTION },
        { spec, usage: 'SIGN_VERIFY', list: 'SigningAlgorithms', expected: [...RSA_SIGNING] },
      ]),
      ...['ECC_NIST_P256', 'ECC_NIST_P384', 'ECC_NIST_P521'].flatMap((spec) => [
        { spec, usage: 'SIGN_VERIFY', list: 'SigningAlgorithms', expected: [ECDSA_BY_SPEC[spec]] },
        { spec, usage: 'KEY_AGREEMENT', list: 'KeyAgreementAlgorithms', expected: ['ECDH'] },
      ]),
      { spec: 'ECC_SECG_P256K1', usage: 'SIGN_VERIFY', list: 'SigningAlgorithms', expected: ['ECDSA_SHA_256'] },
    ];

    it.each(table)('$spec ($usage): exactly $list = $expected', async ({ spec, usage, list, expected }) => {
      const key = await generatedKey(spec, usage);
      const described = await describeKey(kms, key.KeyId!);
      expect(described).toMatchObject({ KeySpec: spec, CustomerMasterKeySpec: spec, KeyUsage: usage, Origin: 'AWS_KMS', KeyState: 'Enabled', Enabled: true });
      const lists: Record<string, unknown> = {
        EncryptionAlgorithms: described.EncryptionAlgorithms,
        SigningAlgorithms: described.SigningAlgorithms,
        MacAlgorithms: described.MacAlgorithms,
        KeyAgreementAlgorithms: described.KeyAgreementAlgorithms,
      };
      expect(Object.fromEntries(Object.entries(lists).filter(([, v]) => v !== undefined))).toEqual({ [list]: expected });
      // CreateKey answered with the same lists.
      expect((key as unknown as Record<string, unknown>)[list]).toEqual(expected);

      // Asymmetric keys: the generated key really is of the spec (modulus size or curve, read by node:crypto).
      if (spec.startsWith('RSA_') || spec.startsWith('ECC_')) {
        const spki = (await publicKeyOf(key)).PublicKey!;
        expect(spki.length).toBe(SPKI_BYTES[spec]);
        const publicKey = publicFromSpki(spki);
        if (spec.startsWith('RSA_')) expect(publicKey.asymmetricKeyDetails?.modulusLength).toBe(Number(spec.slice(4)));
        else expect(publicKey.asymmetricKeyDetails?.namedCurve).toBe(CURVES[spec]);
      }
    });
  });

  describe('key states', () => {
    it('after DeleteImportedKeyMaterial, Sign, Verify, GetPublicKey, Encrypt and Decrypt are KMSInvalidStateException "<arn> is pending import."', async () => {
      const signing = localKeyPair('ECC_NIST_P256');
      const signingKey = await createExternalKey(kms, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
      await importMaterial(kms, signingKey.KeyId!, signing.pkcs8, { wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256' });
      const encryption = localKeyPair('RSA_2048');
      const encryptionKey = await createExternalKey(kms, { KeySpec: 'RSA_2048', KeyUsage: 'ENCRYPT_DECRYPT' });
      await importMaterial(kms, encryptionKey.KeyId!, encryption.pkcs8, { wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256' });
      const message = Buffer.from('signed before');
      const { Signature } = await kms.send(new SignCommand({ KeyId: signingKey.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' }));
      expect(nodeVerify('ECDSA_SHA_256', message, signing.publicKey, Signature!)).toBe(true);
      const ciphertext = publicEncrypt({ key: encryption.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, Buffer.from('x'));

      await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: signingKey.KeyId }));
      await kms.send(new DeleteImportedKeyMaterialCommand({ KeyId: encryptionKey.KeyId }));
      const pending = (key: KeyMetadata) => `${key.Arn} is pending import.`;
      await expectKmsError(kms.send(new SignCommand({ KeyId: signingKey.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256' })), 'KMSInvalidStateException', pending(signingKey));
      await expectKmsError(
        kms.send(new VerifyCommand({ KeyId: signingKey.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256', Signature })),
        'KMSInvalidStateException',
        pending(signingKey),
      );
      await expectKmsError(kms.send(new GetPublicKeyCommand({ KeyId: signingKey.KeyId })), 'KMSInvalidStateException', pending(signingKey));
      await expectKmsError(
        kms.send(new EncryptCommand({ KeyId: encryptionKey.KeyId, Plaintext: Buffer.from('x'), EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })),
        'KMSInvalidStateException',
        pending(encryptionKey),
      );
      await expectKmsError(
        kms.send(new DecryptCommand({ CiphertextBlob: ciphertext, KeyId: encryptionKey.KeyId, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' })),
        'KMSInvalidStateException',
        pending(encryptionKey),
      );
      await expectKmsError(kms.send(new GetPublicKeyCommand({ KeyId: encryptionKey.KeyId })), 'KMSInvalidStateException', pending(encryptionKey));

      // The same material brings them back.
      await importMaterial(kms, signingKey.KeyId!, signing.pkcs8, { wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256' });
      expect(await kms.send(new VerifyCommand({ KeyId: signingKey.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_256', Signature }))).toMatchObject({ SignatureValid: true });
    });

    it('past the material\'s ValidTo an imported signing key refuses Sign, Verify and GetPublicKey, before the expiry job recorded anything', async () => {
      const local = localKeyPair('ECC_NIST_P384');
      const key = await createExternalKey(kms, { KeySpec: 'ECC_NIST_P384', KeyUsage: 'SIGN_VERIFY' });
      await importMaterial(kms, key.KeyId!, local.pkcs8, {
        wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256',
        import: { ExpirationModel: 'KEY_MATERIAL_EXPIRES', ValidTo: new Date(kl.clock.now() + 5_000) },
      });
      const message = Buffer.from('m');
      const { Signature } = await kms.send(new SignCommand({ KeyId: key.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_384' }));
      kl.clock.advance(6_000);
      const pending = `${key.Arn} is pending import.`;
      await expectKmsError(kms.send(new SignCommand({ KeyId: key.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_384' })), 'KMSInvalidStateException', pending);
      await expectKmsError(kms.send(new VerifyCommand({ KeyId: key.KeyId, Message: message, SigningAlgorithm: 'ECDSA_SHA_384', Signature })), 'KMSInvalidStateException', pending);
      await expectKmsError(kms.send(new GetPublicKeyCommand({ KeyId: key.KeyId })), 'KMSInvalidStateException', pending);
      expect(readEventLog(kl.dataDir, `kms-key-${key.KeyId}`).map((e) => e.type)).not.toContain('KeyMaterialExpired.v1');
    });
  });
});
