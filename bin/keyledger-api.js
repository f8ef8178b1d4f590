#!/usr/bin/env node
// Starts the compiled API. Path aliases (@keyledger/*) are resolved against dist/ at run time.
require('./register-paths');
require('../dist/apps/kms-api/src/main');
