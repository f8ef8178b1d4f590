#!/usr/bin/env node
// What recording one use of a key costs the service, in process, stage by stage (bench/usage-pipeline.ts, compiled
// to dist/bench): the stored record, the chained batch append, the read models catching up. `npm run bench:usage`
// builds first. Prints a table; writes nothing to docs. Knobs: BENCH_USAGE_BATCH, BENCH_USAGE_BATCHES, BENCH_USAGE_RUNS.
require('./register-paths');
require('./run-main')('bench:usage', require('../dist/bench/usage-pipeline').main);
