import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AwsJsonClient } from './aws-json';
import { loadBenchConfig } from './config';
import { mainThreadCost, mib } from './format';
import { median } from './measure';
import { cases, keyledgerKeys, SIDE_OPERATIONS, SideOperation, SideWindow, warmUp, window } from './side-by-side';
import { waitForServiceIdle } from './scenarios';
import { ServiceProcess } from './service-process';

/**
 * `npm run bench:compare -- <git ref>`: the service as built at <ref> (baseline) beside the working tree's build
 * (current), the side-by-side operations driven on each by the same lean client, in alternating windows (odd
 * rounds baseline first, even rounds current first), so both see the same machine within seconds of each other.
 * On a shared host whose speed drifts by tens of percent between runs, this tells whether a change made the
 * service cheaper when a single `npm run bench` cannot. Prints per operation the median service CPU per request
 * and req/s of each and the change; writes nothing to docs.
 *
 * Settings instead of code: BENCH_COMPARE_BASELINE_ENV and BENCH_COMPARE_CURRENT_ENV add `NAME=value` settings
 * (separated by spaces) to that side's service; without a ref, both sides run the working tree's build, so
 * `BENCH_COMPARE_CURRENT_ENV=KEYLEDGER_USAGE_LOG=off npm run bench:compare` measures what the usage log costs.
 *
 * Knobs: BENCH_COMPARE_OPERATIONS (comma-separated, default all six), BENCH_COMPARE_ROUNDS (default 3),
 * BENCH_SIDE_SECONDS / BENCH_SIDE_WARMUP_SECONDS / BENCH_SIDE_CONCURRENCY (each window, as for `npm run bench`).
 */

const log = (message: string): void => console.log(`[bench:compare] ${message}`);
// git's own complaints end up in the error thrown, not on the terminal.
const git = (repoDir: string, ...args: string[]): string => execFileSync('git', args, { cwd: repoDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

type Side = 'baseline' | 'current';

interface CompareSettings {
  /** The baseline's git ref; undefined: both sides run the working tree's build (a comparison of settings). */
  ref?: string;
  operations: SideOperation[];
  rounds: number;
  /** Settings added to each side's service environment. */
  env: Record<Side, Record<string, string>>;
}

const SERVICE_SETTING = /^([A-Z][A-Z0-9_]*)=(.*)$/;

/** `NAME=value NAME=value`: settings for one side's service (values without spaces, as every setting takes). */
export function parseServiceSettings(variable: string, text: string | undefined): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const item of (text ?? '').split(/\s+/).filter(Boolean)) {
    const match = SERVICE_SETTING.exec(item);
    if (!match) throw new Error(`${variable}: '${item}' is not NAME=value (e.g. KEYLEDGER_USAGE_LOG=off)`);
    settings[match[1]] = match[2];
  }
  return settings;
}

function settings(argv: string[]): CompareSettings {
  const ref = argv.find((arg) => !arg.startsWith('-'));
  const env = {
    baseline: parseServiceSettings('BENCH_COMPARE_BASELINE_ENV', process.env.BENCH_COMPARE_BASELINE_ENV),
    current: parseServiceSettings('BENCH_COMPARE_CURRENT_ENV', process.env.BENCH_COMPARE_CURRENT_ENV),
  };
  if (!ref && Object.keys(env.baseline).length + Object.keys(env.current).length === 0) {
    throw new Error('usage: npm run bench:compare -- <git ref to compare the working tree with>, or set BENCH_COMPARE_BASELINE_ENV / BENCH_COMPARE_CURRENT_ENV to compare settings on the working tree');
  }
  const listed = process.env.BENCH_COMPARE_OPERATIONS?.split(',').map((s) => s.trim()).filter(Boolean) ?? [...SIDE_OPERATIONS];
  const unknown = listed.filter((op) => !(SIDE_OPERATIONS as readonly string[]).includes(op));
  if (unknown.length > 0) throw new Error(`BENCH_COMPARE_OPERATIONS: unknown ${unknown.join(', ')}; known: ${SIDE_OPERATIONS.join(', ')}`);
  const rounds = Number(process.env.BENCH_COMPARE_ROUNDS ?? 3);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 50) throw new Error(`BENCH_COMPARE_ROUNDS must be an integer from 1 to 50, got ${process.env.BENCH_COMPARE_ROUNDS}`);
  return { ref, operations: listed as SideOperation[], rounds, env };
}

