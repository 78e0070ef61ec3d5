// Type-aware lint. The rules that matter for correctness are errors, and CI runs them.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeBuiltins = [
  'fs',
  'net',
  'tls',
  'http',
  'https',
  'crypto',
  'child_process',
  'os',
  'path',
  'dgram',
  'dns',
  'worker_threads',
  'process',
  'stream',
  'zlib',
];

const builtinPaths = nodeBuiltins
  .flatMap((m) => [m, `node:${m}`])
  .map((name) => ({ name, message: 'workflows must stay deterministic: no Node built-ins' }));
const workflowPatterns = [
  {
    group: ['**/integrations/**', '**/db/**', '**/api/**', '**/platform/**', '**/clients/**', 'typeorm', 'pg', 'pino', 'express'],
    message: 'workflows never import I/O layers',
  },
  {
    // Client helpers (starting, signalling, querying workflows) live in clients/, outside the bundle's folder.
    group: ['@temporalio/client', '@temporalio/client/**'],
    message: 'workflows never import the Temporal client: put client helpers in clients/',
  },
  { group: ['**/activities/**'], allowTypeImports: true, message: 'workflows import activities by type only' },
];

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'data/**',
      'coverage/**',
      '.cache/**',
      'clients/partner/openapi.d.ts',
      '*.config.js',
      '*.config.mjs',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { arguments: false } }],
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    // The pre-install bootstrap is plain CommonJS: it runs before the compiler is installed.
    files: ['scripts/*.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, project: null },
      sourceType: 'commonjs',
      globals: { require: 'readonly', process: 'readonly', __dirname: 'readonly', __filename: 'readonly', module: 'readonly' },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // Workflows are replayed: no I/O, no Node built-ins, no adapters or database, activities by type only.
    files: ['workflows/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: builtinPaths, patterns: workflowPatterns }] },
  },
  {
    // Each workflow run evaluates the bundle's modules again: zod there cost most of the worker's CPU
    // and memory. Workflow code validates by hand; only client helpers and boundary schemas use zod.
    files: ['workflows/**/*.ts'],
    // Two boundary schema files still define zod schemas for the API (imported by the workflows as types only).
    ignores: ['workflows/hospital/visit/types.ts', 'workflows/payment/types.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: builtinPaths,
          patterns: [
            ...workflowPatterns,
            {
              group: ['zod', '**/domain/hospital/schemas', '**/domain/hospital/policy', '**/domain/money'],
              allowTypeImports: true,
              message: 'workflow code validates by hand (see queue/validate.ts); zod stays at the boundaries',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
