import { createPublicKey, generateKeyPair, randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { promisify } from 'node:util';
import { wrapForImport } from '../test/support/client-wrapping';
import { AwsJsonClient } from './aws-json';
import { BenchConfig } from './config';
import { CpuMeter, CpuUse } from './cpu';
import { ErrorTally, LatencyStats, LoopResult, now, runClosedLoop, summarize, timedBurst } from './measure';
import { waitForServiceIdle } from './scenarios';
import { ServiceProcess } from './service-process';

/**
 * The import path against its hard limit: (1) RSA_2048 key generation in this process on as many concurrent
 * generations as the machine has cores (node:crypto's generateKeyPair runs on libuv's thread pool), the rate no
 * import service on this machine can beat; (2) bursts of N concurrent GetParametersForImport calls, N = the
 * service's wrapping-key pool size, each burst on a full pool; (3) sustained full import flows (CreateKey →
 * GetParametersForImport → wrap → ImportKeyMaterial) over the lean AWS JSON client, after a warm-up that drains
 * the pool, so the rate is the sustained one.
 */

const generate = promisify(generateKeyPair);

export interface KeygenLimit {
  workers: number;
  pairs: number;
  seconds: number;
  perSecond: number;
  /** The measurements this one combines (before and after the service's run), when it combines several. */
  parts?: KeygenLimit[];
}

/**
 * The limit measured before and after the service's run, taken together: this host's speed moves over minutes, so a
 * rate measured only before the flows can belong to a different host than the flows do (as the side-by-side
 * comparison measures the reference first and last).
 */
export function combinedKeygenLimit(parts: KeygenLimit[]): KeygenLimit {
  const pairs = parts.reduce((sum, part) => sum + part.pairs, 0);
  const seconds = parts.reduce((sum, part) => sum + part.seconds, 0);
  return { workers: parts[0].workers, pairs, seconds, perSecond: seconds > 0 ? pairs / seconds : 0, parts };
}

export interface ImportLimitResults {
  keygen: KeygenLimit;
  poolSize: number;
  burst: { rounds: number; calls: LatencyStats; errors: number; firstError?: string; refillMs: LatencyStats };
  flows: LoopResult & { cpu: CpuUse; steps: { getParametersForImport: LatencyStats; importKeyMaterial: LatencyStats } };
}

/** RSA_2048 pairs per second with `workers` generations in flight, for `seconds`. */
export async function keygenLimit(seconds: number, workers = cpus().length): Promise<KeygenLimit> {
  await generate('rsa', { modulusLength: 2048 }); // warm-up
  let pairs = 0;
  const start = now();
  const deadline = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (now() < deadline) {
        await generate('rsa', { modulusLength: 2048 });
        pairs += 1;
      }
    }),
  );
  const elapsed = (now() - start) / 1000;
  return { workers, pairs, seconds: elapsed, perSecond: pairs / elapsed };
}

const createExternalKey = async (client: AwsJsonClient): Promise<string> => {
  const created = await client.call<{ KeyMetadata?: { KeyId?: string } }>('CreateKey', { Origin: 'EXTERNAL', Description: 'keyledger bench import' });
  if (!created.KeyMetadata?.KeyId) throw new Error('CreateKey returned no KeyId');
  return created.KeyMetadata.KeyId;
};

/** The GetParametersForImport request of every burst and flow, Keyledger's and the reference server's alike. */
export const importParametersRequest = (keyId: string): Record<string, unknown> => ({ KeyId: keyId, WrappingAlgorithm: 'RSAES_OAEP_SHA_256', WrappingKeySpec: 'RSA_2048' });

/** A public key (an RSA_2048 SubjectPublicKeyInfo) and a token, or the call counts as an error. */
export function checkImportParameters(response: { PublicKey?: unknown; ImportToken?: unknown }): void {
  const publicKey = typeof response.PublicKey === 'string' ? Buffer.from(response.PublicKey, 'base64') : undefined;
  const details = publicKey ? createPublicKey({ key: publicKey, format: 'der', type: 'spki' }).asymmetricKeyDetails : undefined;
  if (details?.modulusLength !== 2048 || typeof response.ImportToken !== 'string' || response.ImportToken.length === 0) {
    throw new Error('GetParametersForImport returned no RSA_2048 public key or no token');
  }
}

