import { cpus } from 'node:os';

export type BenchPart = 'pool' | 'stores' | 'crypto' | 'side' | 'history' | 'import';
export const BENCH_PARTS: readonly BenchPart[] = ['side', 'history', 'import', 'pool', 'stores', 'crypto'];
export type StoreKind = 'embedded' | 'eventstoredb';

/**
 * Benchmark knobs, all from BENCH_* environment variables (the parts also from `--only <parts>` on the command
 * line: `npm run bench -- --only crypto`, and `--duration <s>` shortens every measured window for a smoke run);
 * the defaults keep a run under ~12 minutes on 2 cores.
 */
export interface BenchConfig {
  /** Measured seconds per DescribeKey / Encrypt concurrency level. */
  seconds: number;
  /** Warm-up seconds before each DescribeKey / Encrypt level (same concurrency, not counted). */
  warmupSeconds: number;
  /** Concurrency levels for DescribeKey and Encrypt. */
  concurrency: number[];
  /** Hard cap on requests per DescribeKey / Encrypt level. */
  maxRequests: number;
  /** Plaintext bytes per Encrypt request. */
  plaintextBytes: number;
  /** Sequential GetParametersForImport calls per wrapping key spec with the pool disabled. */
  rawCount: number;
  /** Paced sequential GetParametersForImport calls per spec with the default pool. */
  pacedCount: number;
  /** Back-to-back GetParametersForImport calls per spec with the default pool (shows the pool draining). */
  burstCount: number;
  /** Upper bound, in seconds, for each GetParametersForImport series (one spec, one regime). */
  gpfiMaxSeconds: number;
  /** Pause between paced calls, as a multiple of the raw median generation time of that spec. */
  paceFactor: number;
  /** Import-flow budget per concurrency level: seconds and flow count, whichever ends first. */
  importSeconds: number;
  importMaxFlows: number;
  importConcurrency: number[];
  /**
   * Which parts run: 'side' (side by side with the bare node:http reference server), 'history' (Encrypt and
   * ImportKeyMaterial latency against a key's history length), 'import' (GetParametersForImport burst of the
   * pool's size, sustained import flows against the RSA key-generation limit), 'pool' (wrapping-key pool runs on
   * the embedded store), 'stores' (store comparison and projection lag) and 'crypto' (cryptographic operations
   * at a fixed number of connections, embedded store).
   */
  parts: BenchPart[];
  /** Stores compared in the 'stores' part. */
  stores: StoreKind[];
  /** Concurrency levels of the store comparison (import flows, DescribeKey, Encrypt). */
  storeConcurrency: number[];
  /** Timed import flows per store and concurrency level (each needs one import-parameters call prepared beforehand). */
  storeFlows: number;
  /** Time bound per timed import-flow level of the store comparison. */
  storeFlowMaxSeconds: number;
  /** Time bound for preparing one level's keys and import parameters (untimed RSA generation). */
  storePrepMaxSeconds: number;
  /** Measured seconds per DescribeKey / Encrypt level of the store comparison (after BENCH_WARMUP_SECONDS). */
  storeSeconds: number;
  /** Projection-lag samples per store (write on instance A, poll instance B). */
  lagSamples: number;
  /** Give up on one lag sample after this long. */
  lagTimeoutMs: number;
  /** Samples of GET /health on both instances right after a write on A. */
  lagHealthSamples: number;
  /** Connections (closed-loop workers, one keep-alive socket each) of the cryptographic-operations scenario. */
  cryptoConcurrency: number;
  /** Measured seconds per operation of the cryptographic-operations scenario. */
  cryptoSeconds: number;
  /** Warm-up seconds before each operation of the cryptographic-operations scenario (same connections, not counted). */
  cryptoWarmupSeconds: number;
  /** Plaintext bytes per Encrypt request (and of the ciphertext decrypted) in the cryptographic-operations scenario. */
  cryptoPlaintextBytes: number;
  /** Connections of the side-by-side comparison with the bare reference server. */
  sideConcurrency: number;
  /** Measured seconds per window (reference, Keyledger, reference) and operation of the side-by-side comparison. */
  sideSeconds: number;
  /** Times the side-by-side comparison goes over every operation; each operation's ratio is the median of its rounds. */
  sideRounds: number;
  /** Warm-up seconds before each side-by-side window (same connections, not counted). */
  sideWarmupSeconds: number;
  /** Target event counts of the keys whose Encrypt and ImportKeyMaterial latency is measured against history length. */
  historyEvents: number[];
  /** Measured seconds of Encrypt (one connection) per history length. */
  historySeconds: number;
  /** Timed re-imports (ImportKeyMaterial) per history length; also bounded by 4 × BENCH_HISTORY_LATENCY_SECONDS. */
  historyImports: number;
  /** Rounds of the GetParametersForImport burst (N concurrent calls, N = the wrapping-key pool size), pool refilled before each. */
  burstRounds: number;
  /** Measured seconds of sustained import flows (import part) and of the RSA_2048 key-generation limit. */
  importLimitSeconds: number;
  /** Concurrent import flows in the import part. */
  importLimitConcurrency: number;
  /** Keep the temporary directory (service logs, databases) after a successful run. */
  keepTemp: boolean;
  /** Where the Markdown report is written, relative to the repository root. */
  reportPath: string;
}

