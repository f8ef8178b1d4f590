import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startSqlBulkLoad } from './sql-bulk-load-thread';

describe('startSqlBulkLoad', () => {
  let dir: string;
  let source: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'keyledger-bulk-load-'));
    source = join(dir, 'source.sqlite');
    file = join(dir, 'target.sqlite');
    const db = new Database(source);
    db.exec('CREATE TABLE numbers (n INTEGER PRIMARY KEY, square INTEGER)');
    const insert = db.prepare('INSERT INTO numbers VALUES (?, ?)');
    db.transaction(() => {
      for (let n = 1; n <= 1000; n += 1) insert.run(n, n * n);
    })();
    db.close();
    new Database(file).exec('CREATE TABLE copied (n INTEGER PRIMARY KEY, square INTEGER)');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = (insert: string) => ({ before: ['DELETE FROM copied'], insert, after: ['CREATE INDEX copied_by_square ON copied (square)'] });

  it('runs the statements on another thread, one range at a time, reporting each position reached', async () => {
    const reached: number[] = [];
    const thread = startSqlBulkLoad({
      file,
      attach: { src: source },
      pragmas: ['main.journal_mode = MEMORY'],
      load: load('INSERT INTO copied SELECT n, square FROM src.numbers WHERE n > ? AND n <= ?'),
      from: 0,
      until: 950,
      step: 400,
      onProgress: (position) => reached.push(position),
    });
    await thread.done;
    expect(reached).toEqual([400, 800, 950]);
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT count(*) AS rows, sum(square) AS total FROM copied').get()).toEqual({ rows: 950, total: (950 * 951 * 1901) / 6 });
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").pluck().all()).toEqual(['copied_by_square']);
    db.close();
  });

  it('rejects with SQLite’s code and message when a statement fails', async () => {
    const thread = startSqlBulkLoad({ file, attach: { src: source }, pragmas: [], load: load('INSERT INTO missing SELECT ?, ?'), from: 0, until: 10, step: 5 });
    await expect(thread.done).rejects.toThrow('SQLITE_ERROR: no such table: missing');
  });

  it('stops when asked, after the statement it is running, and its done then rejects', async () => {
    let firstStatement!: () => void;
    const started = new Promise<void>((resolve) => (firstStatement = resolve));
    const thread = startSqlBulkLoad({
      file,
      attach: { src: source },
      pragmas: [],
      // A range of one row per statement, and a slow one: the thread is still busy when it is stopped.
      load: load('INSERT INTO copied SELECT n, (SELECT count(*) FROM src.numbers a, src.numbers b) FROM src.numbers WHERE n > ? AND n <= ?'),
      from: 0,
      until: 1000,
      step: 1,
      onProgress: () => firstStatement(),
    });
    await started;
    await thread.stop();
    await expect(thread.done).rejects.toThrow('the bulk load was stopped');
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT count(*) FROM copied').pluck().get()).toBeLessThan(1000);
    db.close();
  });
});
