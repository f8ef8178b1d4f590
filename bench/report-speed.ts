import type { BenchConfig } from './config';
import { errors, mainThreadCost, mib, ms, pct, rate, table, us } from './format';
import type { HistoryLatencyResults } from './history-latency';
import type { ImportLimitResults } from './import-limits';
import { REFERENCE_WRAPPING_PAIRS } from './reference-import';
import { cpuCeiling, type BurstStats, type SideResults, type SideRow, type SideWindow } from './side-by-side';
import { STORE_LABELS } from './stores';

/**
 * Report sections of the speed parts (issue 10): side by side with the bare reference server, latency against
 * history length, and the import path against the RSA key-generation limit. Every figure comes from the run.
 */
export interface SpeedResults {
  config: BenchConfig;
  side?: SideResults;
  historyLatency?: HistoryLatencyResults;
  importLimits?: ImportLimitResults;
}

const count = (n: number): string => Math.round(n).toLocaleString('en-US');
const three = (row: { referenceFirst?: SideWindow; keyledger?: SideWindow; referenceLast?: SideWindow }, cell: (w: SideWindow) => string): string =>
  [row.referenceFirst, row.keyledger, row.referenceLast].map((w) => (w ? cell(w) : '–')).join(' / ');
/** Issue 10's throughput goal: Keyledger at least this share of the bare reference server's req/s. */
const RATIO_GOAL = 0.7;
const cores = (w: SideWindow): string => (w.cpu.servicePercent === undefined ? 'n/a' : ((w.cpu.servicePercent + w.cpu.clientPercent) / 100).toFixed(2));
const runnable = (w: SideWindow): string => (w.mainThread === undefined ? 'n/a' : `${(w.mainThread.runnableShare * 100).toFixed(0)} %`);
const load = (w: SideWindow): string => `${pct(w.cpu.otherPercent)} (${pct(w.cpu.stealPercent)})`;