const parametersFor = (client: AwsJsonClient, keyId: string) => client.call<{ PublicKey?: string; ImportToken?: string }>('GetParametersForImport', importParametersRequest(keyId));

export async function importLimits(service: ServiceProcess, poolSize: number, keygen: KeygenLimit, config: BenchConfig, log: (message: string) => void): Promise<ImportLimitResults> {
  const client = new AwsJsonClient(service.url, Math.max(poolSize, config.importLimitConcurrency, 1));
  try {
    // Bursts: N concurrent calls on fresh keys, each burst on a pool refilled (service idle) beforehand.
    const burstLatencies: number[] = [];
    const refills: number[] = [];
    const burstErrors = new ErrorTally();
    if (poolSize > 0) {
      refills.push(await waitForServiceIdle(service));
      for (let round = 0; round < config.burstRounds; round++) {
        const keyIds = await Promise.all(Array.from({ length: poolSize }, () => createExternalKey(client)));
        await waitForServiceIdle(service, { maxMs: 5000 });
        const calls = keyIds.map((keyId) => async () => checkImportParameters(await parametersFor(client, keyId)));
        await timedBurst(calls, burstLatencies, burstErrors);
        refills.push(await waitForServiceIdle(service));
      }
    }
    const burst = { rounds: poolSize > 0 ? config.burstRounds : 0, calls: summarize(burstLatencies), errors: burstErrors.count, firstError: burstErrors.first, refillMs: summarize(refills.slice(1)) };
    if (poolSize > 0) {
      log(
        `  GetParametersForImport bursts of ${poolSize} (pool size) × ${burst.rounds}: p50 ${burst.calls.p50.toFixed(2)} ms p99 ${burst.calls.p99.toFixed(2)} ms, ` +
          `refilled in ${(burst.refillMs.p50 / 1000).toFixed(1)} s (median)` +
          (burst.errors ? `, ERRORS ${burst.errors} (${burst.firstError})` : ''),
      );
    } else {
      log('  the wrapping-key pool is off (size 0): no burst measured');
    }

    // Sustained flows: the warm-up drains the pool, so the window sees generation on demand and the refill.
    const gpfi: number[] = [];
    const ikm: number[] = [];
    let counting = false;
    const meter = new CpuMeter(service.child.pid);
    let cpu: CpuUse = { clientPercent: 0 };
    const result = await runClosedLoop({
      concurrency: config.importLimitConcurrency,
      warmupMs: Math.max(1, Math.min(config.importLimitSeconds / 2, (poolSize / Math.max(1, keygen.perSecond)) * 2)) * 1000,
      durationMs: config.importLimitSeconds * 1000,
      maxOperations: config.importMaxFlows,
      onWindowStart: () => {
        counting = true;
        meter.restart();
      },
      onWindowEnd: () => {
        counting = false;
        cpu = meter.read();
      },
      op: async () => {
        const keyId = await createExternalKey(client);
        const t0 = now();
        const params = await parametersFor(client, keyId);
        const t1 = now();
        if (!params.PublicKey || !params.ImportToken) throw new Error('GetParametersForImport returned no public key or token');
        const encrypted = wrapForImport('RSAES_OAEP_SHA_256', Buffer.from(params.PublicKey, 'base64'), randomBytes(32));
        const t2 = now();
        await client.call('ImportKeyMaterial', {
          KeyId: keyId,
          ImportToken: params.ImportToken,
          EncryptedKeyMaterial: encrypted.toString('base64'),
          ExpirationModel: 'KEY_MATERIAL_DOES_NOT_EXPIRE',
        });
        if (counting) {
          gpfi.push(t1 - t0);
          ikm.push(now() - t2);
        }
      },
    });
    const flows = { ...result, cpu, steps: { getParametersForImport: summarize(gpfi), importKeyMaterial: summarize(ikm) } };
    log(
      `  import flows c=${flows.concurrency}: ${flows.perSecond.toFixed(1)} flows/s against ${keygen.perSecond.toFixed(1)} RSA_2048 pairs/s generated on ${keygen.workers} workers ` +
        `(${(flows.perSecond / keygen.perSecond).toFixed(2)} ×)` +
        (flows.errors ? `, ERRORS ${flows.errors} (${flows.firstError})` : ''),
    );
    return { keygen, poolSize, burst, flows };
  } finally {
    client.close();
  }
}
