import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { RunningKeyledger, startKeyledger } from '../support/keyledger-harness';

const run = promisify(execFile);
/** Debian's python with Debian's python3-boto3 / python3-cryptography; a pyenv python3 may come first on PATH. */
const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, '..', 'python', 'kms_crypto_flow.py');

/**
 * boto3 (Debian's python3-boto3, botocore 1.29) against Keyledger: test/python/kms_crypto_flow.py runs the
 * checks and verifies signatures and MACs locally with Python's own libraries; this spec starts the service and
 * asserts on what the script printed.
 */
describe('boto3 cryptographic flow', () => {
  let kl: RunningKeyledger;

  beforeAll(async () => {
    if (!existsSync(PYTHON)) throw new Error(`${PYTHON} is missing: install Debian's python3-boto3 (.ci/run does).`);
    try {
      await run(PYTHON, ['-c', 'import boto3, cryptography']);
    } catch {
      throw new Error(`${PYTHON} cannot import boto3 and cryptography: apt-get install -y python3-boto3 python3-cryptography (.ci/run does).`);
    }
    kl = await startKeyledger();
  });
  afterAll(async () => {
    await kl?.destroy();
  });

  it('runs test/python/kms_crypto_flow.py to the end with every check passing', async () => {
    let result: { code: number; stdout: string; stderr: string };
    try {
      const { stdout, stderr } = await run(PYTHON, [SCRIPT, kl.url], {
        // No user AWS configuration or pyenv/virtualenv leaks into the client.
        env: {
          PATH: '/usr/bin:/bin',
          HOME: '/nonexistent',
          AWS_CONFIG_FILE: '/dev/null',
          AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
          PYTHONDONTWRITEBYTECODE: '1',
        },
        timeout: 60_000,
      });
      result = { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      result = { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
    const lines = result.stdout.trim().split('\n');
    // On failure, show the whole output (the FAIL lines and the Python tracebacks) in the jest report.
    expect({ code: result.code, lines, stderr: result.code === 0 ? '' : result.stderr }).toEqual({
      code: 0,
      lines: [
        'ok create symmetric key',
        'ok encrypt/decrypt with encryption context',
        'ok generate_data_key + decrypt',
        'ok RSA_2048 sign RSASSA_PSS_SHA_256 verified locally',
        'ok RSA_2048 kms.verify SignatureValid',
        'ok HMAC_256 generate_mac/verify_mac',
        'ok HMAC_256 wrong mac raises KMSInvalidMacException',
        'ok sign with symmetric key raises InvalidKeyUsageException',
        'PASSED 8/8 checks',
      ],
      stderr: '',
    });
  });
});
