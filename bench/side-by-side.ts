import { randomBytes, randomUUID } from 'node:crypto';
import { DEFAULT_WRAPPING_KEY_POOL_SIZES } from '../apps/kms-api/src/config/config';
import { AwsJsonClient } from './aws-json';
import { BenchConfig } from './config';
import { CpuMeter, CpuUse, MainThreadMeter, MainThreadUse, processRssBytes, RssPeakSampler } from './cpu';
import { checkImportParameters, importParametersRequest } from './import-limits';
import { ClosedLoopOptions, ErrorTally, LatencyStats, LoopResult, mean, median, runClosedLoop, summarize, timedBurst } from './measure';
import { waitForServiceIdle } from './scenarios';
import { ServiceProcess } from './service-process';

/**
 * Keyledger side by side with the bare node:http reference server (bench/reference-server.ts): for each
 * operation the reference, then Keyledger, then the reference again, each window driven by the same lean
 * AWS JSON client (bench/aws-json.ts) at the same number of connections, every response checked.
 */

export const SIDE_OPERATIONS = ['Encrypt', 'Decrypt', 'GenerateDataKey', 'Sign', 'GenerateMac', 'DescribeKey'] as const;
export type SideOperation = (typeof SIDE_OPERATIONS)[number];
export type SideServer = 'reference' | 'keyledger';

/** Bytes of the message signed and MACed. */
const MESSAGE_BYTES = 32;

export interface SideWindow extends LoopResult {
  /** Which server the window measured ('reference' or 'keyledger'; bench:compare's 'baseline' or 'current'). */
  server: string;
  cpu: CpuUse;
  /** Service CPU milliseconds per successful request. */
  cpuMsPerRequest?: number;
  /** Highest VmRSS of the measured server during the window. */
  peakRssBytes?: number;
  /** The measured server's event loop thread during the window. */
  mainThread?: MainThreadUse;
}

/** One round of an operation: the reference, Keyledger, the reference again. */
export interface SideRound {
  referenceFirst: SideWindow;
  keyledger: SideWindow;
  referenceLast: SideWindow;
  /** Keyledger req/s ÷ the mean of the two reference windows. */
  ratio?: number;
}

export interface SideRow {
  operation: SideOperation;
  request: string;
  /** Every round, in the order measured; empty when the operation could not be prepared. */
  rounds: SideRound[];
  /** The median round (for an even count, the lower of the two middle ones): what the tables detail. */
  referenceFirst?: SideWindow;
  keyledger?: SideWindow;
  referenceLast?: SideWindow;
  /** The median of the rounds' ratios. */
  ratio?: number;
  setupError?: string;
}

/**
 * The ratio of a row is the median of its rounds: this host's speed drifts by tens of percent over a minute, so a
 * single window of one server can land in a slow phase the other's did not; the rounds go over every operation in
 * turn, so an operation's rounds are a minute or more apart.
 */
export function summarizeRounds(row: SideRow): void {
  const rated = row.rounds.filter((r): r is SideRound & { ratio: number } => r.ratio !== undefined);
  if (rated.length === 0) return;
  row.ratio = median(rated.map((r) => r.ratio));
  const byRatio = [...rated].sort((a, b) => a.ratio - b.ratio);
  const typical = byRatio[Math.ceil(byRatio.length / 2) - 1];
  ({ referenceFirst: row.referenceFirst, keyledger: row.keyledger, referenceLast: row.referenceLast } = typical);
}

export interface SideResults {
  concurrency: number;
  seconds: number;
  /** Rounds over every operation (config.sideRounds). */
  rounds: number;
  warmupSeconds: number;
  plaintextBytes: number;
  rows: SideRow[];
  referenceStartupMs: number;
  /** Bursts of concurrent Encrypt calls on both servers after each went idle (undefined: Encrypt was not prepared). */
  idleBursts?: IdleBurstResults;
  /** Lifetime peak (VmHWM) of each server at the end of the comparison. */
  referenceHwmBytes?: number;
  keyledgerHwmBytes?: number;
}

/**
 * The floor for a burst: issue 10 asks for a burst of GetParametersForImport calls, as many as the RSA_2048
 * wrapping-key pool holds, to be answered with p50 ≤ 5 ms. The same bursts on the bare reference server
 * (bench/reference-import.ts: SigV4, a pair from memory, a record made durable with an fdatasync, the sealed
 * token), after it went idle exactly as Keyledger's GetParametersForImport bursts wait, show what this machine
 * allows any server doing that work. Bursts of the cheapest keyed call (Encrypt) on both servers separate
 * Keyledger's request path from the import command's work.
 */
