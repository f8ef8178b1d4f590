/**
 * History benchmark (`npm run bench:history`, entry point bin/bench-history.js), on the EMBEDDED store only:
 *
 * 1. generates a log of BENCH_REPLAY_EVENTS events (default 1,000,000) in a temporary data directory, through the
 *    service's own hash-chaining SqliteEventStore, in the shapes the service writes;
 * 2. rebuilds every projection from position 0 as `keyledger replay` does, BENCH_REPLAY_RUNS times, and reports events
 *    per second;
 * 3. measures, for keys whose own history has BENCH_HISTORY_SIZES events (default 10, 1000, 100000) inside that
 *    log, what point-in-time state and history reads cost: in-process (the CLI's code paths), as a CLI process
 *    (`keyledger state --as-of`), and over HTTP against the real service started on that data directory
 *    (`GET /v1/keys/{id}?asOf=`, `GET /v1/keys/{id}/events`).
 *
 * Writes its section of docs/benchmarks.md (keeping the `npm run bench` section) and prints it. Knobs:
 * BENCH_REPLAY_EVENTS, BENCH_REPLAY_RUNS (5 replays of the log; the median is reported), BENCH_HISTORY_SIZES,
 * BENCH_REPLAY_EVENTS_PER_KEY (25), BENCH_HISTORY_HTTP (1; 0 skips the
 * service), BENCH_HISTORY_MAX_SECONDS (900, overall bound), BENCH_REPORT, BENCH_KEEP_TMP=1, and
 * BENCH_HISTORY_ONLY=replay: generate the same log and measure the replay only (printed; the report is not written).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpus, loadavg, platform, release, arch, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { ChainingEventStore } from '@keyledger/audit';
import { keyStreamId } from '@keyledger/domain';
import { SqliteEventStore } from '@keyledger/event-store';
import { toAuditRow } from '../apps/kms-cli/src/audit/audit-row';
import { ReadOnlyEventLog } from '../apps/kms-cli/src/event-log/read-only-event-log';
import { replayProgressBar } from '../apps/kms-cli/src/replay/progress-bar';
import { rebuildReadModels, type RebuildResult } from '../apps/kms-cli/src/replay/rebuild-read-models';
import { keyStateAt } from '../apps/kms-cli/src/state/key-state-at';
import { machineCpuSeconds, sampleMachineBusy } from './cpu';
import { sigV4Headers } from '../apps/kms-cli/src/sigv4-request';
import { benchAbort, LatencyStats, now, summarize } from './measure';
import { writeReportSection } from './report-file';
import { ServiceProcess } from './service-process';
import { appendSyntheticKey, syntheticEventTime } from './synthetic-key-history';

const log = (message: string): void => console.log(`[bench:history] ${message}`);
const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (value: number): string => (!Number.isFinite(value) ? '–' : value < 1 ? value.toFixed(3) : value < 100 ? value.toFixed(2) : value.toFixed(0));
const cell = (s: LatencyStats | undefined): string => (s && s.count > 0 ? `${ms(s.p50)} (${ms(s.p95)})` : '–');

function integerList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (!raw) return fallback;
  const values = raw.split(',').map(Number);
  if (values.some((v) => !Number.isInteger(v) || v < 1 || v > 100_000_000)) throw new Error(`${name} must be positive integers, got '${raw}'.`);
  return values;
}

interface HistoryConfig {
  totalEvents: number;
  perKey: number;
  sizes: number[];
  http: boolean;
  maxSeconds: number;
  reportPath: string;
  keepTemp: boolean;
  /** Measure the replay only (step 3 skipped, nothing written to the report). */
  replayOnly: boolean;
  /** Replays of the same log: this host's speed moves by ±20 % from one run to the next, so one sample says little. */
  replayRuns: number;
}

function loadHistoryConfig(): HistoryConfig {
  const maxSeconds = integerList('BENCH_HISTORY_MAX_SECONDS', [900])[0];
  return {
    totalEvents: integerList('BENCH_REPLAY_EVENTS', [1_000_000])[0],
    perKey: integerList('BENCH_REPLAY_EVENTS_PER_KEY', [25])[0],
    sizes: integerList('BENCH_HISTORY_SIZES', [10, 1000, 100_000]),
    http: process.env.BENCH_HISTORY_HTTP !== '0',
    maxSeconds,
    reportPath: process.env.BENCH_REPORT ?? 'docs/benchmarks.md',
    keepTemp: process.env.BENCH_KEEP_TMP === '1',
    replayOnly: onlyPart() === 'replay',
    replayRuns: Math.max(1, integerList('BENCH_REPLAY_RUNS', [5])[0]),
  };
}

