import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { loadConfig } from '../apps/kms-api/src/config/config';
import { AwsJsonClient } from './aws-json';
import { sampleMachineBusy } from './cpu';
import { BENCH_PARTS, BenchConfig, loadBenchConfig, StoreKind } from './config';
import { cryptoFailures, cryptoOperations, CryptoResults } from './crypto';
import { EventStoreDoubleProcess } from './eventstore-double';
import { BenchClient } from './kms';
import { benchAbort, now } from './measure';
import { BenchResults, MachineInfo, renderMarkdown, renderSummary, RunInfo, StoreRunResults } from './report';
import { writeReportSection } from './report-file';
import {
  GpfiSeries,
  gpfiSeries,
  ImportFlowResult,
  importFlows,
  prepareEnabledKey,
  RequestOperation,
  RequestRateResult,
  requestRate,
  waitForServiceIdle,
  WRAPPING_KEY_SPECS,
} from './scenarios';
import { ServiceProcess } from './service-process';
import { historyLatency, HistoryLatencyResults } from './history-latency';
import { combinedKeygenLimit, ImportLimitResults, importLimits, keygenLimit } from './import-limits';
import { sideBySide, SideResults } from './side-by-side';
import { projectionLag, STORE_LABELS, storeImportFlows, storeRequestRates, waitCaughtUp } from './stores';

const log = (message: string): void => console.log(`[bench] ${message}`);
const fmt = (value: number): string => (value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0));
/** Paced calls stay well inside the service's HTTP keep-alive timeout (5 s). */
const MAX_PACE_MS = 4000;
/** Used for pacing only if the pool-disabled run produced no figure for a spec. */
const FALLBACK_GENERATION_MS: Record<string, number> = { RSA_2048: 250, RSA_3072: 900, RSA_4096: 1800 };

