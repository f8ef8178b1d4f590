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

    // An idle window: the test runner's own work (a GC of its heap late in a long run) can fill one of 150 ms, as it
    // did once in CI (share 1.0), so the least of three windows is what the meter must show as mostly idle.
    const idleShares: number[] = [];
    for (let window = 0; window < 3; window++) {
      meter.restart();
      await sleep(150);
      meter.stop();
      idleShares.push(meter.use(8)!.runnableShare);
    }
    expect(Math.min(...idleShares)).toBeLessThan(0.5);
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
