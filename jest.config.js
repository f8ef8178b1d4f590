/** One jest run for unit, contract and end-to-end tests (README: `npm test`). */

// The AWS SDK warns on every client process that its 2027 releases drop Node 20; the tests know.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
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
