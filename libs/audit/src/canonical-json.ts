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
      if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : canonicalJson(item))).join(',')}]`;
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
