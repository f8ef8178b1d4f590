import type { KeyState } from '@keyledger/domain';

/** A key's state folded up to `revision`, the event at `position` in the global log being its last. */
export interface CachedKeyState {
  /** Deep-frozen: shared by every caller and by the next fold, so no one may change it. */
  readonly state: KeyState;
  readonly revision: number;
  readonly position: number;
}

export const DEFAULT_KEY_STATE_CACHE_SIZE = 10_000;
export const DEFAULT_KEY_STATE_TRUST_MS = 1000;

/** DI token for the service's one KeyStateCache (optional: the executor makes its own without it). */
export const KEY_STATE_CACHE = Symbol('KeyStateCache');

export interface KeyStateCacheOptions {
  /** How many keys' folded states to keep (least recently used goes first); 0 turns the cache off. */
  maxKeys?: number;
  /**
   * How long a cryptographic use may trust a cached state without asking the store, in ms; 0: every use asks.
   * Other instances' changes normally arrive sooner, through the subscription (see `saw`); this bounds the
   * staleness if the subscription stalls.
   */
  trustMs?: number;
}

interface Slot {
  entry: CachedKeyState;
  /** When the store read that confirmed `entry` began (monotonic ms); undefined: only a starting point. */
  checkedAt?: number;
  /** The highest revision of the key the log is known to hold (this entry's, or later as `saw` reports). */
  seen: number;
}

/**
 * A bounded (LRU) cache of folded key states, in two roles:
 * - for commands and first loads, a starting point: the executor asks the store only for the events after it;
 * - for cryptographic uses, the answer itself while it is current: confirmed by the store within `trustMs`, and no
 *   later revision reported by the subscription since. This instance's own writes replace the entry as they
 *   commit, so a delete, disable or expiry written here is never missed by a use here; another instance's writes
 *   are seen once this instance's subscription delivers them (the staleness bound across instances).
 */
export class KeyStateCache {
  readonly maxKeys: number;
  readonly trustMs: number;
  private readonly slots = new Map<string, Slot>();

  constructor(options: KeyStateCacheOptions = {}, readonly now: () => number = () => performance.now()) {
    this.maxKeys = options.maxKeys ?? DEFAULT_KEY_STATE_CACHE_SIZE;
    this.trustMs = options.trustMs ?? DEFAULT_KEY_STATE_TRUST_MS;
    if (!Number.isSafeInteger(this.maxKeys) || this.maxKeys < 0) throw new RangeError(`The key state cache size must be an integer >= 0, got ${this.maxKeys}`);
    if (!Number.isSafeInteger(this.trustMs) || this.trustMs < 0) throw new RangeError(`The key state trust time must be an integer >= 0 (ms), got ${this.trustMs}`);
  }

  get size(): number {
    return this.slots.size;
  }

  /** The cached state as a starting point for a load (it may be behind the store). */
  get(keyId: string): CachedKeyState | undefined {
    const slot = this.slots.get(keyId);
    if (slot) this.touch(keyId, slot);
    return slot?.entry;
  }

  /** The cached state if a use may trust it without asking the store (see the class comment). */
  current(keyId: string): CachedKeyState | undefined {
    const slot = this.slots.get(keyId);
    if (!slot || slot.checkedAt === undefined || slot.seen > slot.entry.revision || this.now() - slot.checkedAt > this.trustMs) return undefined;
    this.touch(keyId, slot);
    return slot.entry;
  }

  /**
   * Keeps `entry` unless a later revision is cached already (a slower concurrent load finishing last).
   * `checkedAt`: when the store read that found nothing after `entry` began, or when this instance's own append of
   * it committed; omitted for a state that is only a starting point (a page of a longer load).
   */
  set(keyId: string, entry: CachedKeyState, checkedAt?: number): void {
    if (this.maxKeys === 0) return;
    const known = this.slots.get(keyId);
    if (known && known.entry.revision > entry.revision) return;
    const same = known?.entry.revision === entry.revision ? known : undefined;
    const checks = [checkedAt, same?.checkedAt].filter((t): t is number => t !== undefined);
    this.touch(keyId, {
      entry: same?.entry ?? deepFreeze(entry),
      checkedAt: checks.length > 0 ? Math.max(...checks) : undefined,
      seen: Math.max(known?.seen ?? -1, entry.revision),
    });
    if (this.slots.size > this.maxKeys) this.slots.delete(this.slots.keys().next().value!);
  }

  /** The log holds `revision` of the key (the subscription saw it): a cached state before it is no longer current. */
  saw(keyId: string, revision: number): void {
    const slot = this.slots.get(keyId);
    if (slot && revision > slot.seen) slot.seen = revision;
  }

  clear(): void {
    this.slots.clear();
  }

  private touch(keyId: string, slot: Slot): void {
    this.slots.delete(keyId); // re-inserted last: the map's order is least recently used first
    this.slots.set(keyId, slot);
  }
}

/** Freezes every object reachable from `value`; parts shared with an earlier (frozen) state are skipped. */
function deepFreeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const member of Object.values(value)) deepFreeze(member);
  return value;
}