export function speedMethodBullets(results: SpeedResults): string[] {
  const out: string[] = [];
  const { side, historyLatency: history, importLimits: imports, config } = results;
  if (side) {
    out.push(
      `- **Side by side** (runs **side-keyledger**, ${STORE_LABELS.embedded}, pool size 0, and **side-reference**): the bare reference server \`bench/reference-server.ts\` is plain \`node:http\`, no framework, one in-memory key per key type; it verifies every request's SigV4 signature with the service's own \`SigV4Verifier\` (\`@smithy/signature-v4\`), does AES-256-GCM, ECDSA P-256 and HMAC-SHA-256 with \`node:crypto\` and speaks AWS JSON 1.1; it stores, audits and validates nothing else. It is the floor. ` +
        `Both servers run as child processes for the whole comparison; first each server gets ${side.warmupSeconds} s of every operation, unmeasured (so the first operation measured does not also pay for a server's start-up: JIT compilation, caches, heap growth); then for each operation the reference is measured, then Keyledger, then the reference again, each window with the same lean client (\`bench/aws-json.ts\`, every request signed afresh) at ${side.concurrency} connections: ${side.warmupSeconds} s warm-up, ${side.seconds} s measured. ` +
        `Keyledger's keys are created through CreateKey beforehand (Origin \`AWS_KMS\`), the ciphertext Decrypt takes is made by each server's own Encrypt; every response is checked. ` +
        `The comparison goes over every operation ${side.rounds} time(s) in turn (rounds), so an operation's rounds are a minute or more apart: this host's speed drifts by tens of percent over a minute, and one window of one server can land in a slow phase the other's did not. ` +
        `Ratio of a round = Keyledger req/s ÷ the mean of its two reference windows; an operation's ratio is the median of its rounds, and its other columns show the median round (for an even count, the lower of the two middle ones). Service CPU per request = the measured server's CPU time in the window (\`/proc/<pid>/stat\`) ÷ its successful requests; peak RSS = the highest \`VmRSS\` sampled every 50 ms in the window.` +
        (side.idleBursts
          ? ` Then ${side.idleBursts.rounds} rounds of **bursts after idle**, the shape of the GetParametersForImport bursts below: per round and server (reference first), wait until the server is idle (CPU below 5 % for 0.5 s), then ${side.idleBursts.size} concurrent Encrypt calls (the default RSA_2048 pool size); then, once the reference is idle again, ${side.idleBursts.size} concurrent GetParametersForImport (RSAES_OAEP_SHA_256, RSA_2048) calls to it, each for a key id of its own. ` +
            `The reference's GetParametersForImport (\`bench/reference-import.ts\`) does the work no import service can skip and nothing else: SigV4, a wrapping key pair taken from ${REFERENCE_WRAPPING_PAIRS} generated at its start (generation is measured on its own below), a record of the issue made durable before the answer (a line appended to a file, the calls of one event-loop turn sharing one write and one \`fdatasync\`), and the token sealed with AES-256-GCM; no key store, no audit chain. ` +
            'Every call is signed afresh, over connections opened beforehand, and timed by the client; every response is checked (a ciphertext; an RSA_2048 public key and a token).'
          : ''),
    );
  }
  if (history) {
    out.push(
      `- **Latency against history length** (runs **history-setup** and **history**, ${STORE_LABELS.embedded}, pool size 0): one \`EXTERNAL\` key per length, material imported through the service; with the service stopped, each stream is extended to ${config.historyEvents.map(count).join(', ')} events with copies of its real re-import events (\`ImportParametersIssued\` → \`KeyMaterialImported\`, EXISTING_KEY_MATERIAL; fresh ids, times between the import and now) appended through the service's own hash-chaining \`SqliteEventStore\` (\`bench/history-latency.ts\`): what a client re-importing in a loop leaves behind. ` +
        `The service is then started on that data directory and left to go idle; per key, Encrypt (${history.plaintextBytes}-byte plaintext) as a closed loop on one connection for ${history.seconds} s, then up to ${config.historyImports} re-imports of the same material, GetParametersForImport and the wrap untimed, ImportKeyMaterial timed.`,
    );
  }
  if (imports) {
    out.push(
      `- **Import against the key-generation limit** (run **import-limits**, ${STORE_LABELS.embedded}, default pool): first, with no service running, RSA_2048 pairs generated per second in the benchmark process with ${imports.keygen.workers} generations in flight (one per core, \`crypto.generateKeyPair\` on libuv's thread pool) for ${(imports.keygen.parts?.[0] ?? imports.keygen).seconds.toFixed(1)} s: the rate no import service on this machine can beat (measured again for as long once the service has stopped; the limit is both measurements together, since this host's speed moves over minutes). ` +
        `Then ${imports.burst.rounds} bursts of N concurrent GetParametersForImport (RSA_2048) calls, N = the pool size (${imports.poolSize}), each on fresh \`EXTERNAL\` keys with the pool refilled (service idle) first; then full import flows (CreateKey → GetParametersForImport → wrap → ImportKeyMaterial) at ${imports.flows.concurrency} connections over the lean client, after a warm-up that drains the pool, so the rate is the sustained one.`,
    );
  }
  return out;
}

export function speedSettingsRows(config: BenchConfig): string[][] {
  return [
    ['BENCH_SIDE_CONCURRENCY', String(config.sideConcurrency), 'connections of the side-by-side comparison'],
    ['BENCH_SIDE_SECONDS', String(config.sideSeconds), 'measured seconds per side-by-side window'],
    ['BENCH_SIDE_ROUNDS', String(config.sideRounds), 'rounds of the side-by-side comparison over every operation (ratio: the median)'],
    ['BENCH_SIDE_WARMUP_SECONDS', String(config.sideWarmupSeconds), 'warm-up seconds before each side-by-side window'],
    ['BENCH_HISTORY_LATENCY_EVENTS', config.historyEvents.join(','), 'history lengths of the Encrypt / ImportKeyMaterial latency'],
    ['BENCH_HISTORY_LATENCY_SECONDS', String(config.historySeconds), 'measured seconds of Encrypt per history length'],
    ['BENCH_HISTORY_LATENCY_IMPORTS', String(config.historyImports), 'timed re-imports per history length (bounded by 4 × the seconds)'],
    ['BENCH_BURST_ROUNDS', String(config.burstRounds), 'GetParametersForImport bursts of the pool size'],
    ['BENCH_IMPORT_LIMIT_SECONDS', String(config.importLimitSeconds), 'seconds of key generation and of sustained import flows'],
    ['BENCH_IMPORT_LIMIT_CONCURRENCY', String(config.importLimitConcurrency), 'connections of the sustained import flows'],
  ];
}

