import { randomBytes } from 'node:crypto';
import { isPaddedBase64 } from './aws-validation';

/** The pattern the blob check replaced, written out: whole groups of four, then optional `XX==` or `XXX=`. */
const PADDED_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

describe('isPaddedBase64', () => {
  it('accepts exactly what the grouped base64 pattern accepts', () => {
    const corpus = ['', 'AA==', 'AAA=', 'AAAA', 'A===', '====', 'AA=', 'A', 'AAAAA', 'AA==AAAA', 'AAAA====', 'AB=C', '+/+/', '-_-_', 'AAA=\n', ' AAAA', 'AA==='];
    const alphabet = 'ABCXYZabcxyz0189+/=-_ \n.';
    for (let i = 0; i < 20000; i++) {
      const good = randomBytes(i % 40).toString('base64');
      corpus.push(good);
      // One to three characters replaced, inserted or removed anywhere, padding included.
      let mutated = good;
      for (let m = 0; m <= i % 3; m++) {
        const at = Math.floor(Math.random() * (mutated.length + 1));
        const char = alphabet[Math.floor(Math.random() * alphabet.length)];
        const how = Math.floor(Math.random() * 3);
        mutated = how === 0 ? mutated.slice(0, at) + char + mutated.slice(at + 1) : how === 1 ? mutated.slice(0, at) + char + mutated.slice(at) : mutated.slice(0, at) + mutated.slice(at + 1);
      }
      corpus.push(mutated);
    }
    const disagreements = corpus.filter((text) => isPaddedBase64(text) !== PADDED_BASE64.test(text));
    expect(disagreements).toEqual([]);
    expect(corpus.filter((text) => isPaddedBase64(text)).length).toBeGreaterThan(20000); // both verdicts are well represented
    expect(corpus.filter((text) => !isPaddedBase64(text)).length).toBeGreaterThan(5000);
  });

  it('refuses what is not a string', () => {
    for (const value of [undefined, null, 4, ['AAAA'], { toString: () => 'AAAA' }, Buffer.from('AAAA')]) expect(isPaddedBase64(value)).toBe(false);
  });
});
