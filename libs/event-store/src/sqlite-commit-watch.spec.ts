import Database from 'better-sqlite3';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { OtherConnectionsCommitWatch } from './sqlite-commit-watch';

describe('OtherConnectionsCommitWatch', () => {
  let dir: string;
  let watched: Database.Database;
  let other: Database.Database;
  let watch: OtherConnectionsCommitWatch;
  let calls: number;
  const ticks = (count: number) => new Promise((resolve) => setTimeout(resolve, count * 5 + 5));

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyledger-commit-watch-'));
    const filename = path.join(dir, 'watched.db');
    watched = new Database(filename);
    watched.pragma('journal_mode = WAL');
    watched.exec('CREATE TABLE t (v INTEGER)');
    other = new Database(filename);
    calls = 0;
    watch = new OtherConnectionsCommitWatch(watched, 5, () => (calls += 1));
    watch.start();
  });

  afterEach(() => {
    watch.stop();
    other.close();
    if (watched.open) watched.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('calls back once per tick in which another connection committed, and never while nothing changes', async () => {
    await ticks(4);
    expect(calls).toBe(0);

    other.prepare('INSERT INTO t VALUES (1)').run();
    await ticks(4);
    expect(calls).toBe(1);

    other.prepare('INSERT INTO t VALUES (2)').run();
    other.prepare('INSERT INTO t VALUES (3)').run();
    await ticks(4);
    expect(calls).toBe(2);
  });

  it("does not call back for the watched connection's own commits (its store announces those)", async () => {
    watched.prepare('INSERT INTO t VALUES (1)').run();
    await ticks(4);
    expect(calls).toBe(0);
  });

  it('stops: on stop(), and by itself once its connection is closed', async () => {
    watch.stop();
    other.prepare('INSERT INTO t VALUES (1)').run();
    await ticks(4);
    expect(calls).toBe(0);

    watch.start();
    watched.close();
    other.prepare('INSERT INTO t VALUES (2)').run();
    await ticks(4);
    expect(calls).toBe(0);
  });
});
