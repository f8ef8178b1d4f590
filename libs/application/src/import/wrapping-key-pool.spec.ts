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
    pool.warmUp(); // one refill per spec in flight
    const rsa2048Generations = () => gen.pending.filter((p) => p.spec === 'RSA_2048').length;
    expect(rsa2048Generations()).toBe(1);
    const taken = pool.take('RSA_2048');
    // One more generation starts (to refill the pool behind the waiter), not one for the waiter and one more.
    expect(rsa2048Generations()).toBe(2);
    expect(gen.pending[0].spec).toBe('RSA_2048'); // warmUp's RSA_2048 generation, started first
    await gen.finishNext();
    expect((await taken).publicKeyDer.toString()).toBe('public-1');
    expect(rsa2048Generations()).toBe(1); // the refill is still running; nothing else was started
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

  it('passes a generation failure to the waiting caller', async () => {
    const gen = manualGenerator();
    const pool = new WrappingKeyPool(sizes(0), 2, gen.generate);
    const taken = pool.take('RSA_2048');
    gen.pending.shift()!.reject(new Error('no entropy'));
    await expect(taken).rejects.toThrow('no entropy');
  });

  it('generates real RSA key pairs by default', async () => {
    const pool = new WrappingKeyPool(sizes(0));
    const pair = await pool.take('RSA_2048');
    expect(pair.publicKeyDer.length).toBeGreaterThan(250);
    expect(pair.privateKeyDer.length).toBeGreaterThan(1000);
  });
});