export interface IdleBurstResults {
  operation: 'Encrypt';
  /** Concurrent calls per burst: the default RSA_2048 pool size, the size of the GetParametersForImport bursts. */
  size: number;
  rounds: number;
  reference: BurstStats;
  keyledger: BurstStats;
  /** GetParametersForImport (RSAES_OAEP_SHA_256, RSA_2048) bursts of the same size on the reference server. */
  referenceImport: BurstStats;
}

export interface BurstStats {
  calls: LatencyStats;
  errors: number;
  firstError?: string;
}

export type Keys = { symmetric: string; ecc: string; hmac: string };

const b64 = (bytes: Buffer): string => bytes.toString('base64');
const blobBytes = (value: unknown): number => (typeof value === 'string' ? Buffer.byteLength(value, 'base64') : -1);
const fail = (operation: string, what: string): never => {
  throw new Error(`${operation} answered 200 but ${what}`);
};

export interface SideCase {
  request: string;
  prepare: (client: AwsJsonClient, keys: Keys) => Promise<Record<string, unknown>>;
  check: (response: Record<string, unknown>, input: Record<string, unknown>) => void;
}

export function cases(plaintextBytes: number): Record<SideOperation, SideCase> {
  const plaintext = b64(randomBytes(plaintextBytes));
  const message = b64(randomBytes(MESSAGE_BYTES));
  return {
    Encrypt: {
      request: `${plaintextBytes}-byte plaintext`,
      prepare: async (_, keys) => ({ KeyId: keys.symmetric, Plaintext: plaintext }),
      check: (r) => {
        if (!(blobBytes(r.CiphertextBlob) > plaintextBytes)) fail('Encrypt', 'returned no ciphertext of the expected size');
      },
    },
    Decrypt: {
      request: `ciphertext of a ${plaintextBytes}-byte plaintext, KeyId given`,
      prepare: async (client, keys) => {
        const { CiphertextBlob } = await client.call<{ CiphertextBlob?: string }>('Encrypt', { KeyId: keys.symmetric, Plaintext: plaintext });
        if (!CiphertextBlob) fail('Encrypt', 'returned no CiphertextBlob');
        return { KeyId: keys.symmetric, CiphertextBlob };
      },
      check: (r) => {
        if (r.Plaintext !== plaintext) fail('Decrypt', 'returned another plaintext');
      },
    },
    GenerateDataKey: {
      request: 'KeySpec AES_256',
      prepare: async (_, keys) => ({ KeyId: keys.symmetric, KeySpec: 'AES_256' }),
      check: (r) => {
        if (blobBytes(r.Plaintext) !== 32 || !(blobBytes(r.CiphertextBlob) > 32)) fail('GenerateDataKey', 'returned no 32-byte data key and its ciphertext');
      },
    },
    Sign: {
      request: `ECC_NIST_P256, ECDSA_SHA_256, ${MESSAGE_BYTES}-byte RAW message`,
      prepare: async (_, keys) => ({ KeyId: keys.ecc, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }),
      check: (r) => {
        const size = blobBytes(r.Signature);
        if (size < 8 || size > 72) fail('Sign', `returned a ${size}-byte ECDSA signature`);
      },
    },
    GenerateMac: {
      request: `HMAC_256, HMAC_SHA_256, ${MESSAGE_BYTES}-byte message`,
      prepare: async (_, keys) => ({ KeyId: keys.hmac, Message: message, MacAlgorithm: 'HMAC_SHA_256' }),
      check: (r) => {
        if (blobBytes(r.Mac) !== 32) fail('GenerateMac', 'returned no 32-byte MAC');
      },
    },
    DescribeKey: {
      request: 'the symmetric key',
      prepare: async (_, keys) => ({ KeyId: keys.symmetric }),
      check: (r, input) => {
        const metadata = r.KeyMetadata as { KeyId?: string } | undefined;
        if (metadata?.KeyId !== input.KeyId) fail('DescribeKey', 'returned another key');
      },
    },
  };
}

/**
 * One operation at the side-by-side concurrency on its own client, every answer checked; `loop` says how long
 * and what to do at the measured window's start and end.
 */
