import { BENCH_PARTS, type BenchConfig, type StoreKind } from './config';
import type { CpuUse } from './cpu';
import type { CryptoResults } from './crypto';
import { cpu, cpuMsPerOp, cpuPerOp, errors, gib, latencyCells, mib, ms, pct, rate, table } from './format';
import { cryptoMethodBullets, cryptoObservations, cryptoPhases, cryptoSummary, renderCryptoSection } from './report-crypto';
import { renderSpeedSections, speedMethodBullets, speedSettingsRows, speedSummary } from './report-speed';
import { renderStoreSections, storeObservations, storeSummary } from './report-stores';
import type { HistoryLatencyResults } from './history-latency';
import type { ImportLimitResults } from './import-limits';
import type { SideResults } from './side-by-side';
import type { GpfiSeries, ImportFlowResult, RequestRateResult } from './scenarios';
import type { LogSummary } from './service-process';
import { STORE_LABELS, type LagResult, type StoreFlowResult, type StoreRequestResult } from './stores';

export { cpuMsPerOp };

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  totalMemoryBytes: number;
  node: string;
  platform: string;
  tempDirFilesystem: string;
  sdkVersion: string;
  /** @smithy/signature-v4, the signer of the lean AWS JSON client (cryptographic operations). */
  signerVersion: string;
}

export interface RunInfo {
  name: string;
  purpose: string;
  /** Which store the run used, as labelled in the report. */
  store: string;
  /** Environment given to the service (paths shortened). */
  env: Record<string, string>;
  /** The service's own parsed configuration for that environment. */
  effective: { wrappingKeyPoolSize: number; expiryIntervalMs: number; logFormat: string; host: string; masterKey: string };
  startupMs: number;
  shutdownMs: number;
  exit: string;
  rssEndBytes?: number;
  healthEnd?: unknown;
  log: LogSummary;
}

export interface BenchResults {
  startedAt: Date;
  wallMs: number;
  config: BenchConfig;
  machine: MachineInfo;
  runs: RunInfo[];
  raw: GpfiSeries[];
  paced: GpfiSeries[];
  burst: GpfiSeries[];
  /** Time from /health answering until the service went idle (pool filled), default-pool run. */
  poolFillMs: number;
  /** Time the service stayed busy refilling after each burst, by spec. */
  refillAfterBurstMs: Record<string, number>;
  imports: ImportFlowResult[];
  requests: RequestRateResult[];
  /** Store comparison and projection lag, one entry per store. */
  stores: StoreRunResults[];
  /** Cryptographic operations at a fixed number of connections (bench/crypto.ts), when that part ran. */
  crypto?: CryptoResults;
  /** Side by side with the bare reference server (bench/side-by-side.ts), when that part ran. */
  side?: SideResults;
  /** Encrypt / ImportKeyMaterial latency against history length (bench/history-latency.ts), when that part ran. */
  historyLatency?: HistoryLatencyResults;
  /** GetParametersForImport bursts and sustained import flows against the key-generation limit (bench/import-limits.ts). */
  importLimits?: ImportLimitResults;
  /** Busy CPU of the whole machine (% of one core) sampled just before the benchmark started. */
  busyBeforePercent?: number;
  loadAverageBefore: number[];
}

/** One store of the comparison (bench/stores.ts). */
export interface StoreRunResults {
  store: StoreKind;
  flows: StoreFlowResult[];
  requests: StoreRequestResult[];
  lag?: LagResult;
  /** Time instance B needed after /health to report projections.lag 0 (it rebuilt its read models from the log). */
  bCatchUpMs?: number;
  /** The EventStoreDB protocol double's child process. */
  double?: { startupMs: number; connectionString: string; logFile: string; rssEndBytes?: number };
}

/** Calls that were clearly not paying for a key generation: under half the fastest raw generation of that spec. */
export function poolHitThreshold(results: Pick<BenchResults, 'raw'>, spec: string): number | undefined {
  const raw = results.raw.find((series) => series.spec === spec);
  return raw && raw.stats.count > 0 ? raw.stats.min / 2 : undefined;
}

function poolHits(results: BenchResults, series: GpfiSeries): string {
  const threshold = poolHitThreshold(results, series.spec);
  if (threshold === undefined) return 'n/a';
  return `${series.latencies.filter((latency) => latency < threshold).length} of ${series.latencies.length}`;
}

function gpfiRows(series: GpfiSeries[], extra: (s: GpfiSeries) => string[]): string[][] {
  return series.map((s) => [
    s.spec,
    String(s.stats.count) + (s.timedOut ? ' (time bound hit)' : ''),
    ms(s.stats.p50),
    ms(s.stats.p95),
    ms(s.stats.max),
    ...extra(s),
    errors(s.errors, s.firstError),
  ]);
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);

