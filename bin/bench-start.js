#!/usr/bin/env node
// The first seconds after the service starts, default wrapping-key pools (filling) against pools off, alternating
// (bench/first-seconds.ts, compiled to dist/bench). `npm run bench:start` builds first. Prints a table; writes
// nothing to docs. Knobs: BENCH_START_ROUNDS, BENCH_START_SECONDS.
require('./register-paths');
require('./run-main')('bench:start', require('../dist/bench/first-seconds').main);