/** A positive integer from the environment variable `name`, or `fallback` when it is unset (the small bench tools' knobs). */
export function positiveInteger(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${process.env[name]}`);
  return value;
}

function number(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max) throw new Error(`${name} must be a number from ${min} to ${max}, got '${raw}'.`);
  return value;
}

function integers(name: string, fallback: number[], min: number, max: number): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.some((v) => !Number.isInteger(v) || v < min || v > max)) {
    throw new Error(`${name} must be a comma-separated list of integers from ${min} to ${max}, got '${raw}'.`);
  }
  return values;
}

function words(name: string, fallback: string[], allowed: string[]): string[] {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const values = raw.split(',').map((part) => part.trim()).filter(Boolean);
  if (values.length === 0 || values.some((v) => !allowed.includes(v))) throw new Error(`${name} must be a comma-separated list of ${allowed.join(', ')}, got '${raw}'.`);
  return [...new Set(values)];
}

/**
 * `--only a,b` (or `--only=a,b`) and `--duration <s>` (or `--duration=<s>`) on the command line; undefined when
 * absent. Other arguments are refused.
 */
function commandLine(argv: string[]): { only?: BenchPart[]; duration?: number } {
  let only: string | undefined;
  let duration: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--only' || arg === '--duration') {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value.`);
      if (arg === '--only') only = value;
      else duration = value;
    } else if (arg.startsWith('--only=')) {
      only = arg.slice('--only='.length);
    } else if (arg.startsWith('--duration=')) {
      duration = arg.slice('--duration='.length);
    } else {
      throw new Error(
        `Unknown argument '${arg}': the benchmark takes --only <${BENCH_PARTS.join('|')}>[,...], --duration <seconds> and BENCH_* environment variables (bench/config.ts).`,
      );
    }
  }
  const result: { only?: BenchPart[]; duration?: number } = {};
  if (only !== undefined) {
    const values = [...new Set(only.split(',').map((part) => part.trim()).filter(Boolean))];
    if (values.length === 0 || values.some((v) => !BENCH_PARTS.includes(v as BenchPart))) {
      throw new Error(`--only must be a comma-separated list of ${BENCH_PARTS.join(', ')}, got '${only}'.`);
    }
    result.only = values as BenchPart[];
  }
  if (duration !== undefined) {
    const seconds = Number(duration);
    if (!Number.isFinite(seconds) || seconds < 0.2 || seconds > 120) throw new Error(`--duration must be a number of seconds from 0.2 to 120, got '${duration}'.`);
    result.duration = seconds;
  }
  return result;
}

/**
 * `--duration <s>`: every measured window (all *_SECONDS knobs) lasts s seconds and every warm-up at most s/2,
 * so a smoke run of any part takes seconds; counted series keep their counts but stop at their time bounds.
 */
function withDuration(config: BenchConfig, seconds: number | undefined): BenchConfig {
  if (seconds === undefined) return config;
  const warmup = (value: number): number => Math.min(value, seconds / 2);
  return {
    ...config,
    seconds,
    warmupSeconds: warmup(config.warmupSeconds),
    importSeconds: seconds,
    gpfiMaxSeconds: Math.max(1, seconds),
    storeSeconds: seconds,
    storeFlowMaxSeconds: Math.max(1, seconds),
    cryptoSeconds: seconds,
    cryptoWarmupSeconds: warmup(config.cryptoWarmupSeconds),
    sideSeconds: seconds,
    sideWarmupSeconds: warmup(config.sideWarmupSeconds),
    historySeconds: seconds,
    importLimitSeconds: seconds,
  };
}