function onlyPart(): 'replay' | undefined {
  const only = process.env.BENCH_HISTORY_ONLY;
  if (only === undefined || only === '') return undefined;
  if (only !== 'replay') throw new Error(`BENCH_HISTORY_ONLY must be 'replay', got '${only}'.`);
  return only;
}

/** Repetitions per measurement, fewer for long histories (each read of 100,000 events takes seconds). */
const repetitions = (events: number, small: number): number => (events >= 100_000 ? 5 : events >= 1000 ? Math.min(small, 30) : small);

interface HistoryRow {
  events: number;
  /** readStream of the whole stream (SQL + JSON), what `audit` reads. */
  read: LatencyStats;
  /** read + audit rows for every event, what `audit --json` builds. */
  auditRows: LatencyStats;
  /** read + fold to the middle of the history + toKeyMetadata, what `state --as-of` does. */
  stateMiddle: LatencyStats;
  /** read + fold of the whole history. */
  stateEnd: LatencyStats;
  /** `node bin/keyledger-cli.js state <key> --as-of <middle>` wall time, process start included. */
  cliProcess: LatencyStats;
}

interface HttpRow {
  events: number;
  /** AWS JSON DescribeKey: served from the read model alone (baseline). */
  describeKey: LatencyStats;
  /** GET /v1/keys/{id}: the read model, plus the key's revision for the ETag (GetKeyRevision, from the cached key state). */
  current: LatencyStats;
  /** GET /v1/keys/{id}?asOf=<middle of the history>. */
  asOfMiddle: LatencyStats;
  /** GET /v1/keys/{id}/events?limit=100: the first page of the history. */
  firstPage: LatencyStats;
  /** GET /v1/keys/{id}/events?limit=100&afterRevision=<middle>: a page from the middle. */
  middlePage: LatencyStats;
  /** Bytes of the first page's response body. */
  pageBytes: number;
  errors: number;
  firstError?: string;
}

function repeat(times: number, body: () => void, deadline: number): LatencyStats {
  body(); // warm-up (statement cache, JIT), not counted
  const samples: number[] = [];
  for (let i = 0; i < times && now() < deadline && !benchAbort.signal.aborted; i += 1) {
    const start = now();
    body();
    samples.push(now() - start);
  }
  return summarize(samples);
}

function measureInProcess(dataDir: string, keyId: string, events: number, repoDir: string, deadline: number): HistoryRow {
  const eventLog = ReadOnlyEventLog.open(dataDir);
  const times = repetitions(events, 200);
  const middle = syntheticEventTime(Math.floor(events / 2));
  try {
    const read = repeat(times, () => eventLog.readStream(keyStreamId(keyId)), deadline);
    const auditRows = repeat(times, () => eventLog.readStream(keyStreamId(keyId)).map(toAuditRow), deadline);
    const stateMiddle = repeat(times, () => keyStateAt(keyId, eventLog.readStream(keyStreamId(keyId)), { asOf: middle }), deadline);
    const stateEnd = repeat(times, () => keyStateAt(keyId, eventLog.readStream(keyStreamId(keyId)), { asOf: Date.now() }), deadline);
    const cli = join(repoDir, 'bin', 'keyledger-cli.js');
    const samples: number[] = [];
    for (let i = 0; i < 3 && now() < deadline && !benchAbort.signal.aborted; i += 1) {
      const start = now();
      execFileSync(process.execPath, [cli, 'state', keyId, '--as-of', new Date(middle).toISOString(), '--data-dir', dataDir], { stdio: 'pipe', timeout: 120_000 });
      samples.push(now() - start);
    }
    return { events, read, auditRows, stateMiddle, stateEnd, cliProcess: summarize(samples) };
  } finally {
    eventLog.close();
  }
}

/** One keep-alive connection for the HTTP series (one request at a time). */
const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });

/** Requests are signed with SigV4 as `test`/`test` (the service's development default), as any client must. */
const SIGN_AS = { accessKeyId: 'test', secretAccessKey: 'test', region: 'us-east-1' };

