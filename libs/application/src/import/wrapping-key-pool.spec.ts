import type { WrappingKeySpec } from '@keyledger/domain';
import { WrappingKeyPool } from './wrapping-key-pool';

/** A generator the test completes by hand, so the pool's scheduling can be observed exactly. */
function manualGenerator(label = '') {
  const pending: Array<{ spec: WrappingKeySpec; resolve: (pair: { publicKeyDer: Buffer; privateKeyDer: Buffer }) => void; reject: (e: Error) => void }> = [];
  let made = 0;
  return {
    pending,
    generate: (spec: WrappingKeySpec) =>
      new Promise<{ publicKeyDer: Buffer; privateKeyDer: Buffer }>((resolve, reject) => pending.push({ spec, resolve, reject })),
    finishNext: async () => {
      const next = pending.shift()!;
      made++;
      next.resolve({ publicKeyDer: Buffer.from(`${label}public-${made}`), privateKeyDer: Buffer.from(`${label}private-${made}`) });
      await new Promise((r) => setImmediate(r));
    },
  };
}

const sizes = (n: number) => ({ RSA_2048: n, RSA_3072: n, RSA_4096: n });

/** A pool whose callers' generations (`callers`) and own fills (`fill`) are told apart, both completed by hand. */
function splitPool(targetSize: Record<WrappingKeySpec, number>, refillDelayMs?: number) {
  const callers = manualGenerator('caller');
  const fill = manualGenerator('pool');
  let closed = 0;
  const pool = new WrappingKeyPool(targetSize, 2, { generate: callers.generate, refillDelayMs, background: { generate: fill.generate, close: () => void closed++ } });
  return { pool, callers, fill, closedCount: () => closed };
}

