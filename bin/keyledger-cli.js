#!/usr/bin/env node
// The operator CLI (apps/kms-cli, compiled to dist/ by `npm run build`): `keyledger --help`.
// The AWS SDK (used by `seed` only) warns once that its 2027 releases drop Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
require('./register-paths');
const { main } = require('../dist/apps/kms-cli/src/main');

main().then((code) => {
  process.exitCode = code;
});
