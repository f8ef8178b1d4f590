import { randomBytes } from 'node:crypto';
import { AwsJsonClient } from './aws-json';
import { BenchConfig } from './config';
import { CpuMeter, CpuUse } from './cpu';
import { LoopResult, now, runClosedLoop, summarize } from './measure';
import { waitForServiceIdle } from './scenarios';
import { ServiceProcess } from './service-process';

/**
 * The cryptographic operations over AWS JSON at a fixed number of connections: Encrypt, Decrypt,
 * GenerateDataKey, Sign (RSA_2048 and ECC_NIST_P256), Verify and GenerateMac, each against a key created
 * (Origin AWS_KMS, generated material) before the measurements. Every response is checked; failures are
 * counted as errors, never as throughput.
 */

/** Bytes of the RAW message signed, verified and MACed. */
export const CRYPTO_MESSAGE_BYTES = 32;

export interface CryptoKeyInfo {
  /** What the key is for in this scenario, e.g. 'RSA_2048 SIGN_VERIFY'. */
  label: string;
  keyId: string;
  /** CreateKey latency (includes generating the key material), ms. */
  createMs: number;
}

export interface CryptoOperationResult extends LoopResult {
  /** Row label, e.g. 'Sign RSA_2048'. */
  label: string;
  operation: string;
  keySpec: string;
  /** What each request does, e.g. 'RSASSA_PSS_SHA_256, 32-byte RAW message'. */
  request: string;
  cpu: CpuUse;
  /** Set when the operation could not be measured because its key or input could not be prepared. */
  setupError?: string;
}

export interface CryptoResults {
  concurrency: number;
  seconds: number;
  warmupSeconds: number;
  plaintextBytes: number;
  messageBytes: number;
  /** Time until the service went idle after /health (before the keys were created). */
  idleAfterStartMs: number;
  keys: CryptoKeyInfo[];
  operations: CryptoOperationResult[];
}

/** Requests that ended with an error, plus operations that could not be prepared at all. */
export function cryptoFailures(results: CryptoResults): { errors: number; setupFailures: number } {
  return {
    errors: results.operations.reduce((total, r) => total + r.errors, 0),
    setupFailures: results.operations.filter((r) => r.setupError !== undefined).length,
  };
}

interface CryptoCase {
  label: string;
  operation: string;
  keySpec: string;
  request: string;
  /** The request body (keys created and inputs made here, untimed). */
  prepare: () => Promise<Record<string, unknown>>;
  /** Throws unless the parsed 200 response is what a successful call returns. */
  check: (response: Record<string, unknown>) => void;
}

const fail = (operation: string, what: string): never => {
  throw new Error(`${operation} answered 200 but ${what}`);
};
const b64 = (bytes: Buffer): string => bytes.toString('base64');
const blobBytes = (value: unknown): number => (typeof value === 'string' ? Buffer.byteLength(value, 'base64') : -1);
const describe = (error: unknown): string => {
  const e = error as { name?: string; message?: string };
  return `${e?.name ?? 'Error'}: ${e?.message ?? String(error)}`.slice(0, 200);
};

