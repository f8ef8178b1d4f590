import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { Logger } from '@nestjs/common';
import type { SigningJob, SigningOutcome } from './sigv4-signing';

/** How long the thread stays after its last signature: it costs 15-20 MiB of RSS while it lives. */
export const SIGNING_THREAD_IDLE_MS = 30_000;
/**
 * Load is sustained when a turn that verified several requests follows another such turn within this time. A burst
 * after a pause is verified inline: the thread would compute its signatures one after another while the event loop,
 * with nothing else to do, waited for them (8 concurrent Encrypts after idle: p50 +0.4-1 ms in the benchmark).
 */
export const SUSTAINED_WITHIN_MS = 5;

/**
 * The thread's program: sigv4-signing's expectedSignature, loaded by the compiled module's path, on batches of
 * jobs. Source rather than a file of its own, so that it starts the same from dist/ and under ts-jest (given a
 * compiled module's path there).
 */
const PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const { expectedSignature, SignerCache } = require(workerData.signingModule);
const signers = new SignerCache();
parentPort.on('message', async ({ batch, jobs }) => {
  const outcomes = await Promise.all(jobs.map((job) => expectedSignature(job, signers).catch((error) => ({ error: String(error && error.message) }))));
  parentPort.postMessage({ batch, outcomes });
});
parentPort.postMessage('ready');
`;

type Reply = { batch: number; outcomes: Array<SigningOutcome | { error: string }> };
interface Waiting {
  resolve: (outcome: SigningOutcome) => void;
  reject: (error: Error) => void;
}

export interface SigningThreadOptions {
  /** The compiled sigv4-signing module (default: the one next to this file, if this file is compiled; else no thread). */
  signingModule?: string;
  idleMs?: number;
  /** 'busy' (the service's): only under sustained load. 'always': every job (tests). */
  use?: 'busy' | 'always';
  /** Default SUSTAINED_WITHIN_MS. */
  sustainedWithinMs?: number;
}

/**
 * Computes SigV4 signatures on a thread of its own while the service is busy. Re-signing a request is the largest
 * piece of work an AWS JSON request does on the event loop (about 35 µs of a 210-µs Decrypt, --cpu-prof at 16
 * connections), and under load the event loop is what limits the request rate while the cores have time to spare.
 * Measured with the thread off and on at 16 connections (README, KEYLEDGER_SIGNING_THREAD): +7 to +21 % requests/s
 * in one run (GenerateMac −3 %), +10 to +11 % in another (Encrypt −2 %, within this host's noise).
 *
 * Handing a job over is not free (a copy of the request and a wake-up of the other thread: about 0.1 ms more per
 * request at one connection), so a request is signed here only under sustained load: when another was already
 * verified in the same turn of the event loop and in a turn just before (SUSTAINED_WITHIN_MS), or jobs are still out
 * on the thread. A client that waits for each answer, as a test suite does, never pays for it, nor does a burst after
 * a pause. Jobs of one turn go over together. The thread starts on first need (until it is ready,
 * requests are signed inline), stops after SIGNING_THREAD_IDLE_MS without jobs, and if it fails its jobs are
 * rejected, for the caller to sign inline; it is not restarted after a failure.
 */
export class SigningThread {
  private readonly logger = new Logger(SigningThread.name);
  private readonly signingModule?: string;
  private readonly idleMs: number;
  private readonly use: 'busy' | 'always';
  private readonly sustainedWithinMs: number;
  private worker?: Worker;
  private ready = false;
  private failed = false;
  private closed = false;
  private nextBatch = 1;
  private queued: Array<{ job: SigningJob; waiting: Waiting }> = [];
  private readonly outstanding = new Map<number, Waiting[]>();
  private verifiedThisTurn = 0;
  /** When the last turn that verified several requests ended (performance.now()). */
  private lastBusyTurnEnded = -Infinity;
  private lastJobAt = 0;
  private computed = 0;
  private idleTimer?: NodeJS.Timeout;
  private started: Promise<boolean> = Promise.resolve(false);
  private settleStarted: (ready: boolean) => void = () => undefined;

  constructor(options: SigningThreadOptions = {}) {
    this.signingModule = options.signingModule ?? compiledSigningModule();
    // Run from TypeScript sources (ts-jest), there is no compiled module for the thread to load: sign inline.
    this.failed = this.signingModule === undefined;
    this.idleMs = options.idleMs ?? SIGNING_THREAD_IDLE_MS;
    this.use = options.use ?? 'busy';
    this.sustainedWithinMs = options.sustainedWithinMs ?? SUSTAINED_WITHIN_MS;
  }

  /** Whether this request's signature should be computed here; called once per verified request. */
  wanted(): boolean {
    if (this.closed || this.failed) return false;
    if (this.verifiedThisTurn++ === 0) setImmediate(this.turnEnded);
    const sustained = this.verifiedThisTurn > 1 && performance.now() - this.lastBusyTurnEnded <= this.sustainedWithinMs;
    const busy = this.use === 'always' || sustained || this.outstanding.size > 0 || this.queued.length > 0;
    if (!busy) return false;
    if (!this.worker) this.start();
    return this.ready;
  }

  /** Starts the thread if it is not running; resolves once it can take jobs (false if it failed or was closed first). */
  whenReady(): Promise<boolean> {
    if (this.closed || this.failed) return Promise.resolve(false);
    if (!this.worker) this.start();
    return this.started;
  }

  sign(job: SigningJob): Promise<SigningOutcome> {
    return new Promise((resolve, reject) => {
      if (!this.worker || !this.ready) return reject(new Error('The signing thread is not running.'));
      // A copy: the request's Buffer is a view into a larger pooled one, which would be copied whole.
      if (this.queued.push({ job: { ...job, body: new Uint8Array(job.body) }, waiting: { resolve, reject } }) === 1) setImmediate(this.postQueued);
    });
  }

  /** Running now (metrics, tests). */
  get running(): boolean {
    return this.ready;
  }

  /** Signatures computed here since start (metrics). */
  get signatures(): number {
    return this.computed;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.stop(new Error('The signing thread was closed.'));
  }

  private readonly turnEnded = (): void => {
    if (this.verifiedThisTurn > 1) this.lastBusyTurnEnded = performance.now();
    this.verifiedThisTurn = 0;
  };

  private readonly postQueued = (): void => {
    const queued = this.queued;
    this.queued = [];
    if (!this.worker || !this.ready) return queued.forEach(({ waiting }) => waiting.reject(new Error('The signing thread is not running.')));
    const batch = this.nextBatch++;
    this.outstanding.set(batch, queued.map(({ waiting }) => waiting));
    const jobs = queued.map(({ job }) => job);
    this.worker.postMessage({ batch, jobs }, jobs.map((job) => job.body.buffer as ArrayBuffer));
    this.lastJobAt = Date.now();
  };

  private start(): void {
    this.started = new Promise((resolve) => (this.settleStarted = resolve));
    const worker = new Worker(PROGRAM, { eval: true, name: 'keyledger-sigv4-signing', workerData: { signingModule: this.signingModule } });
    this.worker = worker;
    worker.unref();
    worker.on('message', (message: 'ready' | Reply) => {
      if (message === 'ready') {
        this.ready = true;
        this.settleStarted(true);
        this.lastJobAt = Date.now();
        this.idleTimer = setInterval(() => this.stopIfIdle(), Math.max(10, this.idleMs / 2)).unref();
        return;
      }
      const waiting = this.outstanding.get(message.batch) ?? [];
      this.outstanding.delete(message.batch);
      this.computed += message.outcomes.length;
      message.outcomes.forEach((outcome, i) => ('error' in outcome ? waiting[i]?.reject(new Error(outcome.error)) : waiting[i]?.resolve(outcome)));
    });
    worker.on('error', (error) => {
      this.failed = true;
      this.logger.warn({ msg: 'the SigV4 signing thread failed; signatures are computed on the main thread from now on', error: error.message });
      void this.stop(error);
    });
    worker.on('exit', () => {
      if (this.worker === worker) void this.stop(new Error('The signing thread stopped.'));
    });
  }

  private stopIfIdle(): void {
    if (this.outstanding.size === 0 && this.queued.length === 0 && Date.now() - this.lastJobAt >= this.idleMs) void this.stop(new Error('The signing thread stopped while idle.'));
  }

  private async stop(reason: Error): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.ready = false;
    this.settleStarted(false);
    clearInterval(this.idleTimer);
    for (const waiting of this.outstanding.values()) waiting.forEach((w) => w.reject(reason));
    this.outstanding.clear();
    this.queued.splice(0).forEach(({ waiting }) => waiting.reject(reason));
    if (worker) await worker.terminate();
  }
}

function compiledSigningModule(): string | undefined {
  const path = join(__dirname, 'sigv4-signing.js');
  return existsSync(path) ? path : undefined;
}
