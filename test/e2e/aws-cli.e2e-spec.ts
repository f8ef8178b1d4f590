import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';

const run = promisify(execFile);
/** Debian's AWS CLI v2 (`apt-get install awscli`); an older `aws` may come first on PATH, so call it by path. */
const AWS = '/usr/bin/aws';

/**
 * The documented BYOK flow with the real aws CLI, unchanged except for --endpoint-url, and the wrapping done
 * with `openssl pkeyutl` exactly as the AWS developer guide shows. Debian's CLI (2.9) predates the 2025 members
 * (KeyMaterialId, CurrentKeyMaterialId) and drops them from what it prints; the SDK tests cover those.
 */
describe('aws CLI BYOK flow', () => {
  let kl: RunningKeyledger;
  let work: string;
  let env: NodeJS.ProcessEnv;

  const aws = async (...args: string[]) => {
    const { stdout } = await run(AWS, ['--endpoint-url', kl.url, '--output', 'json', 'kms', ...args], { env, cwd: work });
    return stdout.trim() ? JSON.parse(stdout) : {};
  };
  const awsFailure = async (...args: string[]) => {
    try {
      await run(AWS, ['--endpoint-url', kl.url, 'kms', ...args], { env, cwd: work });
    } catch (error) {
      return (error as { stderr: string; code: number });
    }
    throw new Error(`aws kms ${args[0]} succeeded but was expected to fail`);
  };

  beforeAll(async () => {
    if (!existsSync(AWS)) throw new Error(`${AWS} is missing: install Debian's awscli (apt-get install -y awscli); .ci/run does.`);
    kl = await startKeyledger();
    work = mkdtempSync(join(tmpdir(), 'keyledger-cli-'));
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
  });
  afterAll(async () => {
    await kl?.destroy();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('create-key, get-parameters-for-import, openssl wrap, import-key-material, describe-key, encrypt, decrypt, delete', async () => {
    const { KeyMetadata } = await aws('create-key', '--origin', 'EXTERNAL');
    expect(KeyMetadata).toMatchObject({ Origin: 'EXTERNAL', KeyState: 'PendingImport', Enabled: false });
    const keyId: string = KeyMetadata.KeyId;

    const params = await aws('get-parameters-for-import', '--key-id', keyId, '--wrapping-algorithm', 'RSAES_OAEP_SHA_256', '--wrapping-key-spec', 'RSA_2048');
    expect(params.KeyId).toBe(KeyMetadata.Arn);
    expect(typeof params.ParametersValidTo).toBe('string'); // the CLI renders the epoch timestamp as a date
    expect(Math.abs(Date.parse(params.ParametersValidTo) - (Date.now() + 24 * 3600_000))).toBeLessThan(60_000);
    writeFileSync(join(work, 'PublicKey.bin'), Buffer.from(params.PublicKey, 'base64'));
    writeFileSync(join(work, 'ImportToken.bin'), Buffer.from(params.ImportToken, 'base64'));
    writeFileSync(join(work, 'PlaintextKeyMaterial.bin'), randomBytes(32));
    await run('openssl', [
      'pkeyutl', '-encrypt', '-in', 'PlaintextKeyMaterial.bin', '-out', 'EncryptedKeyMaterial.bin',
      '-inkey', 'PublicKey.bin', '-keyform', 'DER', '-pubin',
      '-pkeyopt', 'rsa_padding_mode:oaep', '-pkeyopt', 'rsa_oaep_md:sha256', '-pkeyopt', 'rsa_mgf1_md:sha256',
    ], { cwd: work });

    const validTo = new Date(Date.now() + 300 * 24 * 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const imported = await aws(
      'import-key-material', '--key-id', keyId,
      '--encrypted-key-material', 'fileb://EncryptedKeyMaterial.bin', '--import-token', 'fileb://ImportToken.bin',
      '--expiration-model', 'KEY_MATERIAL_EXPIRES', '--valid-to', validTo,
    );
    expect(imported).toEqual({});

    const described = (await aws('describe-key', '--key-id', keyId)).KeyMetadata;
    expect(described).toMatchObject({ KeyState: 'Enabled', Enabled: true, ExpirationModel: 'KEY_MATERIAL_EXPIRES' });
    expect(Date.parse(described.ValidTo)).toBe(Date.parse(validTo));

    writeFileSync(join(work, 'plain.txt'), 'hello from the aws cli');
    const encrypted = await aws('encrypt', '--key-id', keyId, '--plaintext', 'fileb://plain.txt', '--encryption-context', 'app=cli-test');
    writeFileSync(join(work, 'ciphertext.bin'), Buffer.from(encrypted.CiphertextBlob, 'base64'));
    const decrypted = await aws('decrypt', '--ciphertext-blob', 'fileb://ciphertext.bin', '--encryption-context', 'app=cli-test');
    expect(Buffer.from(decrypted.Plaintext, 'base64').toString()).toBe('hello from the aws cli');
    expect(decrypted.KeyId).toBe(KeyMetadata.Arn);

    const refused = await awsFailure('decrypt', '--ciphertext-blob', 'fileb://ciphertext.bin', '--encryption-context', 'app=other');
    expect(refused.stderr).toContain('InvalidCiphertextException');

    await aws('delete-imported-key-material', '--key-id', keyId);
    const afterDelete = (await aws('describe-key', '--key-id', keyId)).KeyMetadata;
    expect(afterDelete.KeyState).toBe('PendingImport');
    expect(afterDelete.ExpirationModel).toBeUndefined();
    const pendingImport = await awsFailure('encrypt', '--key-id', keyId, '--plaintext', 'fileb://plain.txt');
    expect(pendingImport.stderr).toContain(`KMSInvalidStateException`);
    expect(pendingImport.stderr).toContain(`${KeyMetadata.Arn} is pending import.`);

    // Reimport of the same material (an unexpired token may be used again) restores the key and old ciphertexts.
    await aws(
      'import-key-material', '--key-id', keyId,
      '--encrypted-key-material', 'fileb://EncryptedKeyMaterial.bin', '--import-token', 'fileb://ImportToken.bin',
      '--expiration-model', 'KEY_MATERIAL_DOES_NOT_EXPIRE',
    );
    expect((await aws('describe-key', '--key-id', keyId)).KeyMetadata).toMatchObject({ KeyState: 'Enabled', ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE' });
    const again = await aws('decrypt', '--ciphertext-blob', 'fileb://ciphertext.bin', '--encryption-context', 'app=cli-test');
    expect(Buffer.from(again.Plaintext, 'base64').toString()).toBe('hello from the aws cli');
    expect((await aws('list-keys')).Keys).toEqual([{ KeyId: keyId, KeyArn: KeyMetadata.Arn }]);
  });

  it('reports AWS errors the CLI understands', async () => {
    const missing = await awsFailure('describe-key', '--key-id', '11111111-2222-3333-4444-555555555555');
    expect(missing.stderr).toContain('NotFoundException');
    expect(missing.stderr).toContain("Key 'arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555' does not exist");
    const { KeyMetadata } = await aws('create-key', '--origin', 'EXTERNAL');
    const noValidTo = await awsFailure(
      'import-key-material', '--key-id', KeyMetadata.KeyId, '--encrypted-key-material', 'fileb://EncryptedKeyMaterial.bin', '--import-token', 'fileb://ImportToken.bin',
    );
    expect(noValidTo.stderr).toContain('ValidationException');
    expect(noValidTo.stderr).toContain('A validTo date must be set if the ExpirationModel is KEY_MATERIAL_EXPIRES');
  });
});
