/** One suite, two databases: DATABASE_URL set → the PostgreSQL server, else PGlite. */
module.exports = {
  rootDir: '..',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json', diagnostics: false }] },
  testTimeout: 60000,
  maxWorkers: 2,
  // A timer left by a stopped service must not hold a finished run open (CI has a time limit); the leak is tracked in the README.
  forceExit: true,
  setupFiles: ['<rootDir>/test/helpers/setupEnv.ts'],
};
