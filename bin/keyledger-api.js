#!/usr/bin/env node
// Starts the compiled API. Path aliases (@keyledger/*) are resolved against dist/ at run time.
// Heap limits first: they must be in place before the modules load (see heap-limits.ts). Then libuv's thread
// pool size, read when the pool first starts (see thread-pool.ts).
require('../dist/apps/kms-api/src/heap-limits').limitHeapGrowth();
require('../dist/apps/kms-api/src/thread-pool').sizeThreadPool();
require('./register-paths');
require('../dist/apps/kms-api/src/main');
