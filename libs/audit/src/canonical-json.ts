/**
 * Canonical JSON: one byte string per JSON value, so a hash computed before an event is stored equals the hash
 * recomputed from what the store gives back. Object keys are sorted by UTF-16 code units, there is no
 * whitespace, and strings and numbers are written as JSON.stringify writes them (RFC 8785, the JSON
 * Canonicalization Scheme, for the values this service stores). Object members whose value is undefined are
 * left out, as JSON.stringify leaves them out when the store serializes the event.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not a JSON number`);
      return JSON.stringify(value);
    case 'object':
      // Already in canonical form (plain JSON, keys in order): the engine's JSON.stringify writes the same text,
      // several times faster. Writers that hash large payloads (usage batches) build their objects in key order.
      if (isCanonicalAsIs(value)) return JSON.stringify(value);
      // Array.from visits holes too (map would skip them): a hole is written as null, as JSON.stringify does.
      if (Array.isArray(value)) return `[${Array.from(value, (item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
      return canonicalObject(value as Record<string, unknown>);
    default:
      throw new TypeError(`canonicalJson: a ${typeof value} is not JSON`);
  }
}

function canonicalObject(object: Record<string, unknown>): string {
  const prototype = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new TypeError(`canonicalJson: a ${prototype?.constructor?.name ?? 'non-plain'} object is not JSON`);
  }
  const members = Object.keys(object)
    .filter((key) => object[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(object[key])}`);
  return `{${members.join(',')}}`;
}

/**
 * Whether JSON.stringify(value) is already its canonical JSON: only plain objects, arrays, strings, booleans, null
 * and finite numbers, no undefined member or array hole, and every object's keys enumerated in sorted order (so
 * integer-like keys, which objects list first, pass only where that is their sorted order too). Anything else
 * (false) takes the general path, which also refuses what is not JSON.
 */
function isCanonicalAsIs(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object': {
      if (Array.isArray(value)) {
        // A hole or an undefined item reads as undefined, which is not canonical as is (default below).
        for (let i = 0; i < value.length; i++) if (!isCanonicalAsIs(value[i])) return false;
        return true;
      }
      const prototype = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) return false;
      const keys = Object.keys(value);
      for (let i = 1; i < keys.length; i++) if (!(keys[i - 1] < keys[i])) return false;
      for (const key of keys) if (!isCanonicalAsIs((value as Record<string, unknown>)[key])) return false;
      return true;
    }
    default:
      return false;
  }
}