async function checkedLoop(target: ServiceProcess, input: Record<string, unknown>, operation: SideOperation, c: SideCase, config: BenchConfig, loop: Pick<ClosedLoopOptions, 'warmupMs' | 'durationMs' | 'onWindowStart' | 'onWindowEnd'>): Promise<LoopResult> {
  const client = new AwsJsonClient(target.url, config.sideConcurrency);
  try {
    const call = client.prepare(operation, input);
    return await runClosedLoop({
      ...loop,
      concurrency: config.sideConcurrency,
      maxOperations: config.maxRequests,
      op: async () => c.check(AwsJsonClient.parse(await client.send(call)), input),
    });
  } finally {
    client.close();
  }
}

/** Load that is not measured: `sideWarmupSeconds` of one operation. */
export const warmUp = (target: ServiceProcess, input: Record<string, unknown>, operation: SideOperation, c: SideCase, config: BenchConfig) =>
  checkedLoop(target, input, operation, c, config, { warmupMs: 0, durationMs: config.sideWarmupSeconds * 1000 });

/** Creates Keyledger's three keys (Origin AWS_KMS, material generated by the service). */
export async function keyledgerKeys(client: AwsJsonClient): Promise<Keys> {
  const create = async (input: Record<string, unknown>): Promise<string> => {
    const created = await client.call<{ KeyMetadata?: { KeyId?: string } }>('CreateKey', { Description: 'keyledger bench side by side', ...input });
    return created.KeyMetadata?.KeyId ?? fail('CreateKey', 'returned no KeyId');
  };
  return {
    symmetric: await create({}),
    ecc: await create({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' }),
    hmac: await create({ KeySpec: 'HMAC_256', KeyUsage: 'GENERATE_VERIFY_MAC' }),
  };
}

/** CPU time per request, in ms, of the measured server and of the benchmark's client together: both run on this machine's cores. */
export function machineCpuPerRequest(w: SideWindow): number | undefined {
  if (w.cpuMsPerRequest === undefined || !(w.perSecond > 0)) return undefined;
  return w.cpuMsPerRequest + (w.cpu.clientPercent / 100) * (1000 / w.perSecond);
}

/** What the machine allows one row, with the client's CPU per request as measured against each server (ms). */
export interface CpuCeiling {
  /** Service + client CPU per request: the reference (mean of its two windows) and Keyledger. */
  referenceMs: number;
  keyledgerMs: number;
  /** Reference ÷ Keyledger machine CPU per request: with the client as measured against Keyledger, then against the reference. */
  ceiling: number;
  ceilingAtReferenceClient: number;
  /** Keyledger service CPU per request that would put each ceiling at the ratio asked for. */
  serviceForRatio: number;
  serviceForRatioAtReferenceClient: number;
}

/**
 * What the machine allows a row at most. With the client on the same cores, a server that kept every core busy would
 * serve cores ÷ (its CPU per request + the client's); so Keyledger ÷ reference cannot exceed the reference's machine
 * CPU per request ÷ Keyledger's, however well Keyledger spread its work over the cores. The client costs more per
 * request against a slower server (it wakes for fewer responses at a time), so the bound is given twice: with the
 * client as measured against Keyledger, and as measured against the reference (what it would cost were Keyledger as
 * fast).
 */
export function cpuCeiling(row: SideRow, ratio: number): CpuCeiling | undefined {
  const kl = row.keyledger;
  const klMachine = kl ? machineCpuPerRequest(kl) : undefined;
  // Each reference window's machine CPU per request, and the client's share of it.
  const references = [row.referenceFirst, row.referenceLast].flatMap((w) => {
    const machine = w && machineCpuPerRequest(w);
    return w?.cpuMsPerRequest === undefined || machine === undefined ? [] : [{ machine, client: machine - w.cpuMsPerRequest }];
  });
  if (!kl || kl.cpuMsPerRequest === undefined || klMachine === undefined || references.length === 0) return undefined;
  const referenceMs = mean(references.map((w) => w.machine));
  const referenceClientMs = mean(references.map((w) => w.client));
  const keyledgerClientMs = klMachine - kl.cpuMsPerRequest;
  return {
    referenceMs,
    keyledgerMs: klMachine,
    ceiling: referenceMs / klMachine,
    ceilingAtReferenceClient: referenceMs / (kl.cpuMsPerRequest + referenceClientMs),
    serviceForRatio: referenceMs / ratio - keyledgerClientMs,
    serviceForRatioAtReferenceClient: referenceMs / ratio - referenceClientMs,
  };
}

/** One measured window: load at the side-by-side concurrency after a warm-up, with the server's CPU and peak RSS. */
export async function window(server: string, target: ServiceProcess, input: Record<string, unknown>, operation: SideOperation, c: SideCase, config: BenchConfig): Promise<SideWindow> {
  await waitForServiceIdle(target, { maxMs: 5000 });
  const meter = new CpuMeter(target.child.pid);
  const mainMeter = new MainThreadMeter(target.child.pid);
  let cpu: CpuUse = { clientPercent: 0 };
  let rss: RssPeakSampler | undefined;
  let peakRssBytes: number | undefined;
  const result = await checkedLoop(target, input, operation, c, config, {
    warmupMs: config.sideWarmupSeconds * 1000,
    durationMs: config.sideSeconds * 1000,
    onWindowStart: () => {
      meter.restart();
      mainMeter.restart();
      rss = new RssPeakSampler(target.child.pid);
    },
    onWindowEnd: () => {
      cpu = meter.read();
      mainMeter.stop();
      peakRssBytes = rss?.stop();
    },
  });
  const cpuMsPerRequest = cpu.servicePercent !== undefined && result.perSecond > 0 ? (cpu.servicePercent / 100) * (1000 / result.perSecond) : undefined;
  return { ...result, server, cpu, cpuMsPerRequest, peakRssBytes, mainThread: mainMeter.use(result.operations) };
}

export async function sideBySide(keyledger: ServiceProcess, reference: ServiceProcess, config: BenchConfig, log: (message: string) => void): Promise<SideResults> {
  const all = cases(config.cryptoPlaintextBytes);
  const klSetup = new AwsJsonClient(keyledger.url, 1);
  const refSetup = new AwsJsonClient(reference.url, 1);
  const rows: SideRow[] = [];
  try {
    await waitForServiceIdle(keyledger);
    const servers: Record<SideServer, { setup: AwsJsonClient; keys: Keys }> = {
      keyledger: { setup: klSetup, keys: await keyledgerKeys(klSetup) },
      reference: { setup: refSetup, keys: ((await reference.health()) as { keys: Keys }).keys },
    };
    const prepared: Array<{ operation: SideOperation; c: SideCase; row: SideRow; inputs: Record<SideServer, Record<string, unknown>> }> = [];
    for (const operation of SIDE_OPERATIONS) {
      const c = all[operation];
      const row: SideRow = { operation, request: c.request, rounds: [] };
      rows.push(row);
      const inputs: Partial<Record<SideServer, Record<string, unknown>>> = {};
      try {
        for (const name of ['reference', 'keyledger'] as const) {
          const { setup, keys } = servers[name];
          const input = await c.prepare(setup, keys);
          // One checked call first: a broken operation is reported as such, not as a window of errors.
          c.check(await setup.call(operation, input), input);
          inputs[name] = input;
        }
        prepared.push({ operation, c, row, inputs: inputs as Record<SideServer, Record<string, unknown>> });
      } catch (error) {
        row.setupError = `${(error as Error).name}: ${(error as Error).message}`.slice(0, 200);
        log(`  ${operation}: NOT MEASURED, preparing it failed: ${row.setupError}`);
      }
    }
    // Every operation once on both servers before any window, so the first operation measured does not also pay
    // for each server's start-up (JIT compilation, caches, heap growth) alone.
    for (const { operation, c, inputs } of prepared) {
      for (const [name, target] of [['reference', reference], ['keyledger', keyledger]] as const) await warmUp(target, inputs[name], operation, c, config);
    }
    for (let round = 1; round <= config.sideRounds; round++) {
      for (const { operation, c, row, inputs } of prepared) {
        const referenceFirst = await window('reference', reference, inputs.reference!, operation, c, config);
        const kl = await window('keyledger', keyledger, inputs.keyledger!, operation, c, config);
        const referenceLast = await window('reference', reference, inputs.reference!, operation, c, config);
        const referenceMean = (referenceFirst.perSecond + referenceLast.perSecond) / 2;
        const ratio = referenceMean > 0 ? kl.perSecond / referenceMean : undefined;
        row.rounds.push({ referenceFirst, keyledger: kl, referenceLast, ratio });
        const w = (x: SideWindow) => `${x.perSecond.toFixed(0)} req/s p99 ${x.latency.p99.toFixed(2)} ms${x.errors ? ` ERRORS ${x.errors} (${x.firstError})` : ''}`;
        log(
          `  ${operation} round ${round}/${config.sideRounds}: reference ${w(referenceFirst)} | Keyledger ${w(kl)} | reference ${w(referenceLast)} → ` +
            `${ratio === undefined ? 'n/a' : ratio.toFixed(2)} × reference, other load ${kl.cpu.otherPercent?.toFixed(0) ?? 'n/a'}%`,
        );
      }
    }
    for (const { operation, row } of prepared) {
      summarizeRounds(row);
      log(`  ${operation}: ${row.ratio === undefined ? 'n/a' : row.ratio.toFixed(2)} × reference (median of ${row.rounds.map((r) => r.ratio?.toFixed(2) ?? 'n/a').join(', ')})`);
    }
    const encrypt = prepared.find((p) => p.operation === 'Encrypt');
    const idleBursts = encrypt ? await burstsAfterIdle({ reference, keyledger }, encrypt.inputs, encrypt.c, config.burstRounds) : undefined;
    if (idleBursts) {
      const b = (x: BurstStats) => `p50 ${x.calls.p50.toFixed(2)} ms p99 ${x.calls.p99.toFixed(2)} ms${x.errors ? ` ERRORS ${x.errors} (${x.firstError})` : ''}`;
      log(`  Encrypt bursts of ${idleBursts.size} after idle × ${idleBursts.rounds}: reference ${b(idleBursts.reference)} | Keyledger ${b(idleBursts.keyledger)}`);
      log(`  GetParametersForImport bursts of ${idleBursts.size} after idle × ${idleBursts.rounds} on the reference: ${b(idleBursts.referenceImport)}`);
    }
    return {
      concurrency: config.sideConcurrency,
      seconds: config.sideSeconds,
      rounds: config.sideRounds,
      warmupSeconds: config.sideWarmupSeconds,
      plaintextBytes: config.cryptoPlaintextBytes,
      rows,
      referenceStartupMs: reference.startupMs,
      idleBursts,
      referenceHwmBytes: processRssBytes(reference.child.pid, 'VmHWM'),
      keyledgerHwmBytes: processRssBytes(keyledger.child.pid, 'VmHWM'),
    };
  } finally {
    klSetup.close();
    refSetup.close();
  }
}

/**
 * `rounds` rounds; in each, per server (reference first), waits until the server is idle, then sends `size`
 * concurrent Encrypt calls; then, once the reference is idle again, `size` concurrent GetParametersForImport calls to
 * it, each for a key id of its own. Every call is signed afresh (as Keyledger's GetParametersForImport bursts are),
 * over connections opened beforehand, and timed by the client.
 */
async function burstsAfterIdle(
  servers: Record<SideServer, ServiceProcess>,
  inputs: Record<SideServer, Record<string, unknown>>,
  c: SideCase,
  rounds: number,
): Promise<IdleBurstResults> {
  const size = DEFAULT_WRAPPING_KEY_POOL_SIZES.RSA_2048;
  const names = ['reference', 'keyledger'] as const;
  const clients = { reference: new AwsJsonClient(servers.reference.url, size), keyledger: new AwsJsonClient(servers.keyledger.url, size) };
  const latencies: Record<SideServer | 'referenceImport', number[]> = { reference: [], keyledger: [], referenceImport: [] };
  const errors: Record<SideServer | 'referenceImport', ErrorTally> = { reference: new ErrorTally(), keyledger: new ErrorTally(), referenceImport: new ErrorTally() };
  const burst = (name: SideServer, timed: number[]) =>
    timedBurst(
      Array.from({ length: size }, () => async () => c.check(await clients[name].call('Encrypt', inputs[name]), inputs[name])),
      timed,
      errors[name],
    );
  const importBurst = (timed: number[]) =>
    timedBurst(
      Array.from({ length: size }, () => async () => checkImportParameters(await clients.reference.call('GetParametersForImport', importParametersRequest(randomUUID())))),
      timed,
      errors.referenceImport,
    );
  try {
    for (const name of names) await burst(name, []); // opens the connections
    await importBurst([]); // and the reference's import path, once, as Keyledger's keys were created before its bursts
    for (let round = 0; round < rounds; round++) {
      for (const name of names) {
        await waitForServiceIdle(servers[name], { maxMs: 5000 });
        await burst(name, latencies[name]);
      }
      await waitForServiceIdle(servers.reference, { maxMs: 5000 });
      await importBurst(latencies.referenceImport);
    }
  } finally {
    for (const name of names) clients[name].close();
  }
  const stats = (name: SideServer | 'referenceImport'): BurstStats => ({ calls: summarize(latencies[name]), errors: errors[name].count, firstError: errors[name].first });
  return { operation: 'Encrypt', size, rounds, reference: stats('reference'), keyledger: stats('keyledger'), referenceImport: stats('referenceImport') };
}