/** Data-driven remarks; every figure quoted comes from this run, every claim is conditional on it. */
function observations(results: BenchResults): string[] {
  const notes: string[] = [];
  const poolSize = results.runs.find((r) => r.name === 'default-pool')?.effective.wrappingKeyPoolSize ?? 2;
  const raws = results.raw.filter((s) => s.stats.count > 0);
  const slowestOther = Math.max(
    0,
    ...results.requests.filter((r) => r.concurrency === 1).map((r) => r.latency.p50).filter(Number.isFinite),
    ...results.imports.filter((r) => r.concurrency === 1).flatMap((r) => [r.steps.createKey.p50, r.steps.importKeyMaterial.p50]).filter(Number.isFinite),
  );
  if (raws.length > 0) {
    const minRaw = Math.min(...raws.map((s) => s.stats.p50));
    notes.push(
      `Generating the RSA wrapping key pair is the most expensive thing the service does. With the pool disabled, GetParametersForImport took ` +
        raws.map((s) => `${ms(s.stats.p50)} ms (${s.spec}, max ${ms(s.stats.max)} ms)`).join(', ') +
        ` at the median` +
        (slowestOther > 0 ? `, against at most ${ms(slowestOther)} ms for the median of any other operation at concurrency 1 (a factor of ${(minRaw / slowestOther).toFixed(0)} or more)` : '') +
        `. Key generation searches for random primes, so its duration varies widely from call to call, and with ${raws[0].stats.count} calls per spec p95 and max are rough.`,
    );
  }
  const burst = results.burst.filter((s) => s.latencies.length > poolSize);
  if (burst.length > 0) {
    notes.push(
      `The pool keeps ${poolSize} pair(s) ready per spec and refills in the background, one generation at a time on a low-priority worker thread; a call that finds the pool empty gets a generation of its own started at once, at normal priority (at most one per core per spec), and the first pair of its spec to finish. In the back-to-back bursts (latency of each call in order: ${burst.map((s) => `${s.spec}: ${s.latencies.map(ms).join(', ')} ms`).join('; ')}) ` +
        `the calls served from the pool (${burst.map((s) => `${poolHits(results, s)} for ${s.spec}`).join(', ')}) took milliseconds and the others waited for a generation. ` +
        `After each burst the service stayed busy for about ${Object.entries(results.refillAfterBurstMs)
          .map(([spec, wait]) => `${(wait / 1000).toFixed(1)} s (${spec})`)
          .join(', ')} refilling the pool (0.5 s resolution). So the pool absorbs short bursts of up to ${poolSize} calls per spec; a sustained rate above what one generation per core produces gets the raw latency or worse (waiting behind earlier callers).`,
    );
  }
  const paced = results.paced.filter((s) => s.stats.count > 0);
  if (paced.length > 0) {
    const hits = paced.map((s) => ({ s, threshold: poolHitThreshold(results, s.spec) }));
    const missed = hits.filter(({ s, threshold }) => threshold !== undefined && s.latencies.some((l) => l >= threshold));
    notes.push(
      `Paced at one call per ${results.config.paceFactor}× the raw median generation time, ` +
        (missed.length === 0
          ? `every call was served from the pool (${paced.map((s) => `${s.spec} p50 ${ms(s.stats.p50)} ms, max ${ms(s.stats.max)} ms`).join('; ')}): at that pace the pool keeps up.`
          : `the pool did not always keep up: ${missed.map(({ s }) => `${s.spec} ${poolHits(results, s)} calls from the pool, max ${ms(s.stats.max)} ms`).join('; ')}. A call that finds the pool empty costs a full generation.`),
    );
  }
  const imports1 = results.imports.find((r) => r.concurrency === 1);
  const importsN = results.imports.length > 1 ? results.imports[results.imports.length - 1] : undefined;
  if (imports1 && imports1.operations > 0) {
    const share = (r: ImportFlowResult) => r.stepSums.getParametersForImport / Math.max(1, r.stepSums.total);
    notes.push(
      `Import flows: at concurrency 1 a flow took ${ms(imports1.latency.p50)} ms at the median (CreateKey ${ms(imports1.steps.createKey.p50)}, GetParametersForImport ${ms(imports1.steps.getParametersForImport.p50)} (p95 ${ms(imports1.steps.getParametersForImport.p95)}), wrap ${ms(imports1.steps.wrap.p50)}, ImportKeyMaterial ${ms(imports1.steps.importKeyMaterial.p50)} ms); ` +
        `GetParametersForImport accounted for ${(share(imports1) * 100).toFixed(0)}% of all flow time` +
        (importsN && importsN.operations > 0 ? ` (${(share(importsN) * 100).toFixed(0)}% at concurrency ${importsN.concurrency})` : '') +
        `. ` +
        (share(imports1) > 0.5
          ? `Sustained import throughput is bound by RSA_2048 generation, not by the event store: after the ${poolSize} pooled pairs, each flow waits for a fresh pair.`
          : `The pool covered most flows, so the event-store writes matter as much as key generation here.`) +
        (importsN && importsN.operations > 0
          ? ` From concurrency ${imports1.concurrency} to ${importsN.concurrency} throughput went from ${rate(imports1.perSecond)} to ${rate(importsN.perSecond)} flows/s and the median flow from ${ms(imports1.latency.p50)} to ${ms(importsN.latency.p50)} ms (other processes: ${pct(imports1.cpu.otherPercent)} and ${pct(importsN.cpu.otherPercent)} of a core)` +
            (importsN.perSecond < imports1.perSecond * 1.2
              ? `: more concurrency does not help, because every flow past the pooled pairs waits for an RSA_2048 generation, and at most one per core runs at a time, on the cores the client and the service share.`
              : `: concurrent flows overlap their waits for RSA_2048 generations (up to one per core at a time).`)
          : ''),
    );
  }
  const byOp = (op: string) => results.requests.filter((r) => r.operation === op && r.operations > 0);
  const describe = byOp('DescribeKey');
  const encrypt = byOp('Encrypt');
  if (describe.length > 0 && encrypt.length > 0) {
    const best = (list: RequestRateResult[]) => list.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
    const bd = best(describe);
    const be = best(encrypt);
    const serviceCost = (list: RequestRateResult[]) => mean(list.map((r) => cpuMsPerOp(r.cpu.servicePercent, r.perSecond)).filter((v): v is number => v !== undefined));
    const clientCost = (list: RequestRateResult[]) => mean(list.map((r) => cpuMsPerOp(r.cpu.clientPercent, r.perSecond)).filter((v): v is number => v !== undefined));
    notes.push(
      `DescribeKey peaked at ${rate(bd.perSecond)} req/s (concurrency ${bd.concurrency}) and Encrypt at ${rate(be.perSecond)} req/s (concurrency ${be.concurrency}); ` +
        `other processes took ${pct(bd.cpu.otherPercent)} and ${pct(be.cpu.otherPercent)} of a core during those two levels` +
        (Math.abs((bd.cpu.otherPercent ?? 0) - (be.cpu.otherPercent ?? 0)) >= 30 ? `, so the rates are not directly comparable. ` : '. ') +
        `Averaged over the levels, the service spent ${ms(serviceCost(describe))} ms of CPU per DescribeKey and ${ms(serviceCost(encrypt))} ms per Encrypt, the client ${ms(clientCost(describe))} and ${ms(clientCost(encrypt))} ms. ` +
        `DescribeKey is one read-model lookup; Encrypt reads and folds the key's event stream and unseals the material from the vault on every call (by design, so it never uses a lagging read model). ` +
        (Math.abs(serviceCost(describe) - serviceCost(encrypt)) <= 0.3 * Math.max(serviceCost(describe), serviceCost(encrypt))
          ? `Yet their service CPU per request is within 30% of each other, so the fixed per-request cost (HTTP, Nest/Express routing, request validation, JSON) dominates, not the key lookup. `
          : `Encrypt cost the service ${(serviceCost(encrypt) / serviceCost(describe)).toFixed(1)}× the CPU of a DescribeKey. `) +
        (clientCost(describe) > clientCost(encrypt) * 1.2
          ? `The client (AWS SDK: SigV4 signing, serialisation, parsing) spends more on DescribeKey than on Encrypt; it parses the larger KeyMetadata response. `
          : '') +
        (clientCost(describe) > serviceCost(describe) && clientCost(encrypt) > serviceCost(encrypt)
          ? `The client needed more CPU per request than the service, so on these shared cores the client limits the rates as much as the service does.`
          : ''),
    );
    const top = best([...describe, ...encrypt]);
    if (top.cpu.servicePercent !== undefined) {
      const total = (top.cpu.servicePercent ?? 0) + top.cpu.clientPercent + (top.cpu.otherPercent ?? 0);
      notes.push(
        `In the fastest level (${top.operation}, concurrency ${top.concurrency}) the service used ${pct(top.cpu.servicePercent)}, the benchmark client ${pct(top.cpu.clientPercent)} and other processes ${pct(top.cpu.otherPercent)} of one core (${pct(total)} of ${results.machine.cpuCount * 100}%). ` +
          `The service runs its request handling on one Node.js event loop (SQLite calls are synchronous), so it cannot use more than about one core for DescribeKey/Encrypt; with the client on the same two cores, higher concurrency mostly adds queueing latency.`,
      );
    }
  }
  notes.push(...storeObservations(results));
  notes.push(...cryptoObservations(results));
  const phases: Array<{ label: string; cpu: CpuUse }> = [
    ...[...results.raw, ...results.paced, ...results.burst].map((s) => ({ label: `GetParametersForImport ${s.spec} (${s.regime})`, cpu: s.cpu })),
    ...results.imports.map((r) => ({ label: `import flows c=${r.concurrency}`, cpu: r.cpu })),
    ...results.requests.map((r) => ({ label: `${r.operation} c=${r.concurrency}`, cpu: r.cpu })),
    ...results.stores.flatMap((s) => [
      ...s.flows.map((f) => ({ label: `${s.store} import flows c=${f.concurrency}`, cpu: f.cpu })),
      ...s.requests.map((r) => ({ label: `${s.store} ${r.operation} c=${r.concurrency}`, cpu: r.cpu })),
      ...(s.lag ? [{ label: `${s.store} projection lag`, cpu: s.lag.cpu }] : []),
    ]),
    ...cryptoPhases(results),
  ];
  const busiest = phases.filter((p) => p.cpu.otherPercent !== undefined).sort((a, b) => b.cpu.otherPercent! - a.cpu.otherPercent!)[0];
  if (busiest && busiest.cpu.otherPercent! >= 20) {
    const loaded = phases.filter((p) => (p.cpu.otherPercent ?? 0) >= 20).length;
    notes.push(
      `The machine was not idle: in ${loaded} of ${phases.length} measurements other processes used at least 20% of a core (most: ${pct(busiest.cpu.otherPercent)} during ${busiest.label}). ` +
        `Those measurements understate what the service does on a quiet machine; compare the "other" CPU column before comparing rows.`,
    );
  }
  const stolen = phases.filter((p) => p.cpu.stealPercent !== undefined).sort((a, b) => b.cpu.stealPercent! - a.cpu.stealPercent!)[0];
  if (stolen && stolen.cpu.stealPercent! >= 10) {
    notes.push(
      `This is a virtual machine whose cores are shared with other guests: hypervisor steal reached ${pct(stolen.cpu.stealPercent)} of a core (during ${stolen.label}), ` +
        `so the ${results.machine.cpuCount} cores were not fully available to the benchmark.`,
    );
  }
  const badExits = results.runs.filter((run) => run.exit !== 'code 0');
  if (badExits.length > 0) {
    notes.push(
      `Not every service stopped cleanly on SIGTERM: ${badExits.map((run) => `${run.name} (${run.store}) ended with ${run.exit}`).join('; ')}. ` +
        `A graceful shutdown exits with code 0; the log lines below show what the process printed.`,
    );
  }
  const problems = results.runs.flatMap((run) => run.log.problems.map((p) => ({ run: run.name, ...p })));
  // Without configured keys the service generates development keys and says so once per start: expected here.
  const devKey = /^No (KEYLEDGER_\w+) configured/;
  const expected = [...new Set(problems.map((p) => devKey.exec(p.message)?.[1]).filter((name): name is string => name !== undefined))];
  const unexpected = problems.filter((p) => !devKey.test(p.message));
  const expectedText = expected.length ? ` other than the expected development-key warnings (${expected.join(', ')} not set)` : '';
  notes.push(
    unexpected.length === 0
      ? `The service logs contained no warnings or errors${expectedText}.`
      : `The service logged${expectedText ? ` (besides the expected development-key warnings for ${expected.join(', ')})` : ''}: ${unexpected.map((p) => `${p.run}: ${p.level} "${p.message}" ×${p.count}`).join('; ')}.`,
  );
  return notes;
}

