#!/usr/bin/env node
// Plain JavaScript on purpose: it runs before dependencies (and the TypeScript compiler) exist.
// `npm start` and `npm run setup` enter here. On a Node older than the supported LTS it fetches the LTS
// (scripts/ensure-node.js) and runs itself again under it, so everything after (npm ci, the build, the
// demo) runs on a supported runtime. Then: node dependencies on a fresh clone, the Temporal CLI when Go
// can build it (without Go, the dev server is left to @temporalio/testing's download at start), and the
// steps named on the command line: `build` (tsc), `start` (the demo, dist/scripts/start.js).
'use strict';
const { existsSync } = require('node:fs');
const { spawn, spawnSync } = require('node:child_process');
const path = require('node:path');
const { ensureNode, REQUIRED_MAJOR } = require('./ensure-node');

const root = path.resolve(__dirname, '..');
const steps = process.argv.slice(2);

const nodeBin = ensureNode();
if (nodeBin) {
  const node = path.join(nodeBin, 'node');
  const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout.trim();
  process.stdout.write(
    `[causeway] Node ${process.version} is past end of life; running under Node ${version} (LTS ${REQUIRED_MAJOR}) from .cache/node${REQUIRED_MAJOR} instead. Install Node ${REQUIRED_MAJOR} to skip this.\n`,
  );
  const child = spawn(node, [__filename, ...steps], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PATH: `${nodeBin}${path.delimiter}${process.env.PATH ?? ''}` },
  });
  // The terminal's Ctrl-C reaches the child too (same process group); wait for it to finish shutting down.
  process.on('SIGINT', () => undefined);
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return;
}

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
if (steps.includes('build')) {
  process.stdout.write('[causeway] compiling TypeScript (tsc, about a minute)…\n');
  run('npm', ['run', '--silent', 'build']);
}
// In this process: the demo's own signal handling (Ctrl-C shuts it down) stays as it is.
if (steps.includes('start')) require(path.join(root, 'dist', 'scripts', 'start.js'));
