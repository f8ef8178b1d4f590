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
});
