import type { StoreKind } from './config';
import { cpuPerOpWithStore, cpuWithStore, errors, latencyCells, mib, ms, p50p95, pct, rate, table } from './format';
import type { BenchResults, StoreRunResults } from './report';
import { STORE_LABELS, type HealthSnapshot, type LagResult, type StoreFlowResult, type StoreRequestResult } from './stores';

const EMBEDDED = STORE_LABELS.embedded;
const DOUBLE = STORE_LABELS.eventstoredb;

const health = (h: HealthSnapshot | undefined): string =>
  h === undefined ? 'n/a' : h.error ? `error: ${h.error}` : `head ${h.headPosition}, checkpoint ${h.checkpoint}, lag ${h.lag}`;

function byStore(results: BenchResults, store: StoreKind): StoreRunResults | undefined {
  return results.stores.find((s) => s.store === store);
}

/** "x.x×" of b over a, or "–". */
function ratio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || a <= 0) return '–';
  return `${(b / a).toFixed(1)}×`;
}

/** One row of the side-by-side table: figure, concurrency, embedded value, double value, ratio of the primary numbers. */
type Side = { text: string; value?: number };
function compareRow(figure: string, concurrency: string, embedded: Side | undefined, double: Side | undefined): string[] {
  return [figure, concurrency, embedded?.text ?? '–', double?.text ?? '–', ratio(embedded?.value, double?.value)];
}

function comparisonRows(results: BenchResults): string[][] {
  const e = byStore(results, 'embedded');
  const d = byStore(results, 'eventstoredb');
  const rows: string[][] = [];
  const levels = results.config.storeConcurrency;
  const flow = (s: StoreRunResults | undefined, c: number) => s?.flows.find((f) => f.concurrency === c && f.operations > 0);
  const req = (s: StoreRunResults | undefined, op: string, c: number) => s?.requests.find((r) => r.operation === op && r.concurrency === c && r.operations > 0);
  for (const c of levels) {
    const side = (f: StoreFlowResult | undefined): Side | undefined => (f ? { text: rate(f.perSecond), value: f.perSecond } : undefined);
    rows.push(compareRow('Import flows/s (GetParametersForImport outside the window)', String(c), side(flow(e, c)), side(flow(d, c))));
  }
  for (const c of levels) {
    const side = (f: StoreFlowResult | undefined): Side | undefined => (f ? { text: p50p95(f.latency), value: f.latency.p50 } : undefined);
    rows.push(compareRow('Import flow p50 / p95 ms', String(c), side(flow(e, c)), side(flow(d, c))));
  }
  for (const step of ['createKey', 'importKeyMaterial'] as const) {
    for (const c of levels) {
      const side = (f: StoreFlowResult | undefined): Side | undefined => (f ? { text: p50p95(f.steps[step]), value: f.steps[step].p50 } : undefined);
      rows.push(compareRow(`${step === 'createKey' ? 'CreateKey' : 'ImportKeyMaterial'} p50 / p95 ms`, String(c), side(flow(e, c)), side(flow(d, c))));
    }
  }
  for (const op of ['DescribeKey', 'Encrypt']) {
    for (const c of levels) {
      const side = (r: StoreRequestResult | undefined): Side | undefined => (r ? { text: p50p95(r.latency), value: r.latency.p50 } : undefined);
      rows.push(compareRow(`${op} p50 / p95 ms`, String(c), side(req(e, op, c)), side(req(d, op, c))));
    }
    for (const c of levels) {
      const side = (r: StoreRequestResult | undefined): Side | undefined => (r ? { text: rate(r.perSecond), value: r.perSecond } : undefined);
      rows.push(compareRow(`${op} requests/s`, String(c), side(req(e, op, c)), side(req(d, op, c))));
    }
  }
  const lag = (s: StoreRunResults | undefined): Side | undefined =>
    s?.lag && s.lag.lag.count > 0 ? { text: `${ms(s.lag.lag.p50)} / ${ms(s.lag.lag.p95)} / ${ms(s.lag.lag.max)}`, value: s.lag.lag.p50 } : undefined;
  rows.push(compareRow('Projection lag instance A → B, p50 / p95 / max ms', '1', lag(e), lag(d)));
  return rows;
}