export function loadBenchConfig(argv: string[] = process.argv.slice(2)): BenchConfig {
  const { only, duration } = commandLine(argv);
  return withDuration({
    seconds: number('BENCH_SECONDS', 5, 0.5, 120),
    warmupSeconds: number('BENCH_WARMUP_SECONDS', 1, 0, 30),
    concurrency: integers('BENCH_CONCURRENCY', [1, 8, 32], 1, 256),
    maxRequests: Math.floor(number('BENCH_MAX_REQUESTS', 200_000, 1, 10_000_000)),
    plaintextBytes: Math.floor(number('BENCH_PLAINTEXT_BYTES', 64, 1, 4096)),
    rawCount: Math.floor(number('BENCH_GPFI_COUNT', 8, 1, 200)),
    pacedCount: Math.floor(number('BENCH_GPFI_PACED_COUNT', 6, 1, 200)),
    burstCount: Math.floor(number('BENCH_GPFI_BURST_COUNT', 6, 0, 200)),
    gpfiMaxSeconds: number('BENCH_GPFI_MAX_SECONDS', 20, 1, 600),
    paceFactor: number('BENCH_GPFI_PACE_FACTOR', 1.5, 0, 10),
    importSeconds: number('BENCH_IMPORT_SECONDS', 10, 0.5, 300),
    importMaxFlows: Math.floor(number('BENCH_IMPORT_MAX_FLOWS', 500, 1, 100_000)),
    importConcurrency: integers('BENCH_IMPORT_CONCURRENCY', [1, 4], 1, 64),
    parts: only ?? (words('BENCH_PARTS', [...BENCH_PARTS], [...BENCH_PARTS]) as BenchPart[]),
    stores: words('BENCH_STORES', ['embedded', 'eventstoredb'], ['embedded', 'eventstoredb']) as StoreKind[],
    storeConcurrency: integers('BENCH_STORE_CONCURRENCY', [1, 4], 1, 64),
    storeFlows: Math.floor(number('BENCH_STORE_FLOWS', 60, 1, 2000)),
    storeFlowMaxSeconds: number('BENCH_STORE_FLOW_MAX_SECONDS', 30, 1, 600),
    storePrepMaxSeconds: number('BENCH_STORE_PREP_MAX_SECONDS', 120, 1, 1800),
    storeSeconds: number('BENCH_STORE_SECONDS', 3, 0.5, 120),
    lagSamples: Math.floor(number('BENCH_LAG_SAMPLES', 50, 1, 10_000)),
    lagTimeoutMs: number('BENCH_LAG_TIMEOUT_MS', 5000, 100, 60_000),
    lagHealthSamples: Math.floor(number('BENCH_LAG_HEALTH_SAMPLES', 10, 0, 1000)),
    cryptoConcurrency: Math.floor(number('BENCH_CRYPTO_CONCURRENCY', 16, 1, 256)),
    cryptoSeconds: number('BENCH_CRYPTO_SECONDS', 5, 0.5, 120),
    cryptoWarmupSeconds: number('BENCH_CRYPTO_WARMUP_SECONDS', 1, 0, 30),
    cryptoPlaintextBytes: Math.floor(number('BENCH_CRYPTO_PLAINTEXT_BYTES', 1024, 1, 4096)),
    sideConcurrency: Math.floor(number('BENCH_SIDE_CONCURRENCY', 16, 1, 256)),
    sideSeconds: number('BENCH_SIDE_SECONDS', 3, 0.2, 120),
    sideRounds: Math.floor(number('BENCH_SIDE_ROUNDS', 3, 1, 20)),
    sideWarmupSeconds: number('BENCH_SIDE_WARMUP_SECONDS', 1, 0, 30),
    historyEvents: integers('BENCH_HISTORY_LATENCY_EVENTS', [1, 1000, 10_000], 1, 1_000_000),
    historySeconds: number('BENCH_HISTORY_LATENCY_SECONDS', 3, 0.2, 120),
    historyImports: Math.floor(number('BENCH_HISTORY_LATENCY_IMPORTS', 20, 1, 1000)),
    burstRounds: Math.floor(number('BENCH_BURST_ROUNDS', 5, 1, 100)),
    importLimitSeconds: number('BENCH_IMPORT_LIMIT_SECONDS', 10, 0.2, 300),
    importLimitConcurrency: Math.floor(number('BENCH_IMPORT_LIMIT_CONCURRENCY', Math.max(2, 2 * cpus().length), 1, 64)),
    keepTemp: process.env.BENCH_KEEP_TMP === '1',
    reportPath: process.env.BENCH_REPORT ?? 'docs/benchmarks.md',
  }, duration);
}
