import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { sourceFiles } from '../../../test/support/source-files';
import { limitBy } from './sqlite-schema';

const repoRoot = join(__dirname, '..', '..', '..');

describe('limitBy', () => {
  const db = new Database(':memory:');
  beforeAll(() => {
    db.exec('CREATE TABLE t (a INTEGER PRIMARY KEY)');
    const insert = db.prepare('INSERT INTO t (a) VALUES (?)');
    for (let a = 1; a <= 5; a++) insert.run(a);
  });
  afterAll(() => db.close());

  it('limits by a positional parameter, -1 meaning no limit, as a bare LIMIT ? does', () => {
    const page = db.prepare(`SELECT a FROM t WHERE a > ? ORDER BY a ${limitBy()}`).pluck();
    expect(page.all(1, 2)).toEqual([2, 3]);
    expect(page.all(0, -1)).toEqual([1, 2, 3, 4, 5]);
    expect(page.all(4, 10)).toEqual([5]);
  });

  it('limits by a named parameter', () => {
    const page = db.prepare(`SELECT a FROM t WHERE a > @after ORDER BY a ${limitBy('@limit')}`).pluck();
    expect(page.all({ after: 2, limit: 2 })).toEqual([3, 4]);
  });

  it('is how every prepared statement of the service, the CLI and the libraries limits by a parameter', () => {
    const bare = ['apps', 'libs'].flatMap((dir) =>
      sourceFiles(join(repoRoot, dir)).flatMap((file) =>
        readFileSync(file, 'utf8')
          .split('\n')
          .map((line, index) => ({ line, where: `${relative(repoRoot, file)}:${index + 1}` }))
          .filter(({ line }) => /\bLIMIT\s+[?@:$]/.test(line) && !line.trim().startsWith('*'))
          .map(({ where }) => where),
      ),
    );
    expect(bare).toEqual([]);
  });
});