export async function cryptoOperations(service: ServiceProcess, config: BenchConfig, log: (message: string) => void): Promise<CryptoResults> {
  const concurrency = config.cryptoConcurrency;
  const setup = new AwsJsonClient(service.url, 1);
  const keys: CryptoKeyInfo[] = [];
  const operations: CryptoOperationResult[] = [];
  try {
    const idleAfterStartMs = await waitForServiceIdle(service);

    // Keys are created once, on first use, and shared by the operations that need them.
    const keyPromises = new Map<string, Promise<string>>();
    const key = (label: string, input: Record<string, unknown>): Promise<string> => {
      let promise = keyPromises.get(label);
      if (!promise) {
        promise = (async () => {
          const t0 = now();
          const created = await setup.call<{ KeyMetadata?: { KeyId?: string; KeyState?: string } }>('CreateKey', { Description: 'keyledger bench', ...input });
          const keyId = created.KeyMetadata?.KeyId;
          if (!keyId) fail('CreateKey', 'returned no KeyId');
          if (created.KeyMetadata?.KeyState !== 'Enabled') fail('CreateKey', `returned key state ${created.KeyMetadata?.KeyState}`);
          keys.push({ label, keyId: keyId!, createMs: now() - t0 });
          return keyId!;
        })();
        keyPromises.set(label, promise);
      }
      return promise;
    };
    const symmetricKey = () => key('SYMMETRIC_DEFAULT ENCRYPT_DECRYPT', {});
    const rsaKey = () => key('RSA_2048 SIGN_VERIFY', { KeySpec: 'RSA_2048', KeyUsage: 'SIGN_VERIFY' });
    const eccKey = () => key('ECC_NIST_P256 SIGN_VERIFY', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    const hmacKey = () => key('HMAC_256 GENERATE_VERIFY_MAC', { KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' });

    const plaintext = b64(randomBytes(config.cryptoPlaintextBytes));
    const message = b64(randomBytes(CRYPTO_MESSAGE_BYTES));
    const bytes = `${CRYPTO_MESSAGE_BYTES}-byte RAW message`;

    const cases: CryptoCase[] = [
      {
        label: 'Encrypt',
        operation: 'Encrypt',
        keySpec: 'SYMMETRIC_DEFAULT',
        request: `${config.cryptoPlaintextBytes}-byte plaintext, no encryption context`,
        prepare: async () => ({ KeyId: await symmetricKey(), Plaintext: plaintext }),
        check: (r) => {
          if (!(blobBytes(r.CiphertextBlob) > config.cryptoPlaintextBytes)) fail('Encrypt', 'returned no ciphertext of the expected size');
          if (r.EncryptionAlgorithm !== 'SYMMETRIC_DEFAULT') fail('Encrypt', `returned EncryptionAlgorithm ${String(r.EncryptionAlgorithm)}`);
        },
      },
      {
        label: 'Decrypt',
        operation: 'Decrypt',
        keySpec: 'SYMMETRIC_DEFAULT',
        request: `ciphertext of a ${config.cryptoPlaintextBytes}-byte plaintext made by Encrypt beforehand, KeyId given`,
        prepare: async () => {
          const keyId = await symmetricKey();
          const { CiphertextBlob } = await setup.call<{ CiphertextBlob?: string }>('Encrypt', { KeyId: keyId, Plaintext: plaintext });
          if (!CiphertextBlob) fail('Encrypt', 'returned no CiphertextBlob');
          return { KeyId: keyId, CiphertextBlob };
        },
        check: (r) => {
          if (r.Plaintext !== plaintext) fail('Decrypt', 'returned another plaintext');
        },
      },
      {
        label: 'GenerateDataKey',
        operation: 'GenerateDataKey',
        keySpec: 'SYMMETRIC_DEFAULT',
        request: 'KeySpec AES_256',
        prepare: async () => ({ KeyId: await symmetricKey(), KeySpec: 'AES_256' }),
        check: (r) => {
          if (blobBytes(r.Plaintext) !== 32) fail('GenerateDataKey', 'returned no 32-byte plaintext data key');
          if (!(blobBytes(r.CiphertextBlob) > 32)) fail('GenerateDataKey', 'returned no encrypted data key');
        },
      },
      {
        label: 'Sign RSA_2048',
        operation: 'Sign',
        keySpec: 'RSA_2048',
        request: `RSASSA_PSS_SHA_256, ${bytes}`,
        prepare: async () => ({ KeyId: await rsaKey(), Message: message, MessageType: 'RAW', SigningAlgorithm: 'RSASSA_PSS_SHA_256' }),
        check: (r) => {
          if (blobBytes(r.Signature) !== 256) fail('Sign', 'returned no 256-byte RSA_2048 signature');
          if (r.SigningAlgorithm !== 'RSASSA_PSS_SHA_256') fail('Sign', `returned SigningAlgorithm ${String(r.SigningAlgorithm)}`);
        },
      },
      {
        label: 'Sign ECC_NIST_P256',
        operation: 'Sign',
        keySpec: 'ECC_NIST_P256',
        request: `ECDSA_SHA_256, ${bytes}`,
        prepare: async () => ({ KeyId: await eccKey(), Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }),
        check: (r) => {
          // A DER-encoded P-256 ECDSA signature is 8 to 72 bytes.
          const size = blobBytes(r.Signature);
          if (size < 8 || size > 72) fail('Sign', `returned a ${size}-byte ECDSA signature`);
          if (r.SigningAlgorithm !== 'ECDSA_SHA_256') fail('Sign', `returned SigningAlgorithm ${String(r.SigningAlgorithm)}`);
        },
      },
      {
        label: 'Verify ECC_NIST_P256',
        operation: 'Verify',
        keySpec: 'ECC_NIST_P256',
        request: `ECDSA_SHA_256, ${bytes}, a valid signature made by Sign beforehand`,
        prepare: async () => {
          const input = { KeyId: await eccKey(), Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' };
          const { Signature } = await setup.call<{ Signature?: string }>('Sign', input);
          if (!Signature) fail('Sign', 'returned no Signature');
          return { ...input, Signature };
        },
        check: (r) => {
          if (r.SignatureValid !== true) fail('Verify', `returned SignatureValid ${String(r.SignatureValid)}`);
        },
      },
      {
        label: 'GenerateMac HMAC_256',
        operation: 'GenerateMac',
        keySpec: 'HMAC_256',
        request: `HMAC_SHA_256, ${CRYPTO_MESSAGE_BYTES}-byte message`,
        prepare: async () => ({ KeyId: await hmacKey(), Message: message, MacAlgorithm: 'HMAC_SHA_256' }),
        check: (r) => {
          if (blobBytes(r.Mac) !== 32) fail('GenerateMac', 'returned no 32-byte MAC');
          if (r.MacAlgorithm !== 'HMAC_SHA_256') fail('GenerateMac', `returned MacAlgorithm ${String(r.MacAlgorithm)}`);
        },
      },
    ];

    for (const c of cases) {
      const base = { label: c.label, operation: c.operation, keySpec: c.keySpec, request: c.request };
      let input: Record<string, unknown>;
      try {
        input = await c.prepare();
        // One checked call before the timed loop: a broken operation is reported as such, not as a row of errors.
        c.check(await setup.call(c.operation, input));
      } catch (error) {
        const setupError = describe(error);
        operations.push({ ...base, concurrency, operations: 0, errors: 0, elapsedMs: 0, perSecond: 0, latency: summarize([]), cpu: { clientPercent: 0 }, setupError });
        log(`  ${c.label}: NOT MEASURED, preparing it failed: ${setupError}`);
        continue;
      }
      await waitForServiceIdle(service, { maxMs: 5000 });
      const client = new AwsJsonClient(service.url, concurrency);
      try {
        const call = client.prepare(c.operation, input);
        const meter = new CpuMeter(service.child.pid);
        let cpu: CpuUse = { clientPercent: 0 };
        const result = await runClosedLoop({
          concurrency,
          warmupMs: config.cryptoWarmupSeconds * 1000,
          durationMs: config.cryptoSeconds * 1000,
          maxOperations: config.maxRequests,
          onWindowStart: () => meter.restart(),
          onWindowEnd: () => (cpu = meter.read()),
          op: async () => c.check(AwsJsonClient.parse(await client.send(call))),
        });
        const row: CryptoOperationResult = { ...base, ...result, cpu };
        operations.push(row);
        log(
          `  ${c.label} c=${concurrency}: ${row.operations} requests = ${row.perSecond.toFixed(0)} req/s, p50 ${row.latency.p50.toFixed(2)} ms p99 ${row.latency.p99.toFixed(2)} ms, ` +
            `other load ${row.cpu.otherPercent === undefined ? 'n/a' : `${row.cpu.otherPercent.toFixed(0)}%`}` +
            (row.errors ? `, ERRORS ${row.errors} (${row.firstError})` : ', no errors'),
        );
      } finally {
        client.close();
      }
    }
    return {
      concurrency,
      seconds: config.cryptoSeconds,
      warmupSeconds: config.cryptoWarmupSeconds,
      plaintextBytes: config.cryptoPlaintextBytes,
      messageBytes: CRYPTO_MESSAGE_BYTES,
      idleAfterStartMs,
      keys,
      operations,
    };
  } finally {
    setup.close();
  }
}