async function httpCall(url: string, timeoutMs: number, post?: { target: string; body: string }): Promise<{ status: number; bytes: number }> {
  const unsigned: Record<string, string> = post ? { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': post.target } : {};
  const signed = await sigV4Headers(url, post ? 'POST' : 'GET', unsigned, post?.body, SIGN_AS);
  const headers = { ...signed, ...(post ? { 'content-length': String(Buffer.byteLength(post.body)) } : {}) };
  return new Promise((resolvePromise, reject) => {
    const req = request(url, { method: post ? 'POST' : 'GET', headers, timeout: timeoutMs, agent: keepAlive }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => resolvePromise({ status: response.statusCode ?? 0, bytes }));
      response.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(post?.body);
  });
}

async function measureHttp(service: ServiceProcess, keyId: string, events: number, deadline: number): Promise<HttpRow> {
  const times = repetitions(events, 50);
  const middleTime = new Date(syntheticEventTime(Math.floor(events / 2))).toISOString();
  const base = `${service.url}/v1/keys/${keyId}`;
  const row: HttpRow = { events, describeKey: summarize([]), current: summarize([]), asOfMiddle: summarize([]), firstPage: summarize([]), middlePage: summarize([]), pageBytes: 0, errors: 0 };
  const series = async (url: string, post?: { target: string; body: string }): Promise<LatencyStats> => {
    const samples: number[] = [];
    for (let i = 0; i <= times && now() < deadline && !benchAbort.signal.aborted; i += 1) {
      const start = now();
      try {
        const { status, bytes } = await httpCall(url, 120_000, post);
        if (status !== 200) throw new Error(`${post ? post.target : `GET ${url.slice(service.url.length)}`} answered ${status}`);
        if (url.endsWith('/events?limit=100')) row.pageBytes = bytes;
        if (i > 0) samples.push(now() - start); // the first call is a warm-up
      } catch (error) {
        row.errors += 1;
        row.firstError ??= (error as Error).message;
      }
    }
    return summarize(samples);
  };
  row.describeKey = await series(`${service.url}/`, { target: 'TrentService.DescribeKey', body: JSON.stringify({ KeyId: keyId }) });
  row.current = await series(base);
  row.asOfMiddle = await series(`${base}?asOf=${encodeURIComponent(middleTime)}`);
  row.firstPage = await series(`${base}/events?limit=100`);
  row.middlePage = await series(`${base}/events?limit=100&afterRevision=${Math.floor(events / 2)}`);
  return row;
}

interface ReplayRun {
  result: RebuildResult;
  /** CPU seconds of the benchmark process (both lanes) during the run: less sensitive to the host's speed than wall time. */
  cpuSeconds: number;
  /** Hypervisor steal during the run, in % of one core. */
  stealPercent?: number;
}

interface HistoryResults {
  startedAt: Date;
  wallSeconds: number;
  loadBefore: number[];
  busyBefore?: number;
  loadAfter: number[];
  generated: { events: number; keys: number; seconds: number; bytes: number };
  /** The median run (by throughput); `replayRuns` has every run, in order. */
  replay: RebuildResult;
  replayRuns: ReplayRun[];
  /** Size of the read-models file the replay built. */
  readModelsBytes: number;
  inProcess: HistoryRow[];
  http?: { rows: HttpRow[]; startupMs: number; log: ReturnType<ServiceProcess['logSummary']> };
  httpSkipped?: string;
  config: HistoryConfig;
  tempFilesystem: string;
}

function render(r: HistoryResults): string {
  const { generated, replay, config } = r;
  const cpu = cpus();
  const out: string[] = [];
  out.push('## Replay throughput and history costs (embedded store)', '');
  out.push(
    `Measured by \`npm run bench:history\` (\`bench/replay.ts\`, \`bench/synthetic-key-history.ts\`, entry point \`bin/bench-history.js\`) on the **embedded store (SQLite)** only, in a temporary data directory.`,
    '',
    '- **The log**: generated in-process through the service\'s own `SqliteEventStore` wrapped in `ChainingEventStore` (so every event carries its hash-chain link, as the service writes them), ' +
      `in the event shapes and metadata the service writes: first the keys whose history is measured (${config.sizes.map(count).join(', ')} events, appended 1,000 events per transaction), then ordinary keys of ${config.perKey} events each (one transaction per key) up to the total. ` +
      'A key\'s stream is `KeyCreated` followed by cycles of `ImportParametersIssued` → `KeyMaterialImported` → `KeyMaterialDeleted` or `KeyMaterialExpired`, one simulated minute apart. No key material is in the vault.',
    '- **Replay**: `rebuildReadModels` (what `keyledger replay` runs): every projection rebuilt from position 0 into a fresh read-models file in two lanes: the audit index loaded by SQL straight from the log on a thread of its own (indexes built once at the end), while the main thread applies the other projections with the service\'s `ProjectionRunner`, a page of 2,000 events per transaction (log read without metadata and without the state-neutral ImportParametersIssued events, data parsed only where a projection reads it, key states folded in memory across pages and written once at the end), into a side file whose tables are copied in at the end; the CLI\'s progress bar is fed by both lanes. Throughput = events / wall time of the rebuild, the final copy included. The replay runs BENCH_REPLAY_RUNS times (default 5) on the same log, the first with the progress bar; the headline is the median run, since this host\'s speed moves from one run to the next.',
    '- **History costs, in-process**: the CLI\'s code paths on the same log, median of repeated calls (one warm-up call first; 200 repetitions for small histories, 30 for 1,000 events, 5 for 100,000). ' +
      '`keyledger state --as-of` is also run as a process (3 runs), which includes Node.js start-up and loading the code.',
    config.http
      ? '- **History costs over HTTP**: the real service (`node bin/keyledger-api.js`) started on that data directory, whose read models the replay has just rebuilt, on 127.0.0.1; one keep-alive connection, one request at a time, plain HTTP requests (no AWS SDK) signed with SigV4 as `test`, first call of each series not counted. ' +
        'AWS JSON `DescribeKey` is served from the read model alone (the baseline); the REST `GET /v1/keys/{id}` serves the same read model with the key\'s revision (from the cached key state) as its `ETag`; `?asOf=` and `/events` read the key\'s stream from the event store.'
      : '- History costs over HTTP: skipped (`BENCH_HISTORY_HTTP=0`).',
    '',
  );
  out.push('### Environment', '');
  out.push(
    '|  |  |',
    '| --- | --- |',
    `| Command | \`npm run bench:history\` |`,
    `| Date | ${r.startedAt.toISOString()} |`,
    `| CPU | ${cpu[0]?.model.trim()} × ${cpu.length} |`,
    `| Memory | ${(totalmem() / 2 ** 30).toFixed(1)} GiB |`,
    `| Node.js | ${process.version} |`,
    `| Platform | ${platform()} ${release()} ${arch()} |`,
    `| Temp dir filesystem | ${r.tempFilesystem} (${tmpdir()}) |`,
    `| Machine load | before: ${r.busyBefore === undefined ? 'n/a' : `${r.busyBefore.toFixed(0)}% of one core busy (1 s sample), `}load average ${r.loadBefore.map((v) => v.toFixed(2)).join(' / ')}; after: load average ${r.loadAfter.map((v) => v.toFixed(2)).join(' / ')} |`,
    `| Wall time (after build) | ${r.wallSeconds.toFixed(0)} s |`,
    `| Settings | BENCH_REPLAY_EVENTS=${config.totalEvents}, BENCH_REPLAY_RUNS=${config.replayRuns}, BENCH_HISTORY_SIZES=${config.sizes.join(',')}, BENCH_REPLAY_EVENTS_PER_KEY=${config.perKey}, BENCH_HISTORY_HTTP=${config.http ? 1 : 0} |`,
    '',
  );
  out.push('### Replay (embedded store)', '');
  out.push(
    '|  |  |',
    '| --- | --- |',
    `| Log | ${count(generated.events)} events in ${count(generated.keys)} key streams, events.sqlite ${(generated.bytes / 2 ** 20).toFixed(0)} MiB, generated in ${generated.seconds.toFixed(0)} s (${count(generated.events / generated.seconds)} events/s appended) |`,
    `| Events replayed | ${count(replay.events)} |`,
    `| Runs | ${r.replayRuns.length} replays of the same log, one after the other (BENCH_REPLAY_RUNS) |`,
    `| Replay time, median run | ${replay.seconds.toFixed(1)} s |`,
    `| **Replay throughput, median run** | **${count(replay.eventsPerSecond)} events/s** |`,
    `| Every run (events/s, CPU seconds of both lanes, steal) | ${r.replayRuns.map((run) => `${count(run.result.eventsPerSecond)} (${run.cpuSeconds.toFixed(1)} s CPU${run.stealPercent === undefined ? '' : `, ${run.stealPercent.toFixed(0)}% steal`})`).join('; ')} |`,
    `| Rows rebuilt | ${Object.entries(replay.rows).map(([t, n]) => `${t} ${count(n)}`).join(', ')} |`,
    `| Read-models file | ${(r.readModelsBytes / 2 ** 20).toFixed(0)} MiB (the log it indexes: ${(generated.bytes / 2 ** 20).toFixed(0)} MiB) |`,
    '',
  );
  out.push('### Point-in-time state and history reads as a key\'s history grows (embedded store, in-process)', '');
  out.push(
    'Milliseconds, median (p95 in parentheses), for one key with N events inside the log above.',
    '',
    '| Events in the key | Read stream | Read + audit rows (`audit`) | State as of the middle (`state --as-of`) | State now | `keyledger state --as-of` as a process, median |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...r.inProcess.map((h) => `| ${count(h.events)} | ${cell(h.read)} | ${cell(h.auditRows)} | ${cell(h.stateMiddle)} | ${cell(h.stateEnd)} | ${h.cliProcess.count ? ms(h.cliProcess.p50) : '–'} |`),
    '',
  );
  if (r.http) {
    out.push('### The same over the service\'s REST API (embedded store, HTTP on 127.0.0.1)', '');
    out.push(
      `The service answered /health ${(r.http.startupMs / 1000).toFixed(1)} s after it was started on the ${count(generated.events)}-event data directory. Milliseconds, median (p95 in parentheses), as the client sees them.`,
      '',
      '| Events in the key | AWS `DescribeKey` (read model) | `GET /v1/keys/{id}` (read model + cached revision for the ETag) | `GET /v1/keys/{id}?asOf=` the middle of the history | `/events?limit=100` (first page) | `/events?limit=100&afterRevision=` the middle | First page size | Errors |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...r.http.rows.map(
        (h) =>
          `| ${count(h.events)} | ${cell(h.describeKey)} | ${cell(h.current)} | ${cell(h.asOfMiddle)} | ${cell(h.firstPage)} | ${cell(h.middlePage)} | ${(h.pageBytes / 1024).toFixed(0)} KiB | ${h.errors === 0 ? '0' : `${h.errors} (${h.firstError})`} |`,
      ),
      '',
    );
  } else if (r.httpSkipped) {
    out.push(`History reads over HTTP were not measured: ${r.httpSkipped}`, '');
  }
  out.push('### Observations (history)', '');
  for (const note of historyObservations(r)) out.push(`- ${note}`);
  out.push('');
  return out.join('\n');
}