function flowRows(results: BenchResults): string[][] {
  return results.stores.flatMap((s) =>
    s.flows.map((f) => [
      STORE_LABELS[s.store],
      String(f.concurrency),
      `${f.operations}${f.operations < f.planned ? ` of ${f.planned}` : ''}`,
      (f.elapsedMs / 1000).toFixed(1),
      rate(f.perSecond),
      ...latencyCells(f.latency),
      p50p95(f.steps.createKey),
      ms(f.steps.wrap.p50),
      p50p95(f.steps.importKeyMaterial),
      cpuWithStore(f.cpu),
      cpuPerOpWithStore(f.cpu, f.perSecond),
      `${f.preparation.keys} keys in ${f.preparation.seconds.toFixed(1)} s (GetParametersForImport p50 ${ms(f.preparation.getParametersForImport.p50)} ms${f.preparation.errors ? `, ${f.preparation.errors} errors` : ''})`,
      errors(f.errors, f.firstError),
    ]),
  );
}

function requestRows(results: BenchResults): string[][] {
  return results.stores.flatMap((s) =>
    s.requests.map((r) => [
      STORE_LABELS[s.store],
      r.operation,
      String(r.concurrency),
      String(r.operations),
      rate(r.perSecond),
      ...latencyCells(r.latency),
      cpuWithStore(r.cpu),
      cpuPerOpWithStore(r.cpu, r.perSecond),
      errors(r.errors, r.firstError),
    ]),
  );
}

function lagRows(results: BenchResults): string[][] {
  return results.stores
    .filter((s): s is StoreRunResults & { lag: LagResult } => s.lag !== undefined)
    .map((s) => {
      const l = s.lag;
      return [
        STORE_LABELS[s.store],
        s.store === 'embedded' ? 'one DATA_DIR, a read-models file each' : 'one double, a DATA_DIR each',
        s.bCatchUpMs === undefined ? 'not within 60 s' : `${ms(s.bCatchUpMs)} ms`,
        `${l.samples}${l.samples < l.planned ? ` of ${l.planned}` : ''}`,
        ...latencyCells(l.lag),
        ms(l.lagLowerBound.p50),
        p50p95(l.fromWriteSent),
        p50p95(l.commandLatency),
        `${l.polls.p50} / ${l.polls.max}`,
        `${l.readYourWrites.found} of ${l.readYourWrites.asked}`,
        String(l.timeouts),
        cpuWithStore(l.cpu),
        errors(l.errors, l.firstError),
      ];
    });
}

function healthRows(results: BenchResults): string[][] {
  return results.stores
    .filter((s): s is StoreRunResults & { lag: LagResult } => s.lag !== undefined)
    .map((s) => {
      const after = s.lag.healthAfterWrite;
      const list = (pick: (h: (typeof after)[number]) => number | undefined) => (after.length ? after.map((h) => pick(h) ?? '?').join(', ') : 'n/a');
      return [
        STORE_LABELS[s.store],
        list((h) => h.b.lag),
        list((h) => h.a.lag),
        list((h) => h.headAdvance),
        health(s.lag.healthEnd.a),
        health(s.lag.healthEnd.b),
      ];
    });
}

