/**
 * Three projects so each layer runs on its own: pure units (fast, no infrastructure), integration
 * tests against the real Temporal dev server / PostgreSQL / sockets, and end-to-end tests through
 * the HTTP API. One global set-up starts Temporal and a fresh database for the whole run.
 */
const transform = {
  '^.+\\.ts$': [
    '@swc/jest',
    {
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
      module: { type: 'commonjs' },
    },
  ],
};
// jose ships ES modules only: jest (CommonJS here) compiles it like our own sources; Node itself loads it with require(esm).
transform['node_modules/jose/.+\\.js$'] = [
  '@swc/jest',
  { jsc: { parser: { syntax: 'ecmascript' }, target: 'es2022' }, module: { type: 'commonjs' } },
];
const transformIgnorePatterns = ['/node_modules/(?!jose/)'];
const common = {
  testEnvironment: 'node',
  transform,
  transformIgnorePatterns,
  moduleFileExtensions: ['ts', 'js', 'json'],
  setupFiles: ['reflect-metadata'],
};
const withTemporal = { setupFiles: ['reflect-metadata', '<rootDir>/test/setup/runtime.ts'] };
// Jest reads testTimeout only at the top level; per project it is set by a setup file instead.
const timeout = (ms) => ({ setupFilesAfterEnv: [`<rootDir>/test/setup/timeout${ms}.ts`] });

module.exports = {
  globalSetup: '<rootDir>/test/globalSetup.ts',
  globalTeardown: '<rootDir>/test/globalTeardown.ts',
  maxWorkers: 2,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, ...withTemporal, displayName: 'int', testMatch: ['<rootDir>/test/int/**/*.int.test.ts'], ...timeout(60000) },
    { ...common, ...withTemporal, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.e2e.test.ts'], ...timeout(120000) },
    { ...common, ...withTemporal, displayName: 'faults', testMatch: ['<rootDir>/test/faults/**/*.faults.test.ts'], ...timeout(300000) },
  ],
};
