import type { KeyState } from '@keyledger/domain';

/** A key's state folded up to `revision`, the event at `position` in the global log being its last. */
export interface CachedKeyState {
  /** Deep-frozen: shared by every caller and by the next fold, so no one may change it. */
  readonly state: KeyState;
  readonly revision: number;
  readonly position: number;
}

export const DEFAULT_KEY_STATE_CACHE_SIZE = 10_000;

/** DI token for KeyStateCacheOptions (optional: the default size applies without it). */
export const KEY_STATE_CACHE_OPTIONS = Symbol('KeyStateCacheOptions');

export interface KeyStateCacheOptions {
  /** How many keys' folded states to keep (least recently used goes first); 0 turns the cache off. */
  maxKeys?: number;
}

/**
 * A bounded (LRU) cache of folded key states. It only saves folding: the reader still asks the store for the
 * events after the cached revision every time, so an entry is never trusted as current, only as a starting point.
 */
export class KeyStateCache {
  private readonly entries = new Map<string, CachedKeyState>();

  constructor(readonly maxKeys = DEFAULT_KEY_STATE_CACHE_SIZE) {
    if (!Number.isSafeInteger(maxKeys) || maxKeys < 0) throw new RangeError(`The key state cache size must be an integer >= 0, got ${maxKeys}`);
  }

  get size(): number {
    return this.entries.size;
  }

  get(keyId: string): CachedKeyState | undefined {
    const entry = this.entries.get(keyId);
    if (entry) this.touch(keyId, entry);
    return entry;
  }

  /** Keeps `entry` unless a later revision of the key is cached already (a slower concurrent load finishing last). */
  set(keyId: string, entry: CachedKeyState): void {
    if (this.maxKeys === 0) return;
    const known = this.entries.get(keyId);
    if (known && known.revision > entry.revision) return;
    this.touch(keyId, deepFreeze(entry));
    if (this.entries.size > this.maxKeys) this.entries.delete(this.entries.keys().next().value!);
  }

  clear(): void {
    this.entries.clear();
  }

  private touch(keyId: string, entry: CachedKeyState): void {
    this.entries.delete(keyId); // re-inserted last: the map's order is least recently used first
    this.entries.set(keyId, entry);
  }
}

/** Freezes every object reachable from `value`; parts shared with an earlier (frozen) state are skipped. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const member of Object.values(value)) deepFreeze(member);
  return value;
}