/** The store-comparison and projection-lag sections of the report. */
export function renderStoreSections(results: BenchResults): string[] {
  if (results.stores.length === 0) return [];
  const { config } = results;
  const out: string[] = [];
  const d = byStore(results, 'eventstoredb')?.double;
  out.push(`### Embedded store vs ${DOUBLE}`, '');
  out.push(
    `Same service build, same settings (\`KEYLEDGER_WRAPPING_KEY_POOL_SIZE=0\`, one random \`KEYLEDGER_MASTER_KEY\`), one instance (A) measured alone. ` +
      `**${EMBEDDED}**: the event log and vault are SQLite files in \`DATA_DIR\` inside the service process, fsync on every commit. ` +
      `**${DOUBLE}**: \`KEYLEDGER_EVENTSTORE_URL\` points the real \`@eventstore/db-client\` inside the service at the protocol double ` +
      `(\`libs/event-store/src/testing/eventstoredb-double/run-standalone.js\`) running as a separate child process on 127.0.0.1 over gRPC without TLS; ` +
      `the log, the vault and the published checkpoints live in that process's memory (no disk, no replication, no authentication). ` +
      `Its figures show what the adapter and the gRPC round trips cost, not what a real EventStoreDB server would do.` +
      (d ? ` The double was ready ${ms(d.startupMs)} ms after it was started and held ${mib(d.rssEndBytes)} of memory at the end.` : ''),
    '',
    `Import flows here keep the wrapping-key pool out of the comparison: before each level, ${config.storeFlows} EXTERNAL keys get their import parameters ` +
      `(RSA_2048, RSAES_OAEP_SHA_256; each call generates its RSA pair, pool size 0) **untimed**, then the service is left to go idle. ` +
      `One timed flow is \`CreateKey(EXTERNAL)\` of a new key → client-side wrap → \`ImportKeyMaterial\` into one of the prepared keys, ` +
      `closed loop at the given concurrency until the prepared keys are used up (time bound ${config.storeFlowMaxSeconds} s). ` +
      `Its store work is that of a real flow minus the \`ImportParametersIssued\` append: the \`KeyCreated\` and \`KeyMaterialImported\` appends and the ` +
      `material put into the vault, each answered once A's read models include it. Keys created in one level are prepared for the next. ` +
      `DescribeKey and Encrypt: one key with imported material, ${config.warmupSeconds} s warm-up, ${config.storeSeconds} s measured per level, ${config.plaintextBytes}-byte plaintext.`,
    '',
  );
  out.push(
    table(['Figure', 'Concurrency', EMBEDDED, DOUBLE, 'double ÷ embedded'], comparisonRows(results)),
    '',
    '"double ÷ embedded" compares the first number of each cell (rates: above 1× means the double is faster; latencies: above 1× means it is slower).',
    '',
  );

  out.push('#### Import flows per store (GetParametersForImport prepared outside the timed window)', '');
  out.push(
    table(
      [
        'Store',
        'Concurrency',
        'Flows',
        'Duration s',
        'Flows/s',
        'Flow p50 ms',
        'Flow p95 ms',
        'Flow max ms',
        'CreateKey p50 / p95',
        'Wrap p50',
        'ImportKeyMaterial p50 / p95',
        'CPU service / double / client / other / steal',
        'CPU ms per flow, service / double / client',
        'Prepared before the window (untimed)',
        'Errors',
      ],
      flowRows(results),
    ),
    '',
    'Step columns are milliseconds. "double" is the EventStoreDB protocol double\'s own process ("–" on the embedded store, which runs inside the service).',
    '',
  );

  out.push('#### DescribeKey and Encrypt per store', '');
  out.push(
    table(
      ['Store', 'Operation', 'Concurrency', 'Requests', 'Req/s', 'p50 ms', 'p95 ms', 'max ms', 'CPU service / double / client / other / steal', 'CPU ms per request, service / double / client', 'Errors'],
      requestRows(results),
    ),
    '',
  );

  if (results.stores.some((s) => s.lag)) {
    out.push('### Projection lag across two instances sharing one store', '');
    out.push(
      `After the measurements above, a second instance (B) is started on the same store and waits until its read models have caught up ` +
        `(\`GET /health\` lag 0). Embedded: A and B share one \`DATA_DIR\` (the SQLite log and vault) with their own \`KEYLEDGER_READ_MODELS_FILE\`. ` +
        `EventStoreDB protocol double: A and B use the same \`KEYLEDGER_EVENTSTORE_URL\` with their own \`DATA_DIR\`. ` +
        `Each sample: \`CreateKey\` on A; as soon as A answers, \`DescribeKey\` on B back to back (no pause; one loopback round trip per poll) until B answers with the key ` +
        `(at most ${config.lagTimeoutMs} ms), and at the same moment one \`DescribeKey\` on A. Samples are 20–120 ms apart (random). ` +
        `**Lag** = from A's answer to B's first successful answer: an upper bound of the time from the committed event to B's read model reflecting it, ` +
        `as far as the event was committed before A answered; the lower bound is when the last DescribeKey that still got NotFoundException was sent. ` +
        `"From sending the write" adds A's command latency; the commit happened inside that interval.`,
      '',
      table(
        [
          'Store',
          'Instances',
          'B at lag 0 after its /health',
          'Samples',
          'Lag p50 ms',
          'Lag p95 ms',
          'Lag max ms',
          'Lower bound p50 ms',
          'From sending the write p50 / p95 ms',
          "A's CreateKey p50 / p95 ms",
          'Polls of B p50 / max',
          'A found its own write at once',
          'Timeouts',
          'CPU both instances / double / client / other / steal',
          'Errors',
        ],
        lagRows(results),
      ),
      '',
      `Read-your-writes on the writing instance: A answers a command only once its own read models include the command's events, so its DescribeKey ` +
        `right after the answer always finds the key ("A found its own write at once"); on the same instance the projection lag is part of the command latency above, not something a client can observe.`,
      '',
      `\`GET /health\` reports \`projections.lag\` = the log's head position minus the instance's projection checkpoint. Right after ${config.lagHealthSamples} further CreateKeys on A ` +
        `(B then waited to catch up before the next), both instances' /health said:`,
      '',
      table(['Store', "B's projections.lag right after A's answer", "A's projections.lag at the same moment", 'Head position advance per CreateKey', '/health of A at the end', '/health of B at the end'], healthRows(results)),
      '',
    );
  }
  return out;
}

