import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/event-log';
import { startServiceProcess } from '../support/service-process';
import { threadNiceness } from '../support/thread-niceness';

const poolReady = async (url: string): Promise<number> => {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^keyledger_wrapping_key_pool_ready\{spec="RSA_2048"\} (\d+)$/m.exec(text)?.[1] ?? NaN);
};

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
        const filling = new Map(await eventually(() => [...threadNiceness(pid)], (threads) => threads.some(([, nice]) => nice === 19), 20000));
        expect([...filling.values()].filter((nice) => nice === 19)).toHaveLength(1);
        expect([...filling].filter(([tid, nice]) => tid !== pid && nice !== 19).every(([, nice]) => nice === startedAt)).toBe(true);
        expect(filling.get(pid)).toBe(startedAt);
      }
      await eventually(() => poolReady(service.url), (ready) => ready === 16, 20000);
      if (process.platform === 'linux') {
        await eventually(() => [...threadNiceness(pid)], (threads) => !threads.some(([, nice]) => nice === 19), 5000);
      }
    } finally {
      await service.stopCleanly();
    }
  });
});
