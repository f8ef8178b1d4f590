import { randomBytes } from 'node:crypto';
import { BenchConfig } from './config';
import { CpuMeter, CpuUse } from './cpu';
import { BenchClient, ImportFlowSteps, WrappingKeySpec, WRAPPING_KEY_SPECS } from './kms';
import { LatencyStats, LoopResult, now, runClosedLoop, runSequential, sleep, summarize } from './measure';
import { ServiceProcess } from './service-process';

/**
 * Waits until the service has been (almost) idle for `windowMs`, e.g. while its wrapping-key pool fills in
 * the background. Falls back to a fixed pause where /proc is unavailable. Returns how long it waited.
 */
export async function waitForServiceIdle(service: ServiceProcess, options: { windowMs?: number; maxCpuPercent?: number; maxMs?: number } = {}): Promise<number> {
  const windowMs = options.windowMs ?? 500;
  const maxMs = options.maxMs ?? 30_000;
  const start = now();
  if (service.cpuSeconds() === undefined) {
    await sleep(Math.min(maxMs, 5000));
    return now() - start;
  }
  while (now() - start < maxMs) {
    const before = service.cpuSeconds()!;
    await sleep(windowMs);
    const after = service.cpuSeconds();
    if (after === undefined) break;
    if (((after - before) / (windowMs / 1000)) * 100 <= (options.maxCpuPercent ?? 5)) break;
  }
  return now() - start;
}

export type GpfiRegime = 'pool-disabled' | 'pool-paced' | 'pool-burst';

export interface GpfiSeries {
  spec: WrappingKeySpec;
  regime: GpfiRegime;
  /** Idle time between calls (paced regime). */
  gapMs: number;
  /** Latencies in call order, ms. */
  latencies: number[];
  stats: LatencyStats;
  errors: number;
  firstError?: string;
  /** True when the series stopped at its time bound before reaching its count. */
  timedOut: boolean;
  cpu: CpuUse;
}

/**
 * Sequential GetParametersForImport calls for one spec; each call gets a fresh EXTERNAL key (created
 * outside the timed part) so every call decides against the same short stream.
 */
export async function gpfiSeries(
  service: ServiceProcess,
  spec: WrappingKeySpec,
  regime: GpfiRegime,
  options: { count: number; maxMs: number; gapMs: number },
): Promise<GpfiSeries> {
  const client = new BenchClient(service.url);
  try {
    await client.createExternalKey(); // opens the connection outside the timed calls
    const meter = new CpuMeter(service.child.pid);
    const result = await runSequential({
      count: options.count,
      maxMs: options.maxMs,
      gapMs: options.gapMs,
      op: async () => {
        const keyId = await client.createExternalKey();
        const t0 = now();
        const params = await client.getParametersForImport(keyId, spec);
        const ms = now() - t0;
        if (!params.PublicKey || !params.ImportToken) throw new Error('GetParametersForImport returned no public key or token');
        return ms;
      },
    });
    return {
      spec,
      regime,
      gapMs: options.gapMs,
      latencies: result.latencies,
      stats: summarize(result.latencies),
      errors: result.errors.count,
      firstError: result.errors.first,
      timedOut: result.timedOut,
      cpu: meter.read(),
    };
  } finally {
    client.close();
  }
}

export interface ImportFlowResult extends LoopResult {
  steps: Record<keyof ImportFlowSteps, LatencyStats>;
  /** Summed duration of each step over all flows, ms. */
  stepSums: Record<keyof ImportFlowSteps, number>;
  cpu: CpuUse;
}

/** Full BYOK import flows, closed loop at the given concurrency, no warm-up (the pool starts full). */
export async function importFlows(service: ServiceProcess, config: BenchConfig, concurrency: number): Promise<ImportFlowResult> {
  const client = new BenchClient(service.url);
  const samples: Record<keyof ImportFlowSteps, number[]> = { createKey: [], getParametersForImport: [], wrap: [], importKeyMaterial: [], total: [] };
  try {
    const meter = new CpuMeter(service.child.pid);
    let cpu: CpuUse = { clientPercent: 0 };
    const result = await runClosedLoop({
      concurrency,
      warmupMs: 0,
      durationMs: config.importSeconds * 1000,
      maxOperations: config.importMaxFlows,
      onWindowStart: () => meter.restart(),
      onWindowEnd: () => (cpu = meter.read()),
      op: async () => {
        const { steps } = await client.importFlow();
        for (const key of Object.keys(samples) as Array<keyof ImportFlowSteps>) samples[key].push(steps[key]);
      },
    });
    const steps = Object.fromEntries(Object.entries(samples).map(([key, values]) => [key, summarize(values)])) as Record<keyof ImportFlowSteps, LatencyStats>;
    const stepSums = Object.fromEntries(Object.entries(samples).map(([key, values]) => [key, values.reduce((a, b) => a + b, 0)])) as Record<keyof ImportFlowSteps, number>;
    return { ...result, steps, stepSums, cpu };
  } finally {
    client.close();
  }
}

export type RequestOperation = 'DescribeKey' | 'Encrypt';

export interface RequestRateResult extends LoopResult {
  operation: RequestOperation;
  cpu: CpuUse;
}

/** DescribeKey or Encrypt against one enabled imported key, closed loop, warm-up first. */
export async function requestRate(
  service: ServiceProcess,
  config: BenchConfig,
  operation: RequestOperation,
  keyId: string,
  concurrency: number,
  options: { storePid?: number } = {},
): Promise<RequestRateResult> {
  const client = new BenchClient(service.url, Math.max(64, concurrency));
  const plaintext = randomBytes(config.plaintextBytes);
  try {
    const meter = new CpuMeter(service.child.pid, options.storePid);
    let cpu: CpuUse = { clientPercent: 0 };
    const result = await runClosedLoop({
      concurrency,
      warmupMs: config.warmupSeconds * 1000,
      durationMs: config.seconds * 1000,
      maxOperations: config.maxRequests,
      onWindowStart: () => meter.restart(),
      onWindowEnd: () => (cpu = meter.read()),
      op: operation === 'DescribeKey' ? () => client.describeKey(keyId) : () => client.encrypt(keyId, plaintext),
    });
    return { ...result, operation, cpu };
  } finally {
    client.close();
  }
}

/** Creates one EXTERNAL key with imported material, ready for Encrypt and DescribeKey. */
export async function prepareEnabledKey(service: ServiceProcess): Promise<string> {
  const client = new BenchClient(service.url);
  try {
    return (await client.importFlow()).keyId;
  } finally {
    client.close();
  }
}

export { WRAPPING_KEY_SPECS };

export type { CpuUse };
