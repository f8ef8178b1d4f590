import type { WrappingKeySpec } from '@keyledger/domain';
import { WrappingKeyPool } from './wrapping-key-pool';

/** A generator the test completes by hand, so the pool's scheduling can be observed exactly. */
function manualGenerator() {
  const pending: Array<{ spec: WrappingKeySpec; resolve: (pair: { publicKeyDer: Buffer; privateKeyDer: Buffer }) => void; reject: (e: Error) => void }> = [];
  let made = 0;
  return {
    pending,
    generate: (spec: WrappingKeySpec) =>
      new Promise<{ publicKeyDer: Buffer; privateKeyDer: Buffer }>((resolve, reject) => pending.push({ spec, resolve, reject })),
    finishNext: async () => {
      const next = pending.shift()!;
      made++;
      next.resolve({ publicKeyDer: Buffer.from(`public-${made}`), privateKeyDer: Buffer.from(`private-${made}`) });
      await new Promise((r) => setImmediate(r));
    },
  };
}

const sizes = (n: number) => ({ RSA_2048: n, RSA_3072: n, RSA_4096: n });

describe('WrappingKeyPool', () => {
  it('fills to its target size and hands each pair out once', async () => {
    const gen = manualGenerator();
    const pool = new WrappingKeyPool(sizes(2), 2, gen.generate);
    pool.warmUp();
    expect(gen.pending.filter((p) => p.spec === 'RSA_2048')).toHaveLength(2);
    await gen.finishNext();
    await gen.finishNext();
    const a = await pool.take('RSA_2048');
    const b = await pool.take('RSA_2048');
    expect(a.publicKeyDer.toString()).not.toBe(b.publicKeyDer.toString());
  });

  it('gives a caller that finds the pool empty the next pair to finish instead of generating another', async () => {
    const gen = manualGenerator();
    const pool = new WrappingKeyPool(sizes(1), 2, gen.generate);
    pool.warmUp(); // RSA_2048 and RSA_3072 start; RSA_4096 waits, two generations run already
    const rsa2048Generations = () => gen.pending.filter((p) => p.spec === 'RSA_2048').length;
    expect(gen.pending.map((p) => p.spec)).toEqual(['RSA_2048', 'RSA_3072']);
    const taken = pool.take('RSA_2048');
    // The generation in flight serves the caller; the refill behind it waits for a free slot.
    expect(rsa2048Generations()).toBe(1);
    await gen.finishNext();
    expect((await taken).publicKeyDer.toString()).toBe('public-1');
    // The freed slot refills RSA_2048 first (the order of the target sizes), RSA_4096 still waits.
    expect(gen.pending.map((p) => p.spec)).toEqual(['RSA_3072', 'RSA_2048']);
  });

  it('starts a generation for a caller who finds the pool empty even while background refills use every slot', async () => {
    const gen = manualGenerator();
    const pool = new WrappingKeyPool({ RSA_2048: 0, RSA_3072: 0, RSA_4096: 2 }, 2, gen.generate);
    pool.warmUp();
    expect(gen.pending.map((p) => p.spec)).toEqual(['RSA_4096', 'RSA_4096']);
    const taken = pool.take('RSA_2048');
    expect(gen.pending.map((p) => p.spec)).toEqual(['RSA_4096', 'RSA_4096', 'RSA_2048']);
    gen.pending.push(gen.pending.shift()!, gen.pending.shift()!); // the RSA_2048 pair finishes first
    await gen.finishNext();
    expect((await taken).publicKeyDer.toString()).toBe('public-1');
    expect(gen.pending).toHaveLength(2); // nothing more: the RSA_4096 refills still hold both slots
    pool.close();
  });

  it('runs at most maxParallel background generations across all specs, filling them in order', async () => {
    const gen = manualGenerator();
    const pool = new WrappingKeyPool(sizes(2), 2, gen.generate);
    pool.warmUp();
    const order: string[] = [];
    while (gen.pending.length > 0) {
      expect(gen.pending.length).toBeLessThanOrEqual(2);
      order.push(gen.pending[0].spec);
      await gen.finishNext();
    }
    expect(order).toEqual(['RSA_2048', 'RSA_2048', 'RSA_3072', 'RSA_3072', 'RSA_4096', 'RSA_4096']);
    expect([pool.readyCount('RSA_2048'), pool.readyCount('RSA_3072'), pool.readyCount('RSA_4096')]).toEqual([2, 2, 2]);
  });

  it('never runs more than maxParallel generations per spec, queueing a burst of callers', async () => {
    const gen = manualGenerator();
    const pool = new WrappingKeyPool(sizes(0), 2, gen.generate);
    const burst = Array.from({ length: 5 }, () => pool.take('RSA_4096'));
    expect(gen.pending).toHaveLength(2);
    for (let i = 0; i < 5; i++) await gen.finishNext();
    const pairs = await Promise.all(burst);
    expect(new Set(pairs.map((p) => p.publicKeyDer.toString())).size).toBe(5);
    expect(gen.pending).toHaveLength(0);
    expect(pool.readyCount('RSA_4096')).toBe(0);
  });

  it('replaces pairs handed out from the pool only after the refill delay, so a burst is not slowed by generation', async () => {
    const gen = manualGenerator();
    const pool = new WrappingKeyPool({ RSA_2048: 3, RSA_3072: 0, RSA_4096: 0 }, 2, gen.generate, 30);
    pool.warmUp();
    for (let i = 0; i < 3; i++) await gen.finishNext();
    expect(gen.pending).toHaveLength(0);

    await Promise.all([pool.take('RSA_2048'), pool.take('RSA_2048')]);
    expect(gen.pending).toHaveLength(0); // nothing competes with the burst yet
    await new Promise((r) => setTimeout(r, 60));
    expect(gen.pending).toHaveLength(2); // both pairs are being replaced
    for (let i = 0; i < 2; i++) await gen.finishNext();
    expect(pool.readyCount('RSA_2048')).toBe(3);
    pool.close();
  });

  it('passes a generation failure to the waiting caller, and starts one for each caller still waiting', async () => {
    const gen = manualGenerator();
    const pool = new WrappingKeyPool(sizes(0), 2, gen.generate);
    const callers = [pool.take('RSA_2048'), pool.take('RSA_2048'), pool.take('RSA_2048')];
    expect(gen.pending).toHaveLength(2);
    gen.pending.shift()!.reject(new Error('no entropy'));
    gen.pending.shift()!.reject(new Error('no entropy'));
    await expect(callers[0]).rejects.toThrow('no entropy');
    await expect(callers[1]).rejects.toThrow('no entropy');
    expect(gen.pending).toHaveLength(1); // the third caller is not left without a generation
    await gen.finishNext();
    expect((await callers[2]).publicKeyDer.toString()).toBe('public-1');
  });

  it('generates real RSA key pairs by default', async () => {
    const pool = new WrappingKeyPool(sizes(0));
    const pair = await pool.take('RSA_2048');
    expect(pair.publicKeyDer.length).toBeGreaterThan(250);
    expect(pair.privateKeyDer.length).toBeGreaterThan(1000);
  });
});
