import { spawn } from 'node:child_process';
import { mainThreadSchedule, MainThreadMeter } from '../../bench/cpu';

/** Keeps this thread on a core for `ms` of wall time. */
function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy on purpose
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('main-thread accounting of the side-by-side windows (bench/cpu.ts)', () => {
  it("reads this process's main thread: through a busy loop it was on a core or waiting for one", () => {
    const before = mainThreadSchedule(process.pid)!;
    spin(60);
    const after = mainThreadSchedule(process.pid)!;
    const ran = after.running - before.running;
    const waited = after.waiting - before.waiting;
    // Another thread (an idle one) would show next to nothing; preemption by other work counts as waiting.
    expect(ran + waited).toBeGreaterThan(0.055);
    expect(ran).toBeGreaterThan(0.01);
    expect(waited).toBeGreaterThanOrEqual(0);
  });

  it('gives time per request and the runnable share: near all of a busy window, little of an idle one', async () => {
    const meter = new MainThreadMeter(process.pid);
    spin(80);
    meter.stop();
    const busy = meter.use(8)!;
    expect(busy.runnableShare).toBeGreaterThan(0.85);
    // 80 ms over 8 requests: about 10 ms each, running or waiting for a core.
    expect(busy.runningMsPerRequest + busy.waitingMsPerRequest).toBeGreaterThan(8);
    expect(busy.runningMsPerRequest + busy.waitingMsPerRequest).toBeLessThan(14);

    // An idle window, of a process that only sleeps: late in a full run this test runner's own main thread is not
    // idle while a test awaits (CI measured 1.0 in three windows in a row after 84 suites), so it cannot stand in.
    const sleeper = spawn(process.execPath, ['-e', "process.stdout.write('ready'); setTimeout(() => {}, 10000)"], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      await new Promise((resolve) => sleeper.stdout.once('data', resolve));
      const idle = new MainThreadMeter(sleeper.pid);
      await sleep(150);
      idle.stop();
      expect(idle.use(8)!.runnableShare).toBeLessThan(0.5);
    } finally {
      sleeper.kill();
    }
  });

  it('says nothing it cannot know: before stop, without requests, without a process', () => {
    const meter = new MainThreadMeter(process.pid);
    expect(meter.use(10)).toBeUndefined();
    meter.stop();
    expect(meter.use(0)).toBeUndefined();
    expect(mainThreadSchedule(undefined)).toBeUndefined();
    expect(mainThreadSchedule(2 ** 22 + 12345)).toBeUndefined();
    const gone = new MainThreadMeter(2 ** 22 + 12345);
    gone.stop();
    expect(gone.use(10)).toBeUndefined();
  });
});
