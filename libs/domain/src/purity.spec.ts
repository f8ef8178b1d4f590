import * as fs from 'fs';
import * as path from 'path';
import { sourceFiles } from '../../../test/support/source-files';

/**
 * The domain is pure: no framework, no I/O, no clock, no crypto. Every non-test source file may import only
 * other domain files (relative paths).
 */
const ROOT = __dirname;

/** Every module specifier in a file: import/export ... from 'x', import 'x', require('x'), import('x'). */
function specifiers(source: string): string[] {
  const patterns = [/\b(?:import|export)\s[^'"`;]*?\sfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*['"]([^'"]+)['"]/g, /\b(?:require|import)\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g];
  return patterns.flatMap((re) => [...source.matchAll(re)].map((m) => m[1]));
}

const isRelative = (specifier: string): boolean => specifier.startsWith('./') || specifier.startsWith('../');

describe('domain purity', () => {
  const files = sourceFiles(ROOT);

  it('finds the domain sources', () => {
    const names = files.map((f) => path.relative(ROOT, f));
    expect(names).toEqual(expect.arrayContaining(['key-state.ts', 'decide/index.ts', 'key-metadata.ts']));
    // the scan is not vacuous: it sees the real imports of the decider
    expect(specifiers(fs.readFileSync(path.join(ROOT, 'decide/index.ts'), 'utf8'))).toEqual(
      expect.arrayContaining(['../commands', '../events', './create-key']),
    );
  });

  it('the import scanner recognises every import form', () => {
    const sample = [
      "import { Injectable } from '@nestjs/common';",
      "import type { Observable } from 'rxjs';",
      "import 'reflect-metadata';",
      "export * from 'node:crypto';",
      "import {\n  readFileSync,\n} from 'fs';",
      "const db = require('better-sqlite3');",
      "const c = await import('crypto');",
      "import { x } from './x';",
    ].join('\n');
    expect(specifiers(sample)).toEqual(expect.arrayContaining(['@nestjs/common', 'rxjs', 'reflect-metadata', 'node:crypto', 'fs', 'better-sqlite3', 'crypto', './x']));
  });

  it('imports nothing but other domain files (no @nestjs/, rxjs, node:, crypto, fs, better-sqlite3 or any package)', () => {
    const offending = files.flatMap((file) =>
      specifiers(fs.readFileSync(file, 'utf8'))
        .filter((s) => !isRelative(s) || !path.resolve(path.dirname(file), s).startsWith(ROOT))
        .map((s) => `${path.relative(ROOT, file)} imports '${s}'`),
    );
    expect(offending).toEqual([]);
  });
});
