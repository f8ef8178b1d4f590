/** One jest run for unit, contract and end-to-end tests (README: `npm test`). */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  testRegex: '.*\\.(spec|e2e-spec)\\.ts$',
  transform: {
    '^.+\\.ts$': ['ts-jest', { isolatedModules: true, tsconfig: 'tsconfig.json' }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@keyledger/(domain|crypto|event-store|application|projections)$': '<rootDir>/libs/$1/src',
  },
  testTimeout: 60000,
};
