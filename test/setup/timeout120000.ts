// Per-project default for tests and hooks (see jest.config.js).
jest.setTimeout(120000);