export function renderMarkdown(results: BenchResults): string {
  const { config, machine } = results;
  const out: string[] = [];
  const poolPart = config.parts.includes('pool');
  const storesPart = results.stores.length > 0;
  const crypto = results.crypto;
  const sdkPart = poolPart || storesPart;
  const embedded = STORE_LABELS.embedded;
  const double = STORE_LABELS.eventstoredb;

  out.push('## What was measured and how', '');
  out.push(
    '- The benchmark builds the project, then starts the **real service** as child processes (`node bin/keyledger-api.js`) on free loopback ports, with fresh temporary data directories, `LOG_FORMAT=json` and their output in log files. It waits for `GET /health` and stops every child with `SIGTERM` at the end (also on errors and Ctrl-C; `SIGKILL` after a grace period).',
    ...(sdkPart
      ? [
          `- ${crypto ? 'The pool runs and the store comparison send their' : 'All'} requests over HTTP on 127.0.0.1 through \`@aws-sdk/client-kms\` (static credentials \`test\`/\`test\`, region \`us-east-1\`, keep-alive agent, **no retries**: every failure is counted). Latency is what the client observes around \`kms.send(...)\`: SDK serialisation and SigV4 signing, loopback HTTP and the service.`,
        ]
      : []),
    `- **Which store**: every table names the store its figures were measured on.${poolPart ? ` The wrapping-key pool runs use the ${embedded}.` : ''}${storesPart ? ` The store comparison and the projection lag run the same scenarios on the ${embedded} and on the **${double}**, started as a separate child process on 127.0.0.1.` : ''}${crypto ? ` The cryptographic operations run on the ${embedded}.` : ''}`,
    '- Service runs:',
    ...(poolPart
      ? [
          `  - **pool-disabled** (${embedded}, \`KEYLEDGER_WRAPPING_KEY_POOL_SIZE=0\`): every GetParametersForImport generates its RSA wrapping key pair on demand, so its latency is the raw generation cost.`,
          `  - **default-pool** (${embedded}, pool size left at the default): pre-generated pairs per spec, refilled in the background. The pool series, the full import flows and DescribeKey/Encrypt of the first results section run here.`,
        ]
      : []),
    ...(storesPart
      ? [
          `  - **<store>-a** and **<store>-b** for each store of the comparison (pool size 0, one random master key shared by both instances): A is measured alone (import flows with GetParametersForImport prepared outside the timed window, DescribeKey, Encrypt); B is then started on the same store for the projection-lag test.`,
        ]
      : []),
    ...(crypto ? [`  - **crypto** (${embedded}, pool size 0): the cryptographic operations at ${crypto.concurrency} connections.`] : []),
    ...(poolPart
      ? [
          '- **GetParametersForImport** (`RSAES_OAEP_SHA_256`): one call at a time, each on a fresh `EXTERNAL` key created just before (not timed). Pool disabled: back-to-back calls. Default pool: (a) *paced* calls with a pause between them so the background refill can keep up, after waiting for the pool to fill; (b) a short *back-to-back burst* that shows the pool draining. Before each series the service is left to go idle (its CPU below 5% for 0.5 s), so a series starts with a full pool.',
          '- **Import flows (default pool)**: `CreateKey(EXTERNAL)` → `GetParametersForImport(RSA_2048, RSAES_OAEP_SHA_256)` → client-side wrap (`node:crypto`, `test/support/client-wrapping.ts`) → `ImportKeyMaterial`, as a closed loop of N concurrent workers for a fixed time or count (whichever ends first); no warm-up, so each level starts with a full pool.',
          '- **DescribeKey / Encrypt**: closed loop of N concurrent workers against one enabled key with imported material, a warm-up at the same concurrency, then a fixed measured duration. Encrypt uses a small random plaintext, no encryption context.',
        ]
      : []),
    ...(crypto ? cryptoMethodBullets(crypto) : []),
    ...speedMethodBullets(results),
    '- Percentiles are nearest-rank over every successful call in the measured window. Throughput = successful calls / measured wall time (in-flight calls at the deadline are completed and counted). CPU columns: service process(es) / the EventStoreDB double\'s process (store comparison only) / benchmark client / everything else on the machine / hypervisor steal, in % of one core (200% = both cores busy), from `/proc/<pid>/stat`, `process.cpuUsage()` and `/proc/stat`; "other" is CPU taken by unrelated processes during the measurement, "steal" is time the hypervisor gave the cores of this VM to other guests.',
    '',
  );

  out.push('## Environment', '');
  out.push(
    table(
      ['', ''],
      [
        [
          'Command',
          `\`npm run bench\`${config.parts.length < BENCH_PARTS.length || config.stores.length < 2 ? ` (BENCH_PARTS=${config.parts.join(',')}${storesPart ? `, BENCH_STORES=${config.stores.join(',')}` : ''})` : ''}`,
        ],
        ['Date', results.startedAt.toISOString()],
        ['CPU', `${machine.cpuModel} × ${machine.cpuCount}`],
        ['Memory', gib(machine.totalMemoryBytes)],
        ['Node.js', machine.node],
        ['Platform', machine.platform],
        ['Temp dir filesystem (DATA_DIR)', machine.tempDirFilesystem],
        ...(sdkPart ? [['@aws-sdk/client-kms', machine.sdkVersion]] : []),
        ...(crypto ? [['@smithy/signature-v4 (lean client of the cryptographic operations)', machine.signerVersion]] : []),
        [
          'Machine load before the run',
          `${pct(results.busyBeforePercent)} of one core busy (1 s sample), load average ${results.loadAverageBefore.map((v) => v.toFixed(2)).join(' / ')}`,
        ],
        ['Benchmark wall time (after build)', `${(results.wallMs / 1000).toFixed(1)} s`],
      ],
    ),
    '',
  );

  out.push('## Service configuration', '');
  out.push(
    table(
      ['Run', 'Store', 'Purpose', 'KEYLEDGER_WRAPPING_KEY_POOL_SIZE', 'Expiry interval', 'LOG_FORMAT', 'Master key', 'Startup to /health', 'RSS at end', 'Shutdown (SIGTERM)'],
      results.runs.map((run) => [
        run.name,
        run.store,
        run.purpose,
        `${run.effective.wrappingKeyPoolSize}${run.env.KEYLEDGER_WRAPPING_KEY_POOL_SIZE === undefined ? ' (default, unset)' : ''}`,
        `${run.effective.expiryIntervalMs} ms`,
        run.effective.logFormat,
        run.effective.masterKey,
        `${ms(run.startupMs)} ms`,
        mib(run.rssEndBytes),
        `${ms(run.shutdownMs)} ms, ${run.exit}`,
      ]),
    ),
    '',
    `${embedded}: SQLite files in \`DATA_DIR\` (event store and material vault in WAL mode with \`synchronous=FULL\`, i.e. an fsync per committed write; read models with \`synchronous=NORMAL\`).` +
      (storesPart && config.stores.includes('eventstoredb')
        ? ` ${double}: the event log, the vault and the published checkpoints in the double's memory; each instance's read models are SQLite files in its own \`DATA_DIR\`.`
        : '') +
      ' Every service listens on 127.0.0.1.',
    '',
  );

  out.push('## Benchmark settings', '');
  out.push(
    table(
      ['Variable', 'Value', 'Meaning'],
      [
        ['BENCH_SECONDS', String(config.seconds), 'measured seconds per DescribeKey/Encrypt level'],
        ['BENCH_WARMUP_SECONDS', String(config.warmupSeconds), 'warm-up seconds before each DescribeKey/Encrypt level'],
        ['BENCH_CONCURRENCY', config.concurrency.join(','), 'DescribeKey/Encrypt concurrency levels'],
        ['BENCH_MAX_REQUESTS', String(config.maxRequests), 'cap on requests per level'],
        ['BENCH_PLAINTEXT_BYTES', String(config.plaintextBytes), 'Encrypt plaintext size'],
        ['BENCH_GPFI_COUNT', String(config.rawCount), 'GetParametersForImport calls per spec, pool disabled'],
        ['BENCH_GPFI_PACED_COUNT', String(config.pacedCount), 'paced calls per spec, default pool'],
        ['BENCH_GPFI_BURST_COUNT', String(config.burstCount), 'back-to-back calls per spec, default pool'],
        ['BENCH_GPFI_PACE_FACTOR', String(config.paceFactor), 'pause between paced calls = factor × raw median of the spec (capped at 4 s)'],
        ['BENCH_GPFI_MAX_SECONDS', String(config.gpfiMaxSeconds), 'time bound per GetParametersForImport series'],
        ['BENCH_IMPORT_SECONDS', String(config.importSeconds), 'time budget per import-flow level'],
        ['BENCH_IMPORT_MAX_FLOWS', String(config.importMaxFlows), 'flow cap per import-flow level'],
        ['BENCH_IMPORT_CONCURRENCY', config.importConcurrency.join(','), 'import-flow concurrency levels (default pool)'],
        ['BENCH_PARTS', config.parts.join(','), "'side': side by side with the bare reference server; 'history': latency against history length; 'import': GetParametersForImport bursts and import flows against the key-generation limit; 'pool': the wrapping-key pool runs; 'stores': store comparison and projection lag; 'crypto': cryptographic operations (also `npm run bench -- --only <parts>`; `--duration <s>` sets every measured window)"],
        ['BENCH_STORES', config.stores.join(','), 'stores compared'],
        ['BENCH_STORE_CONCURRENCY', config.storeConcurrency.join(','), 'store comparison concurrency levels (import flows, DescribeKey, Encrypt)'],
        ['BENCH_STORE_FLOWS', String(config.storeFlows), 'timed import flows per store and level (import parameters prepared untimed)'],
        ['BENCH_STORE_FLOW_MAX_SECONDS', String(config.storeFlowMaxSeconds), 'time bound per timed import-flow level'],
        ['BENCH_STORE_PREP_MAX_SECONDS', String(config.storePrepMaxSeconds), 'time bound for preparing one level (untimed)'],
        ['BENCH_STORE_SECONDS', String(config.storeSeconds), 'measured seconds per DescribeKey/Encrypt level of the store comparison'],
        ['BENCH_LAG_SAMPLES', String(config.lagSamples), 'projection-lag samples per store'],
        ['BENCH_LAG_TIMEOUT_MS', String(config.lagTimeoutMs), 'give up on one lag sample after'],
        ['BENCH_LAG_HEALTH_SAMPLES', String(config.lagHealthSamples), '/health snapshots right after a write'],
        ['BENCH_CRYPTO_CONCURRENCY', String(config.cryptoConcurrency), 'connections (closed-loop workers) of the cryptographic operations'],
        ['BENCH_CRYPTO_SECONDS', String(config.cryptoSeconds), 'measured seconds per cryptographic operation'],
        ['BENCH_CRYPTO_WARMUP_SECONDS', String(config.cryptoWarmupSeconds), 'warm-up seconds before each cryptographic operation'],
        ['BENCH_CRYPTO_PLAINTEXT_BYTES', String(config.cryptoPlaintextBytes), 'Encrypt plaintext size (and of the ciphertext decrypted) in the cryptographic operations (and the side-by-side comparison)'],
        ...speedSettingsRows(config),
      ],
    ),
    '',
  );

  out.push('## Results', '');
  out.push(...renderSpeedSections(results));
  if (poolPart) {
    out.push(`### GetParametersForImport, pool disabled (raw RSA key generation) — ${embedded}`, '');
    out.push(table(['Wrapping key spec', 'Calls', 'p50 ms', 'p95 ms', 'max ms', 'min ms', 'CPU service / client / other / steal', 'Errors'], gpfiRows(results.raw, (s) => [ms(s.stats.min), cpu(s.cpu)])), '');

    out.push(`### GetParametersForImport, default pool, paced sequential calls — ${embedded}`, '');
    out.push(
      `The pool was filled ${(results.poolFillMs / 1000).toFixed(1)} s after the service answered /health (time until the service went idle).`,
      '',
      table(
        ['Wrapping key spec', 'Calls', 'p50 ms', 'p95 ms', 'max ms', 'Pause between calls', 'Served from pool (est.)', 'Errors'],
        gpfiRows(results.paced, (s) => [`${ms(s.gapMs)} ms`, poolHits(results, s)]),
      ),
      '',
      '"Served from pool (est.)": calls faster than half the fastest raw generation of that spec in the pool-disabled run.',
      '',
    );

    out.push(`### GetParametersForImport, default pool, back-to-back calls (the pool drains) — ${embedded}`, '');
    out.push(
      table(
        ['Wrapping key spec', 'Calls', 'p50 ms', 'p95 ms', 'max ms', 'Latency of each call, in order (ms)', 'Served from pool (est.)', 'Busy refilling after burst', 'Errors'],
        gpfiRows(results.burst, (s) => [
          s.latencies.map(ms).join(', '),
          poolHits(results, s),
          results.refillAfterBurstMs[s.spec] === undefined ? 'n/a' : `${(results.refillAfterBurstMs[s.spec] / 1000).toFixed(1)} s`,
        ]),
      ),
      '',
      'When calls arrive faster than the pool refills, only the first pooled pairs are fast; later calls generate on demand, beside the background refill, which takes only the CPU they leave idle.',
      '',
    );

    out.push(`### Full import flows (RSA_2048, RSAES_OAEP_SHA_256, default pool) — ${embedded}`, '');
    out.push(
      table(
        ['Concurrency', 'Flows', 'Duration s', 'Flows/s', 'Flow p50 ms', 'Flow p95 ms', 'Flow max ms', 'CreateKey p50', 'GetParametersForImport p50 / p95', 'Wrap p50', 'ImportKeyMaterial p50', 'CPU service / client / other / steal', 'CPU ms per flow, service / client', 'Errors'],
        results.imports.map((r) => [
          String(r.concurrency),
          String(r.operations),
          (r.elapsedMs / 1000).toFixed(1),
          rate(r.perSecond),
          ...latencyCells(r.latency),
          ms(r.steps.createKey.p50),
          `${ms(r.steps.getParametersForImport.p50)} / ${ms(r.steps.getParametersForImport.p95)}`,
          ms(r.steps.wrap.p50),
          ms(r.steps.importKeyMaterial.p50),
          cpu(r.cpu),
          cpuPerOp(r.cpu, r.perSecond),
          errors(r.errors, r.firstError),
        ]),
      ),
      '',
      'Step columns are milliseconds per flow.',
      '',
    );

    out.push(`### DescribeKey and Encrypt (default pool) — ${embedded}`, '');
    out.push(
      `Each level: ${config.warmupSeconds} s warm-up, then ${config.seconds} s measured; Encrypt plaintext ${config.plaintextBytes} bytes.`,
      '',
      table(
        ['Operation', 'Concurrency', 'Requests', 'Req/s', 'p50 ms', 'p95 ms', 'max ms', 'CPU service / client / other / steal', 'CPU ms per request, service / client', 'Errors'],
        results.requests.map((r) => [
          r.operation,
          String(r.concurrency),
          String(r.operations),
          rate(r.perSecond),
          ...latencyCells(r.latency),
          cpu(r.cpu),
          cpuPerOp(r.cpu, r.perSecond),
          errors(r.errors, r.firstError),
        ]),
      ),
      '',
    );

  }
  out.push(...renderCryptoSection(results));
  out.push(...renderStoreSections(results));

  out.push('## Observations', '');
  for (const note of observations(results)) out.push(`- ${note}`);
  out.push('');

  out.push('## How to read this', '');
  out.push(
    `- Everything ran on **one machine** (${machine.cpuCount} cores): the benchmark client and the service share the same cores, so the client's own CPU (${sdkPart ? 'AWS SDK request signing and parsing' : ''}${sdkPart && crypto ? '; for the cryptographic operations, ' : ''}${crypto ? "the lean client's SigV4 signing, HTTP and response checks" : ''}) is taken from the service. A dedicated client machine would show higher service throughput.`,
    '- Traffic is **loopback HTTP** only: no network latency, no TLS. Real deployments add both.',
    '- The **other** and **steal** CPU figures show what unrelated processes and other virtual machines took during each measurement; rows measured while they were high are pessimistic.',
    '- Figures are from a single run. On a shared virtual machine, request rates of the same scenario can differ by a factor of two between runs; anything involving RSA key generation varies even more, because its cost is random by nature. Compare orders of magnitude and trends, not single digits.',
    '- Closed-loop load: each worker sends its next request when the previous one returns, so latency at high concurrency is mostly queueing inside the single-threaded service; throughput, not latency, is the figure to compare across concurrency levels.',
    '- On the embedded store, writes (CreateKey, GetParametersForImport, ImportKeyMaterial) fsync SQLite on every commit, so their latency depends on the disk behind the temporary directory.',
    ...(storesPart
      ? [
          `- **The EventStoreDB figures are from the ${double}.** It is the gRPC server the project's tests use: it speaks the real protocol to the real client, but keeps its log in memory, writes nothing to disk, does no replication, no TLS and no authentication, and runs as one Node.js process on the same two cores as everything else. It shows the cost of Keyledger's EventStoreDB adapter and of the gRPC round trips on loopback; a real EventStoreDB server (its own disk, often another machine, a cluster with replication) will be different in both directions. Do not read these figures as EventStoreDB's performance.`,
        ]
      : []),
    '- The history benchmark (`npm run bench:history`, its own section below) runs in-process on the embedded store only.',
    '',
  );
  return out.join('\n');
}

