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

  it('writes a line within the flush interval while the process goes on', () => {
    const lines = run("log.info('early'); setTimeout(() => { require('node:fs').writeSync(1, JSON.stringify({ msg: 'marker' }) + '\\n'); process.exit(0); }, 400);");
    expect(lines.map((l) => l.msg)).toEqual(['early', 'marker']);
  });
});
