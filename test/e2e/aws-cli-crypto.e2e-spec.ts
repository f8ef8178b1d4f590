import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';

const run = promisify(execFile);
/** Debian's AWS CLI v2 (`apt-get install awscli`); an older `aws` may come first on PATH, so call it by path. */
const AWS = '/usr/bin/aws';

/**
 * The cryptographic operations through the real aws CLI, with every local step done by openssl (key generation,
 * PKCS#8 conversion, RSA_AES_KEY_WRAP / RSAES_OAEP wrapping, signature and HMAC checks) rather than by Node or by
 * Keyledger's own crypto library. What the service returns is checked against what openssl computes from the
 * ORIGINAL key material, never against something Keyledger handed back.
 */
describe('aws CLI cryptographic operations (openssl-checked)', () => {
  let kl: RunningKeyledger;
  let work: string;
  let env: NodeJS.ProcessEnv;

  const cliArgs = (args: string[]) => ['--endpoint-url', kl.url, '--output', 'json', 'kms', ...args];
  const aws = async (...args: string[]) => {
    const { stdout } = await run(AWS, cliArgs(args), { env, cwd: work });
    return stdout.trim() ? JSON.parse(stdout) : {};
  };
  const awsFailure = async (...args: string[]) => {
    try {
      await run(AWS, cliArgs(args), { env, cwd: work });
    } catch (error) {
      return error as { stderr: string; code: number };
    }
    throw new Error(`aws kms ${args[0]} succeeded but was expected to fail`);
  };
  const openssl = async (...args: string[]) => (await run('openssl', args, { cwd: work, encoding: 'buffer' })).stdout as Buffer;
  const file = (name: string) => readFileSync(join(work, name));

  /** get-parameters-for-import, writing PublicKey.bin / ImportToken.bin under a per-key prefix. */
  const importParameters = async (keyId: string, prefix: string, wrappingAlgorithm: string) => {
    const params = await aws('get-parameters-for-import', '--key-id', keyId, '--wrapping-algorithm', wrappingAlgorithm, '--wrapping-key-spec', 'RSA_2048');
    writeFileSync(join(work, `${prefix}-PublicKey.bin`), Buffer.from(params.PublicKey, 'base64'));
    writeFileSync(join(work, `${prefix}-ImportToken.bin`), Buffer.from(params.ImportToken, 'base64'));
  };
  const oaepEncrypt = (input: string, output: string, publicKey: string) =>
    openssl(
      'pkeyutl', '-encrypt', '-pubin', '-inkey', publicKey, '-keyform', 'DER', '-in', input, '-out', output,
      '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256',
    );
  const importMaterial = (keyId: string, prefix: string, encryptedMaterial: string) =>
    aws(
      'import-key-material', '--key-id', keyId,
      '--encrypted-key-material', `fileb://${encryptedMaterial}`, '--import-token', `fileb://${prefix}-ImportToken.bin`,
      '--expiration-model', 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    );

  beforeAll(async () => {
    if (!existsSync(AWS)) throw new Error(`${AWS} is missing: install Debian's awscli (apt-get install -y awscli); .ci/run does.`);
    kl = await startKeyledger();
    work = mkdtempSync(join(tmpdir(), 'keyledger-cli-crypto-'));
    env = {
      PATH: process.env.PATH,
      HOME: work,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
      AWS_CONFIG_FILE: join(work, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
    };
    writeFileSync(join(work, 'msg.bin'), Buffer.concat([Buffer.from('message signed through the aws cli\n'), Buffer.from([0, 1, 2, 0xfe, 0xff])]));
  });
  afterAll(async () => {
    await kl?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('imported ECC_NIST_P256 key (openssl-generated, RSA_AES_KEY_WRAP_SHA_256): sign, get-public-key and verify agree with openssl', async () => {
    const { KeyMetadata } = await aws('create-key', '--origin', 'EXTERNAL', '--key-spec', 'ECC_NIST_P256', '--key-usage', 'SIGN_VERIFY');
    expect(KeyMetadata).toMatchObject({ Origin: 'EXTERNAL', KeyState: 'PendingImport', KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const keyId: string = KeyMetadata.KeyId;

    // The private key exists only on the client side: openssl makes it, converts it to unencrypted PKCS#8 DER.
    await openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ec-key.pem');
    await openssl('pkcs8', '-topk8', '-nocrypt', '-in', 'ec-key.pem', '-outform', 'DER', '-out', 'ec-key.der');
    await openssl('pkey', '-in', 'ec-key.pem', '-pubout', '-out', 'ec-pub.pem');
    await openssl('pkey', '-in', 'ec-key.pem', '-pubout', '-outform', 'DER', '-out', 'ec-pub.der');

    // RSA_AES_KEY_WRAP_SHA_256: a fresh AES-256 key wraps the material (RFC 5649, AES-KWP), OAEP-SHA-256 wraps the
    // AES key; the import blob is wrappedAesKey || wrappedMaterial (as test/support/client-wrapping.ts does it).
    await importParameters(keyId, 'ec', 'RSA_AES_KEY_WRAP_SHA_256');
    await openssl('rand', '-out', 'ec-aes.bin', '32');
    const aesHex = file('ec-aes.bin').toString('hex');
    await openssl('enc', '-id-aes256-wrap-pad', '-K', aesHex, '-iv', 'A65959A6', '-in', 'ec-key.der', '-out', 'ec-wrapped-material.bin');
    await oaepEncrypt('ec-aes.bin', 'ec-wrapped-aes.bin', 'ec-PublicKey.bin');
    const wrappedAes = file('ec-wrapped-aes.bin');
    expect(wrappedAes).toHaveLength(256); // RSA_2048
    expect(file('ec-wrapped-material.bin')).toHaveLength(Math.ceil(file('ec-key.der').length / 8) * 8 + 8);
    writeFileSync(join(work, 'ec-EncryptedKeyMaterial.bin'), Buffer.concat([wrappedAes, file('ec-wrapped-material.bin')]));
    expect(await importMaterial(keyId, 'ec', 'ec-EncryptedKeyMaterial.bin')).toEqual({});
    expect((await aws('describe-key', '--key-id', keyId)).KeyMetadata).toMatchObject({
      KeyState: 'Enabled',
      Enabled: true,
      ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
      SigningAlgorithms: ['ECDSA_SHA_256'],
    });

    // sign through the CLI, exactly as the AWS docs pipe it, and let openssl verify with the ORIGINAL public key.
    await run(
      'bash',
      [
        '-c',
        'set -euo pipefail; "$AWS" --endpoint-url "$ENDPOINT" kms sign --key-id "$KEY_ID" --message fileb://msg.bin --message-type RAW ' +
          '--signing-algorithm ECDSA_SHA_256 --query Signature --output text | base64 -d > sig.bin',
      ],
      { cwd: work, env: { ...env, AWS, ENDPOINT: kl.url, KEY_ID: keyId } },
    );
    const signature = file('sig.bin');
    expect(signature[0]).toBe(0x30); // DER-encoded ECDSA-Sig-Value, as KMS returns it
    const verified = await openssl('dgst', '-sha256', '-verify', 'ec-pub.pem', '-signature', 'sig.bin', 'msg.bin');
    expect(verified.toString().trim()).toBe('Verified OK');

    // get-public-key returns the SubjectPublicKeyInfo of the imported key, byte for byte.
    const publicKey = await aws('get-public-key', '--key-id', keyId);
    expect(Buffer.from(publicKey.PublicKey, 'base64').equals(file('ec-pub.der'))).toBe(true);
    expect(publicKey).toMatchObject({ KeyId: KeyMetadata.Arn, KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', SigningAlgorithms: ['ECDSA_SHA_256'] });

    // verify of a signature openssl made with the original private key.
    await openssl('dgst', '-sha256', '-sign', 'ec-key.pem', '-out', 'openssl-sig.bin', 'msg.bin');
    const verify = await aws(
      'verify', '--key-id', keyId, '--message', 'fileb://msg.bin', '--message-type', 'RAW',
      '--signing-algorithm', 'ECDSA_SHA_256', '--signature', 'fileb://openssl-sig.bin',
    );
    expect(verify).toEqual({ KeyId: KeyMetadata.Arn, SignatureValid: true, SigningAlgorithm: 'ECDSA_SHA_256' });

    // ... and of the same signature over another message: KMS reports KMSInvalidSignatureException.
    writeFileSync(join(work, 'other.bin'), 'a different message');
    const invalid = await awsFailure(
      'verify', '--key-id', keyId, '--message', 'fileb://other.bin', '--message-type', 'RAW',
      '--signing-algorithm', 'ECDSA_SHA_256', '--signature', 'fileb://openssl-sig.bin',
    );
    expect(invalid.stderr).toContain('KMSInvalidSignatureException');
  });

  it('generated symmetric key: generate-data-key AES_256, then decrypt of its CiphertextBlob returns the same plaintext', async () => {
    const { KeyMetadata } = await aws('create-key');
    expect(KeyMetadata).toMatchObject({ Origin: 'AWS_KMS', KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', KeyState: 'Enabled' });
    const dataKey = await aws('generate-data-key', '--key-id', KeyMetadata.KeyId, '--key-spec', 'AES_256', '--encryption-context', 'purpose=cli-data-key');
    expect(dataKey.KeyId).toBe(KeyMetadata.Arn);
    const plaintext = Buffer.from(dataKey.Plaintext, 'base64');
    expect(plaintext).toHaveLength(32);
    writeFileSync(join(work, 'datakey.ciphertext'), Buffer.from(dataKey.CiphertextBlob, 'base64'));

    const decrypted = await aws('decrypt', '--ciphertext-blob', 'fileb://datakey.ciphertext', '--encryption-context', 'purpose=cli-data-key');
    expect(decrypted.KeyId).toBe(KeyMetadata.Arn);
    expect(Buffer.from(decrypted.Plaintext, 'base64').equals(plaintext)).toBe(true);

    const wrongContext = await awsFailure('decrypt', '--ciphertext-blob', 'fileb://datakey.ciphertext');
    expect(wrongContext.stderr).toContain('InvalidCiphertextException');
  });

  it('imported HMAC_256 key (RSAES_OAEP_SHA_256 via openssl): generate-mac equals openssl HMAC, verify-mac accepts it', async () => {
    const { KeyMetadata } = await aws('create-key', '--origin', 'EXTERNAL', '--key-spec', 'HMAC_256', '--key-usage', 'GENERATE_VERIFY_MAC');
    expect(KeyMetadata).toMatchObject({ Origin: 'EXTERNAL', KeyState: 'PendingImport', KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });
    const keyId: string = KeyMetadata.KeyId;

    await openssl('rand', '-out', 'hmac-key.bin', '32');
    const hexKey = file('hmac-key.bin').toString('hex');
    await importParameters(keyId, 'hmac', 'RSAES_OAEP_SHA_256');
    await oaepEncrypt('hmac-key.bin', 'hmac-EncryptedKeyMaterial.bin', 'hmac-PublicKey.bin');
    expect(await importMaterial(keyId, 'hmac', 'hmac-EncryptedKeyMaterial.bin')).toEqual({});

    const expected = await openssl('dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${hexKey}`, '-binary', 'msg.bin');
    expect(expected).toHaveLength(32);
    const generated = await aws('generate-mac', '--key-id', keyId, '--message', 'fileb://msg.bin', '--mac-algorithm', 'HMAC_SHA_256');
    expect(generated.KeyId).toBe(KeyMetadata.Arn);
    expect(generated.MacAlgorithm).toBe('HMAC_SHA_256');
    expect(Buffer.from(generated.Mac, 'base64').toString('hex')).toBe(expected.toString('hex'));

    // A literal text message needs --cli-binary-format raw-in-base64-out (the CLI v2 default reads blobs as base64).
    writeFileSync(join(work, 'text.txt'), 'plain text message');
    const expectedText = await openssl('dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${hexKey}`, '-binary', 'text.txt');
    const textMac = await aws('generate-mac', '--cli-binary-format', 'raw-in-base64-out', '--key-id', keyId, '--message', 'plain text message', '--mac-algorithm', 'HMAC_SHA_256');
    expect(Buffer.from(textMac.Mac, 'base64').toString('hex')).toBe(expectedText.toString('hex'));

    writeFileSync(join(work, 'openssl.mac'), expected);
    const verified = await aws('verify-mac', '--key-id', keyId, '--message', 'fileb://msg.bin', '--mac-algorithm', 'HMAC_SHA_256', '--mac', 'fileb://openssl.mac');
    expect(verified).toEqual({ KeyId: KeyMetadata.Arn, MacValid: true, MacAlgorithm: 'HMAC_SHA_256' });

    const tampered = Buffer.from(expected);
    tampered[0] ^= 1;
    writeFileSync(join(work, 'tampered.mac'), tampered);
    const refused = await awsFailure('verify-mac', '--key-id', keyId, '--message', 'fileb://msg.bin', '--mac-algorithm', 'HMAC_SHA_256', '--mac', 'fileb://tampered.mac');
    expect(refused.stderr).toContain('KMSInvalidMacException');
  });
});
