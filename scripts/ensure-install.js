#!/usr/bin/env node
// Plain JavaScript on purpose: it runs before dependencies (and the TypeScript compiler) exist.
// Installs node dependencies on a fresh clone, then the Temporal CLI when Go can build it; without
// Go, the dev server is left to @temporalio/testing's download at start.
'use strict';
const { existsSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const run = (cmd, args) => {
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) {
    process.stderr.write(`[causeway] ${cmd} ${args.join(' ')} failed (exit ${res.status})\n`);
    process.exit(res.status ?? 1);
  }
};

if (!existsSync(path.join(root, 'node_modules', '.package-lock.json'))) {
  process.stdout.write('[causeway] installing node dependencies (npm ci)…\n');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}
run('bash', [path.join(root, 'scripts', 'install-temporal.sh')]);