/** Data-driven remarks about the store comparison and the lag. */
export function storeObservations(results: BenchResults): string[] {
  const notes: string[] = [];
  const e = byStore(results, 'embedded');
  const d = byStore(results, 'eventstoredb');
  if (e && d) {
    const pairs = results.config.storeConcurrency
      .map((c) => ({ c, e: e.flows.find((f) => f.concurrency === c), d: d.flows.find((f) => f.concurrency === c) }))
      .filter((p): p is { c: number; e: StoreFlowResult; d: StoreFlowResult } => !!p.e && !!p.d && p.e.operations > 0 && p.d.operations > 0);
    if (pairs.length > 0) {
      notes.push(
        `Store comparison, import flows (GetParametersForImport outside the window): ` +
          pairs
            .map(
              (p) =>
                `at concurrency ${p.c} ${rate(p.e.perSecond)} flows/s on the ${EMBEDDED} and ${rate(p.d.perSecond)} on the EventStoreDB protocol double ` +
                `(CreateKey p50 ${ms(p.e.steps.createKey.p50)} vs ${ms(p.d.steps.createKey.p50)} ms, ImportKeyMaterial p50 ${ms(p.e.steps.importKeyMaterial.p50)} vs ${ms(p.d.steps.importKeyMaterial.p50)} ms; ` +
                `the double's process used ${pct(p.d.cpu.storePercent)} of a core, the service ${pct(p.e.cpu.servicePercent)} vs ${pct(p.d.cpu.servicePercent)})`,
            )
            .join('; ') +
          `. The double keeps everything in memory, so this difference is the adapter's and gRPC's cost (serialisation, round trips, the catch-up subscription that feeds the read models) ` +
          `against SQLite's fsync per commit; a real EventStoreDB server adds its own disk writes and, in a cluster, replication.`,
      );
    }
    const enc = (s: StoreRunResults) => s.requests.find((r) => r.operation === 'Encrypt' && r.concurrency === 1 && r.operations > 0);
    const desc = (s: StoreRunResults) => s.requests.find((r) => r.operation === 'DescribeKey' && r.concurrency === 1 && r.operations > 0);
    const ee = enc(e);
    const de = enc(d);
    const ed = desc(e);
    const dd = desc(d);
    if (ee && de && ed && dd) {
      notes.push(
        `At concurrency 1, DescribeKey took ${ms(ed.latency.p50)} ms (embedded) and ${ms(dd.latency.p50)} ms (double) at the median: it is served from the instance's own read models, ` +
          `so the store hardly matters. Encrypt took ${ms(ee.latency.p50)} and ${ms(de.latency.p50)} ms: it reads the key's stream and the sealed material from the store on every call, ` +
          `which on EventStoreDB means gRPC round trips to the store for each request.`,
      );
    }
  }
  for (const s of results.stores) {
    const l = s.lag;
    if (!l || l.lag.count === 0) continue;
    const label = s.store === 'embedded' ? EMBEDDED : 'EventStoreDB protocol double';
    const mechanism =
      s.store === 'embedded'
        ? `B learns of A's commits by polling the shared SQLite log (the embedded store wakes at once on its own appends and polls every 50 ms for other processes' commits, \`DEFAULT_POLL_INTERVAL_MS\` in libs/event-store/src/sqlite-event-store.ts), so the lag is mostly where the write falls in B's polling period`
        : `B's read models are fed by a catch-up subscription to \`$all\` that the store pushes events to, so the lag is a gRPC delivery plus B applying the event`;
    notes.push(
      `Projection lag on the ${label}: p50 ${ms(l.lag.p50)} ms, p95 ${ms(l.lag.p95)} ms, max ${ms(l.lag.max)} ms over ${l.samples} samples (B needed ${l.polls.p50} poll${l.polls.p50 === 1 ? '' : 's'} at the median). ${mechanism}. ` +
        `A found its own write at once in ${l.readYourWrites.found} of ${l.readYourWrites.asked} samples.` +
        (l.timeouts > 0 ? ` ${l.timeouts} samples timed out after ${results.config.lagTimeoutMs} ms.` : ''),
    );
  }
  const dHealth = d?.lag?.healthAfterWrite.map((h) => h.headAdvance).filter((v): v is number => v !== undefined) ?? [];
  const eHealth = e?.lag?.healthAfterWrite.map((h) => h.headAdvance).filter((v): v is number => v !== undefined) ?? [];
  if (dHealth.length > 0 && dHealth.some((v) => v > 1)) {
    notes.push(
      `\`/health\` \`projections.lag\` is a difference of log positions. On the embedded store a position is an event count (the head advanced by ${[...new Set(eHealth)].join(' or ') || 'n/a'} per CreateKey), ` +
        `so the lag is in events; on EventStoreDB positions are byte offsets in the server's transaction log (docs/eventstoredb.md, "Positions are sparse"): the head advanced by ` +
        `${Math.min(...dHealth) === Math.max(...dHealth) ? Math.min(...dHealth) : `${Math.min(...dHealth)}–${Math.max(...dHealth)}`} per CreateKey there (the key's event plus whatever else reached \`$all\` in between, such as the instances' published checkpoints and the vault's streams), ` +
        `so a lag of several hundred can be a single event. On EventStoreDB read it as "0 = caught up, more = behind", not as a count of events.`,
    );
  }
  return notes;
}