/** Short plain-text summary for stdout. */
export function renderSummary(results: BenchResults): string {
  const lines: string[] = [];
  lines.push('', '=== Keyledger benchmark summary ===');
  lines.push(`${results.machine.cpuModel} × ${results.machine.cpuCount}, Node ${results.machine.node}, wall time ${(results.wallMs / 1000).toFixed(1)} s`);
  const gp = (label: string, series: GpfiSeries[]) => {
    lines.push(`GetParametersForImport, ${label}:`);
    for (const s of series) lines.push(`  ${s.spec.padEnd(9)} n=${String(s.stats.count).padStart(3)}  p50 ${ms(s.stats.p50).padStart(6)} ms  p95 ${ms(s.stats.p95).padStart(6)} ms  max ${ms(s.stats.max).padStart(6)} ms  errors ${s.errors}`);
  };
  if (results.config.parts.includes('pool')) {
    gp('pool disabled (raw generation), embedded store', results.raw);
    gp('default pool, paced, embedded store', results.paced);
    gp('default pool, back-to-back, embedded store', results.burst);
    lines.push('Import flows (RSA_2048, default pool, embedded store):');
    for (const r of results.imports) {
      lines.push(`  c=${String(r.concurrency).padEnd(3)} ${String(r.operations).padStart(4)} flows  ${rate(r.perSecond).padStart(6)} flows/s  p50 ${ms(r.latency.p50).padStart(6)} ms  p95 ${ms(r.latency.p95).padStart(6)} ms  errors ${r.errors}`);
    }
    lines.push('DescribeKey / Encrypt (default pool, embedded store):');
    for (const r of results.requests) {
      lines.push(`  ${r.operation.padEnd(11)} c=${String(r.concurrency).padEnd(3)} ${rate(r.perSecond).padStart(6)} req/s  p50 ${ms(r.latency.p50).padStart(6)} ms  p95 ${ms(r.latency.p95).padStart(6)} ms  errors ${r.errors}`);
    }
  }
  lines.push(...speedSummary(results));
  lines.push(...cryptoSummary(results));
  lines.push(...storeSummary(results));
  return lines.join('\n');
}