function historyObservations(r: HistoryResults): string[] {
  const notes: string[] = [];
  notes.push(
    `Replay rebuilt every read model from ${count(r.replay.events)} events at ${count(r.replay.eventsPerSecond)} events/s in the median of ${r.replayRuns.length} runs ` +
      `(${count(Math.min(...r.replayRuns.map((run) => run.result.eventsPerSecond)))}–${count(Math.max(...r.replayRuns.map((run) => run.result.eventsPerSecond)))}; ${r.replay.seconds.toFixed(0)} s): ` +
      `that is how long \`keyledger replay\` takes for a log of this size on this machine. A service started without a read-models file on a log this long runs the same replay before it serves ` +
      `(KEYLEDGER_STARTUP_REPLAY_MIN_EVENTS); on an existing but empty file it catches up by itself in one lane, several times slower.`,
  );
  const rows = [...r.inProcess].sort((a, b) => a.events - b.events);
  if (rows.length >= 2) {
    const small = rows[0];
    const large = rows[rows.length - 1];
    const perEvent = (s: LatencyStats, n: number) => (s.p50 / n) * 1000;
    notes.push(
      `In-process, reading a key's whole stream and folding it grow linearly with the history: state as of the middle took ${ms(small.stateMiddle.p50)} ms for ${count(small.events)} events and ` +
        `${ms(large.stateMiddle.p50)} ms for ${count(large.events)} (about ${perEvent(large.stateMiddle, large.events).toFixed(0)} µs per event at the large end), most of it reading the stream ` +
        `(${ms(large.read.p50)} ms). These columns measure that primitive; the \`keyledger state --as-of\` command itself reads the stream in pages only up to the moment asked for.`,
    );
  }
  if (r.http && r.http.rows.length >= 2) {
    const hr = [...r.http.rows].sort((a, b) => a.events - b.events);
    const small = hr[0];
    const large = hr[hr.length - 1];
    notes.push(
      `Over HTTP, AWS \`DescribeKey\` (read model) took ${ms(small.describeKey.p50)} ms for the ${count(small.events)}-event key and ${ms(large.describeKey.p50)} ms for the ${count(large.events)}-event key; ` +
        `the REST \`GET /v1/keys/{id}\` (read model, revision for the ETag from the cached key state) ${ms(small.current.p50)} and ${ms(large.current.p50)} ms. ` +
        `\`?asOf=\` the middle of the history (read in pages up to that moment) took ${ms(small.asOfMiddle.p50)} ms for ${count(small.events)} events and ${ms(large.asOfMiddle.p50)} ms for ${count(large.events)}. ` +
        `A page of 100 history entries (one range read) took ${ms(small.firstPage.p50)} ms for a ${count(small.events)}-event key and ${ms(large.firstPage.p50)} ms for a ${count(large.events)}-event key, ` +
        `and the page from the middle ${ms(small.middlePage.p50)} and ${ms(large.middlePage.p50)} ms.`,
    );
  }
  return notes;
}

