#!/usr/bin/env node
// Runs the benchmark (bench/main.ts, compiled to dist/bench). `npm run bench` builds first.
// Writes docs/benchmarks.md and prints a summary. Knobs: BENCH_* environment variables (see bench/config.ts).
// The AWS SDK (a devDependency, used only as the benchmark's client) warns once that its 2027 releases drop Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('./register-paths');
require('./run-main')('bench', require('../dist/bench/main').main);
