/**
 * `npm run bench:usage` (entry point bin/bench-usage.js): what recording one use of a key costs the service, in
 * process, stage by stage, with the service's own parts on the embedded store: the stored record built from the use
 * (`toUsageRecordData`), the batch appended as one `KeyUsageRecorded.v2` event through the hash-chaining
 * `SqliteEventStore` (deferred durability, as the recorder writes most batches), and the read models brought up to
 * it by the service's `ProjectionRunner` over every read-model projection (read back, parsed, one usage row per
 * record, the audit entry, the checkpoint).
 *
 * The usage log is the largest cost a cryptographic call can shed by a setting (README, KEYLEDGER_USAGE_LOG), and
 * this host's speed drifts too much between HTTP windows to follow a change to it there: these figures are CPU
 * time of this process alone, median of several runs. Prints a table; writes nothing to docs.
 *
 * Knobs: BENCH_USAGE_BATCH (records per event, default 60: a 25 ms flush interval at 2,400 uses/s),
 * BENCH_USAGE_BATCHES (per run, default 400), BENCH_USAGE_RUNS (default 5).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeUsageBatch, KeyUseRecord, toUsageRecordData, UsageEventTypes, usageStreamId } from '@keyledger/application';
import { ChainingEventStore } from '@keyledger/audit';
import { NO_STREAM, SqliteEventStore, type JsonObject } from '@keyledger/event-store';
import { openReadModelDatabase, ProjectionRunner, readModelProjections } from '@keyledger/projections';
import { positiveInteger } from './config';
import { median } from './measure';

const log = (message: string): void => console.log(`[bench:usage] ${message}`);

const STAGES = ['build', 'append', 'project'] as const;
type Stage = (typeof STAGES)[number];

/** An Encrypt by the default test principal, as KeyUse records it. */
function use(keyId: string): KeyUseRecord {
  return {
    keyId,
    keyArn: `arn:aws:kms:us-east-1:000000000000:key/${keyId}`,
    accountId: '000000000000',
    region: 'us-east-1',
    operation: 'Encrypt',
    keyMaterialId: 'a1'.repeat(32),
    principal: { type: 'User', accountId: '000000000000', accessKeyId: 'test', name: 'arn:aws:iam::000000000000:root' },
    requestId: randomUUID(),
    time: Date.now(),
    outcome: 'Succeeded',
    encryptionContext: {},
  };
}

const cpuMicros = (): number => {
  const { user, system } = process.cpuUsage();
  return user + system;
};

/** One run in a fresh data directory: CPU microseconds per record for each stage. */
async function run(batch: number, batches: number): Promise<Record<Stage, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'keyledger-bench-usage-'));
  const store = new ChainingEventStore(new SqliteEventStore({ filename: join(dir, 'events.sqlite') }));
  const db = openReadModelDatabase(join(dir, 'read-models.sqlite'));
  const runner = new ProjectionRunner(store, db, readModelProjections(db));
  runner.start();
  const spent: Record<Stage, number> = { build: 0, append: 0, project: 0 };
  try {
    const streamId = usageStreamId(randomUUID());
    const keyId = randomUUID();
    let revision = NO_STREAM;
    for (let i = 0; i < batches; i++) {
      let mark = cpuMicros();
      const records = Array.from({ length: batch }, () => toUsageRecordData(use(keyId)));
      const event = {
        type: UsageEventTypes.KeyUsageRecorded,
        data: encodeUsageBatch(records) as unknown as JsonObject,
        metadata: { timestamp: new Date().toISOString(), operation: 'RecordKeyUsage', recordCount: batch },
      };
      spent.build += cpuMicros() - mark;
      mark = cpuMicros();
      const appended = await store.appendToStream(streamId, [event], revision, { durability: 'deferred' });
      revision = appended.nextExpectedRevision;
      spent.append += cpuMicros() - mark;
      mark = cpuMicros();
      if (!(await runner.waitForPosition(appended.position, 10_000))) throw new Error(`the read models did not reach position ${appended.position}`);
      spent.project += cpuMicros() - mark;
    }
  } finally {
    await runner.stop();
    db.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const records = batch * batches;
  return { build: spent.build / records, append: spent.append / records, project: spent.project / records };
}

export async function main(): Promise<void> {
  const batch = positiveInteger('BENCH_USAGE_BATCH', 60);
  const batches = positiveInteger('BENCH_USAGE_BATCHES', 400);
  const runs = positiveInteger('BENCH_USAGE_RUNS', 5);
  log(`${runs} runs of ${batches} batches of ${batch} records (one run first, unmeasured, to warm up)`);
  await run(batch, Math.min(batches, 100));
  const results: Array<Record<Stage, number>> = [];
  for (let i = 1; i <= runs; i++) {
    const result = await run(batch, batches);
    results.push(result);
    log(`run ${i}: ${STAGES.map((stage) => `${stage} ${result[stage].toFixed(1)}`).join(', ')} µs per record`);
  }
  const lines = [
    '',
    `CPU time of this process per recorded use, median of ${runs} runs of ${batches} batches of ${batch} records:`,
    '',
    '| Stage | µs per record |',
    '| --- | --- |',
    ...STAGES.map((stage) => `| ${stage} | ${median(results.map((r) => r[stage])).toFixed(1)} |`),
    `| total | ${median(results.map((r) => STAGES.reduce((sum, stage) => sum + r[stage], 0))).toFixed(1)} |`,
    '',
    'build: toUsageRecordData and the batch encoded (encodeUsageBatch). append: the batch event through the hash-chaining SqliteEventStore (deferred). project: the ProjectionRunner applying it to every read model.',
  ];
  console.log(lines.join('\n'));
}