function machineInfo(repoDir: string, tempRoot: string): MachineInfo {
  let tempDirFilesystem = 'unknown';
  try {
    const lines = execFileSync('df', ['-PT', tempRoot], { encoding: 'utf8' }).trim().split('\n');
    const fields = lines[lines.length - 1].split(/\s+/);
    tempDirFilesystem = `${fields[1]} (${tmpdir()})`;
  } catch {
    tempDirFilesystem = `unknown (${tmpdir()})`;
  }
  let sdkVersion = 'unknown';
  try {
    sdkVersion = (JSON.parse(readFileSync(join(repoDir, 'node_modules', '@aws-sdk', 'client-kms', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // keep unknown
  }
  let signerVersion = 'unknown';
  try {
    signerVersion = (JSON.parse(readFileSync(join(repoDir, 'node_modules', '@smithy', 'signature-v4', 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // keep unknown
  }
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpuCount: list.length,
    totalMemoryBytes: totalmem(),
    node: process.version,
    platform: `${platform()} ${release()} ${arch()}`,
    tempDirFilesystem,
    sdkVersion,
    signerVersion,
  };
}

/** The environment as shown in logs and the report: the master key and file paths are not spelled out. */
function shownEnv(env: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [
      key,
      key === 'KEYLEDGER_MASTER_KEY' ? '(random, same for both instances)' : key === 'KEYLEDGER_READ_MODELS_FILE' ? basename(value) : value,
    ]),
  );
}

async function startService(
  repoDir: string,
  tempRoot: string,
  name: string,
  env: Record<string, string>,
  dataDir?: string,
): Promise<ServiceProcess> {
  const shown = Object.entries(shownEnv(env)).map(([k, v]) => `${k}=${v}`).join(' ') || 'defaults';
  log(`starting the service (${name}: ${shown}${dataDir ? `, DATA_DIR ${dataDir}` : ''})`);
  const service = await ServiceProcess.start({ name, repoDir, tempRoot, env, dataDir });
  log(`${name}: healthy at ${service.url} after ${fmt(service.startupMs)} ms (log: ${service.logFile})`);
  return service;
}

/** Stops the service (if still running) and describes the run; throws if it died during the measurements. */
async function finishService(
  service: ServiceProcess,
  info: { name: string; purpose: string; store: string; env: Record<string, string> },
  failure?: unknown,
): Promise<RunInfo> {
  let healthEnd: unknown;
  let rssEndBytes: number | undefined;
  if (!service.hasExited && failure === undefined) {
    healthEnd = await service.health().catch((error: Error) => ({ error: error.message }));
    rssEndBytes = service.rssBytes();
  }
  await service.stop();
  if (service.exitedUnexpectedly) {
    throw new Error(
      `The ${info.name} service exited during the measurements (exit code ${service.exitCode}, signal ${service.exitSignal}): a crash, or a signal from ` +
        `another process. The report was not written. Service log tail:\n${service.logTail(5)}`,
      { cause: failure },
    );
  }
  if (failure !== undefined) throw failure;
  const effective = loadConfig({ ...service.env });
  log(`${info.name}: stopped in ${fmt(service.shutdownMs)} ms (exit code ${service.exitCode}, signal ${service.exitSignal})`);
  return {
    name: info.name,
    purpose: info.purpose,
    store: info.store,
    env: shownEnv(info.env),
    effective: {
      wrappingKeyPoolSize: effective.wrappingKeyPoolSize.RSA_2048,
      expiryIntervalMs: effective.expiryIntervalMs,
      logFormat: effective.logFormat,
      host: effective.host,
      masterKey: effective.masterKey ? 'configured' : 'generated dev key',
    },
    startupMs: service.startupMs,
    shutdownMs: service.shutdownMs,
    exit: service.exitSignal ? `signal ${service.exitSignal}` : `code ${service.exitCode}`,
    rssEndBytes,
    healthEnd,
    log: service.logSummary(),
  };
}

async function withService(
  repoDir: string,
  tempRoot: string,
  name: string,
  purpose: string,
  env: Record<string, string>,
  body: (service: ServiceProcess) => Promise<void>,
): Promise<RunInfo> {
  const service = await startService(repoDir, tempRoot, name, env);
  let failure: unknown;
  try {
    await body(service);
  } catch (error) {
    failure = error;
  }
  return finishService(service, { name, purpose, store: STORE_LABELS.embedded, env }, failure);
}

/**
 * One store of the comparison: instance A alone for import flows, DescribeKey and Encrypt; then instance B on
 * the same store for the projection lag. Embedded: both in one DATA_DIR with a read-models file each.
 * EventStoreDB: the protocol double as a child process, each instance with its own DATA_DIR. Pool size 0 and
 * one random master key for both instances.
 */
async function runStore(repoDir: string, tempRoot: string, config: BenchConfig, store: StoreKind, runs: RunInfo[]): Promise<StoreRunResults> {
  const label = STORE_LABELS[store];
  const result: StoreRunResults = { store, flows: [], requests: [] };
  const common: Record<string, string> = { KEYLEDGER_WRAPPING_KEY_POOL_SIZE: '0', KEYLEDGER_MASTER_KEY: randomBytes(32).toString('base64') };
  const sharedDataDir = store === 'embedded' ? join(tempRoot, 'embedded-shared-data') : undefined;
  let double: EventStoreDoubleProcess | undefined;
  const services: Array<{ service: ServiceProcess; name: string; purpose: string; env: Record<string, string> }> = [];
  let failure: unknown;
  try {
    if (store === 'eventstoredb') {
      log(`starting the EventStoreDB protocol double (in-memory test fixture) as a child process`);
      double = await EventStoreDoubleProcess.start({ repoDir, dir: join(tempRoot, 'eventstore-double') });
      result.double = { startupMs: double.startupMs, connectionString: double.connectionString, logFile: double.logFile };
      log(`  double ready at ${double.connectionString} after ${fmt(double.startupMs)} ms`);
    }
    const envFor = (instance: 'a' | 'b'): Record<string, string> =>
      store === 'embedded'
        ? { ...common, KEYLEDGER_READ_MODELS_FILE: join(sharedDataDir!, `read-models-${instance}.sqlite`) }
        : { ...common, KEYLEDGER_EVENTSTORE_URL: double!.connectionString, KEYLEDGER_INSTANCE_ID: `bench-${instance}` };
    const storePid = double?.child.pid;

    const envA = envFor('a');
    const a = await startService(repoDir, tempRoot, `${store}-a`, envA, sharedDataDir);
    services.push({ service: a, name: `${store}-a`, purpose: 'store comparison; writer in the lag test', env: envA });
    await waitForServiceIdle(a);
    result.flows = await storeImportFlows(a, store, config, storePid);
    const keyId = await prepareEnabledKey(a);
    await waitForServiceIdle(a);
    result.requests = await storeRequestRates(a, store, config, keyId, storePid);

    if (config.lagSamples > 0) {
      const envB = envFor('b');
      const b = await startService(repoDir, tempRoot, `${store}-b`, envB, sharedDataDir);
      services.push({ service: b, name: `${store}-b`, purpose: 'reader in the lag test', env: envB });
      result.bCatchUpMs = await waitCaughtUp(b, 60_000);
      log(`  ${store}-b caught up with the log ${result.bCatchUpMs === undefined ? 'NOT within 60 s' : `${fmt(result.bCatchUpMs)} ms after /health`}`);
      await waitForServiceIdle(b);
      result.lag = await projectionLag(a, b, store, config, storePid);
      const l = result.lag;
      log(
        `  ${store} projection lag A→B: n=${l.samples} p50 ${fmt(l.lag.p50)} ms p95 ${fmt(l.lag.p95)} ms max ${fmt(l.lag.max)} ms, ` +
          `read-your-writes on A ${l.readYourWrites.found}/${l.readYourWrites.asked}, timeouts ${l.timeouts}, errors ${l.errors}`,
      );
    }
  } catch (error) {
    failure = error;
  }
  // Stop B before A, then the store; describe every run (reported in the order A, B).
  const finished: RunInfo[] = [];
  for (const entry of [...services].reverse()) {
    try {
      finished.unshift(await finishService(entry.service, { name: entry.name, purpose: entry.purpose, store: label, env: entry.env }, failure));
    } catch (error) {
      failure ??= error;
    }
  }
  runs.push(...finished);
  if (double) {
    result.double!.rssEndBytes = double.rssBytes();
    const unexpected = double.exitedUnexpectedly;
    await double.stop();
    if (unexpected && failure === undefined) failure = new Error(`The EventStoreDB protocol double exited during the measurements (code ${double.exitCode}, signal ${double.exitSignal}); log: ${double.logFile}`);
  }
  if (failure !== undefined) throw failure;
  return result;
}

function logSeries(s: GpfiSeries): void {
  log(
    `  GetParametersForImport ${s.spec} (${s.regime}): n=${s.stats.count} p50 ${fmt(s.stats.p50)} ms p95 ${fmt(s.stats.p95)} ms max ${fmt(s.stats.max)} ms` +
      (s.errors ? ` errors ${s.errors} (${s.firstError})` : ''),
  );
}

async function runPoolDisabled(service: ServiceProcess, config: BenchConfig, raw: GpfiSeries[]): Promise<void> {
  for (const spec of WRAPPING_KEY_SPECS) {
    const series = await gpfiSeries(service, spec, 'pool-disabled', { count: config.rawCount, maxMs: config.gpfiMaxSeconds * 1000, gapMs: 0 });
    raw.push(series);
    logSeries(series);
  }
}

interface DefaultPoolResults {
  paced: GpfiSeries[];
  burst: GpfiSeries[];
  poolFillMs: number;
  refillAfterBurstMs: Record<string, number>;
  imports: ImportFlowResult[];
  requests: RequestRateResult[];
}

async function runDefaultPool(service: ServiceProcess, config: BenchConfig, raw: GpfiSeries[], out: DefaultPoolResults): Promise<void> {
  out.poolFillMs = await waitForServiceIdle(service);
  log(`  pool filled (service idle) after ${fmt(out.poolFillMs)} ms`);

  for (const spec of WRAPPING_KEY_SPECS) {
    const rawMedian = raw.find((s) => s.spec === spec && s.stats.count > 0)?.stats.p50 ?? FALLBACK_GENERATION_MS[spec];
    const gapMs = Math.min(MAX_PACE_MS, config.paceFactor * rawMedian);
    const series = await gpfiSeries(service, spec, 'pool-paced', { count: config.pacedCount, maxMs: config.gpfiMaxSeconds * 1000, gapMs });
    out.paced.push(series);
    logSeries(series);
    await waitForServiceIdle(service);
  }

  if (config.burstCount > 0) {
    for (const spec of WRAPPING_KEY_SPECS) {
      const series = await gpfiSeries(service, spec, 'pool-burst', { count: config.burstCount, maxMs: config.gpfiMaxSeconds * 1000, gapMs: 0 });
      out.burst.push(series);
      logSeries(series);
      out.refillAfterBurstMs[spec] = await waitForServiceIdle(service);
      log(`  ${spec} pool refilled after ${fmt(out.refillAfterBurstMs[spec])} ms`);
    }
  }

  for (const concurrency of config.importConcurrency) {
    const result = await importFlows(service, config, concurrency);
    out.imports.push(result);
    log(
      `  import flows c=${concurrency}: ${result.operations} flows in ${fmt(result.elapsedMs / 1000)} s = ${fmt(result.perSecond)} flows/s, ` +
        `p50 ${fmt(result.latency.p50)} ms p95 ${fmt(result.latency.p95)} ms` +
        (result.errors ? ` errors ${result.errors} (${result.firstError})` : ''),
    );
    await waitForServiceIdle(service);
  }

  const keyId = await prepareEnabledKey(service);
  await waitForServiceIdle(service);
  const operations: RequestOperation[] = ['DescribeKey', 'Encrypt'];
  for (const operation of operations) {
    for (const concurrency of config.concurrency) {
      const result = await requestRate(service, config, operation, keyId, concurrency);
      out.requests.push(result);
      log(
        `  ${operation} c=${concurrency}: ${result.operations} requests = ${fmt(result.perSecond)} req/s, p50 ${fmt(result.latency.p50)} ms p95 ${fmt(result.latency.p95)} ms` +
          (result.errors ? ` errors ${result.errors} (${result.firstError})` : ''),
      );
    }
  }
}

/**
 * Keyledger (pool size 0, so no background key generation) and the bare reference server, both started before
 * the first window and kept running; each is measured alone in its own windows.
 */
async function runSideBySide(repoDir: string, tempRoot: string, config: BenchConfig, runs: RunInfo[]): Promise<SideResults> {
  const env = { KEYLEDGER_WRAPPING_KEY_POOL_SIZE: '0' };
  log('starting the bare reference server (bench/reference-server.ts)');
  const reference = await ServiceProcess.start({ name: 'side-reference', repoDir, tempRoot, env: {}, script: join('dist', 'bench', 'reference-server.js') });
  log(`side-reference: healthy at ${reference.url} after ${fmt(reference.startupMs)} ms`);
  let failure: unknown;
  let result: SideResults | undefined;
  try {
    runs.push(
      await withService(repoDir, tempRoot, 'side-keyledger', 'side by side with the bare reference server', env, async (service) => {
        log(`side by side at ${config.sideConcurrency} connections, ${config.sideWarmupSeconds} s warm-up + ${config.sideSeconds} s per window (reference, Keyledger, reference), ${config.sideRounds} round(s) over every operation:`);
        result = await sideBySide(service, reference, config, log);
      }),
    );
  } catch (error) {
    failure = error;
  }
  const unexpected = reference.exitedUnexpectedly;
  await reference.stop();
  if (failure !== undefined) throw failure;
  if (unexpected) throw new Error(`The reference server exited during the measurements (code ${reference.exitCode}, signal ${reference.exitSignal}); log: ${reference.logFile}`);
  return result!;
}

export async function main(): Promise<void> {
  const wallStart = now();
  const startedAt = new Date();
  const config = loadBenchConfig();
  const repoDir = resolve(__dirname, '..', '..');
  const tempRoot = mkdtempSync(join(tmpdir(), 'keyledger-bench-'));
  log(`temporary directory ${tempRoot}; parts: ${config.parts.join(', ')}${config.parts.length < BENCH_PARTS.length ? ` (of ${BENCH_PARTS.join(', ')})` : ''}${config.parts.includes('stores') ? ` (stores: ${config.stores.join(', ')})` : ''}`);
  const loadAverageBefore = loadavg();
  const busyBeforePercent = await sampleMachineBusy(1000);
  log(`machine busy before the run: ${busyBeforePercent === undefined ? 'n/a' : `${busyBeforePercent.toFixed(0)}% of one core`}, load average ${loadAverageBefore.map((v) => v.toFixed(2)).join(' ')}`);

  const stopChildren = (): Promise<unknown> => Promise.all([ServiceProcess.stopAll(), EventStoreDoubleProcess.stopAll()]);
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping the measurements, the services and the EventStoreDB double (logs and data kept in ${tempRoot})`);
    benchAbort.abort();
    BenchClient.closeAll();
    AwsJsonClient.closeAll();
    void stopChildren().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  let succeeded = false;
  try {
    const raw: GpfiSeries[] = [];
    const pooled: DefaultPoolResults = { paced: [], burst: [], poolFillMs: 0, refillAfterBurstMs: {}, imports: [], requests: [] };
    const runs: RunInfo[] = [];
    const side = config.parts.includes('side') ? await runSideBySide(repoDir, tempRoot, config, runs) : undefined;
    let historyLatencyResults: HistoryLatencyResults | undefined;
    if (config.parts.includes('history')) {
      const env = { KEYLEDGER_WRAPPING_KEY_POOL_SIZE: '0', KEYLEDGER_MASTER_KEY: randomBytes(32).toString('base64') };
      log(`latency against history length (${config.historyEvents.join(', ')} events):`);
      historyLatencyResults = await historyLatency(
        (name, dataDir) => startService(repoDir, tempRoot, name, env, dataDir),
        async (service) => {
          runs.push(await finishService(service, { name: service.name, purpose: 'latency against history length', store: STORE_LABELS.embedded, env }));
        },
        join(tempRoot, 'history-data'),
        config,
        log,
      );
    }
    let importLimitResults: ImportLimitResults | undefined;
    if (config.parts.includes('import')) {
      log(`RSA_2048 key generation limit: ${cpus().length} concurrent generations for ${config.importLimitSeconds} s, in the benchmark process, no service running`);
      const keygen = await keygenLimit(config.importLimitSeconds);
      log(`  ${keygen.pairs} pairs in ${keygen.seconds.toFixed(1)} s = ${keygen.perSecond.toFixed(1)} pairs/s`);
      runs.push(
        await withService(repoDir, tempRoot, 'import-limits', 'GetParametersForImport bursts of the pool size, sustained import flows', {}, async (service) => {
          const poolSize = loadConfig({ ...service.env }).wrappingKeyPoolSize.RSA_2048;
          importLimitResults = await importLimits(service, poolSize, keygen, config, log);
        }),
      );
      if (importLimitResults) {
        log('RSA_2048 key generation limit again, the service stopped');
        const after = await keygenLimit(config.importLimitSeconds);
        const limit = combinedKeygenLimit([keygen, after]);
        log(`  ${after.pairs} pairs in ${after.seconds.toFixed(1)} s = ${after.perSecond.toFixed(1)} pairs/s; before and after together ${limit.perSecond.toFixed(1)} pairs/s`);
        importLimitResults = { ...importLimitResults, keygen: limit };
      }
    }
    if (config.parts.includes('pool')) {
      runs.push(
        await withService(repoDir, tempRoot, 'pool-disabled', 'raw GetParametersForImport cost', { KEYLEDGER_WRAPPING_KEY_POOL_SIZE: '0' }, (service) =>
          runPoolDisabled(service, config, raw),
        ),
      );
      runs.push(
        await withService(repoDir, tempRoot, 'default-pool', 'pool, import flows, DescribeKey/Encrypt', {}, (service) => runDefaultPool(service, config, raw, pooled)),
      );
    }
    let crypto: CryptoResults | undefined;
    if (config.parts.includes('crypto')) {
      runs.push(
        await withService(
          repoDir,
          tempRoot,
          'crypto',
          `cryptographic operations at ${config.cryptoConcurrency} connections`,
          { KEYLEDGER_WRAPPING_KEY_POOL_SIZE: '0' },
          async (service) => {
            log(`cryptographic operations at ${config.cryptoConcurrency} connections, ${config.cryptoWarmupSeconds} s warm-up + ${config.cryptoSeconds} s each:`);
            crypto = await cryptoOperations(service, config, log);
            const { errors, setupFailures } = cryptoFailures(crypto);
            if (errors > 0 || setupFailures > 0) {
              log(`  WARNING: ${errors} failed request(s)${setupFailures ? ` and ${setupFailures} operation(s) not measured` : ''} in the cryptographic operations; the report says so`);
            }
          },
        ),
      );
    }
    const stores: StoreRunResults[] = [];
    if (config.parts.includes('stores')) {
      for (const store of config.stores) stores.push(await runStore(repoDir, tempRoot, config, store, runs));
    }

    const results: BenchResults = {
      startedAt,
      wallMs: now() - wallStart,
      config,
      machine: machineInfo(repoDir, tempRoot),
      runs,
      raw,
      ...pooled,
      stores,
      crypto,
      side,
      historyLatency: historyLatencyResults,
      importLimits: importLimitResults,
      busyBeforePercent,
      loadAverageBefore,
    };
    const reportFile = resolve(repoDir, config.reportPath);
    writeReportSection(reportFile, 'bench', renderMarkdown(results));
    console.log(renderSummary(results));
    log(`report written to ${reportFile} (the \`npm run bench:history\` section in it was kept)`);
    succeeded = true;
  } finally {
    await stopChildren();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (succeeded && !config.keepTemp) {
      rmSync(tempRoot, { recursive: true, force: true });
    } else {
      log(`kept ${tempRoot} (service logs and data)`);
    }
  }
}
