import { BenchConfig, StoreKind } from './config';
import { CpuMeter, CpuUse } from './cpu';
import { BenchClient } from './kms';
import { ErrorTally, LatencyStats, LoopResult, now, runClosedLoop, sleep, summarize, benchAbort } from './measure';
import { RequestOperation, RequestRateResult, requestRate, waitForServiceIdle } from './scenarios';
import { ServiceProcess } from './service-process';

/** How every figure of the store comparison names its store. */
export const STORE_LABELS: Record<StoreKind, string> = {
  embedded: 'embedded store (SQLite)',
  eventstoredb: 'EventStoreDB protocol double (in-memory test fixture, not a real server)',
};

type ImportParameters = { PublicKey?: Uint8Array; ImportToken?: Uint8Array };
interface PreparedKey {
  keyId: string;
  params: ImportParameters;
}

export interface PreparationResult {
  keys: number;
  /** Keys created untimed because earlier levels did not leave enough. */
  createdUntimed: number;
  seconds: number;
  /** GetParametersForImport latency while preparing (includes on-demand RSA_2048 generation, pool size 0). */
  getParametersForImport: LatencyStats;
  errors: number;
  firstError?: string;
  timedOut: boolean;
}

export interface StoreFlowResult extends LoopResult {
  store: StoreKind;
  steps: { createKey: LatencyStats; wrap: LatencyStats; importKeyMaterial: LatencyStats };
  preparation: PreparationResult;
  /** Flows asked for (the level ends earlier if its time bound is hit). */
  planned: number;
  cpu: CpuUse;
}

export interface StoreRequestResult extends RequestRateResult {
  store: StoreKind;
}

export interface HealthSnapshot {
  headPosition?: number;
  checkpoint?: number;
  lag?: number;
  kind?: string;
  error?: string;
}

export interface LagResult {
  store: StoreKind;
  samples: number;
  planned: number;
  /** From A's answer to CreateKey until B's first successful DescribeKey answer was received (upper bound). */
  lag: LatencyStats;
  /** From sending the last DescribeKey to B that still answered NotFound (0 if the first poll found the key): a lower bound. */
  lagLowerBound: LatencyStats;
  /** From sending CreateKey to A until B's first successful answer: includes A's command latency; the commit happened inside it. */
  fromWriteSent: LatencyStats;
  /** A's CreateKey latency in these samples (A answers after its own read model includes the write). */
  commandLatency: LatencyStats;
  /** DescribeKey polls of B per sample, the successful one included. */
  polls: LatencyStats;
  /** DescribeKey on A sent right after A's answer (concurrently with B's first poll): found / asked. */
  readYourWrites: { found: number; asked: number };
  timeouts: number;
  errors: number;
  firstError?: string;
  /** GET /health on B and A right after A's answer to a CreateKey. */
  healthAfterWrite: Array<{ a: HealthSnapshot; b: HealthSnapshot; headAdvance?: number }>;
  /** GET /health on both instances at the end, after B caught up. */
  healthEnd: { a: HealthSnapshot; b: HealthSnapshot };
  cpu: CpuUse;
}

const log = (message: string): void => console.log(`[bench] ${message}`);

function tally(errors: ErrorTally): { errors: number; firstError?: string } {
  return { errors: errors.count, firstError: errors.first };
}

/**
 * Fetches import parameters (RSA_2048, RSAES_OAEP_SHA_256) for the given keys, creating more keys untimed if
 * there are fewer than `count`, two calls at a time (the service generates at most two pairs per spec in
 * parallel). Untimed: with pool size 0 every call pays a fresh RSA generation, which is exactly what the store
 * comparison keeps out of its timed window.
 */