export function renderSpeedSections(results: SpeedResults): string[] {
  const out: string[] = [];
  const { side, historyLatency: history, importLimits: imports } = results;
  if (side) {
    out.push(`### Side by side with a bare node:http server at ${side.concurrency} connections — ${STORE_LABELS.embedded}`, '');
    out.push(
      table(
        [
          'Operation',
          'Request',
          'Req/s reference / Keyledger / reference',
          '**Keyledger ÷ reference**',
          'Ratio by round',
          'p50 ms (ref / KL / ref)',
          'p99 ms (ref / KL / ref)',
          'Service CPU per request (ref / KL / ref)',
          'Peak RSS in the window (ref / KL / ref)',
          'Other load (steal) (ref / KL / ref)',
          'Errors (ref / KL / ref)',
        ],
        side.rows.map((r) =>
          r.setupError !== undefined
            ? [r.operation, r.request, 'not measured', '–', '–', '–', '–', '–', '–', '–', `setup failed (${r.setupError.replace(/\|/g, '/')})`]
            : [
                r.operation,
                r.request,
                three(r, (w) => rate(w.perSecond)),
                r.ratio === undefined ? 'n/a' : `**${r.ratio.toFixed(2)}**`,
                r.rounds.map((round) => (round.ratio === undefined ? 'n/a' : round.ratio.toFixed(2))).join(' / '),
                three(r, (w) => ms(w.latency.p50)),
                three(r, (w) => ms(w.latency.p99)),
                three(r, (w) => us(w.cpuMsPerRequest)),
                three(r, (w) => mib(w.peakRssBytes)),
                three(r, load),
                three(r, (w) => errors(w.errors, w.firstError)),
              ],
        ),
      ),
      '',
      `Lifetime peak RSS (\`VmHWM\`) at the end of the comparison: reference ${mib(side.referenceHwmBytes)}, Keyledger ${mib(side.keyledgerHwmBytes)}. ` +
        `"Other load": CPU used in the window by everything except the measured server and the benchmark process (the idle other server included), and hypervisor steal, in % of one core; windows measured while it was high are pessimistic, and a large gap between the two reference windows of a row means the machine changed under the measurement.`,
      '',
    );
    const bounded = side.rows.flatMap((r) => {
      const bound = r.ratio === undefined ? undefined : cpuCeiling(r, RATIO_GOAL);
      return bound && r.keyledger ? [{ r, bound, keyledger: r.keyledger }] : [];
    });
    if (bounded.length > 0) {
      out.push(
        table(
          [
            'Operation',
            'Service + client CPU per request (reference, mean / Keyledger)',
            'Cores busy, service + client (ref / KL / ref)',
            'Main thread runnable, share of the window (ref / KL / ref)',
            'Keyledger main thread per request: running + waiting for a core',
            'Ceiling: reference ÷ Keyledger CPU (client as measured against Keyledger – against the reference)',
            'Measured ratio',
            `Keyledger service CPU per request for ${RATIO_GOAL} × (needed, same two clients / measured)`,
          ],
          bounded.map(({ r, bound, keyledger }) => [
            r.operation,
            `${us(bound.referenceMs)} / ${us(bound.keyledgerMs)}`,
            three(r, cores),
            three(r, runnable),
            mainThreadCost(keyledger.mainThread),
            `${bound.ceiling.toFixed(2)} – ${bound.ceilingAtReferenceClient.toFixed(2)}`,
            r.ratio!.toFixed(2),
            `${us(bound.serviceForRatio)} – ${us(bound.serviceForRatioAtReferenceClient)} / ${us(keyledger.cpuMsPerRequest)}`,
          ]),
        ),
        '',
        'What this machine allows: the client runs on the same cores as the server it drives, so a server that kept them all busy would serve (cores ÷ CPU per request of server and client together). ' +
          'The ceiling is the ratio Keyledger would reach that way with the CPU it spends now; below it, Keyledger is held back by its main thread (fewer cores busy than the reference), above the goal only by spending less CPU per request. ' +
          'The main thread columns say whether it is (`/proc/<pid>/task/<pid>/schedstat`): the share of the window the server\'s event loop thread was running or ready to run, and for Keyledger its time per request on a core and waiting on the run queue for one, while the client, the signing thread and V8\'s GC threads held both. ' +
          'The client costs more per request against Keyledger than against the reference (it waits longer and wakes for fewer responses at a time), so each bound is given with both: the first figure counts the client as measured against Keyledger, the second as measured against the reference, what it would cost were Keyledger as fast. ' +
          `The last column is the service CPU per request that would put the ceiling at ${RATIO_GOAL} ×, with the same two client costs.`,
        '',
      );
    }
    const bursts = side.idleBursts;
    if (bursts) {
      const b = (x: BurstStats) => `p50 **${ms(x.calls.p50)} ms**, p99 ${ms(x.calls.p99)} ms, max ${ms(x.calls.max)} ms (${x.calls.count} calls); errors ${errors(x.errors, x.firstError)}`;
      out.push(
        table(
          [`Bursts of ${bursts.size} concurrent calls after idle × ${bursts.rounds}`, ''],
          [
            ['Encrypt, bare reference server', b(bursts.reference)],
            ['Encrypt, Keyledger', b(bursts.keyledger)],
            ['GetParametersForImport, bare reference server', b(bursts.referenceImport)],
          ],
        ),
        '',
        'What a burst meets on this machine after a pause: the bare server\'s GetParametersForImport bursts are the floor for the burst goal below (Keyledger\'s own are measured in the import section, on a service with the default pool); its Encrypt bursts, the floor for any burst of this size here.',
        '',
      );
    }
  }
  if (history) {
    out.push(`### Latency against a key's history length — ${STORE_LABELS.embedded}`, '');
    out.push(
      `${count(history.appended)} events appended in ${history.extendSeconds.toFixed(1)} s; the service answered /health ${ms(history.startupMs)} ms after it was started on that data directory. Milliseconds; Encrypt on one connection, ImportKeyMaterial one at a time.`,
      '',
      table(
        ['Events in the key', 'Encrypt p50', 'Encrypt p99', 'Encrypts', 'Service CPU per Encrypt', 'ImportKeyMaterial p50', 'ImportKeyMaterial p99', 'Imports', 'Other load (steal)', 'Errors'],
        history.rows.map((r) => [
          count(r.events),
          ms(r.encrypt.p50),
          ms(r.encrypt.p99),
          String(r.encrypt.count),
          r.encryptCpu.servicePercent === undefined || !(r.encryptPerSecond > 0) ? 'n/a' : us((r.encryptCpu.servicePercent / 100) * (1000 / r.encryptPerSecond)),
          ms(r.importKeyMaterial.p50),
          ms(r.importKeyMaterial.p99),
          String(r.importKeyMaterial.count),
          `${pct(r.encryptCpu.otherPercent)} (${pct(r.encryptCpu.stealPercent)})`,
          errors(r.encryptErrors + r.importErrors, r.firstError),
        ]),
      ),
      '',
      `The smallest key has the events of a real import (CreateKey, GetParametersForImport, ImportKeyMaterial), the fewest an \`EXTERNAL\` key can have and still encrypt. ` +
        `Replay throughput on a one-million-event log is measured by \`npm run bench:history\`, in its own section below.`,
      '',
    );
  }
  if (imports) {
    const { keygen, burst, flows } = imports;
    out.push(`### Import against the RSA key-generation limit — ${STORE_LABELS.embedded}`, '');
    out.push(
      table(
        ['', ''],
        [
          [
            'RSA_2048 key generation, no service running (before and after the service ran)',
            `**${rate(keygen.perSecond)} pairs/s** (${keygen.pairs} pairs in ${keygen.seconds.toFixed(1)} s, ${keygen.workers} in flight${keygen.parts ? `; before ${keygen.parts.map((part) => rate(part.perSecond)).join(', after ')} pairs/s` : ''})`,
          ],
          [
            `GetParametersForImport, bursts of ${imports.poolSize} concurrent calls (the pool size) × ${burst.rounds}`,
            imports.poolSize === 0
              ? 'not measured: the pool is off'
              : `p50 **${ms(burst.calls.p50)} ms**, p99 ${ms(burst.calls.p99)} ms, max ${ms(burst.calls.max)} ms (${burst.calls.count} calls); pool refilled ${(burst.refillMs.p50 / 1000).toFixed(1)} s after a burst (median, 0.5 s resolution); errors ${errors(burst.errors, burst.firstError)}`,
          ],
          [
            `Sustained import flows at ${flows.concurrency} connections`,
            `**${rate(flows.perSecond)} flows/s** = ${keygen.perSecond > 0 ? (flows.perSecond / keygen.perSecond).toFixed(2) : 'n/a'} × the generation limit (${flows.operations} flows in ${(flows.elapsedMs / 1000).toFixed(1)} s; flow p50 ${ms(flows.latency.p50)} ms, p99 ${ms(flows.latency.p99)} ms; errors ${errors(flows.errors, flows.firstError)})`,
          ],
          ['Steps of those flows', `GetParametersForImport p50 ${ms(flows.steps.getParametersForImport.p50)} ms / p99 ${ms(flows.steps.getParametersForImport.p99)} ms; ImportKeyMaterial p50 ${ms(flows.steps.importKeyMaterial.p50)} ms / p99 ${ms(flows.steps.importKeyMaterial.p99)} ms`],
          ['CPU during the flows (service / client / other / steal)', `${pct(flows.cpu.servicePercent)} / ${pct(flows.cpu.clientPercent)} / ${pct(flows.cpu.otherPercent)} / ${pct(flows.cpu.stealPercent)}`],
        ],
      ),
      '',
    );
  }
  const goals = speedGoals(results);
  if (goals.length > 0) {
    out.push('### Against the goals of issue 10, in this run', '');
    out.push(
      table(
        ['Goal', 'Measured', 'Within it'],
        goals.map((g) => [g.goal, g.measured, g.met ? 'yes' : '**no**']),
      ),
      '',
      'From this run alone, on a shared machine (see the other-load columns); replay throughput is in the `npm run bench:history` section.',
      '',
    );
  }
  return out;
}

