import { createPublicKey, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { MaterialVault } from '../ports';
import { CachingMaterialVault } from './caching-material-vault';

/** A vault in memory that counts reads, behind the cache under test. */
class CountingVault implements MaterialVault {
  readonly rows = new Map<string, Buffer>();
  reads = 0;
  gate?: Promise<void>;
  async put(keyId: string, materialId: string, material: Buffer): Promise<void> {
    this.rows.set(`${keyId}/${materialId}`, Buffer.from(material));
  }
  async get(keyId: string, materialId: string): Promise<Buffer | undefined> {
    this.reads += 1;
    await this.gate;
    const row = this.rows.get(`${keyId}/${materialId}`);
    return row && Buffer.from(row);
  }
  async shred(keyId: string, materialId: string): Promise<void> {
    this.rows.delete(`${keyId}/${materialId}`);
  }
  async list() {
    return [];
  }
}

const cachedBytes = (cache: CachingMaterialVault): Buffer[] => [...(cache as unknown as { entries: Map<string, { bytes: Buffer }> }).entries.values()].map((e) => e.bytes);

describe('CachingMaterialVault', () => {
  const material = randomBytes(32);

  it('reads and unseals a material once, then answers from memory with a copy the caller may zero', async () => {
    const inner = new CountingVault();
    const cache = new CachingMaterialVault(inner, 10);
    await cache.put('k', 'm', material, 0);
    const first = await cache.get('k', 'm');
    first!.fill(0);
    const second = await cache.get('k', 'm');
    expect(second).toEqual(material);
    expect(inner.reads).toBe(1);
  });

  it('zeroes and drops the cached copy when the material is shredded, so the next read goes to the vault', async () => {
    const inner = new CountingVault();
    const cache = new CachingMaterialVault(inner, 10);
    await cache.put('k', 'm', material, 0);
    await cache.get('k', 'm');
    const [held] = cachedBytes(cache);
    await cache.shred('k', 'm', 1);
    expect(held.equals(Buffer.alloc(32))).toBe(true);
    expect(await cache.get('k', 'm')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('forgets material removed by another instance (fed from the log) and zeroes everything at close', async () => {
    const inner = new CountingVault();
    const cache = new CachingMaterialVault(inner, 10);
    await cache.put('k', 'a', material, 0);
    await cache.put('k', 'b', randomBytes(32), 0);
    await cache.get('k', 'a');
    await cache.get('k', 'b');
    const [a, b] = cachedBytes(cache);
    cache.forget('k', 'a');
    expect(a.equals(Buffer.alloc(32))).toBe(true);
    expect(cache.size).toBe(1);
    await cache.close();
    expect(b.equals(Buffer.alloc(32))).toBe(true);
    expect(cache.size).toBe(0);
  });

  it('keeps at most maxEntries, evicting (and zeroing) the least recently used', async () => {
    const inner = new CountingVault();
    const cache = new CachingMaterialVault(inner, 2);
    for (const id of ['a', 'b', 'c']) await cache.put('k', id, randomBytes(32), 0);
    await cache.get('k', 'a');
    const [a] = cachedBytes(cache);
    await cache.get('k', 'b');
    await cache.get('k', 'a'); // a is now the most recently used
    await cache.get('k', 'c'); // evicts b
    expect(cache.size).toBe(2);
    expect(a.equals(Buffer.alloc(32))).toBe(false);
    inner.reads = 0;
    await cache.get('k', 'a');
    await cache.get('k', 'b');
    expect(inner.reads).toBe(1);
  });

  it('caches nothing with size 0 (the setting that turns the cache off)', async () => {
    const inner = new CountingVault();
    const cache = new CachingMaterialVault(inner, 0);
    await cache.put('k', 'm', material, 0);
    await cache.get('k', 'm');
    await cache.get('k', 'm');
    expect(inner.reads).toBe(2);
    expect(cache.size).toBe(0);
  });

  it('does not cache a read that a shred overtook while it was in flight', async () => {
    const inner = new CountingVault();
    const cache = new CachingMaterialVault(inner, 10);
    await cache.put('k', 'm', material, 0);
    let open!: () => void;
    inner.gate = new Promise((resolve) => (open = resolve));
    const reading = cache.get('k', 'm');
    await cache.shred('k', 'm', 1);
    open();
    await reading;
    expect(cache.size).toBe(0);
  });

  describe('private keys of asymmetric material', () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const der = pair.privateKey.export({ format: 'der', type: 'pkcs8' });
    const signsAsTheMaterial = (key: import('node:crypto').KeyObject) =>
      verify('sha256', Buffer.from('m'), pair.publicKey, sign('sha256', Buffer.from('m'), key)) && createPublicKey(key).export({ format: 'der', type: 'spki' }).equals(pair.publicKey.export({ format: 'der', type: 'spki' }));

    it('makes the KeyObject once per cached material and drops it with the entry (shred, forget, eviction, clear)', async () => {
      const cache = new CachingMaterialVault(new CountingVault(), 1);
      await cache.put('k', 'm', der, 0);
      const use = async () => cache.privateKeyOf('k', 'm', (await cache.get('k', 'm'))!);
      const first = await use();
      expect(signsAsTheMaterial(first)).toBe(true);
      expect(await use()).toBe(first);

      cache.forget('k', 'm');
      const afterForget = await use();
      expect(afterForget).not.toBe(first);
      expect(signsAsTheMaterial(afterForget)).toBe(true);

      await cache.put('other', 'm', der, 0);
      await cache.get('other', 'm'); // evicts k/m (size 1)
      expect(await use()).not.toBe(afterForget);

      const beforeClear = await use();
      cache.clear();
      expect(await use()).not.toBe(beforeClear);
    });

    it('makes a KeyObject for that use only when the material is not cached (size 0)', async () => {
      const cache = new CachingMaterialVault(new CountingVault(), 0);
      await cache.put('k', 'm', der, 0);
      const bytes = (await cache.get('k', 'm'))!;
      const a = cache.privateKeyOf('k', 'm', bytes);
      expect(signsAsTheMaterial(a)).toBe(true);
      expect(cache.privateKeyOf('k', 'm', bytes)).not.toBe(a);
    });
  });
});
