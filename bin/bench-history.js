#!/usr/bin/env node
// Runs the history benchmark (bench/replay.ts, compiled to dist/bench): replay throughput on a generated log of
// 1,000,000 events and the cost of as-of state and history reads as a key's history grows, on the embedded store.
// `npm run bench:history` builds first. Writes its section of docs/benchmarks.md and prints it.
// Knobs: BENCH_REPLAY_EVENTS, BENCH_HISTORY_SIZES, BENCH_REPLAY_EVENTS_PER_KEY, BENCH_HISTORY_HTTP, BENCH_HISTORY_MAX_SECONDS,
// BENCH_REPORT, BENCH_KEEP_TMP, BENCH_HISTORY_ONLY=replay (the replay alone, not written to the report; see bench/replay.ts).
require('./register-paths');
require('./run-main')('bench:history', require('../dist/bench/replay').main);