/** Issue 10's latency goal at 16 connections. */
const P99_GOAL_MS = 5;

/**
 * The floor beside the p99 goal: the bare reference server's p99 over every window of the run (all rounds, both
 * sides of each), so a reader sees whether the goal is within what any server reaches on this host.
 */
function referenceP99s(rows: SideRow[]): string {
  const p99s = rows.flatMap((row) => row.rounds.flatMap((round) => [round.referenceFirst, round.referenceLast])).map((w) => w.latency.p99);
  if (p99s.length === 0) return '';
  const under = p99s.filter((p99) => p99 < P99_GOAL_MS).length;
  return `; the bare reference server's p99, same run: ${ms(Math.min(...p99s))}–${ms(Math.max(...p99s))} ms, under ${P99_GOAL_MS} ms in ${under} of its ${p99s.length} windows`;
}

/** Each goal of issue 10 that this run measured: the figure, the bound, and whether it was within it. */
export function speedGoals(results: SpeedResults): Array<{ goal: string; measured: string; met: boolean }> {
  const goals: Array<{ goal: string; measured: string; met: boolean }> = [];
  const { side, historyLatency: history, importLimits: imports } = results;
  const rows = side?.rows.filter((r) => r.ratio !== undefined && r.keyledger) ?? [];
  if (rows.length > 0) {
    const lowest = rows.reduce((a, b) => (b.ratio! < a.ratio! ? b : a));
    const ceilings = rows.map((r) => ({ operation: r.operation, bound: cpuCeiling(r, RATIO_GOAL) })).filter((c) => c.bound !== undefined);
    const lowestCeiling = ceilings.length > 0 ? ceilings.reduce((a, b) => (b.bound!.ceiling < a.bound!.ceiling ? b : a)) : undefined;
    goals.push({
      goal: `Keyledger ≥ ${RATIO_GOAL} × the bare server, every operation`,
      measured:
        `lowest ${lowest.ratio!.toFixed(2)} (${lowest.operation}); ${rows.map((r) => `${r.operation} ${r.ratio!.toFixed(2)}`).join(', ')}` +
        (lowestCeiling ? `; the machine's CPU ceiling (table above) is lowest for ${lowestCeiling.operation}: ${lowestCeiling.bound!.ceiling.toFixed(2)} – ${lowestCeiling.bound!.ceilingAtReferenceClient.toFixed(2)}` : ''),
      met: lowest.ratio! >= RATIO_GOAL,
    });
    const slowest = rows.reduce((a, b) => (b.keyledger!.latency.p99 > a.keyledger!.latency.p99 ? b : a));
    goals.push({
      goal: `Keyledger p99 < ${P99_GOAL_MS} ms at ${side!.concurrency} connections`,
      measured: `highest ${ms(slowest.keyledger!.latency.p99)} ms (${slowest.operation})${referenceP99s(rows)}`,
      met: slowest.keyledger!.latency.p99 < P99_GOAL_MS,
    });
    const peaks = rows.map((r) => r.keyledger!.peakRssBytes).filter((v): v is number => v !== undefined);
    if (peaks.length > 0) {
      const peak = Math.max(...peaks);
      goals.push({ goal: 'Keyledger peak RSS under load ≤ 150 MiB', measured: mib(peak), met: peak <= 150 * 1024 * 1024 });
    }
  }
  const sized = [...(history?.rows ?? [])].filter((r) => r.encrypt.count > 0).sort((a, b) => a.events - b.events);
  if (sized.length >= 2) {
    const small = sized[0];
    const large = sized[sized.length - 1];
    const encrypt = large.encrypt.p50 / small.encrypt.p50;
    goals.push({ goal: `Encrypt at ${count(large.events)} events within 20 % of a new key (p50)`, measured: `${ms(large.encrypt.p50)} vs ${ms(small.encrypt.p50)} ms (${encrypt.toFixed(2)} ×)`, met: encrypt <= 1.2 });
    if (large.importKeyMaterial.count > 0 && small.importKeyMaterial.count > 0) {
      const ikm = large.importKeyMaterial.p50 / small.importKeyMaterial.p50;
      goals.push({ goal: `ImportKeyMaterial at ${count(large.events)} events within 20 % of a new key (p50)`, measured: `${ms(large.importKeyMaterial.p50)} vs ${ms(small.importKeyMaterial.p50)} ms (${ikm.toFixed(2)} ×)`, met: ikm <= 1.2 });
    }
  }
  if (imports && imports.poolSize > 0 && imports.burst.calls.count > 0) {
    const floor = side?.idleBursts;
    const beside = floor
      ? `; the bare reference server's GetParametersForImport bursts of ${floor.size} after idle, same run: p50 ${ms(floor.referenceImport.calls.p50)} ms (its Encrypt bursts: ${ms(floor.reference.calls.p50)} ms, Keyledger's: ${ms(floor.keyledger.calls.p50)} ms)`
      : '';
    goals.push({ goal: `GetParametersForImport burst of the pool size (${imports.poolSize}): p50 ≤ 5 ms`, measured: `${ms(imports.burst.calls.p50)} ms${beside}`, met: imports.burst.calls.p50 <= 5 });
  }
  if (imports && imports.keygen.perSecond > 0) {
    const share = imports.flows.perSecond / imports.keygen.perSecond;
    // "At the limit": within 20 % of what the machine generates (a flow cannot be faster than its pair).
    goals.push({ goal: 'Sustained import flows at the RSA_2048 generation limit (≥ 0.8 ×)', measured: `${rate(imports.flows.perSecond)} flows/s vs ${rate(imports.keygen.perSecond)} pairs/s (${share.toFixed(2)} ×)`, met: share >= 0.8 });
  }
  return goals;
}

