import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServiceProcess } from '../support/service-process';
import { threadNiceness } from '../support/thread-niceness';

const poolReady = async (url: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^keyledger_wrapping_key_pool_ready\{spec="RSA_2048"\} (\d+)$/m.exec(text)?.[1] ?? NaN);
};

async function eventually<T>(read: () => T | Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 20000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: still ${JSON.stringify(value instanceof Map ? [...value] : value)} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * The wrapping-key pool fills on one worker thread at nice 19 (Linux), so a fill takes only CPU that requests leave
 * idle; the process's other threads keep their priority, and the worker goes away once the pool is full.
 */
describe('the wrapping-key pool fills at low priority (the service process)', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('fills on one nice-19 thread, the others at the priority the process started with, and stops that thread when full', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyledger-pool-priority-'));
    dirs.push(dataDir);
    const service = await startServiceProcess({ DATA_DIR: dataDir, KEYLEDGER_WRAPPING_KEY_POOL_SIZE: 'RSA_2048=16,RSA_3072=0,RSA_4096=0' });
    try {
      const pid = service.child.pid!;
      const startedAt = threadNiceness(pid).get(pid);
      if (process.platform === 'linux') {
        // 16 RSA_2048 pairs take seconds: the worker is there while they are generated (and 1 s after).
        const filling = await eventually(() => threadNiceness(pid), (threads) => [...threads.values()].includes(19), 'a nice-19 thread while the pool fills');
        expect([...filling.values()].filter((nice) => nice === 19)).toHaveLength(1);
        expect([...filling].filter(([tid, nice]) => tid !== pid && nice !== 19).every(([, nice]) => nice === startedAt)).toBe(true);
        expect(filling.get(pid)).toBe(startedAt);
      }
      await eventually(() => poolReady(service.url), (ready) => ready === 16, 'the RSA_2048 pool full');
      if (process.platform === 'linux') {
        await eventually(() => threadNiceness(pid), (threads) => ![...threads.values()].includes(19), 'no nice-19 thread once the pool is full', 5000);
      }
    } finally {
      await service.stopCleanly();
    }
  });
});
