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
});
