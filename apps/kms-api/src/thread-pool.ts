import { availableParallelism } from 'node:os';

/** Threads of libuv's pool beyond the wrapping-key generations of callers who find the pool empty (one per core). */
export const THREAD_POOL_SPARE_THREADS = 2;
/** libuv's own default. */
const LIBUV_DEFAULT_THREADS = 4;

/**
 * The size libuv's thread pool should have: callers who find the wrapping-key pool empty get RSA generations on it
 * (seconds each for RSA_4096; the pool's own refills run on a worker thread instead), and the same pool runs every
 * DNS lookup (the EventStoreDB connection), zlib call and asynchronous file operation (the log's stdout is written
 * synchronously). With libuv's default of 4 threads and 2 or more cores, a burst of such callers could take all of
 * them and hold those back for seconds; so: the core count plus THREAD_POOL_SPARE_THREADS, never fewer than the
 * default.
 */
export function threadPoolSize(cores = availableParallelism()): number {
  return Math.max(LIBUV_DEFAULT_THREADS, cores + THREAD_POOL_SPARE_THREADS);
}

/**
 * Sets UV_THREADPOOL_SIZE for this process unless the operator set it. libuv reads it when the pool first starts,
 * so the entry point calls this before anything runs asynchronously.
 */
export function sizeThreadPool(env: NodeJS.ProcessEnv = process.env): void {
  if (env.UV_THREADPOOL_SIZE === undefined || env.UV_THREADPOOL_SIZE === '') env.UV_THREADPOOL_SIZE = String(threadPoolSize());
}
