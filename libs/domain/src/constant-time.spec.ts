import { constantTimeEquals } from './constant-time';
import { MAT_A, MAT_B } from './testing/given-when-then';

describe('constantTimeEquals', () => {
  it.each([
    ['equal strings', MAT_A, MAT_A, true],
    ['two empty strings', '', '', true],
    ['different strings of the same length', MAT_A, MAT_B, false],
    ['strings differing only in the last character', 'abcdef', 'abcdeg', false],
    ['a string and its prefix (different lengths)', 'abcdef', 'abc', false],
    ['a string and its repetition', 'ab', 'abab', false],
    ['empty and non-empty', '', 'a', false],
    ['non-empty and empty', 'a', '', false],
    ['a NUL character and the empty string', '\u0000', '', false],
  ])('%s -> %s', (_name, a, b, expected) => {
    expect(constantTimeEquals(a, b)).toBe(expected);
    expect(constantTimeEquals(b, a)).toBe(expected);
  });
});
