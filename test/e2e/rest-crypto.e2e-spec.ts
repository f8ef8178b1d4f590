import { DecryptCommand, EncryptCommand, GenerateMacCommand, KMSClient, VerifyMacCommand } from '@aws-sdk/client-kms';
import {
  constants,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  createSign,
  diffieHellman,
  generateKeyPairSync,
  KeyObject,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  verify as nodeVerify,
} from 'node:crypto';
import { materialFor } from '../support/client-wrapping';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';
import { OpenApiClient } from '../support/openapi-client';
import { expectOk, expectProblem, restCall, restClient, RestClient, restImport, RestReply } from '../support/rest-client';
import { fetchAllUsage } from '../support/usage';

/**
 * The cryptographic operations over REST (/v1/keys/{keyId}/encrypt, /sign, ... and /v1/random). Every result is
 * checked independently: with node:crypto against material the test imported itself or a public key read back,
 * or through the AWS SDK on the same key. Every call goes through the OpenAPI client, so every answer is also
 * checked against the document (status, content type, schema).
 */
const b64 = (bytes: Buffer | Uint8Array | string) => Buffer.from(bytes).toString('base64');
const unb64 = (text: string) => Buffer.from(text, 'base64');
const spki = (der: Buffer): KeyObject => createPublicKey({ key: der, format: 'der', type: 'spki' });
const UNKNOWN_KEY = '11111111-2222-3333-4444-555555555555';

const CRYPTO_ROUTES = [
  'GET /v1/keys/{keyId}/public-key',
  'POST /v1/keys/{keyId}/data-key',
  'POST /v1/keys/{keyId}/data-key-pair',
  'POST /v1/keys/{keyId}/decrypt',
  'POST /v1/keys/{keyId}/encrypt',
  'POST /v1/keys/{keyId}/mac',
  'POST /v1/keys/{keyId}/mac/verify',
  'POST /v1/keys/{keyId}/re-encrypt',
  'POST /v1/keys/{keyId}/shared-secret',
  'POST /v1/keys/{keyId}/sign',
  'POST /v1/keys/{keyId}/verify',
  'POST /v1/random',
];

