/**
 * RSA wrapping key pairs generated where they take only CPU nobody else wants: one worker thread that, on Linux,
 * lowers its own scheduling priority to nice 19 before its first generation. The wrapping-key pool fills and
 * refills through it, so a fill right after start-up or after a burst no longer halves the service's request rate
 * (measured: see the README's KEYLEDGER_WRAPPING_KEY_POOL_SIZE row). A caller who is waiting for a pair does not come
 * here: it gets generateWrappingKeyPair, at normal priority.
 */
import { Worker } from 'node:worker_threads';
import type { WrappingKeySpec } from '../../domain/src/key-spec';
import { wrappingKeyPairOptions, type WrappingKeyPair } from './wrapping';

/** How long the worker stays after its last job: refills come in runs, and a worker costs 10-20 MiB of RSS while it lives. */
export const LOW_PRIORITY_WORKER_IDLE_MS = 1000;

/**
 * The worker, as source (a string, so it runs the same from dist/ and under ts-jest). setpriority(PRIO_PROCESS, 0)
 * — os.setPriority(19) — renices only the calling thread on Linux; elsewhere it would renice the whole process, so
 * there the worker runs at normal priority. The private key's bytes are copied into a buffer the main thread takes
 * over, and the worker's own copy is zeroed.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { generateKeyPairSync } = require('node:crypto');
if (process.platform === 'linux') {
  try { require('node:os').setPriority(19); } catch { /* not permitted here: generate at normal priority */ }
}
const detached = (bytes) => { const copy = new Uint8Array(bytes.length); copy.set(bytes); return copy.buffer; };
parentPort.on('message', ({ id, options }) => {
  try {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', options);
    const pair = { id, publicKeyDer: detached(publicKey), privateKeyDer: detached(privateKey) };
    privateKey.fill(0);
    parentPort.postMessage(pair, [pair.publicKeyDer, pair.privateKeyDer]);
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message) });
  }
});`;

interface Job {
  spec: WrappingKeySpec;
  resolve: (pair: WrappingKeyPair) => void;
  reject: (error: Error) => void;
}

type WorkerReply = { id: number; publicKeyDer: ArrayBuffer; privateKeyDer: ArrayBuffer } | { id: number; error: string };

/** Jobs run one at a time, in order, on the one worker; it is started on demand and stopped when idle or closed. */
export class LowPriorityKeyGenerator {
  private worker?: Worker;
  private readonly queue: Job[] = [];
  private running?: { id: number; job: Job };
  private nextId = 0;
  private idleTimer?: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly idleMs = LOW_PRIORITY_WORKER_IDLE_MS) {}

  generate(spec: WrappingKeySpec): Promise<WrappingKeyPair> {
    if (this.closed) return Promise.reject(new Error('The low-priority key generator is closed.'));
    return new Promise((resolve, reject) => {
      this.queue.push({ spec, resolve, reject });
      this.runNext();
    });
  }

  /** Whether a worker thread exists now (for tests). */
  get workerRunning(): boolean {
    return this.worker !== undefined;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.idleTimer);
    const error = new Error('The low-priority key generator is closed.');
    for (const job of this.queue.splice(0)) job.reject(error);
    this.running?.job.reject(error);
    this.running = undefined;
    void this.stopWorker();
  }

  private runNext(): void {
    if (this.running || this.closed) return;
    const job = this.queue.shift();
    clearTimeout(this.idleTimer);
    if (!job) {
      this.idleTimer = setTimeout(() => void this.stopWorker(), this.idleMs).unref();
      return;
    }
    let worker: Worker;
    try {
      worker = this.startedWorker();
    } catch (error) {
      // No thread to be had (resource limits): this job fails, and so will the next ones, each on its own.
      job.reject(error instanceof Error ? error : new Error(String(error)));
      this.runNext();
      return;
    }
    this.running = { id: this.nextId++, job };
    worker.postMessage({ id: this.running.id, options: wrappingKeyPairOptions(job.spec) });
  }

  private startedWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true, name: 'keyledger-low-priority-keygen' });
    worker.unref(); // a fill in progress never keeps the process alive
    worker.on('message', (reply: WorkerReply) => this.finish(reply));
    // A worker that dies fails the job it had; the next job starts a new worker.
    const lost = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const running = this.running;
      this.running = undefined;
      running?.job.reject(error);
      this.runNext();
    };
    worker.on('error', lost);
    worker.on('exit', (code) => lost(new Error(`The key generation worker stopped (exit code ${code}).`)));
    this.worker = worker;
    return worker;
  }

  private finish(reply: WorkerReply): void {
    const running = this.running;
    if (!running || running.id !== reply.id) return;
    this.running = undefined;
    if ('error' in reply) running.job.reject(new Error(`RSA key generation failed: ${reply.error}`));
    else running.job.resolve({ publicKeyDer: Buffer.from(reply.publicKeyDer), privateKeyDer: Buffer.from(reply.privateKeyDer) });
    this.runNext();
  }

  private async stopWorker(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }
}