async function prepareKeys(client: BenchClient, available: string[], count: number, maxMs: number): Promise<{ keys: PreparedKey[]; result: PreparationResult }> {
  const started = now();
  const deadline = started + maxMs;
  const errors = new ErrorTally();
  const latencies: number[] = [];
  const keys: PreparedKey[] = [];
  const queue = available.slice(0, count);
  let createdUntimed = 0;
  let attempts = 0;
  const worker = async (): Promise<void> => {
    while (keys.length < count && now() < deadline && attempts < count * 2 && !benchAbort.signal.aborted) {
      attempts += 1;
      try {
        let keyId = queue.shift();
        if (keyId === undefined) {
          keyId = await client.createExternalKey();
          createdUntimed += 1;
        }
        const t0 = now();
        const params = await client.getParametersForImport(keyId, 'RSA_2048');
        latencies.push(now() - t0);
        if (!params.PublicKey || !params.ImportToken) throw new Error('GetParametersForImport returned no public key or token');
        if (keys.length < count) keys.push({ keyId, params });
      } catch (error) {
        errors.record(error);
        await sleep(5);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return {
    keys,
    result: {
      keys: keys.length,
      createdUntimed,
      seconds: (now() - started) / 1000,
      getParametersForImport: summarize(latencies),
      timedOut: keys.length < count && now() >= deadline,
      ...tally(errors),
    },
  };
}

/**
 * Import flows with GetParametersForImport moved out of the timed window, so the comparison is about the
 * store, not about RSA key generation or the wrapping-key pool: one timed flow is CreateKey(EXTERNAL) of a new
 * key, then the client-side wrap and ImportKeyMaterial into a key whose import parameters were fetched before
 * the window. The store work of a timed flow is that of a real flow without its ImportParametersIssued append:
 * KeyCreated, KeyMaterialImported and the material put into the vault, each answered once the instance's read
 * models include it. The keys created in one level are prepared for the next.
 */
export async function storeImportFlows(
  service: ServiceProcess,
  store: StoreKind,
  config: BenchConfig,
  storePid: number | undefined,
): Promise<StoreFlowResult[]> {
  const client = new BenchClient(service.url);
  const results: StoreFlowResult[] = [];
  let created: string[] = [];
  try {
    for (const concurrency of config.storeConcurrency) {
      if (benchAbort.signal.aborted) break;
      const { keys, result: preparation } = await prepareKeys(client, created, config.storeFlows, config.storePrepMaxSeconds * 1000);
      log(
        `  ${store}: prepared ${keys.length} keys with import parameters in ${preparation.seconds.toFixed(1)} s (untimed)` +
          (preparation.errors ? `, errors ${preparation.errors} (${preparation.firstError})` : ''),
      );
      await waitForServiceIdle(service);
      created = [];
      const samples = { createKey: [] as number[], wrap: [] as number[], importKeyMaterial: [] as number[] };
      const meter = new CpuMeter(service.child.pid, storePid);
      let cpu: CpuUse = { clientPercent: 0 };
      let next = 0;
      const loop = await runClosedLoop({
        concurrency,
        warmupMs: 0,
        durationMs: config.storeFlowMaxSeconds * 1000,
        maxOperations: keys.length,
        onWindowStart: () => meter.restart(),
        onWindowEnd: () => (cpu = meter.read()),
        op: async () => {
          const prepared = keys[next++];
          if (!prepared) throw new Error('no prepared key left');
          const t0 = now();
          const keyId = await client.createExternalKey();
          const createKey = now() - t0;
          created.push(keyId);
          const steps = await client.importWithParameters(prepared.keyId, prepared.params);
          samples.createKey.push(createKey);
          samples.wrap.push(steps.wrap);
          samples.importKeyMaterial.push(steps.importKeyMaterial);
        },
      });
      const result: StoreFlowResult = {
        ...loop,
        store,
        planned: config.storeFlows,
        steps: { createKey: summarize(samples.createKey), wrap: summarize(samples.wrap), importKeyMaterial: summarize(samples.importKeyMaterial) },
        preparation,
        cpu,
      };
      results.push(result);
      log(
        `  ${store} import flows c=${concurrency}: ${loop.operations} flows = ${loop.perSecond.toFixed(1)} flows/s, CreateKey p50 ${result.steps.createKey.p50.toFixed(1)} ms ` +
          `p95 ${result.steps.createKey.p95.toFixed(1)} ms, ImportKeyMaterial p50 ${result.steps.importKeyMaterial.p50.toFixed(1)} ms p95 ${result.steps.importKeyMaterial.p95.toFixed(1)} ms` +
          (loop.errors ? `, errors ${loop.errors} (${loop.firstError})` : ''),
      );
    }
  } finally {
    client.close();
  }
  return results;
}

/** DescribeKey and Encrypt against one enabled key with imported material, at the store-comparison levels. */
export async function storeRequestRates(
  service: ServiceProcess,
  store: StoreKind,
  config: BenchConfig,
  keyId: string,
  storePid: number | undefined,
): Promise<StoreRequestResult[]> {
  const results: StoreRequestResult[] = [];
  const levelConfig: BenchConfig = { ...config, seconds: config.storeSeconds };
  const operations: RequestOperation[] = ['DescribeKey', 'Encrypt'];
  for (const operation of operations) {
    for (const concurrency of config.storeConcurrency) {
      if (benchAbort.signal.aborted) return results;
      const result = await requestRate(service, levelConfig, operation, keyId, concurrency, { storePid });
      results.push({ ...result, store });
      log(
        `  ${store} ${operation} c=${concurrency}: ${result.perSecond.toFixed(0)} req/s, p50 ${result.latency.p50.toFixed(2)} ms p95 ${result.latency.p95.toFixed(2)} ms` +
          (result.errors ? ` errors ${result.errors} (${result.firstError})` : ''),
      );
    }
  }
  return results;
}

export async function healthSnapshot(service: ServiceProcess): Promise<HealthSnapshot> {
  try {
    const body = (await service.health()) as { eventStore?: { kind?: string; headPosition?: number }; projections?: { checkpoint?: number; lag?: number } };
    return { kind: body.eventStore?.kind, headPosition: body.eventStore?.headPosition, checkpoint: body.projections?.checkpoint, lag: body.projections?.lag };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Polls GET /health until the instance reports lag 0 (bounded); returns the time it took or undefined on timeout. */
export async function waitCaughtUp(service: ServiceProcess, maxMs: number): Promise<number | undefined> {
  const start = now();
  while (now() - start < maxMs && !benchAbort.signal.aborted) {
    const health = await healthSnapshot(service);
    if (health.lag === 0) return now() - start;
    await sleep(50);
  }
  return undefined;
}

/**
 * Projection lag across two instances sharing one store: CreateKey on A, then DescribeKey on B back to back
 * (no pause; each poll is one loopback round trip, which is the resolution) until B answers with the key.
 * A DescribeKey on A is sent at the same moment as B's first poll: it shows that A's own answer already
 * included the write. Samples are spaced by a random 20–120 ms so they do not lock onto a polling period.
 */
export async function projectionLag(a: ServiceProcess, b: ServiceProcess, store: StoreKind, config: BenchConfig, storePid: number | undefined): Promise<LagResult> {
  const writer = new BenchClient(a.url);
  const checkA = new BenchClient(a.url);
  const reader = new BenchClient(b.url);
  const errors = new ErrorTally();
  const lag: number[] = [];
  const lower: number[] = [];
  const fromSent: number[] = [];
  const command: number[] = [];
  const polls: number[] = [];
  const readYourWrites = { found: 0, asked: 0 };
  let timeouts = 0;
  let samples = 0;
  const maxPolls = 20_000;

  const sample = async (record: boolean): Promise<void> => {
    const t0 = now();
    const keyId = await writer.createExternalKey();
    const t1 = now();
    const ownRead = checkA.keyVisible(keyId);
    let count = 0;
    let lastMissSent: number | undefined;
    let visibleAt: number | undefined;
    while (count < maxPolls && now() - t1 < config.lagTimeoutMs && !benchAbort.signal.aborted) {
      const sent = now();
      count += 1;
      if (await reader.keyVisible(keyId)) {
        visibleAt = now();
        break;
      }
      lastMissSent = sent;
    }
    const own = await ownRead;
    if (!record) return;
    samples += 1;
    readYourWrites.asked += 1;
    if (own) readYourWrites.found += 1;
    command.push(t1 - t0);
    if (visibleAt === undefined) {
      timeouts += 1;
      return;
    }
    lag.push(visibleAt - t1);
    lower.push(lastMissSent === undefined ? 0 : Math.max(0, lastMissSent - t1));
    fromSent.push(visibleAt - t0);
    polls.push(count);
  };

  const healthAfterWrite: LagResult['healthAfterWrite'] = [];
  let cpu: CpuUse = { clientPercent: 0 };
  try {
    // Opens the connections and warms both instances up; not recorded.
    for (let i = 0; i < 3; i += 1) await sample(false);
    const meter = new CpuMeter([a.child.pid, b.child.pid], storePid);
    const deadline = now() + config.lagSamples * (config.lagTimeoutMs + 500);
    for (let i = 0; i < config.lagSamples && now() < deadline && !benchAbort.signal.aborted; i += 1) {
      try {
        await sample(true);
      } catch (error) {
        errors.record(error);
      }
      await sleep(20 + Math.random() * 100);
    }
    cpu = meter.read();

    for (let i = 0; i < config.lagHealthSamples && !benchAbort.signal.aborted; i += 1) {
      try {
        const before = await healthSnapshot(a);
        await writer.createExternalKey();
        const [hb, ha] = await Promise.all([healthSnapshot(b), healthSnapshot(a)]);
        healthAfterWrite.push({
          a: ha,
          b: hb,
          headAdvance: ha.headPosition !== undefined && before.headPosition !== undefined ? ha.headPosition - before.headPosition : undefined,
        });
        await waitCaughtUp(b, config.lagTimeoutMs);
      } catch (error) {
        errors.record(error);
      }
      await sleep(20 + Math.random() * 100);
    }
  } finally {
    writer.close();
    checkA.close();
    reader.close();
  }
  await waitCaughtUp(b, config.lagTimeoutMs);
  const healthEnd = { a: await healthSnapshot(a), b: await healthSnapshot(b) };
  return {
    store,
    samples,
    planned: config.lagSamples,
    lag: summarize(lag),
    lagLowerBound: summarize(lower),
    fromWriteSent: summarize(fromSent),
    commandLatency: summarize(command),
    polls: summarize(polls),
    readYourWrites,
    timeouts,
    ...tally(errors),
    healthAfterWrite,
    healthEnd,
    cpu,
  };
}