describe('WrappingKeyPool', () => {
  it('fills to its target size through the background generator and hands each pair out once', async () => {
    const { pool, callers, fill } = splitPool(sizes(2));
    pool.warmUp();
    expect(fill.pending.filter((p) => p.spec === 'RSA_2048')).toHaveLength(2);
    await fill.finishNext();
    await fill.finishNext();
    const a = await pool.take('RSA_2048');
    const b = await pool.take('RSA_2048');
    expect(a.publicKeyDer.toString()).not.toBe(b.publicKeyDer.toString());
    expect(callers.pending).toHaveLength(0); // served from the pool: no generation of their own
    pool.close();
  });

  it('gives a caller who finds the pool empty a normal-priority generation at once, and the first pair of its spec to finish', async () => {
    const { pool, callers, fill } = splitPool(sizes(1));
    pool.warmUp(); // the pool fills RSA_2048 and RSA_3072 (two at once); RSA_4096 waits
    expect(fill.pending.map((p) => p.spec)).toEqual(['RSA_2048', 'RSA_3072']);
    const taken = pool.take('RSA_2048');
    // The caller does not wait on a low-priority fill: it has its own generation.
    expect(callers.pending.map((p) => p.spec)).toEqual(['RSA_2048']);
    await fill.finishNext(); // the pool's RSA_2048 pair finishes first and serves the caller
    expect((await taken).publicKeyDer.toString()).toBe('poolpublic-1');
    // The caller's own pair will land in the pool, so no more fill for RSA_2048: the freed slot goes to RSA_4096.
    expect(fill.pending.map((p) => p.spec)).toEqual(['RSA_3072', 'RSA_4096']);
    await callers.finishNext();
    expect(pool.readyCount('RSA_2048')).toBe(1);
    expect((await pool.take('RSA_2048')).publicKeyDer.toString()).toBe('callerpublic-1');
    pool.close();
  });

  it('starts a generation for a caller who finds the pool empty even while pool fills use every slot', async () => {
    const { pool, callers, fill } = splitPool({ RSA_2048: 0, RSA_3072: 0, RSA_4096: 2 });
    pool.warmUp();
    expect(fill.pending.map((p) => p.spec)).toEqual(['RSA_4096', 'RSA_4096']);
    const taken = pool.take('RSA_2048');
    expect(callers.pending.map((p) => p.spec)).toEqual(['RSA_2048']);
    await callers.finishNext();
    expect((await taken).publicKeyDer.toString()).toBe('callerpublic-1');
    expect(fill.pending).toHaveLength(2); // nothing more: the RSA_4096 fills still hold both slots
    expect(callers.pending).toHaveLength(0);
    pool.close();
  });

  it('runs at most maxParallel pool fills across all specs, filling them in order', async () => {
    const { pool, callers, fill } = splitPool(sizes(2));
    pool.warmUp();
    const order: string[] = [];
    while (fill.pending.length > 0) {
      expect(fill.pending.length).toBeLessThanOrEqual(2);
      order.push(fill.pending[0].spec);
      await fill.finishNext();
    }
    expect(order).toEqual(['RSA_2048', 'RSA_2048', 'RSA_3072', 'RSA_3072', 'RSA_4096', 'RSA_4096']);
    expect([pool.readyCount('RSA_2048'), pool.readyCount('RSA_3072'), pool.readyCount('RSA_4096')]).toEqual([2, 2, 2]);
    expect(callers.pending).toHaveLength(0);
    pool.close();
  });

  it('never runs more than maxParallel generations per spec for callers, queueing a burst of them', async () => {
    const { pool, callers, fill } = splitPool(sizes(0));
    const burst = Array.from({ length: 5 }, () => pool.take('RSA_4096'));
    expect(callers.pending).toHaveLength(2);
    for (let i = 0; i < 5; i++) await callers.finishNext();
    const pairs = await Promise.all(burst);
    expect(new Set(pairs.map((p) => p.publicKeyDer.toString())).size).toBe(5);
    expect(callers.pending).toHaveLength(0);
    expect(fill.pending).toHaveLength(0); // a pool of size 0 never fills
    expect(pool.readyCount('RSA_4096')).toBe(0);
  });

  it('replaces pairs handed out from the pool only after the refill delay, so a burst is not slowed by generation', async () => {
    const { pool, fill } = splitPool({ RSA_2048: 3, RSA_3072: 0, RSA_4096: 0 }, 30);
    pool.warmUp();
    for (let i = 0; i < 3; i++) await fill.finishNext();
    expect(fill.pending).toHaveLength(0);

    await Promise.all([pool.take('RSA_2048'), pool.take('RSA_2048')]);
    expect(fill.pending).toHaveLength(0); // nothing competes with the burst yet
    await new Promise((r) => setTimeout(r, 60));
    expect(fill.pending).toHaveLength(2); // both pairs are being replaced
    for (let i = 0; i < 2; i++) await fill.finishNext();
    expect(pool.readyCount('RSA_2048')).toBe(3);
    pool.close();
  });

  it("passes a caller's generation failure to that caller, and starts one for each caller still waiting", async () => {
    const { pool, callers } = splitPool(sizes(0));
    const waiting = [pool.take('RSA_2048'), pool.take('RSA_2048'), pool.take('RSA_2048')];
    expect(callers.pending).toHaveLength(2);
    callers.pending.shift()!.reject(new Error('no entropy'));
    callers.pending.shift()!.reject(new Error('no entropy'));
    await expect(waiting[0]).rejects.toThrow('no entropy');
    await expect(waiting[1]).rejects.toThrow('no entropy');
    expect(callers.pending).toHaveLength(1); // the third caller is not left without a generation
    await callers.finishNext();
    expect((await waiting[2]).publicKeyDer.toString()).toBe('callerpublic-1');
  });

  it('fails no caller when a pool fill fails, and closes the background generator with the pool', async () => {
    const { pool, callers, fill, closedCount } = splitPool({ RSA_2048: 1, RSA_3072: 0, RSA_4096: 0 });
    pool.warmUp();
    const taken = pool.take('RSA_2048');
    fill.pending.shift()!.reject(new Error('worker gone'));
    await new Promise((r) => setImmediate(r));
    await callers.finishNext();
    expect((await taken).publicKeyDer.toString()).toBe('callerpublic-1');
    pool.close();
    expect(closedCount()).toBe(1);
  });

  it("still fails a caller whose own generation fails after the pool is closed, rather than leaving it waiting", async () => {
    const { pool, callers } = splitPool(sizes(0));
    const taken = pool.take('RSA_2048');
    pool.close();
    callers.pending.shift()!.reject(new Error('no entropy'));
    await expect(taken).rejects.toThrow('no entropy');
  });

  it('generates real RSA key pairs by default', async () => {
    const pool = new WrappingKeyPool(sizes(0));
    const pair = await pool.take('RSA_2048');
    expect(pair.publicKeyDer.length).toBeGreaterThan(250);
    expect(pair.privateKeyDer.length).toBeGreaterThan(1000);
  });
});
