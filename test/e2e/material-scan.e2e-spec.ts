import { createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import {
  DecryptCommand,
  DeriveSharedSecretCommand,
  DescribeKeyCommand,
  EncryptCommand,
  GenerateDataKeyCommand,
  GenerateDataKeyPairCommand,
  GenerateDataKeyWithoutPlaintextCommand,
  GenerateMacCommand,
  GetKeyLastUsageCommand,
  GetPublicKeyCommand,
  KMSClient,
  ListKeysCommand,
  ReEncryptCommand,
  SignCommand,
  VerifyCommand,
  VerifyMacCommand,
} from '@aws-sdk/client-kms';
import { createExternalKey, importMaterial } from '../support/byok-flow';
import { materialFor } from '../support/client-wrapping';
import { eventually, readEventLog } from '../support/event-log';
import { kmsClientFor } from '../support/multi-instance-scenarios';
import { expectOk, restClient, RestClient, restImport } from '../support/rest-client';
import { ServiceProcess, startServiceProcess } from '../support/service-process';

/**
 * No key material in the clear anywhere but in memory: after every operation that uses imported symmetric, HMAC,
 * RSA and ECC material (AWS JSON and REST), no file under DATA_DIR other than the vault, and not the service's
 * own output (LOG_FORMAT=json), holds any material raw, hex, HEX, base64 or base64url, whole or the private
 * key's distinguishing parts; the vault holds it only sealed. Secret results (data keys, shared secrets,
 * decrypted plaintext) are not kept either.
 */

interface Secret {
  label: string;
  bytes: Buffer;
}

const b64 = (bytes: Buffer | Uint8Array) => Buffer.from(bytes).toString('base64');

/**
 * The encodings searched for: whole-value encodings, plus 24-byte fragments at each of three offsets in base64
 * and base64url, so the value is found even inside a longer base64 blob (any 3-byte alignment).
 */
function needles(secret: Secret): Array<[string, Buffer]> {
  const { bytes } = secret;
  const found: Array<[string, Buffer]> = [
    ['raw', bytes],
    ['hex', Buffer.from(bytes.toString('hex'))],
    ['HEX', Buffer.from(bytes.toString('hex').toUpperCase())],
    ['base64', Buffer.from(bytes.toString('base64'))],
    ['base64url', Buffer.from(bytes.toString('base64url'))],
  ];
  if (bytes.length >= 26) {
    for (let shift = 0; shift < 3; shift++) {
      const fragment = bytes.subarray(shift, shift + 24);
      found.push([`base64 fragment @${shift}`, Buffer.from(fragment.toString('base64'))], [`base64url fragment @${shift}`, Buffer.from(fragment.toString('base64url'))]);
    }
  }
  return found;
}

function hits(where: string, haystack: Buffer, secrets: Secret[]): string[] {
  const found: string[] = [];
  for (const secret of secrets) {
    for (const [encoding, needle] of needles(secret)) {
      const at = haystack.indexOf(needle);
      if (at >= 0) found.push(`${secret.label} (${encoding}) in ${where} at ${at}`);
    }
  }
  return found;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

/** What identifies a private key beyond its whole PKCS#8: its last 32 bytes and its private components (JWK). */
function privateKeySecrets(label: string, pkcs8: Buffer): Secret[] {
  const jwk = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' }) as Record<string, string | undefined>;
  const parts = (['d', 'p', 'q', 'dp', 'dq', 'qi'] as const).filter((name) => jwk[name] !== undefined);
  return [
    { label: `${label} PKCS#8`, bytes: pkcs8 },
    { label: `${label} PKCS#8 last 32 bytes`, bytes: pkcs8.subarray(pkcs8.length - 32) },
    ...parts.map((name) => ({ label: `${label} private ${name}`, bytes: Buffer.from(jwk[name]!, 'base64url') })),
  ];
}

describe('no plaintext key material at rest or in the logs', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keyledger-material-scan-'));
  let service: ServiceProcess;
  let kms: KMSClient;
  let rest: RestClient;
  const materials: Secret[] = [];
  const results: Secret[] = [];
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    service = await startServiceProcess({
      DATA_DIR: dataDir,
      LOG_FORMAT: 'json',
      KEYLEDGER_EXPIRY_INTERVAL_MS: '100',
      KEYLEDGER_AUDIT_DIGEST_INTERVAL_MS: '200',
      KEYLEDGER_AUDIT_DIGEST_EVERY_EVENTS: '5',
    });
    kms = kmsClientFor(service.url);
    rest = restClient(service.url);
  });
  afterAll(async () => {
    if (service.child.exitCode === null) await service.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('imports known material of every kind and uses it through every operation (AWS JSON and REST)', async () => {
    const symmetric = randomBytes(32);
    const hmac = randomBytes(64);
    const rsaSign = materialFor('RSA_2048');
    const rsaEncrypt = materialFor('RSA_3072');
    const ecc = materialFor('ECC_NIST_P256');
    const agreement = materialFor('ECC_NIST_P384');
    materials.push(
      { label: 'symmetric', bytes: symmetric },
      { label: 'hmac', bytes: hmac },
      ...privateKeySecrets('rsa-sign', rsaSign),
      ...privateKeySecrets('rsa-encrypt', rsaEncrypt),
      ...privateKeySecrets('ecc-sign', ecc),
      ...privateKeySecrets('ecc-agreement', agreement),
    );
    const wrap = { wrappingAlgorithm: 'RSA_AES_KEY_WRAP_SHA_256' as const };
    keys.symmetric = (await createExternalKey(kms)).KeyId!;
    await importMaterial(kms, keys.symmetric, symmetric);
    keys.hmac = (await createExternalKey(kms, { KeySpec: 'HMAC_512', KeyUsage: 'GENERATE_VERIFY_MAC' })).KeyId!;
    await importMaterial(kms, keys.hmac, hmac);
    keys.rsaSign = (await createExternalKey(kms, { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' })).KeyId!;
    await importMaterial(kms, keys.rsaSign, rsaSign, wrap);
    keys.ecc = (await createExternalKey(kms, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' })).KeyId!;
    await importMaterial(kms, keys.ecc, ecc, wrap);
    keys.agreement = (await createExternalKey(kms, { KeySpec: 'ECC_NIST_P384', KeyUsage: 'KEY_AGREEMENT' })).KeyId!;
    await importMaterial(kms, keys.agreement, agreement, wrap);
    // Over REST too.
    keys.rsaEncrypt = expectOk(await rest.post('/v1/keys', { origin: 'EXTERNAL', keySpec: 'RSA_3072', keyUsage: 'ENCRYPT_DECRYPT' }), 201).keyId;
    expectOk(await restImport(rest, keys.rsaEncrypt, rsaEncrypt, { algorithm: 'RSA_AES_KEY_WRAP_SHA_256' }));
    // Reimports of the same material, and refused imports of other material (their material must not stay either).
    await importMaterial(kms, keys.symmetric, symmetric, { import: { ImportType: 'EXISTING_KEY_MATERIAL' } });
    expectOk(await restImport(rest, keys.ecc, ecc, { algorithm: 'RSA_AES_KEY_WRAP_SHA_256' }));
    const refusedSymmetric = randomBytes(32);
    const refusedEcc = materialFor('ECC_NIST_P256');
    materials.push({ label: 'refused symmetric', bytes: refusedSymmetric }, ...privateKeySecrets('refused ecc', refusedEcc));
    await expect(importMaterial(kms, keys.symmetric, refusedSymmetric, { import: { ImportType: 'EXISTING_KEY_MATERIAL' } })).rejects.toMatchObject({ name: 'IncorrectKeyMaterialException' });
    await expect(importMaterial(kms, keys.ecc, refusedEcc, wrap)).rejects.toMatchObject({ name: 'IncorrectKeyMaterialException' });
    await expect(importMaterial(kms, keys.rsaSign, ecc, wrap)).rejects.toMatchObject({ name: 'IncorrectKeyMaterialException' });

    const context = { purpose: 'material-scan' };
    for (let round = 0; round < 3; round++) {
      // Symmetric: Encrypt, Decrypt, GenerateDataKey(WithoutPlaintext), GenerateDataKeyPair, ReEncrypt.
      const plaintext = randomBytes(48);
      results.push({ label: `encrypt plaintext ${round}`, bytes: plaintext });
      const { CiphertextBlob } = await kms.send(new EncryptCommand({ KeyId: keys.symmetric, Plaintext: plaintext, EncryptionContext: context }));
      expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: context }))).Plaintext!).equals(plaintext)).toBe(true);
      const dataKey = await kms.send(new GenerateDataKeyCommand({ KeyId: keys.symmetric, KeySpec: 'AES_256', EncryptionContext: context }));
      results.push({ label: `data key ${round}`, bytes: Buffer.from(dataKey.Plaintext!) });
      await kms.send(new GenerateDataKeyWithoutPlaintextCommand({ KeyId: keys.symmetric, NumberOfBytes: 32 }));
      const pair = await kms.send(new GenerateDataKeyPairCommand({ KeyId: keys.symmetric, KeyPairSpec: 'ECC_NIST_P256' }));
      results.push({ label: `data key pair private ${round}`, bytes: Buffer.from(pair.PrivateKeyPlaintext!) });
      const reEncrypted = await kms.send(new ReEncryptCommand({ CiphertextBlob, SourceEncryptionContext: context, DestinationKeyId: keys.symmetric }));
      expect(Buffer.from((await kms.send(new DecryptCommand({ CiphertextBlob: reEncrypted.CiphertextBlob }))).Plaintext!).equals(plaintext)).toBe(true);

      // HMAC.
      const message = Buffer.from(`message ${round}`);
      const { Mac } = await kms.send(new GenerateMacCommand({ KeyId: keys.hmac, MacAlgorithm: 'HMAC_SHA_512', Message: message }));
      expect((await kms.send(new VerifyMacCommand({ KeyId: keys.hmac, MacAlgorithm: 'HMAC_SHA_512', Message: message, Mac }))).MacValid).toBe(true);

      // RSA and ECC signing, RSA encryption, public keys.
      for (const [keyId, algorithm] of [[keys.rsaSign, 'RSASSA_PSS_SHA_256'], [keys.rsaSign, 'RSASSA_PKCS1_V1_5_SHA_256'], [keys.ecc, 'ECDSA_SHA_256']] as const) {
        const { Signature } = await kms.send(new SignCommand({ KeyId: keyId, SigningAlgorithm: algorithm, Message: message }));
        expect((await kms.send(new VerifyCommand({ KeyId: keyId, SigningAlgorithm: algorithm, Message: message, Signature }))).SignatureValid).toBe(true);
      }
      const rsaCiphertext = await kms.send(new EncryptCommand({ KeyId: keys.rsaEncrypt, Plaintext: plaintext, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
      await kms.send(new DecryptCommand({ KeyId: keys.rsaEncrypt, CiphertextBlob: rsaCiphertext.CiphertextBlob, EncryptionAlgorithm: 'RSAES_OAEP_SHA_256' }));
      for (const keyId of [keys.rsaSign, keys.rsaEncrypt, keys.ecc, keys.agreement]) await kms.send(new GetPublicKeyCommand({ KeyId: keyId }));

      // Key agreement.
      const peer = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
      const derived = await kms.send(
        new DeriveSharedSecretCommand({ KeyId: keys.agreement, KeyAgreementAlgorithm: 'ECDH', PublicKey: peer.publicKey.export({ format: 'der', type: 'spki' }) }),
      );
      results.push({ label: `shared secret ${round}`, bytes: Buffer.from(derived.SharedSecret!) });

      // The REST equivalents.
      const restPlaintext = randomBytes(40);
      results.push({ label: `REST encrypt plaintext ${round}`, bytes: restPlaintext });
      const encrypted = expectOk(await rest.post(`/v1/keys/${keys.symmetric}/encrypt`, { plaintext: b64(restPlaintext), encryptionContext: context }));
      expectOk(await rest.post(`/v1/keys/${keys.symmetric}/decrypt`, { ciphertext: encrypted.ciphertext, encryptionContext: context }));
      expectOk(await rest.post(`/v1/keys/${keys.symmetric}/re-encrypt`, { ciphertext: encrypted.ciphertext, sourceEncryptionContext: context, destinationKeyId: keys.symmetric }));
      const restDataKey = expectOk(await rest.post(`/v1/keys/${keys.symmetric}/data-key`, { keySpec: 'AES_256' }));
      results.push({ label: `REST data key ${round}`, bytes: Buffer.from(restDataKey.plaintext, 'base64') });
      const restPair = expectOk(await rest.post(`/v1/keys/${keys.symmetric}/data-key-pair`, { keyPairSpec: 'RSA_2048' }));
      results.push({ label: `REST data key pair private ${round}`, bytes: Buffer.from(restPair.privateKeyPlaintext, 'base64') });
      const mac = expectOk(await rest.post(`/v1/keys/${keys.hmac}/mac`, { message: b64(message), macAlgorithm: 'HMAC_SHA_512' }));
      expectOk(await rest.post(`/v1/keys/${keys.hmac}/mac/verify`, { message: b64(message), macAlgorithm: 'HMAC_SHA_512', mac: mac.mac }));
      for (const [keyId, algorithm] of [[keys.rsaSign, 'RSASSA_PSS_SHA_384'], [keys.ecc, 'ECDSA_SHA_256']] as const) {
        const signed = expectOk(await rest.post(`/v1/keys/${keyId}/sign`, { message: b64(message), signingAlgorithm: algorithm }));
        expectOk(await rest.post(`/v1/keys/${keyId}/verify`, { message: b64(message), signingAlgorithm: algorithm, signature: signed.signature }));
      }
      const rsaEncrypted = expectOk(await rest.post(`/v1/keys/${keys.rsaEncrypt}/encrypt`, { plaintext: b64(restPlaintext), encryptionAlgorithm: 'RSAES_OAEP_SHA_1' }));
      expectOk(await rest.post(`/v1/keys/${keys.rsaEncrypt}/decrypt`, { ciphertext: rsaEncrypted.ciphertext, encryptionAlgorithm: 'RSAES_OAEP_SHA_1' }));
      for (const keyId of [keys.rsaSign, keys.ecc, keys.agreement]) expectOk(await rest.get(`/v1/keys/${keyId}/public-key`));
      const restPeer = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
      const restDerived = expectOk(
        await rest.post(`/v1/keys/${keys.agreement}/shared-secret`, { keyAgreementAlgorithm: 'ECDH', publicKey: b64(restPeer.publicKey.export({ format: 'der', type: 'spki' })) }),
      );
      results.push({ label: `REST shared secret ${round}`, bytes: Buffer.from(restDerived.sharedSecret, 'base64') });
    }

    // Some refused uses (logged and audited as refusals).
    await expect(kms.send(new DecryptCommand({ CiphertextBlob: randomBytes(200) }))).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    await expect(kms.send(new SignCommand({ KeyId: keys.hmac, SigningAlgorithm: 'ECDSA_SHA_256', Message: Buffer.from('x') }))).rejects.toMatchObject({ name: 'InvalidKeyUsageException' });

    // Audit, usage, history and key queries.
    await kms.send(new ListKeysCommand({}));
    for (const keyId of Object.values(keys)) {
      await kms.send(new DescribeKeyCommand({ KeyId: keyId }));
      await kms.send(new GetKeyLastUsageCommand({ KeyId: keyId })).catch(() => undefined);
      expectOk(await rest.get(`/v1/keys/${keyId}`));
      expectOk(await rest.get(`/v1/keys/${keyId}/usage`));
      expectOk(await rest.get(`/v1/keys/${keyId}/events`));
      expectOk(await rest.get(`/v1/audit?keyId=${keyId}`));
    }
    expectOk(await rest.get('/v1/audit?type=RequestRefused.v1'));
    // At least one signed audit digest has been written before the data directory is scanned.
    await eventually(() => readEventLog(dataDir, 'keyledger-audit-digests').length, (n) => n > 0);
  });

  const every = () => [...materials, ...results];

  it('no file under DATA_DIR but the vault holds any of it (events, read models, -wal, -shm, keys, ...)', async () => {
    const scanned = filesUnder(dataDir).filter((f) => !basename(f).startsWith('vault.sqlite'));
    expect(scanned.map((f) => relative(dataDir, f))).toEqual(expect.arrayContaining(['events.sqlite', 'read-models.sqlite', 'master.key']));
    const found = scanned.flatMap((f) => hits(relative(dataDir, f), readFileSync(f), every()));
    expect(found).toEqual([]);
    // The scan reads what is there: the key ids (not secret) are found in the log and the read models.
    const ids = Object.entries(keys).map(([label, keyId]) => ({ label, bytes: Buffer.from(keyId) }));
    const idHits = scanned.flatMap((f) => hits(relative(dataDir, f), readFileSync(f), ids));
    for (const label of Object.keys(keys)) expect(idHits.some((h) => h.startsWith(`${label} (raw) in events.sqlite`))).toBe(true);
  });

  it('the vault holds it only sealed', async () => {
    const vaultFiles = filesUnder(dataDir).filter((f) => basename(f).startsWith('vault.sqlite'));
    expect(vaultFiles.map((f) => basename(f))).toContain('vault.sqlite');
    expect(vaultFiles.flatMap((f) => hits(basename(f), readFileSync(f), every()))).toEqual([]);
  });

  it("the service's own output (LOG_FORMAT=json) holds none of it, while running and after a clean stop", async () => {
    expect(service.output()).toContain('"level"');
    expect(hits('service output', Buffer.from(service.output()), every())).toEqual([]);
    await service.stopCleanly();
    expect(hits('service output', Buffer.from(service.output()), every())).toEqual([]);
    // After the stop (WAL checkpointed into the databases) the files hold none of it either.
    expect(filesUnder(dataDir).filter((f) => !basename(f).startsWith('vault.sqlite')).flatMap((f) => hits(relative(dataDir, f), readFileSync(f), every()))).toEqual([]);
    expect(filesUnder(dataDir).filter((f) => basename(f).startsWith('vault.sqlite')).flatMap((f) => hits(basename(f), readFileSync(f), every()))).toEqual([]);
  });
});