export async function main(): Promise<void> {
  const wallStart = now();
  const startedAt = new Date();
  const config = loadHistoryConfig();
  const deadline = wallStart + config.maxSeconds * 1000;
  const repoDir = resolve(__dirname, '..', '..');
  const tempDir = mkdtempSync(join(tmpdir(), 'keyledger-bench-history-'));
  const loadBefore = loadavg();
  const busyBefore = await sampleMachineBusy(1000);
  log(`temporary directory ${tempDir}; load average ${loadBefore.map((v) => v.toFixed(2)).join(' ')}`);
  const onSignal = (signal: NodeJS.Signals): void => {
    log(`${signal}: stopping (data kept in ${tempDir})`);
    benchAbort.abort();
    void ServiceProcess.stopAll().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let succeeded = false;
  try {
    // 1. The log: the keys whose history is measured, then ordinary keys of `perKey` events up to the total.
    const started = now();
    const store = new ChainingEventStore(new SqliteEventStore({ filename: join(tempDir, 'events.sqlite') }));
    const measured: Array<{ keyId: string; events: number }> = [];
    for (const events of config.sizes) measured.push({ keyId: await appendSyntheticKey(store, events, 1000), events });
    let events = config.sizes.reduce((a, b) => a + b, 0);
    let keys = config.sizes.length;
    while (events < config.totalEvents) {
      if (now() > deadline || benchAbort.signal.aborted) throw new Error(`generation did not finish within BENCH_HISTORY_MAX_SECONDS=${config.maxSeconds}`);
      await appendSyntheticKey(store, config.perKey, config.perKey);
      events += config.perKey;
      keys += 1;
      if (keys % 10_000 === 0) log(`  generated ${count(events)} events`);
    }
    await store.close();
    const generated = { events, keys, seconds: (now() - started) / 1000, bytes: statSync(join(tempDir, 'events.sqlite')).size };
    log(`generated ${count(events)} events in ${count(keys)} streams in ${generated.seconds.toFixed(1)} s`);

    // 2. Replay every projection from zero, as `keyledger replay` does, progress bar included; several times.
    const replayRuns: ReplayRun[] = [];
    for (let run = 1; run <= config.replayRuns; run++) {
      if (now() > deadline || benchAbort.signal.aborted) throw new Error(`the replays did not finish within BENCH_HISTORY_MAX_SECONDS=${config.maxSeconds}`);
      const last = await measuredReplay(tempDir, run === 1);
      replayRuns.push(last);
      log(`replay ${run}/${config.replayRuns}: ${count(last.result.events)} events in ${last.result.seconds.toFixed(1)} s = ${count(last.result.eventsPerSecond)} events/s, ${last.cpuSeconds.toFixed(1)} s CPU`);
    }
    const replay = [...replayRuns].sort((a, b) => a.result.eventsPerSecond - b.result.eventsPerSecond)[Math.floor((replayRuns.length - 1) / 2)].result;
    log(`replay, median of ${replayRuns.length}: ${count(replay.events)} events in ${replay.seconds.toFixed(1)} s = ${count(replay.eventsPerSecond)} events/s`);
    const readModelsBytes = statSync(replay.target).size;
    if (config.replayOnly) {
      log(`BENCH_HISTORY_ONLY=replay: rows ${Object.entries(replay.rows).map(([t, n]) => `${t} ${count(n)}`).join(', ')}; the report was not written`);
      succeeded = true;
      return;
    }

    // 3. Point-in-time state and history reads for one key, as its history grows: in-process, then over HTTP.
    const inProcess = measured.map(({ keyId, events: size }) => {
      const row = measureInProcess(tempDir, keyId, size, repoDir, deadline);
      log(`in-process, history of ${count(size)} events: read ${ms(row.read.p50)} ms, state as of the middle ${ms(row.stateMiddle.p50)} ms, CLI process ${ms(row.cliProcess.p50)} ms`);
      return row;
    });

    let http: HistoryResults['http'];
    let httpSkipped: string | undefined;
    if (config.http && now() < deadline) {
      // The read models the replay built are the service's default read-models file in this DATA_DIR.
      const service = await ServiceProcess.start({ name: 'history-service', repoDir, tempRoot: tempDir, dataDir: tempDir, env: {}, startTimeoutMs: 300_000 });
      try {
        log(`service on the history data directory healthy after ${(service.startupMs / 1000).toFixed(1)} s`);
        const rows: HttpRow[] = [];
        for (const { keyId, events: size } of measured) {
          const row = await measureHttp(service, keyId, size, deadline);
          rows.push(row);
          log(`HTTP, history of ${count(size)} events: asOf ${ms(row.asOfMiddle.p50)} ms, first page ${ms(row.firstPage.p50)} ms, middle page ${ms(row.middlePage.p50)} ms, errors ${row.errors}`);
        }
        http = { rows, startupMs: service.startupMs, log: service.logSummary() };
      } finally {
        keepAlive.destroy();
        await service.stop();
      }
      if (service.exitedUnexpectedly) throw new Error(`the service exited during the history measurements (code ${service.exitCode}); log: ${service.logFile}`);
    } else if (config.http) {
      httpSkipped = `the overall time bound (BENCH_HISTORY_MAX_SECONDS=${config.maxSeconds}) was reached first.`;
    }

    const tempFilesystem = (() => {
      try {
        return execFileSync('df', ['-PT', tempDir], { encoding: 'utf8' }).trim().split('\n').pop()!.split(/\s+/)[1];
      } catch {
        return 'unknown';
      }
    })();
    const results: HistoryResults = {
      startedAt,
      wallSeconds: (now() - wallStart) / 1000,
      loadBefore,
      busyBefore,
      loadAfter: loadavg(),
      generated,
      replay,
      replayRuns,
      readModelsBytes,
      inProcess,
      http,
      httpSkipped,
      config,
      tempFilesystem,
    };
    const markdown = render(results);
    const reportFile = resolve(repoDir, config.reportPath);
    writeReportSection(reportFile, 'bench:history', markdown);
    console.log(`\n${markdown}\n`);
    log(`section written to ${reportFile} (the \`npm run bench\` section in it was kept); wall time ${results.wallSeconds.toFixed(0)} s`);
    succeeded = true;
  } finally {
    await ServiceProcess.stopAll();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
    if (succeeded && !config.keepTemp) rmSync(tempDir, { recursive: true, force: true });
    else log(`kept ${tempDir}`);
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: Error) => {
      console.error('[bench:history] failed:', error.stack ?? error);
      process.exit(1);
    },
  );
}

/** One replay into the data directory's read-models file (each run replaces it), timed and metered. */
async function measuredReplay(dataDir: string, showProgress: boolean): Promise<ReplayRun> {
  let lastLogged = 0;
  const bar = showProgress ? replayProgressBar() : undefined;
  const cpuBefore = process.cpuUsage();
  const machineBefore = machineCpuSeconds();
  const result = await rebuildReadModels({
    dataDir,
    target: join(dataDir, 'read-models.sqlite'),
    onProgress: (applied, total) => {
      if (!bar) return;
      bar.update(applied, total);
      if (applied - lastLogged >= total / 10 || applied === total) {
        lastLogged = applied;
        log(`  replayed ${count(applied)} / ${count(total)}`);
      }
    },
  }).finally(() => bar?.stop());
  const cpu = process.cpuUsage(cpuBefore);
  const machineAfter = machineCpuSeconds();
  const stealPercent = machineBefore && machineAfter ? ((machineAfter.steal - machineBefore.steal) / result.seconds) * 100 : undefined;
  return { result, cpuSeconds: (cpu.user + cpu.system) / 1e6, stealPercent };
}
