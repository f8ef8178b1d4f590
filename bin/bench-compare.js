#!/usr/bin/env node
// Compares the service built at a git ref (baseline) with the working tree's build (current), in alternating load
// windows on the same machine (bench/compare.ts, compiled to dist/bench). `npm run bench:compare -- <ref>` builds the
// working tree first; the ref is built in a temporary git worktree. BENCH_COMPARE_BASELINE_ENV / BENCH_COMPARE_CURRENT_ENV
// add NAME=value settings to either side; without a ref both sides run the working tree (a comparison of settings).
// Prints a table; writes nothing to docs.
// Knobs: BENCH_COMPARE_OPERATIONS, BENCH_COMPARE_ROUNDS, BENCH_SIDE_SECONDS, BENCH_SIDE_WARMUP_SECONDS, BENCH_SIDE_CONCURRENCY.
require('./register-paths');
require('./run-main')('bench:compare', require('../dist/bench/compare').main);