describe('REST: cryptographic operations', () => {
  let kl: RunningKeyledger;
  let rest: RestClient;
  let kms: KMSClient;
  let api: OpenApiClient;
  /** A call by operationId, checked against the document. */
  const op = (operationId: string, keyId: string | undefined, body?: unknown): Promise<RestReply> =>
    api.call(operationId, { params: keyId === undefined ? {} : { keyId }, body });

  const createKey = async (body: Record<string, unknown> = {}) => expectOk(await rest.post('/v1/keys', body), 201);
  /** An EXTERNAL key holding material the test knows. */
  const importedKey = async (keySpec: string, keyUsage: string, material: Buffer) => {
    const key = await createKey({ origin: 'EXTERNAL', keySpec, keyUsage });
    const algorithm = /^(RSA|ECC)_/.test(keySpec) ? 'RSA_AES_KEY_WRAP_SHA_256' : 'RSAES_OAEP_SHA_256';
    const imported = expectOk(await restImport(rest, key.keyId, material, { algorithm }));
    return { ...key, keyMaterialId: imported.keyMaterialId as string };
  };

  beforeAll(async () => {
    kl = await startKeyledger();
    rest = restClient(kl.url);
    kms = kl.client();
    api = await OpenApiClient.load(kl.url);
  });
  afterAll(() => kl.destroy());

  describe('the OpenAPI document', () => {
    it('documents every route with an operationId, a summary naming the AWS operation, 200, and problem+json errors', () => {
      const ours = api.operations().filter((o) => CRYPTO_ROUTES.includes(`${o.method.toUpperCase()} ${o.path}`));
      expect(ours.map((o) => `${o.method.toUpperCase()} ${o.path}`).sort()).toEqual(CRYPTO_ROUTES);
      for (const { method, path, operation } of ours) {
        const route = `${method} ${path}`;
        expect({ route, id: operation.operationId }).toEqual({ route, id: expect.stringMatching(/^[a-z][A-Za-z]+$/) });
        expect({ route, summary: operation.summary }).toEqual({ route, summary: expect.stringMatching(/\((GenerateRandom|[A-Z][A-Za-z]+)(, [A-Za-z]+)*( with KeyId)?\)$/) });
        const statuses = Object.keys(operation.responses);
        expect(statuses).toEqual(expect.arrayContaining(['200', '400', '500']));
        expect(statuses.filter((s) => s.startsWith('2'))).toEqual(['200']);
        if (path.includes('{keyId}')) expect(statuses).toEqual(expect.arrayContaining(['404', '422']));
        for (const status of statuses.filter((s) => Number(s) >= 400)) {
          expect({ route, status, types: Object.keys(operation.responses[status].content ?? {}) }).toEqual({ route, status, types: ['application/problem+json'] });
        }
        expect({ route, body: operation.requestBody !== undefined }).toEqual({ route, body: method === 'post' });
        // Cryptographic operations change no key: no If-Match, no 412.
        expect(operation.parameters?.some((p) => p.name === 'If-Match') ?? false).toBe(false);
      }
      // Binary members are documented as base64 (format byte).
      const schemas = api.document.components.schemas as Record<string, { properties: Record<string, { format?: string }> }>;
      expect(schemas.EncryptBody.properties.plaintext.format).toBe('byte');
      expect(schemas.VerifyBody.properties.signature.format).toBe('byte');
      expect(schemas.EncryptedResource.properties.ciphertext.format).toBe('byte');
      expect(schemas.PublicKeyResource.properties.publicKey.format).toBe('byte');
    });

    it('every route is served and answers as documented, for an unknown key and an empty body', async () => {
      for (const route of CRYPTO_ROUTES) {
        const [method, path] = route.split(' ');
        const { operation } = api.operations().find((o) => o.path === path && o.method === method.toLowerCase())!;
        const reply = await restCall(kl.url, method, path.replace('{keyId}', UNKNOWN_KEY), { body: method === 'POST' ? {} : undefined });
        expect({ route, status: reply.status }).toEqual({ route, status: method === 'GET' ? 404 : 400 });
        api.checkAgainstDocument(operation.operationId, operation, reply);
      }
    });
  });

  describe('encryption', () => {
    it('encrypt: REST ciphertext decrypts through the AWS SDK, and the SDK ciphertext decrypts through REST', async () => {
      const key = await createKey({ description: 'rest crypto' });
      const context = { purpose: 'test', tenant: 't-1' };
      const plaintext = randomBytes(100);

      const encrypted = expectOk(await op('encrypt', key.keyId, { plaintext: b64(plaintext), encryptionContext: context }));
      expect(encrypted).toEqual({ keyId: key.keyId, keyArn: key.arn, ciphertext: expect.any(String), encryptionAlgorithm: 'SYMMETRIC_DEFAULT' });
      const sdkDecrypted = await kms.send(new DecryptCommand({ CiphertextBlob: unb64(encrypted.ciphertext), EncryptionContext: context }));
      expect(Buffer.from(sdkDecrypted.Plaintext!).equals(plaintext)).toBe(true);
      expect(sdkDecrypted.KeyId).toBe(key.arn);

      const sdkEncrypted = await kms.send(new EncryptCommand({ KeyId: key.keyId, Plaintext: plaintext, EncryptionContext: context }));
      const decrypted = expectOk(await op('decrypt', key.keyId, { ciphertext: b64(sdkEncrypted.CiphertextBlob!), encryptionContext: context }));
      expect(decrypted).toEqual({ keyId: key.keyId, keyArn: key.arn, plaintext: b64(plaintext), encryptionAlgorithm: 'SYMMETRIC_DEFAULT', keyMaterialId: key.currentKeyMaterialId });

      // The key may be named by its ARN (its '/' encoded); the wrong context or another key is refused.
      expect(expectOk(await op('decrypt', key.arn, { ciphertext: encrypted.ciphertext, encryptionContext: context })).plaintext).toBe(b64(plaintext));
      expectProblem(await op('decrypt', key.keyId, { ciphertext: encrypted.ciphertext, encryptionContext: { purpose: 'other' } }), 422, 'invalid-ciphertext', 'InvalidCiphertextException');
      const other = await createKey();
      expectProblem(await op('decrypt', other.keyId, { ciphertext: encrypted.ciphertext, encryptionContext: context }), 422, 'incorrect-key', 'IncorrectKeyException');
    });

    it('RSA (ENCRYPT_DECRYPT, imported): REST encrypts what node:crypto decrypts with the private key, and decrypts what node encrypts with the public key', async () => {
      const material = materialFor('RSA_2048');
      const privateKey = createPrivateKey({ key: material, format: 'der', type: 'pkcs8' });
      const key = await importedKey('RSA_2048', 'ENCRYPT_DECRYPT', material);
      const plaintext = randomBytes(64);

      const encrypted = expectOk(await op('encrypt', key.keyId, { plaintext: b64(plaintext), encryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
      expect(encrypted.encryptionAlgorithm).toBe('RSAES_OAEP_SHA_256');
      const nodeDecrypted = privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, unb64(encrypted.ciphertext));
      expect(nodeDecrypted.equals(plaintext)).toBe(true);

      const publicKey = expectOk(await op('getPublicKey', key.keyId));
      expect(publicKey).toMatchObject({ keySpec: 'RSA_2048', keyUsage: 'ENCRYPT_DECRYPT', encryptionAlgorithms: ['RSAES_OAEP_SHA_1', 'RSAES_OAEP_SHA_256'] });
      expect(unb64(publicKey.publicKey).equals(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }))).toBe(true);
      const nodeEncrypted = publicEncrypt({ key: spki(unb64(publicKey.publicKey)), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha1' }, plaintext);
      const decrypted = expectOk(await op('decrypt', key.keyId, { ciphertext: b64(nodeEncrypted), encryptionAlgorithm: 'RSAES_OAEP_SHA_1' }));
      expect(decrypted).toEqual({ keyId: key.keyId, keyArn: key.arn, plaintext: b64(plaintext), encryptionAlgorithm: 'RSAES_OAEP_SHA_1' });

      // Larger than OAEP SHA-256 carries with a 2048-bit key: the service's limit, a 400.
      expectProblem(await op('encrypt', key.keyId, { plaintext: b64(randomBytes(191)), encryptionAlgorithm: 'RSAES_OAEP_SHA_256' }), 400, 'validation-failed', 'ValidationException');
      // SYMMETRIC_DEFAULT is not one of an RSA key's algorithms.
      expectProblem(await op('encrypt', key.keyId, { plaintext: b64(plaintext) }), 422, 'invalid-key-usage', 'InvalidKeyUsageException');
    });

    it('re-encrypt: from the key in the path to the destination key, whose new ciphertext the AWS SDK decrypts', async () => {
      const source = await createKey();
      const destination = await createKey();
      const plaintext = randomBytes(48);
      const sourceContext = { stage: 'before' };
      const destinationContext = { stage: 'after' };
      const sdkEncrypted = await kms.send(new EncryptCommand({ KeyId: source.keyId, Plaintext: plaintext, EncryptionContext: sourceContext }));

      const reEncrypted = expectOk(
        await op('reEncrypt', source.keyId, {
          ciphertext: b64(sdkEncrypted.CiphertextBlob!),
          sourceEncryptionContext: sourceContext,
          destinationKeyId: destination.arn,
          destinationEncryptionContext: destinationContext,
        }),
      );
      expect(reEncrypted).toEqual({
        ciphertext: expect.any(String),
        sourceKeyId: source.keyId,
        sourceKeyArn: source.arn,
        sourceEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        sourceKeyMaterialId: source.currentKeyMaterialId,
        destinationKeyId: destination.keyId,
        destinationKeyArn: destination.arn,
        destinationEncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        destinationKeyMaterialId: destination.currentKeyMaterialId,
      });
      const sdkDecrypted = await kms.send(new DecryptCommand({ CiphertextBlob: unb64(reEncrypted.ciphertext), EncryptionContext: destinationContext }));
      expect({ key: sdkDecrypted.KeyId, same: Buffer.from(sdkDecrypted.Plaintext!).equals(plaintext) }).toEqual({ key: destination.arn, same: true });

      // The path key is the source: a ciphertext of another key is refused.
      expectProblem(
        await op('reEncrypt', destination.keyId, { ciphertext: b64(sdkEncrypted.CiphertextBlob!), sourceEncryptionContext: sourceContext, destinationKeyId: source.keyId }),
        422,
        'incorrect-key',
        'IncorrectKeyException',
      );
      expectProblem(await op('reEncrypt', source.keyId, { ciphertext: b64(sdkEncrypted.CiphertextBlob!) }), 400, 'validation-failed', 'ValidationException', /destinationKeyId/);
    });

    it('data-key: the ciphertext decrypts through REST (and the SDK) to the returned plaintext; includePlaintext false omits it', async () => {
      const key = await createKey();
      const context = { file: 'report.pdf' };
      const dataKey = expectOk(await op('generateDataKey', key.keyId, { keySpec: 'AES_256', encryptionContext: context }));
      expect(dataKey).toEqual({ keyId: key.keyId, keyArn: key.arn, ciphertext: expect.any(String), plaintext: expect.any(String), keyMaterialId: key.currentKeyMaterialId });
      expect(unb64(dataKey.plaintext)).toHaveLength(32);
      const decrypted = expectOk(await op('decrypt', key.keyId, { ciphertext: dataKey.ciphertext, encryptionContext: context }));
      expect(decrypted.plaintext).toBe(dataKey.plaintext);
      const sdkDecrypted = await kms.send(new DecryptCommand({ CiphertextBlob: unb64(dataKey.ciphertext), EncryptionContext: context }));
      expect(b64(sdkDecrypted.Plaintext!)).toBe(dataKey.plaintext);

      const sized = expectOk(await op('generateDataKey', key.keyId, { numberOfBytes: 64 }));
      expect(unb64(sized.plaintext)).toHaveLength(64);
      const hidden = expectOk(await op('generateDataKey', key.keyId, { keySpec: 'AES_128', includePlaintext: false }));
      expect(Object.keys(hidden).sort()).toEqual(['ciphertext', 'keyArn', 'keyId', 'keyMaterialId']);
      expect(unb64(expectOk(await op('decrypt', key.keyId, { ciphertext: hidden.ciphertext })).plaintext)).toHaveLength(16);

      expectProblem(await op('generateDataKey', key.keyId, { keySpec: 'AES_256', numberOfBytes: 32 }), 400, 'validation-failed', 'ValidationException');
      expectProblem(await op('generateDataKey', key.keyId, {}), 400, 'validation-failed', 'ValidationException');
      expectProblem(await op('generateDataKey', key.keyId, { numberOfBytes: 1025 }), 400, 'validation-failed', 'ValidationException');
      expectProblem(await op('generateDataKey', key.keyId, { keySpec: 'AES_256', includePlaintext: 'no' }), 400, 'malformed-request', 'SerializationException');
    });

    it('data-key-pair: the private key matches the public key and its ciphertext decrypts to it', async () => {
      const key = await createKey();
      const pair = expectOk(await op('generateDataKeyPair', key.keyId, { keyPairSpec: 'ECC_NIST_P256', encryptionContext: { k: 'v' } }));
      expect(pair).toEqual({
        keyId: key.keyId,
        keyArn: key.arn,
        keyPairSpec: 'ECC_NIST_P256',
        publicKey: expect.any(String),
        privateKeyCiphertext: expect.any(String),
        privateKeyPlaintext: expect.any(String),
        keyMaterialId: key.currentKeyMaterialId,
      });
      const privateKey = createPrivateKey({ key: unb64(pair.privateKeyPlaintext), format: 'der', type: 'pkcs8' });
      expect(privateKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
      expect(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).equals(unb64(pair.publicKey))).toBe(true);
      const decrypted = expectOk(await op('decrypt', key.keyId, { ciphertext: pair.privateKeyCiphertext, encryptionContext: { k: 'v' } }));
      expect(decrypted.plaintext).toBe(pair.privateKeyPlaintext);

      const hidden = expectOk(await op('generateDataKeyPair', key.keyId, { keyPairSpec: 'ECC_NIST_P384', includePlaintext: false }));
      expect(hidden.privateKeyPlaintext).toBeUndefined();
      expect(spki(unb64(hidden.publicKey)).asymmetricKeyDetails?.namedCurve).toBe('secp384r1');
      expectProblem(await op('generateDataKeyPair', key.keyId, {}), 400, 'validation-failed', 'ValidationException', /keyPairSpec/);
    });
  });

  describe('signing, MACs, key agreement, public keys', () => {
    it('sign (ECDSA, generated key): node:crypto verifies with the public key from GET public-key, whose PEM equals its DER', async () => {
      const key = await createKey({ keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' });
      const publicKey = expectOk(await op('getPublicKey', key.keyId));
      expect(publicKey).toEqual({
        keyId: key.keyId,
        keyArn: key.arn,
        publicKey: expect.any(String),
        publicKeyPem: expect.stringMatching(/^-----BEGIN PUBLIC KEY-----\n([A-Za-z0-9+/=]{1,64}\n)+-----END PUBLIC KEY-----\n$/),
        keySpec: 'ECC_NIST_P256',
        keyUsage: 'SIGN_VERIFY',
        signingAlgorithms: ['ECDSA_SHA_256'],
      });
      const fromPem = createPublicKey(publicKey.publicKeyPem);
      expect(fromPem.export({ format: 'der', type: 'spki' }).equals(unb64(publicKey.publicKey))).toBe(true);

      const message = Buffer.from('pay 100 to alice');
      const signed = expectOk(await op('sign', key.keyId, { message: b64(message), signingAlgorithm: 'ECDSA_SHA_256' }));
      expect(signed).toEqual({ keyId: key.keyId, keyArn: key.arn, signature: expect.any(String), signingAlgorithm: 'ECDSA_SHA_256' });
      expect(nodeVerify('sha256', message, fromPem, unb64(signed.signature))).toBe(true);
      expect(nodeVerify('sha256', Buffer.from('pay 999 to alice'), fromPem, unb64(signed.signature))).toBe(false);

      // A digest signs as the message it is the digest of.
      const digest = createHash('sha256').update(message).digest();
      const digestSigned = expectOk(await op('sign', key.keyId, { message: b64(digest), messageType: 'DIGEST', signingAlgorithm: 'ECDSA_SHA_256' }));
      expect(nodeVerify('sha256', message, fromPem, unb64(digestSigned.signature))).toBe(true);
      expectProblem(await op('sign', key.keyId, { message: b64(message), messageType: 'DIGEST', signingAlgorithm: 'ECDSA_SHA_256' }), 400, 'validation-failed', 'ValidationException');

      const verified = expectOk(await op('verify', key.keyId, { message: b64(message), signingAlgorithm: 'ECDSA_SHA_256', signature: signed.signature }));
      expect(verified).toEqual({ keyId: key.keyId, keyArn: key.arn, signatureValid: true, signingAlgorithm: 'ECDSA_SHA_256' });
      const bad = await op('verify', key.keyId, { message: b64(Buffer.from('pay 999 to alice')), signingAlgorithm: 'ECDSA_SHA_256', signature: signed.signature });
      expectProblem(bad, 422, 'invalid-signature', 'KMSInvalidSignatureException');
      const garbage = await op('verify', key.keyId, { message: b64(message), signingAlgorithm: 'ECDSA_SHA_256', signature: b64('not a DER signature') });
      expectProblem(garbage, 422, 'invalid-signature', 'KMSInvalidSignatureException');
      // An algorithm of another key spec is the key's refusal.
      expectProblem(await op('sign', key.keyId, { message: b64(message), signingAlgorithm: 'ECDSA_SHA_384' }), 422, 'invalid-key-usage', 'InvalidKeyUsageException');
    });

    it('verify (imported EC key): a signature node:crypto made with the private key verifies; REST signatures verify in node', async () => {
      const material = materialFor('ECC_NIST_P384');
      const privateKey = createPrivateKey({ key: material, format: 'der', type: 'pkcs8' });
      const key = await importedKey('ECC_NIST_P384', 'SIGN_VERIFY', material);
      const message = randomBytes(500);
      const nodeSignature = createSign('sha384').update(message).sign(privateKey);
      const verified = expectOk(await op('verify', key.keyId, { message: b64(message), signingAlgorithm: 'ECDSA_SHA_384', signature: b64(nodeSignature) }));
      expect(verified.signatureValid).toBe(true);
      const signed = expectOk(await op('sign', key.keyId, { message: b64(message), signingAlgorithm: 'ECDSA_SHA_384' }));
      expect(nodeVerify('sha384', message, createPublicKey(privateKey), unb64(signed.signature))).toBe(true);
      const tampered = Buffer.from(nodeSignature);
      tampered[tampered.length - 1] ^= 1;
      expectProblem(await op('verify', key.keyId, { message: b64(message), signingAlgorithm: 'ECDSA_SHA_384', signature: b64(tampered) }), 422, 'invalid-signature', 'KMSInvalidSignatureException');
    });

    it('sign (RSA-PSS, generated key): node:crypto verifies with PSS, salt length = hash length', async () => {
      const key = await createKey({ keySpec: 'RSA_2048', keyUsage: 'SIGN_VERIFY' });
      const publicKey = expectOk(await op('getPublicKey', key.keyId));
      const message = randomBytes(200);
      const signed = expectOk(await op('sign', key.keyId, { message: b64(message), signingAlgorithm: 'RSASSA_PSS_SHA_256' }));
      const verifyKey = { key: createPublicKey(publicKey.publicKeyPem), padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
      expect(nodeVerify('sha256', message, verifyKey, unb64(signed.signature))).toBe(true);
      const pkcs1 = expectOk(await op('sign', key.keyId, { message: b64(message), signingAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_512' }));
      expect(nodeVerify('sha512', message, createPublicKey(publicKey.publicKeyPem), unb64(pkcs1.signature))).toBe(true);
    });

    it('mac (imported HMAC_256): equals createHmac over the imported material; mac/verify accepts it and refuses another', async () => {
      const material = materialFor('HMAC_256');
      const key = await importedKey('HMAC_256', 'GENERATE_VERIFY_MAC', material);
      const message = Buffer.from('the message');
      const expected = createHmac('sha256', material).update(message).digest();

      const mac = expectOk(await op('generateMac', key.keyId, { message: b64(message), macAlgorithm: 'HMAC_SHA_256' }));
      expect(mac).toEqual({ keyId: key.keyId, keyArn: key.arn, mac: b64(expected), macAlgorithm: 'HMAC_SHA_256' });
      const verified = expectOk(await op('verifyMac', key.keyId, { message: b64(message), macAlgorithm: 'HMAC_SHA_256', mac: b64(expected) }));
      expect(verified).toEqual({ keyId: key.keyId, keyArn: key.arn, macValid: true, macAlgorithm: 'HMAC_SHA_256' });
      const wrong = createHmac('sha256', material).update('another message').digest();
      expectProblem(await op('verifyMac', key.keyId, { message: b64(message), macAlgorithm: 'HMAC_SHA_256', mac: b64(wrong) }), 422, 'invalid-mac', 'KMSInvalidMacException');
      expectProblem(await op('generateMac', key.keyId, { message: b64(message), macAlgorithm: 'HMAC_SHA_512' }), 422, 'invalid-key-usage', 'InvalidKeyUsageException');
    });

    it('mac (generated HMAC_384): the AWS SDK verifies the REST MAC, and REST verifies the SDK MAC', async () => {
      const key = await createKey({ keySpec: 'HMAC_384', keyUsage: 'GENERATE_VERIFY_MAC' });
      const message = randomBytes(300);
      const mac = expectOk(await op('generateMac', key.keyId, { message: b64(message), macAlgorithm: 'HMAC_SHA_384' }));
      expect(unb64(mac.mac)).toHaveLength(48);
      const sdkVerified = await kms.send(new VerifyMacCommand({ KeyId: key.keyId, Message: message, MacAlgorithm: 'HMAC_SHA_384', Mac: unb64(mac.mac) }));
      expect(sdkVerified.MacValid).toBe(true);
      const sdkMac = await kms.send(new GenerateMacCommand({ KeyId: key.keyId, Message: message, MacAlgorithm: 'HMAC_SHA_384' }));
      expect(b64(sdkMac.Mac!)).toBe(mac.mac);
      expect(expectOk(await op('verifyMac', key.keyId, { message: b64(message), macAlgorithm: 'HMAC_SHA_384', mac: b64(sdkMac.Mac!) })).macValid).toBe(true);
    });

    it("shared-secret: equals node's diffieHellman between the peer's private key and the key's public key", async () => {
      const key = await createKey({ keySpec: 'ECC_NIST_P256', keyUsage: 'KEY_AGREEMENT' });
      const publicKey = expectOk(await op('getPublicKey', key.keyId));
      expect(publicKey).toMatchObject({ keyUsage: 'KEY_AGREEMENT', keyAgreementAlgorithms: ['ECDH'] });
      expect(publicKey.signingAlgorithms).toBeUndefined();
      const peer = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
      const peerDer = peer.publicKey.export({ format: 'der', type: 'spki' });

      const derived = expectOk(await op('deriveSharedSecret', key.keyId, { keyAgreementAlgorithm: 'ECDH', publicKey: b64(peerDer) }));
      const expected = diffieHellman({ privateKey: peer.privateKey, publicKey: createPublicKey(publicKey.publicKeyPem) });
      expect(derived).toEqual({ keyId: key.keyId, keyArn: key.arn, sharedSecret: b64(expected), keyAgreementAlgorithm: 'ECDH', keyOrigin: 'AWS_KMS' });

      const otherCurve = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).publicKey.export({ format: 'der', type: 'spki' });
      expectProblem(await op('deriveSharedSecret', key.keyId, { keyAgreementAlgorithm: 'ECDH', publicKey: b64(otherCurve) }), 400, 'validation-failed', 'ValidationException');
      // A signing key does not agree keys.
      const signing = await createKey({ keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' });
      expectProblem(await op('deriveSharedSecret', signing.keyId, { keyAgreementAlgorithm: 'ECDH', publicKey: b64(peerDer) }), 422, 'invalid-key-usage', 'InvalidKeyUsageException');
    });

    it('public-key of a symmetric or HMAC key is 422 UnsupportedOperationException', async () => {
      const symmetric = await createKey();
      expectProblem(await op('getPublicKey', symmetric.keyId), 422, 'unsupported-operation', 'UnsupportedOperationException');
      const hmac = await createKey({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' });
      expectProblem(await op('getPublicKey', hmac.keyId), 422, 'unsupported-operation', 'UnsupportedOperationException');
    });
  });

  describe('random', () => {
    it('returns numberOfBytes fresh bytes; the count is required and 1 to 1024', async () => {
      const first = expectOk(await op('generateRandom', undefined, { numberOfBytes: 32 }));
      const second = expectOk(await op('generateRandom', undefined, { numberOfBytes: 32 }));
      expect(Object.keys(first)).toEqual(['plaintext']);
      expect(unb64(first.plaintext)).toHaveLength(32);
      expect(first.plaintext).not.toBe(second.plaintext);
      expect(unb64(expectOk(await op('generateRandom', undefined, { numberOfBytes: 1024 })).plaintext)).toHaveLength(1024);
      for (const numberOfBytes of [0, 1025, undefined]) {
        expectProblem(await op('generateRandom', undefined, { numberOfBytes }), 400, 'validation-failed', 'ValidationException', /numberOfBytes/);
      }
      expectProblem(await op('generateRandom', undefined, { numberOfBytes: '32' }), 400, 'malformed-request', 'SerializationException');
    });
  });

  describe('errors', () => {
    it('an unknown key is 404 on every key route, with a valid body (decrypt: as Decrypt with KeyId, the ciphertext speaks first)', async () => {
      const bodies: Record<string, unknown> = {
        encrypt: { plaintext: b64('x') },
        reEncrypt: { ciphertext: b64(randomBytes(64)), destinationKeyId: UNKNOWN_KEY },
        generateDataKey: { keySpec: 'AES_256' },
        generateDataKeyPair: { keyPairSpec: 'ECC_NIST_P256' },
        sign: { message: b64('x'), signingAlgorithm: 'ECDSA_SHA_256' },
        verify: { message: b64('x'), signingAlgorithm: 'ECDSA_SHA_256', signature: b64('sig') },
        generateMac: { message: b64('x'), macAlgorithm: 'HMAC_SHA_256' },
        verifyMac: { message: b64('x'), macAlgorithm: 'HMAC_SHA_256', mac: b64('mac') },
        deriveSharedSecret: { keyAgreementAlgorithm: 'ECDH', publicKey: b64('pk') },
        getPublicKey: undefined,
      };
      for (const [operationId, body] of Object.entries(bodies)) {
        const reply = await op(operationId, UNKNOWN_KEY, body);
        expect({ operationId, status: reply.status }).toEqual({ operationId, status: 404 });
        expectProblem(reply, 404, 'not-found', 'NotFoundException');
      }
      // Decrypt reads the key from a symmetric ciphertext before it looks the named key up (the AWS endpoint's
      // Decrypt query): an unknown path key answers as a key that did not encrypt it, never with the plaintext.
      const real = await createKey();
      const encrypted = expectOk(await op('encrypt', real.keyId, { plaintext: b64('x') }));
      expectProblem(await op('decrypt', UNKNOWN_KEY, { ciphertext: encrypted.ciphertext }), 422, 'incorrect-key', 'IncorrectKeyException');
      expectProblem(await op('decrypt', UNKNOWN_KEY, { ciphertext: b64(randomBytes(64)) }), 422, 'invalid-ciphertext', 'InvalidCiphertextException');
    });

    it('the wrong key usage is 422 InvalidKeyUsageException', async () => {
      const symmetric = await createKey();
      const signing = await createKey({ keySpec: 'ECC_NIST_P256', keyUsage: 'SIGN_VERIFY' });
      const hmac = await createKey({ keySpec: 'HMAC_256', keyUsage: 'GENERATE_VERIFY_MAC' });
      const refusals: Array<[string, string, unknown]> = [
        ['encrypt', signing.keyId, { plaintext: b64('x') }],
        ['generateDataKey', signing.keyId, { keySpec: 'AES_256' }],
        ['sign', symmetric.keyId, { message: b64('x'), signingAlgorithm: 'ECDSA_SHA_256' }],
        ['generateMac', symmetric.keyId, { message: b64('x'), macAlgorithm: 'HMAC_SHA_256' }],
        ['encrypt', hmac.keyId, { plaintext: b64('x') }],
        ['sign', hmac.keyId, { message: b64('x'), signingAlgorithm: 'ECDSA_SHA_256' }],
      ];
      for (const [operationId, keyId, body] of refusals) {
        const reply = await op(operationId, keyId, body);
        expect({ operationId, keyId, awsErrorType: reply.body.awsErrorType }).toEqual({ operationId, keyId, awsErrorType: 'InvalidKeyUsageException' });
        expectProblem(reply, 422, 'invalid-key-usage', 'InvalidKeyUsageException', /not valid for/);
      }
    });

    it('invalid base64, oversized members and wrong JSON types are 400, before the key is looked at', async () => {
      const key = await createKey();
      const malformed = [
        ['encrypt', { plaintext: 'not base64!' }, 'plaintext'],
        ['encrypt', { plaintext: 'aGVsbG8' }, 'plaintext'], // unpadded
        ['decrypt', { ciphertext: '@@@@' }, 'ciphertext'],
        ['sign', { message: 'a b c', signingAlgorithm: 'ECDSA_SHA_256' }, 'message'],
        ['encrypt', { plaintext: 5 }, 'plaintext'],
        ['encrypt', { plaintext: b64('x'), encryptionContext: { n: 1 } }, 'encryptionContext'],
      ] as const;
      for (const [operationId, body, member] of malformed) {
        expectProblem(await op(operationId, key.keyId, body), 400, 'malformed-request', 'SerializationException', new RegExp(member));
      }
      const tooLarge = [
        ['encrypt', { plaintext: b64(randomBytes(4097)) }, 'plaintext'],
        ['decrypt', { ciphertext: b64(randomBytes(6145)) }, 'ciphertext'],
        ['sign', { message: b64(randomBytes(4097)), signingAlgorithm: 'ECDSA_SHA_256' }, 'message'],
        ['generateMac', { message: b64(randomBytes(4097)), macAlgorithm: 'HMAC_SHA_256' }, 'message'],
        ['encrypt', { plaintext: '' }, 'plaintext'],
        ['encrypt', { plaintext: b64('x'), encryptionAlgorithm: 'ROT13' }, 'encryptionAlgorithm'],
        ['sign', { message: b64('x') }, 'signingAlgorithm'],
      ] as const;
      for (const [operationId, body, member] of tooLarge) {
        expectProblem(await op(operationId, UNKNOWN_KEY, body), 400, 'validation-failed', 'ValidationException', new RegExp(`'${member}'`));
      }
      // The largest plaintext AWS takes is accepted.
      const max = randomBytes(4096);
      const encrypted = expectOk(await op('encrypt', key.keyId, { plaintext: b64(max) }));
      expect(expectOk(await op('decrypt', key.keyId, { ciphertext: encrypted.ciphertext })).plaintext).toBe(b64(max));
      // Not JSON.
      const text = await restCall(kl.url, 'POST', `/v1/keys/${key.keyId}/encrypt`, { body: 'plaintext=aGk=', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
      expectProblem(text, 415, 'unsupported-media-type');
    });

    it("a key that cannot be used in its state is 409; the key's material is not there yet", async () => {
      const pending = await createKey({ origin: 'EXTERNAL' });
      expectProblem(await op('encrypt', pending.keyId, { plaintext: b64('x') }), 409, 'invalid-key-state', 'KMSInvalidStateException');
      expectProblem(await op('generateDataKey', pending.keyId, { keySpec: 'AES_256' }), 409, 'invalid-key-state', 'KMSInvalidStateException');
    });
  });

  it('uses are recorded in the usage log under the AWS operation names, whichever endpoint was used', async () => {
    const key = await createKey();
    const encrypted = expectOk(await op('encrypt', key.keyId, { plaintext: b64('logged') }));
    expectOk(await op('decrypt', key.keyId, { ciphertext: encrypted.ciphertext }));
    expectOk(await op('generateDataKey', key.keyId, { keySpec: 'AES_256' }));
    expectOk(await op('generateDataKey', key.keyId, { keySpec: 'AES_256', includePlaintext: false }));
    expectOk(await op('generateDataKeyPair', key.keyId, { keyPairSpec: 'ECC_NIST_P256', includePlaintext: false }));
    expectProblem(await op('decrypt', key.keyId, { ciphertext: encrypted.ciphertext, encryptionContext: { a: 'b' } }), 422, 'invalid-ciphertext', 'InvalidCiphertextException');
    const decryptReply = await op('decrypt', key.keyId, { ciphertext: encrypted.ciphertext });

    const records = await fetchAllUsage(kl.url, key.keyId);
    expect(records.map((r) => [r.operation, r.outcome, r.errorType])).toEqual([
      ['Encrypt', 'Succeeded', undefined],
      ['Decrypt', 'Succeeded', undefined],
      ['GenerateDataKey', 'Succeeded', undefined],
      ['GenerateDataKeyWithoutPlaintext', 'Succeeded', undefined],
      ['GenerateDataKeyPairWithoutPlaintext', 'Succeeded', undefined],
      ['Decrypt', 'Refused', 'InvalidCiphertextException'],
      ['Decrypt', 'Succeeded', undefined],
    ]);
    expect(records[records.length - 1].requestId).toBe(decryptReply.headers.get('x-request-id'));
  });
});
