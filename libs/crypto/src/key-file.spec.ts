import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createFileOnce } from './key-file';

const run = promisify(execFile);

describe('createFileOnce', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'keyledger-key-file-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the file with its content and mode, once; a second call changes nothing; no temporary file is left', () => {
    const file = join(dir, 'master.key');
    expect(createFileOnce(file, 'first\n', 0o600)).toBe(true);
    expect(createFileOnce(file, 'second\n', 0o600)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('first\n');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['master.key']);
  });

  it('with processes racing to create it and others reading it, every reader sees the one whole content', async () => {
    // Each process: wait for a common start time, then either create-or-read (as the key loaders do) or only read;
    // it prints what it found. A plain exclusive create followed by a write lets a reader find the file empty.
    // The compiled module (npm test builds first), as the service and the CLI run it.
    const module = join(__dirname, '..', '..', '..', 'dist', 'libs', 'crypto', 'src', 'key-file.js');
    const script = (start: number) => `
      const { existsSync, readFileSync } = require('node:fs');
      const { createFileOnce } = require(${JSON.stringify(module)});
      const file = process.argv[1];
      while (Date.now() < ${start}) {}
      const mine = 'key-' + process.pid + '-'.repeat(4000) + 'end\\n';
      let seen;
      for (;;) {
        if (existsSync(file)) { seen = readFileSync(file, 'utf8'); break; }
        if (createFileOnce(file, mine, 0o600)) { seen = mine; break; }
      }
      process.stdout.write(JSON.stringify({ seen }));`;
    for (let round = 0; round < 3; round++) {
      const file = join(dir, `race-${round}.key`);
      const start = Date.now() + 1500;
      const outputs = await Promise.all(Array.from({ length: 6 }, () => run(process.execPath, ['-e', script(start), file], { cwd: process.cwd() })));
      const seen = outputs.map((o) => JSON.parse(o.stdout).seen as string);
      const onDisk = readFileSync(file, 'utf8');
      expect(onDisk).toMatch(/^key-\d+-{4000}end\n$/);
      expect(new Set(seen)).toEqual(new Set([onDisk]));
    }
    expect(readdirSync(dir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
  }, 60_000);
});
