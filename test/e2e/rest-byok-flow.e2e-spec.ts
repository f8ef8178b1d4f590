import { DecryptCommand, DescribeKeyCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { randomBytes } from 'node:crypto';
import { materialFor } from '../support/client-wrapping';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { expectOk, expectProblem, restClient, RestClient, restImport, sigV4 } from '../support/rest-client';

/**
 * The bring-your-own-key flow over the REST API with plain fetch, wrapping client-side with node:crypto; the
 * AWS SDK then uses the same keys through the AWS endpoint: one key store, two protocols.
 */
describe('REST: BYOK import flow', () => {
  let kl: RunningKeyledger;
  let rest: RestClient;
  let kms: KMSClient;
  beforeAll(async () => {
    kl = await startKeyledger();
    rest = restClient(kl.url);
    kms = kl.client();
  });
  afterAll(() => kl.destroy());

  it('SYMMETRIC_DEFAULT: create, import parameters, import, then encrypt and decrypt through the AWS SDK; delete stops it', async () => {
    const created = await rest.post('/v1/keys', { origin: 'EXTERNAL', description: 'byok over rest' });
    const key = expectOk(created, 201);
    expect(key).toMatchObject({ origin: 'EXTERNAL', keyState: 'PendingImport', enabled: false, keySpec: 'SYMMETRIC_DEFAULT', keyUsage: 'ENCRYPT_DECRYPT', description: 'byok over rest' });
    expect(key.arn).toBe(`arn:aws:kms:us-east-1:000000000000:key/${key.keyId}`);
    expect(new Date(key.creationDate).toISOString()).toBe(key.creationDate);
    expect(created.headers.get('location')).toBe(`/v1/keys/${key.keyId}`);
    expect(created.etag).toBe('"0"');

    const paramsReply = await rest.post(`/v1/keys/${key.keyId}/import-parameters`, { wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256', wrappingKeySpec: 'RSA_3072' });
    const params = expectOk(paramsReply);
    expect(paramsReply.etag).toBe('"1"');
    expect(params).toMatchObject({ keyId: key.keyId, keyArn: key.arn });
    expect(Buffer.from(params.publicKey, 'base64').length).toBeGreaterThan(300);
    expect(Date.parse(params.parametersValidTo) - Date.now()).toBeGreaterThan(23.9 * 3600 * 1000);

    const material = randomBytes(32);
    const validTo = new Date(Date.now() + 30 * 24 * 3600 * 1000);
    validTo.setUTCMilliseconds(0);
    const importedReply = await restImport(rest, key.keyId, material, {
      algorithm: 'RSA_AES_KEY_WRAP_SHA_256',
      wrappingKeySpec: 'RSA_3072',
      import: { expirationModel: 'KEY_MATERIAL_EXPIRES', validTo: validTo.toISOString(), keyMaterialDescription: 'material A' },
    });
    const imported = expectOk(importedReply);
    expect(imported).toEqual({ keyId: key.keyId, keyArn: key.arn, keyMaterialId: expect.stringMatching(/^[a-f0-9]{64}$/) });
    // restImport issued a second set of parameters (revision 2) before importing (revision 3).
    expect(importedReply.etag).toBe('"3"');

    const described = await rest.get(`/v1/keys/${key.keyId}`);
    expect(expectOk(described)).toMatchObject({
      keyState: 'Enabled',
      enabled: true,
      expirationModel: 'KEY_MATERIAL_EXPIRES',
      validTo: validTo.toISOString(),
      currentKeyMaterialId: imported.keyMaterialId,
    });
    expect(described.etag).toBe('"3"');

    // The same key through the AWS endpoint.
    const sdkView = (await kms.send(new DescribeKeyCommand({ KeyId: key.keyId }))).KeyMetadata!;
    expect(sdkView).toMatchObject({ KeyState: 'Enabled', Arn: key.arn, CurrentKeyMaterialId: imported.keyMaterialId });
    const encrypted = await kms.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: Buffer.from('over both endpoints') }));
    const decrypted = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }));
    expect(Buffer.from(decrypted.Plaintext!).toString()).toBe('over both endpoints');
    expect(decrypted.KeyMaterialId).toBe(imported.keyMaterialId);

    const deleted = await rest.delete(`/v1/keys/${key.keyId}/material`);
    expect(expectOk(deleted)).toEqual({ keyId: key.keyId, keyArn: key.arn, keyMaterialId: imported.keyMaterialId });
    expect(deleted.etag).toBe('"4"');
    expect(expectOk(await rest.get(`/v1/keys/${key.keyId}`)).keyState).toBe('PendingImport');
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }))).rejects.toMatchObject({ name: 'KMSInvalidStateException' });

    // Only the same material comes back, and old ciphertexts decrypt again.
    expectProblem(await restImport(rest, key.keyId, randomBytes(32)), 422, 'incorrect-key-material', 'IncorrectKeyMaterialException');
    expect(expectOk(await restImport(rest, key.keyId, material)).keyMaterialId).toBe(imported.keyMaterialId);
    const again = await kms.send(new DecryptCommand({ CiphertextBlob: encrypted.CiphertextBlob }));
    expect(Buffer.from(again.Plaintext!).toString()).toBe('over both endpoints');
  });

  it('RSA_2048 (SIGN_VERIFY): imports PKCS#8 material through RSA_AES_KEY_WRAP_SHA_256; the AWS SDK sees the same key', async () => {
    const key = expectOk(await rest.post('/v1/keys', { origin: 'EXTERNAL', keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' }), 201);
    expect(key).toMatchObject({ keyState: 'PendingImport', keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY', signingAlgorithms: expect.arrayContaining(['RSASSA_PSS_SHA_256']) });
    expect(key.currentKeyMaterialId).toBeUndefined();

    const material = materialFor('RSA_2048');
    // RSAES_OAEP cannot carry an RSA private key: refused as unusable for this key, not as a malformed request.
    const oaep = await rest.post(`/v1/keys/${key.keyId}/import-parameters`, { wrappingAlgorithm: 'RSAES_OAEP_SHA_256', wrappingKeySpec: 'RSA_2048' });
    expectProblem(oaep, 422, 'unsupported-operation', 'UnsupportedOperationException', /not supported for RSA_2048 key material/);
    const imported = expectOk(await restImport(rest, key.keyId, material, { algorithm: 'RSA_AES_KEY_WRAP_SHA_256', wrappingKeySpec: 'RSA_4096' }));
    expect(imported.keyMaterialId).toMatch(/^[a-f0-9]{64}$/);

    expect(expectOk(await rest.get(`/v1/keys/${key.keyId}`))).toMatchObject({ keyState: 'Enabled', expirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    const sdkView = (await kms.send(new DescribeKeyCommand({ KeyId: key.arn }))).KeyMetadata!;
    expect(sdkView).toMatchObject({ KeyState: 'Enabled', KeySpec: 'RSA_2048', Origin: 'EXTERNAL', ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
  });

  it('a key created over REST with AWS_KMS material encrypts through the SDK; keys created either way are listed, in pages', async () => {
    const own = expectOk(await rest.post('/v1/keys', {}), 201);
    expect(own).toMatchObject({ origin: 'AWS_KMS', keyState: 'Enabled', keySpec: 'SYMMETRIC_DEFAULT' });
    const encrypted = await kms.send(new EncryptCommand({ KeyId: own.arn, Plaintext: Buffer.from('x') }));
    expect(encrypted.KeyId).toBe(own.arn);

    const listed: string[] = [];
    let marker: string | undefined;
    do {
      const page = expectOk(await rest.get(`/v1/keys?limit=2${marker ? `&marker=${encodeURIComponent(marker)}` : ''}`));
      expect(page.keys.length).toBeLessThanOrEqual(2);
      listed.push(...page.keys.map((k: { keyId: string; keyArn: string }) => k.keyId));
      marker = page.nextMarker;
    } while (marker);
    expect(listed).toContain(own.keyId);
    expect(listed.length).toBe(new Set(listed).size);
    expect(listed.length).toBeGreaterThanOrEqual(3);
  });

  it('keys are scoped to the caller account and region, resolved from the SigV4 credential scope as on the AWS endpoint', async () => {
    const other = restClient(kl.url, sigV4('111122223333', 'eu-west-1'));
    const key = expectOk(await other.post('/v1/keys', { origin: 'EXTERNAL' }), 201);
    expect(key.arn).toBe(`arn:aws:kms:eu-west-1:111122223333:key/${key.keyId}`);
    const sdk = kl.client({ accessKeyId: '111122223333', region: 'eu-west-1' });
    expect((await sdk.send(new DescribeKeyCommand({ KeyId: key.keyId }))).KeyMetadata!.Arn).toBe(key.arn);
    expectProblem(await rest.get(`/v1/keys/${key.keyId}`), 404, 'not-found', 'NotFoundException');
    expect(expectOk(await rest.get('/v1/keys?limit=1000')).keys.map((k: { keyId: string }) => k.keyId)).not.toContain(key.keyId);
  });
});
