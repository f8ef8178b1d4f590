import { sizeThreadPool, THREAD_POOL_SPARE_THREADS, threadPoolSize } from './thread-pool';

describe('thread pool size', () => {
  it('is the core count plus the spare threads, never below libuv default of 4', () => {
    expect(threadPoolSize(1)).toBe(4);
    expect(threadPoolSize(2)).toBe(2 + THREAD_POOL_SPARE_THREADS);
    expect(threadPoolSize(8)).toBe(8 + THREAD_POOL_SPARE_THREADS);
  });

  it('is set when the operator did not set it, and left alone when they did', () => {
    const unset: NodeJS.ProcessEnv = {};
    sizeThreadPool(unset);
    expect(unset.UV_THREADPOOL_SIZE).toBe(String(threadPoolSize()));
    const set: NodeJS.ProcessEnv = { UV_THREADPOOL_SIZE: '16' };
    sizeThreadPool(set);
    expect(set.UV_THREADPOOL_SIZE).toBe('16');
  });
});
