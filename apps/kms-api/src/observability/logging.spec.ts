import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The root logger's stdout in a process of its own (the compiled module, which `npm test` builds first): lines are
 * gathered into 4 KiB pieces, so what is still gathered when the process ends must be written then.
 */
describe('the root logger writing JSON lines to stdout', () => {
  const logging = join(__dirname, '..', '..', '..', '..', 'dist', 'apps', 'kms-api', 'src', 'observability', 'logging.js');
  const run = (script: string) => {
    const program = `const { createRootLogger } = require(${JSON.stringify(logging)}); const log = createRootLogger({ logLevel: 'info', logFormat: 'json' }); ${script}`;
    const result = spawnSync(process.execPath, ['-e', program], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    return result.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  const numbered = (count: number) => Array.from({ length: count }, (_, i) => `line ${i}`);

  it('writes every line, in order, when the process exits at once: fewer than a piece, and many pieces', () => {
    expect(run("for (let i = 0; i < 5; i++) log.info('line ' + i); process.exit(0);").map((l) => l.msg)).toEqual(numbered(5));
    expect(run("for (let i = 0; i < 700; i++) log.info('line ' + i); process.exit(0);").map((l) => l.msg)).toEqual(numbered(700));
  });

  it('writes lines logged over time and those left when the event loop runs dry, with level, time and service', () => {
    const lines = run("let i = 0; const t = setInterval(() => { log.warn('line ' + i++); if (i === 30) clearInterval(t); }, 2);");
    expect(lines.map((l) => l.msg)).toEqual(numbered(30));
    expect(lines[0]).toMatchObject({ level: 'warn', service: 'keyledger', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
  });

  it('arms its flush timer with the first line after a flush, so an idle service is never woken for it', () => {
    const { stdout, stderr } = spawnSync(
      process.execPath,
      [
        '-e',
        `const wait = setTimeout; // the program's own wait, not counted
         const timers = []; for (const name of ['setTimeout', 'setInterval']) { const original = global[name]; global[name] = (fn, ms, ...rest) => { timers.push(name); return original(fn, ms, ...rest); }; }
         const log = require(${JSON.stringify(logging)}).createRootLogger({ logLevel: 'info', logFormat: 'json' });
         const counts = [timers.length];
         log.info('a'); log.info('b'); log.info('c');
         counts.push(timers.length);
         timers.length = 0;
         wait(() => { counts.push(timers.length); log.info('d'); counts.push(timers.length); process.stderr.write(JSON.stringify(counts)); }, 300);`,
      ],
      { encoding: 'utf8' },
    );
    // None at start; one for three lines; none while idle; one for the next line.
    expect(JSON.parse(stderr)).toEqual([0, 1, 0, 1]);
    expect(stdout.split('\n').filter(Boolean).map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('writes what is gathered at once on logger.flush() (the service does after start-up and after its banner)', () => {
    const lines = run("log.info('early'); log.flush(); require('node:fs').writeSync(1, JSON.stringify({ msg: 'marker' }) + '\\n'); log.info('late'); process.exit(0);");
    expect(lines.map((l) => l.msg)).toEqual(['early', 'marker', 'late']);
  });

  it('writes a line within the flush interval while the process goes on', () => {
    const lines = run("log.info('early'); setTimeout(() => { require('node:fs').writeSync(1, JSON.stringify({ msg: 'marker' }) + '\\n'); process.exit(0); }, 400);");
    expect(lines.map((l) => l.msg)).toEqual(['early', 'marker']);
  });
});
