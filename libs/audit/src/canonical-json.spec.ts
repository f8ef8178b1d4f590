import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('sorts keys at every depth, drops undefined members and writes no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' }, u: undefined })).toBe('{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}');
  });

  it('orders keys by UTF-16 code units and escapes strings as JSON does', () => {
    expect(canonicalJson({ é: 1, Z: 2, a: 3, '\u2028': 'line\nbreak "quoted"' })).toBe('{"Z":2,"a":3,"é":1,"\u2028":"line\\nbreak \\"quoted\\""}');
  });

  it('gives the same text before and after a JSON round trip (what the store does to an event)', () => {
    const value = { n: 1e21, f: 0.1 + 0.2, neg: -5, list: [undefined, 'x'], nested: { keep: 'y', drop: undefined } };
    expect(canonicalJson(JSON.parse(JSON.stringify(value)))).toBe(canonicalJson(value));
  });

  it('refuses values that are not JSON', () => {
    for (const value of [NaN, Infinity, 10n, () => 1, Symbol('s'), new Date(0), Buffer.from('x')]) {
      expect(() => canonicalJson(value)).toThrow(TypeError);
    }
  });

  it('writes objects already in key order exactly as the general rules do (JSON.stringify fast path), across random values', () => {
    /** The rules written out independently: sorted keys at every depth, undefined members dropped, holes as null. */
    const reference = (value: unknown): string => {
      if (value === null || typeof value !== 'object') return JSON.stringify(value);
      if (Array.isArray(value)) return `[${Array.from(value, (item) => (item === undefined ? 'null' : reference(item))).join(',')}]`;
      const members = Object.keys(value)
        .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
        .sort()
        .map((key) => `${JSON.stringify(key)}:${reference((value as Record<string, unknown>)[key])}`);
      return `{${members.join(',')}}`;
    };
    let state = 20261205;
    const random = (n: number) => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) % n);
    const keys = ['a', 'b', 'B', 'é', '10', '9', '0', '\u2028', 'keyId', 'accountId', 'z'];
    const leaf = (): unknown => [null, true, false, 0, -0, 1.5, -7, 1e21, '', 'x', 'line\nbreak', '\ud800', undefined][random(13)];
    const build = (depth: number): unknown => {
      const kind = depth > 3 ? 0 : random(4);
      if (kind === 0) return leaf();
      if (kind === 1) {
        const list: unknown[] = Array.from({ length: random(4) }, () => build(depth + 1));
        if (random(5) === 0) list.length += 1; // a hole
        return list;
      }
      const chosen = [...new Set(Array.from({ length: random(5) }, () => keys[random(keys.length)]))];
      if (random(2) === 0) chosen.sort(); // in key order half the time: the fast path's case
      const object: Record<string, unknown> = random(6) === 0 ? Object.create(null) : {};
      for (const key of chosen) object[key] = build(depth + 1);
      return object;
    };
    let fastPathCases = 0;
    for (let i = 0; i < 5000; i++) {
      const value = build(0);
      if (value !== undefined) expect(canonicalJson(value)).toBe(reference(value));
      if (value !== null && typeof value === 'object' && JSON.stringify(value) === reference(value)) fastPathCases += 1;
    }
    expect(fastPathCases).toBeGreaterThan(500);
  });
});
