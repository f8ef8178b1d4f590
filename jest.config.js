/** One jest run for unit, contract and end-to-end tests (README: `npm test`). */

// The AWS SDK warns on every client process that its 2027 releases drop Node 20; the tests know.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// One directory per jest run for the test credentials files (test/support/test-credentials.ts), removed when the
// run ends: the workers inherit the variable. A test file's own `process` is a copy that never sees the exit.
if (!process.env.KEYLEDGER_TEST_CREDENTIALS_DIR) {
  const { mkdtempSync, rmSync } = require('node:fs');
  const dir = mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'keyledger-test-credentials-'));
  process.env.KEYLEDGER_TEST_CREDENTIALS_DIR = dir;
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
}
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@keyledger/(domain|crypto|event-store|application|projections|audit)$': '<rootDir>/libs/$1/src',
  },
  testTimeout: 60000,
};
