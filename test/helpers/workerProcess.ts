import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Env } from '../../platform/config';

const WORKER_MAIN = path.join(__dirname, '..', '..', 'dist', 'worker', 'main.js');

/** The real worker entry point as its own OS process, so a test can SIGKILL it mid-activity. */
export function spawnWorker(config: Env, extra: Record<string, string> = {}): ChildProcess & { ready: Promise<void> } {
  if (!existsSync(WORKER_MAIN)) throw new Error('dist/worker/main.js missing: run `npm run build` (npm test does)');
  const env: Record<string, string> = { PATH: process.env.PATH ?? '' };
  for (const [k, v] of Object.entries(config)) {
    if (v === undefined) continue;
    env[k] = Array.isArray(v)
      ? v.join(',')
      : typeof v === 'object'
        ? Object.entries(v)
            .map(([id, key]) => `${id}:${String(key)}`)
            .join(',')
        : String(v);
  }
  Object.assign(env, { LOG_LEVEL: 'info', WORKFLOW_BUNDLE_PATH: process.env.CAUSEWAY_WORKFLOW_BUNDLE ?? '' }, extra);
  const child = spawn(process.execPath, [WORKER_MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer): void => {
      output += b.toString();
      if (output.includes('worker running')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (b: Buffer) => {
      output += b.toString();
    });
    child.once('exit', (code) => reject(new Error(`worker exited early (${code}): ${output.slice(-2000)}`)));
  });
  return Object.assign(child, { ready });
}

export function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
  });
}

/** Ends a drill's worker process at once (SIGKILL) unless it already exited; resolves when it is gone. */
export async function stopWorkerProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGKILL');
  await killed(child);
}
