import type { KeyObject } from 'node:crypto';
import { privateKeyObject } from '@keyledger/crypto';
import { MaterialVault } from '../ports';

/** Unsealed material kept for this many (key, material) pairs by default (KEYLEDGER_MATERIAL_CACHE_SIZE; 0: off). */
export const DEFAULT_MATERIAL_CACHE_SIZE = 1000;

/**
 * Keeps recently used material unsealed in memory, so a key operation does not read and unseal the vault row on
 * every call. A trade-off, bounded and settable: at most `maxEntries` (least recently used evicted first, its
 * bytes zeroed), every entry zeroed when its material is shredded (delete, expiry, key deletion) on this instance,
 * when the log shows another instance removed it (forget, fed by a projection), and at shutdown (clear).
 *
 * The cache never decides whether material may be used: every use is first checked against the key's state read
 * from its stream, so a stale entry can never be used after a removal, only held until it is forgotten.
 * Callers get a copy, which they zero after the use.
 *
 * An asymmetric material's private key is also kept as the KeyObject made from it (`privateKeyOf`), because making
 * one costs several times the signature. A KeyObject's memory belongs to OpenSSL and cannot be zeroed from here: it
 * is dropped with the entry, and OpenSSL clears it when the garbage collector frees it (as it does for the
 * KeyObject every uncached use makes and drops).
 */
export class CachingMaterialVault implements MaterialVault {
  private readonly entries = new Map<string, Entry>();
  /** Counts removals, so a read that raced one (begun before it) is not cached. */
  private removals = 0;

  constructor(
    private readonly inner: MaterialVault & { close?(): void | Promise<void> },
    private readonly maxEntries = DEFAULT_MATERIAL_CACHE_SIZE,
  ) {}

  get masterKeyId(): string | undefined {
    return this.inner.masterKeyId;
  }

  get size(): number {
    return this.entries.size;
  }

  async put(keyId: string, keyMaterialId: string, material: Buffer, revision: number): Promise<void> {
    this.forget(keyId, keyMaterialId);
    await this.inner.put(keyId, keyMaterialId, material, revision);
  }

  async get(keyId: string, keyMaterialId: string): Promise<Buffer | undefined> {
    const id = entryId(keyId, keyMaterialId);
    const cached = this.entries.get(id);
    if (cached) {
      this.entries.delete(id); // re-inserted last: the map's order is least recently used first
      this.entries.set(id, cached);
      return Buffer.from(cached.bytes);
    }
    const removalsBefore = this.removals;
    const material = await this.inner.get(keyId, keyMaterialId);
    if (material && this.maxEntries > 0 && this.removals === removalsBefore) this.remember(id, { bytes: Buffer.from(material) });
    return material;
  }

  /** The cached entry's KeyObject, made once; for material not cached (now), one made for this use only. */
  privateKeyOf(keyId: string, keyMaterialId: string, bytes: Buffer): KeyObject {
    const entry = this.entries.get(entryId(keyId, keyMaterialId));
    if (!entry) return privateKeyObject(bytes);
    entry.privateKey ??= privateKeyObject(entry.bytes);
    return entry.privateKey;
  }

  async shred(keyId: string, keyMaterialId: string, revision: number): Promise<void> {
    this.forget(keyId, keyMaterialId);
    await this.inner.shred(keyId, keyMaterialId, revision);
  }

  list(): Promise<Array<{ keyId: string; keyMaterialId: string; revision: number }>> {
    return this.inner.list();
  }

  /** Zeroes and drops one material's cached copy (it was removed, here or by another instance). */
  forget(keyId: string, keyMaterialId: string): void {
    this.removals += 1;
    const id = entryId(keyId, keyMaterialId);
    this.entries.get(id)?.bytes.fill(0);
    this.entries.delete(id);
  }

  /** Zeroes and drops every cached copy (shutdown). */
  clear(): void {
    this.removals += 1;
    for (const { bytes } of this.entries.values()) bytes.fill(0);
    this.entries.clear();
  }

  /** Zeroes the cache, then closes the vault behind it. */
  async close(): Promise<void> {
    this.clear();
    await this.inner.close?.();
  }

  private remember(id: string, entry: Entry): void {
    this.entries.set(id, entry);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value!;
      this.entries.get(oldest)!.bytes.fill(0);
      this.entries.delete(oldest);
    }
  }
}

interface Entry {
  bytes: Buffer;
  /** Made on the first asymmetric use (privateKeyOf). */
  privateKey?: KeyObject;
}

const entryId = (keyId: string, keyMaterialId: string) => `${keyId}\u0000${keyMaterialId}`;