/** Lines for the stdout summary. */
export function storeSummary(results: BenchResults): string[] {
  const lines: string[] = [];
  for (const s of results.stores) {
    lines.push(`${STORE_LABELS[s.store]}:`);
    for (const f of s.flows) {
      lines.push(
        `  import flows c=${String(f.concurrency).padEnd(3)} ${rate(f.perSecond).padStart(6)} flows/s  CreateKey p50/p95 ${p50p95(f.steps.createKey)} ms  ImportKeyMaterial p50/p95 ${p50p95(f.steps.importKeyMaterial)} ms  errors ${f.errors}`,
      );
    }
    for (const r of s.requests) {
      lines.push(`  ${r.operation.padEnd(11)} c=${String(r.concurrency).padEnd(3)} ${rate(r.perSecond).padStart(6)} req/s  p50/p95 ${p50p95(r.latency)} ms  errors ${r.errors}`);
    }
    if (s.lag) {
      lines.push(
        `  projection lag A→B: n=${s.lag.samples} p50 ${ms(s.lag.lag.p50)} ms p95 ${ms(s.lag.lag.p95)} ms max ${ms(s.lag.lag.max)} ms; A read its own write ${s.lag.readYourWrites.found}/${s.lag.readYourWrites.asked}; timeouts ${s.lag.timeouts}`,
      );
    }
  }
  return lines;
}