export function speedSummary(results: SpeedResults): string[] {
  const lines: string[] = [];
  const { side, historyLatency: history, importLimits: imports } = results;
  if (side) {
    lines.push(`Side by side with the bare reference server (${side.concurrency} connections, ${side.seconds} s per window; req/s reference / Keyledger / reference):`);
    for (const r of side.rows) {
      if (r.setupError !== undefined) {
        lines.push(`  ${r.operation.padEnd(15)} NOT MEASURED: ${r.setupError}`);
        continue;
      }
      lines.push(
        `  ${r.operation.padEnd(15)} ${three(r, (w) => rate(w.perSecond)).padEnd(22)} ratio ${r.ratio === undefined ? 'n/a' : r.ratio.toFixed(2)}  ` +
          `KL p50 ${ms(r.keyledger!.latency.p50)} p99 ${ms(r.keyledger!.latency.p99)} ms  CPU/req ${three(r, (w) => us(w.cpuMsPerRequest))}  peak RSS ${three(r, (w) => mib(w.peakRssBytes))}`,
      );
    }
  }
  if (history) {
    lines.push('Latency against history length (Encrypt one connection; ImportKeyMaterial):');
    for (const r of history.rows) {
      lines.push(`  ${count(r.events).padStart(7)} events  Encrypt p50 ${ms(r.encrypt.p50)} p99 ${ms(r.encrypt.p99)} ms  ImportKeyMaterial p50 ${ms(r.importKeyMaterial.p50)} p99 ${ms(r.importKeyMaterial.p99)} ms  errors ${r.encryptErrors + r.importErrors}`);
    }
  }
  if (side?.idleBursts) {
    const { size, reference, keyledger, referenceImport } = side.idleBursts;
    lines.push(`Encrypt bursts of ${size} after idle: reference p50 ${ms(reference.calls.p50)} p99 ${ms(reference.calls.p99)} ms; Keyledger p50 ${ms(keyledger.calls.p50)} p99 ${ms(keyledger.calls.p99)} ms`);
    lines.push(`GetParametersForImport bursts of ${size} after idle on the reference: p50 ${ms(referenceImport.calls.p50)} p99 ${ms(referenceImport.calls.p99)} ms`);
  }
  if (imports) {
    lines.push(
      `Import: RSA_2048 generation ${rate(imports.keygen.perSecond)} pairs/s on ${imports.keygen.workers}; burst of ${imports.poolSize} GetParametersForImport p50 ${ms(imports.burst.calls.p50)} p99 ${ms(imports.burst.calls.p99)} ms; ` +
        `flows ${rate(imports.flows.perSecond)}/s at c=${imports.flows.concurrency}, errors ${imports.flows.errors + imports.burst.errors}`,
    );
  }
  const goals = speedGoals(results);
  if (goals.length > 0) {
    lines.push('Against the goals of issue 10 (this run):');
    for (const g of goals) lines.push(`  ${g.met ? 'yes' : 'NO '}  ${g.goal}: ${g.measured}`);
  }
  return lines;
}
