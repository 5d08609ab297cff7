/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  // Type errors are caught once by `tsc --noEmit` in `npm test`; isolated transpiling keeps jest fast.
  transform: { '^.+\\.ts$': 'ts-jest' },
  // Integration tests start real peers (redis-server, podman, prometheus): give them room, and cap
  // parallelism so two cores are not oversubscribed.
  testTimeout: 60000,
  maxWorkers: 2,
  // The chaos table (test/chaos/README.md) is printed after any run that included chaos rows.
  reporters: ['default', '<rootDir>/test/chaos/table-reporter.js'],
  // Servers a test started and never stopped are stopped after the run, by pid, naming the test (src/demo/child-registry.ts).
  globalSetup: '<rootDir>/test/global-setup.js',
  globalTeardown: '<rootDir>/test/global-teardown.js',
};
