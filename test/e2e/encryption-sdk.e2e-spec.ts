import { randomBytes } from 'node:crypto';
import { CreateKeyCommand, DecryptCommand, KMS, KMSClient, KeyMetadata } from '@aws-sdk/client-kms';
import { buildClient, CommitmentPolicy, getClient, KmsKeyringNode } from '@aws-crypto/client-node';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { fetchAllUsage } from '../support/usage';

/**
 * The AWS Encryption SDK for JavaScript (@aws-crypto/client-node 5) with a KMS keyring pointed at Keyledger:
 * envelope encryption end to end, where the SDK itself calls GenerateDataKey on encrypt and Decrypt on decrypt
 * and checks what comes back (ARNs, data key lengths), so these are the calls of a real third-party client.
 */
describe('AWS Encryption SDK (KMS keyring) against Keyledger', () => {
  let kl: RunningKeyledger;
  let kms: KMSClient;
  const { encrypt, decrypt } = buildClient(CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT);

  /** A keyring whose KMS clients (the aggregated `KMS` class the keyring calls) all go to Keyledger. */
  const keyringFor = (generatorKeyId: string) =>
    new KmsKeyringNode({
      generatorKeyId,
      clientProvider: getClient(KMS, {
        endpoint: kl.url,
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      }),
    });

  const keys: Record<'generated' | 'imported', () => Promise<KeyMetadata>> = {
    generated: async () => (await kms.send(new CreateKeyCommand({ Description: 'esdk generated' }))).KeyMetadata!,
    imported: async () => {
      const key = await createExternalKey(kms, { Description: 'esdk imported' });
      await importMaterial(kms, key.KeyId!, randomBytes(32), { wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256' });
      return key;
    },
  };

  beforeAll(async () => {
    kl = await startKeyledger();
    kms = kl.client();
  });
  afterAll(async () => {
    kms?.destroy();
    await kl?.destroy();
  });

  it.each(['generated', 'imported'] as const)('%s symmetric key: 100 KB round trip, EDK names the key ARN, another key cannot decrypt', async (kind) => {
    const key = await keys[kind]();
    const arn = key.Arn!;
    expect(arn).toMatch(/^arn:aws:kms:us-east-1:\d{12}:key\/[0-9a-f-]{36}$/);
    expect(key.Origin).toBe(kind === 'imported' ? 'EXTERNAL' : 'AWS_KMS');
    const other = (await kms.send(new CreateKeyCommand({ Description: 'esdk other' }))).KeyMetadata!;

    const plaintext = randomBytes(100 * 1024);
    const encryptionContext = { purpose: 'encryption-sdk-e2e', kind };
    const keyring = keyringFor(arn);
    const encrypted = await encrypt(keyring, plaintext, { encryptionContext });

    expect(encrypted.result.length).toBeGreaterThan(plaintext.length);
    expect(encrypted.result.includes(plaintext.subarray(0, 64))).toBe(false);
    const header = encrypted.messageHeader;
    expect(header.encryptedDataKeys).toHaveLength(1);
    expect(header.encryptedDataKeys[0].providerId).toBe('aws-kms');
    expect(header.encryptedDataKeys[0].providerInfo).toBe(arn);
    expect(header.encryptionContext).toMatchObject(encryptionContext);

    const decrypted = await decrypt(keyring, encrypted.result);
    expect(Buffer.from(decrypted.plaintext).equals(plaintext)).toBe(true);
    expect(decrypted.messageHeader.encryptionContext).toMatchObject(encryptionContext);
    expect(decrypted.messageHeader.encryptedDataKeys[0].providerInfo).toBe(arn);

    // A keyring for another key finds no EDK it may use (it filters EDKs by providerInfo): the SDK refuses to decrypt.
    await expect(decrypt(keyringFor(other.Arn!), encrypted.result)).rejects.toThrow('unencryptedDataKey has not been set');
    // And Keyledger itself refuses the EDK when Decrypt names the other key.
    const edk = header.encryptedDataKeys[0];
    await expect(
      kms.send(new DecryptCommand({ KeyId: other.Arn, CiphertextBlob: edk.encryptedDataKey, EncryptionContext: header.encryptionContext })),
    ).rejects.toMatchObject({ name: 'IncorrectKeyException' });
    // With the right key but a changed encryption context the EDK does not open either.
    await expect(
      kms.send(new DecryptCommand({ KeyId: arn, CiphertextBlob: edk.encryptedDataKey, EncryptionContext: { ...header.encryptionContext, kind: 'other' } })),
    ).rejects.toMatchObject({ name: 'InvalidCiphertextException' });

    // The SDK really went through Keyledger: the key's usage log holds its GenerateDataKey and its Decrypt.
    const usage = await fetchAllUsage(kl.url, key.KeyId!);
    const succeeded = usage.filter((r) => r.outcome === 'Succeeded').map((r) => r.operation);
    expect(succeeded.filter((op) => op === 'GenerateDataKey')).toHaveLength(1);
    expect(succeeded.filter((op) => op === 'Decrypt')).toHaveLength(1);
    expect(succeeded).not.toContain('Encrypt');
    for (const record of usage.filter((r) => r.outcome === 'Succeeded')) {
      expect(record).toMatchObject({ keyId: key.KeyId, keyArn: arn, principal: { accessKeyId: 'test' } });
      expect(record.encryptionContextHash).toEqual(expect.any(String));
    }
    const refused = usage.filter((r) => r.outcome === 'Refused');
    expect(refused).toEqual([expect.objectContaining({ operation: 'Decrypt', errorType: 'InvalidCiphertextException' })]);
  });
});