/** A detached worktree of `commit` next to the temporary data, built with this checkout's node_modules. */
function buildBaseline(repoDir: string, commit: string, dir: string): void {
  git(repoDir, 'worktree', 'add', '--detach', '--force', dir, commit);
  symlinkSync(join(repoDir, 'node_modules'), join(dir, 'node_modules'), 'dir');
  execFileSync('npm', ['run', '--silent', 'build'], { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
}

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const { ref, operations, rounds, env: sideEnv } = settings(argv);
  const config = loadBenchConfig([]);
  const repoDir = resolve(__dirname, '..', '..');
  const commit = ref === undefined ? undefined : git(repoDir, 'rev-parse', '--verify', `${ref}^{commit}`);
  const tempRoot = mkdtempSync(join(tmpdir(), 'keyledger-bench-compare-'));
  const baselineDir = join(tempRoot, 'baseline-src');
  const services: ServiceProcess[] = [];
  const cleanUp = () => {
    if (commit !== undefined) {
      try {
        git(repoDir, 'worktree', 'remove', '--force', baselineDir);
      } catch {
        // Not created yet; the directory goes with the temporary root.
      }
    }
    rmSync(tempRoot, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    log('SIGINT: stopping');
    void ServiceProcess.stopAll().finally(() => {
      cleanUp();
      process.exit(130);
    });
  });
  try {
    if (commit !== undefined) {
      log(`building ${ref} (${commit.slice(0, 12)}) in ${baselineDir}`);
      buildBaseline(repoDir, commit, baselineDir);
    }
    const env = { KEYLEDGER_WRAPPING_KEY_POOL_SIZE: '0' };
    const baseline = await ServiceProcess.start({ name: 'baseline', repoDir: commit === undefined ? repoDir : baselineDir, tempRoot, env: { ...env, ...sideEnv.baseline } });
    services.push(baseline);
    const current = await ServiceProcess.start({ name: 'current', repoDir, tempRoot, env: { ...env, ...sideEnv.current } });
    services.push(current);
    const targets = { baseline, current };
    const all = cases(config.cryptoPlaintextBytes);
    const rows: Array<{ operation: SideOperation; windows: Record<Side, SideWindow[]> }> = [];
    for (const operation of operations) {
      const c = all[operation];
      const inputs = {} as Record<Side, Record<string, unknown>>;
      for (const name of ['baseline', 'current'] as const) {
        const setup = new AwsJsonClient(targets[name].url, 1);
        try {
          await waitForServiceIdle(targets[name]);
          inputs[name] = await c.prepare(setup, await keyledgerKeys(setup));
          c.check(await setup.call(operation, inputs[name]), inputs[name]);
        } finally {
          setup.close();
        }
        await warmUp(targets[name], inputs[name], operation, c, config);
      }
      const windows: Record<Side, SideWindow[]> = { baseline: [], current: [] };
      for (let round = 1; round <= rounds; round++) {
        const order = round % 2 ? (['baseline', 'current'] as const) : (['current', 'baseline'] as const);
        for (const name of order) windows[name].push(await window(name, targets[name], inputs[name], operation, c, config));
        const last = (name: Side) => windows[name][windows[name].length - 1];
        const shown = (w: SideWindow) =>
          `${w.perSecond.toFixed(0)} req/s, ${((w.cpuMsPerRequest ?? NaN) * 1000).toFixed(0)} µs CPU/req (main thread ${mainThreadCost(w.mainThread)}), p99 ${w.latency.p99.toFixed(1)} ms, ${mib(w.peakRssBytes)}${w.errors ? `, ERRORS ${w.errors} (${w.firstError})` : ''}`;
        log(`  ${operation} round ${round}: baseline ${shown(last('baseline'))} | current ${shown(last('current'))}`);
      }
      rows.push({ operation, windows });
    }
    const head = git(repoDir, 'rev-parse', 'HEAD').slice(0, 12);
    const described = (side: Side, build: string) => {
      const added = Object.entries(sideEnv[side]).map(([name, value]) => `${name}=${value}`);
      return added.length > 0 ? `${build} with ${added.join(' ')}` : build;
    };
    const workingTree = `the working tree (HEAD ${head} plus uncommitted changes)`;
    const sides = {
      baseline: described('baseline', commit === undefined ? workingTree : `${ref} (${commit.slice(0, 12)})`),
      current: described('current', workingTree),
    };
    console.log(render(sides, rounds, config.sideConcurrency, config.sideSeconds, rows));
  } finally {
    await Promise.all(services.map((service) => service.stop()));
    cleanUp();
  }
}

function render(
  sides: Record<Side, string>,
  rounds: number,
  concurrency: number,
  seconds: number,
  rows: Array<{ operation: SideOperation; windows: Record<Side, SideWindow[]> }>,
): string {
  const cpu = (ws: SideWindow[]) => median(ws.map((w) => (w.cpuMsPerRequest ?? NaN) * 1000));
  const rate = (ws: SideWindow[]) => median(ws.map((w) => w.perSecond));
  const p99 = (ws: SideWindow[]) => median(ws.map((w) => w.latency.p99));
  const mainThread = (ws: SideWindow[]) =>
    mainThreadCost({
      runningMsPerRequest: median(ws.map((w) => w.mainThread?.runningMsPerRequest ?? NaN)),
      waitingMsPerRequest: median(ws.map((w) => w.mainThread?.waitingMsPerRequest ?? NaN)),
    });
  const rss = (ws: SideWindow[]) => {
    const known = ws.flatMap((w) => (w.peakRssBytes === undefined ? [] : [w.peakRssBytes]));
    return known.length > 0 ? Math.max(...known) : undefined;
  };
  const change = (before: number, after: number) => `${after >= before ? '+' : '−'}${Math.abs((after / before - 1) * 100).toFixed(0)} %`;
  const lines = [
    '',
    `Baseline: ${sides.baseline}. Current: ${sides.current}. ${rounds} alternating windows of ${seconds} s each at ${concurrency} connections, medians.`,
    '',
    '| Operation | Service CPU per request, baseline → current | Change | Main thread per request, running + waiting for a core | Req/s, baseline → current | Change | p99, baseline → current | Peak RSS (highest window) | Errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const { operation, windows } of rows) {
    const [b, c] = [windows.baseline, windows.current];
    const errors = [...b, ...c].reduce((sum, w) => sum + w.errors, 0);
    lines.push(`| ${operation} | ${cpu(b).toFixed(0)} → ${cpu(c).toFixed(0)} µs | ${change(cpu(b), cpu(c))} | ${mainThread(b)} → ${mainThread(c)} | ${rate(b).toFixed(0)} → ${rate(c).toFixed(0)} | ${change(rate(b), rate(c))} | ${p99(b).toFixed(1)} → ${p99(c).toFixed(1)} ms | ${mib(rss(b))} → ${mib(rss(c))} | ${errors} |`);
  }
  return lines.join('\n');
}
