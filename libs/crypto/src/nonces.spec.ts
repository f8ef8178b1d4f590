import { RandomNonces } from './nonces';

describe('RandomNonces', () => {
  it('hands out nonces of the asked size, all different, across many blocks', () => {
    const nonces = new RandomNonces(12, 48); // 4 nonces per block: 10,000 nonces span 2,500 blocks
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i += 1) {
      const nonce = nonces.next();
      expect(nonce).toHaveLength(12);
      seen.add(nonce.toString('hex'));
    }
    expect(seen.size).toBe(10_000);
  });

  it('never changes a nonce already handed out when a new block is drawn', () => {
    const nonces = new RandomNonces(12, 24);
    const first = nonces.next();
    const copy = Buffer.from(first);
    for (let i = 0; i < 10; i += 1) nonces.next();
    expect(first.equals(copy)).toBe(true);
  });

  it('draws from the CSPRNG: the bytes of many nonces are spread over every value', () => {
    const nonces = new RandomNonces(12);
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 2_000; i += 1) for (const byte of nonces.next()) counts[byte] += 1;
    // 24,000 bytes, about 94 per value: a fixed, zero or counter-like source would leave values empty
    expect(Math.min(...counts)).toBeGreaterThan(40);
    expect(Math.max(...counts)).toBeLessThan(160);
  });

  it('refuses a block smaller than one nonce', () => {
    expect(() => new RandomNonces(12, 8)).toThrow(RangeError);
  });
});
