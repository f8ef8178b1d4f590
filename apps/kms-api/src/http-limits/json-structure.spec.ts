import { findJsonStructureViolation } from './json-structure';

describe('findJsonStructureViolation (a linear scan of raw JSON text)', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it('measures depth from the body itself, and stops at the first bracket too many', () => {
    expect(findJsonStructureViolation(nested(10))).toBeUndefined();
    expect(findJsonStructureViolation(nested(11))).toEqual({ kind: 'depth', maxDepth: 10 });
    expect(findJsonStructureViolation('{"a":{"b":[{"c":1}]}}', 4)).toBeUndefined();
    expect(findJsonStructureViolation('{"a":{"b":[{"c":{}}]}}', 4)).toEqual({ kind: 'depth', maxDepth: 4 });
  });

  it('ignores brackets, commas and escaped quotes inside strings', () => {
    expect(findJsonStructureViolation(JSON.stringify({ a: '[[[[[[[[[[[[{{{{{{{{{{{{', b: ',,,,,,,,', 'c"[': 'x\\"[{' }), 3, 3)).toBeUndefined();
    expect(findJsonStructureViolation('["\\\\", "[[[[", "\\"]]]]"]', 2, 3)).toBeUndefined();
  });

  it('counts the entries of every array and object and names the path of the one over the bound', () => {
    const list = (n: number) => `[${Array(n).fill('"x"').join(',')}]`;
    expect(findJsonStructureViolation(`{"GrantTokens":${list(1000)}}`)).toBeUndefined();
    expect(findJsonStructureViolation(`{"GrantTokens":${list(1001)}}`)).toEqual({ kind: 'entries', maxEntries: 1000, container: 'array', path: ['GrantTokens'] });
    expect(findJsonStructureViolation('{"Tags":[{"TagKey":"a"},{"TagKey":"b","x":[1,2,3]}]}', 10, 2)).toEqual({
      kind: 'entries',
      maxEntries: 2,
      container: 'array',
      path: ['Tags', '2', 'x'],
    });
    expect(findJsonStructureViolation('{"a":1,"b":2,"c":3}', 10, 2)).toEqual({ kind: 'entries', maxEntries: 2, container: 'object', path: [] });
    expect(findJsonStructureViolation('{"Ctx":{"k\\u0041":{"a":1,"b":2,"c":3}}}', 10, 2)).toMatchObject({ path: ['Ctx', 'kA'] });
    expect(findJsonStructureViolation('[[],[],[]]', 10, 3)).toBeUndefined();
    expect(findJsonStructureViolation('[ ]', 10, 0)).toBeUndefined();
  });

  it('never throws on malformed text, and stays linear on hostile input', () => {
    for (const text of ['', '"', '"\\', ']]]]', '}}{{', '{"a":', '[1,,,,]', '{"a"', '\u0000', '"unterminated [[[[']) {
      expect(() => findJsonStructureViolation(text)).not.toThrow();
    }
    const started = process.hrtime.bigint();
    findJsonStructureViolation(`[${'"\\\\\\"",'.repeat(200_000)}1]`, 10, Number.MAX_SAFE_INTEGER);
    findJsonStructureViolation(nested(5_000_000));
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1000);
  });

  it('agrees with the parsed document on random JSON whose strings are full of quotes, backslashes and brackets', () => {
    let state = 7;
    const random = (n: number) => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) % n);
    const text = () => Array.from({ length: random(8) }, () => ['"', '\\', '\\\\', '[', ']', '{', '}', ',', 'a', '\\"'][random(10)]).join('');
    const build = (depth: number): unknown => {
      if (depth > 4 || random(3) === 0) return random(2) ? text() : random(100);
      if (random(2)) return Array.from({ length: random(5) }, () => build(depth + 1));
      return Object.fromEntries(Array.from({ length: random(5) }, () => [text(), build(depth + 1)]));
    };
    /** Deepest nesting and most entries of any container, from the parsed value: the scan's independent oracle. */
    const shape = (value: unknown): { depth: number; entries: number } => {
      if (value === null || typeof value !== 'object') return { depth: 0, entries: 0 };
      const children = Object.values(value).map(shape);
      return { depth: 1 + Math.max(0, ...children.map((c) => c.depth)), entries: Math.max(Object.keys(value).length, ...children.map((c) => c.entries)) };
    };
    let violations = 0;
    for (let i = 0; i < 3000; i++) {
      const json = JSON.stringify(build(0));
      const { depth, entries } = shape(JSON.parse(json));
      const expected = depth > 4 || entries > 3;
      expect({ json, violated: findJsonStructureViolation(json, 4, 3) !== undefined }).toEqual({ json, violated: expected });
      if (expected) violations += 1;
    }
    expect(violations).toBeGreaterThan(300);
    expect(violations).toBeLessThan(2700);
  });
});
