import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The platform's processes as separate OS processes, so that their memory is theirs and their event
 * loops do not share time with the load generator. Output is kept (last few KB) only to explain a
 * failure; it is never printed otherwise.
 */
export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  /** Last output, for error messages. */
  tail(): string;
  /** Rejects if the process exits before stop() is called. */
  exited: Promise<never>;
  stop(): Promise<void>;
}

const TAIL_BYTES = 4096;

export function spawnNode(
  name: string,
  entry: string,
  env: Record<string, string>,
  opts: { ipc?: boolean; nodeArgs?: string[] } = {},
): Child {
  if (!existsSync(entry)) throw new Error(`${entry} missing: run \`npm run build\` first (npm run bench does)`);
  // BENCH_CPU_PROF_DIR: each platform process writes a V8 CPU profile there when it exits (where the time goes).
  const profDir = process.env.BENCH_CPU_PROF_DIR;
  const prof = profDir ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-name=${name}.${Date.now()}.cpuprofile`] : [];
  const child = spawn(process.execPath, [...prof, ...(opts.nodeArgs ?? []), entry], {
    env,
    stdio: opts.ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`${name}: could not start`);
  let output = '';
  const keep = (b: Buffer): void => {
    output = (output + b.toString('utf8')).slice(-TAIL_BYTES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let stopping = false;
  const exited = new Promise<never>((_resolve, reject) => {
    child.once('exit', (code, signal) => {
      if (!stopping) reject(new Error(`${name} exited unexpectedly (${signal ?? code ?? '?'}):\n${output}`));
    });
  });
  exited.catch(() => undefined); // observed by whoever races it; never an unhandled rejection
  return {
    name,
    process: child,
    pid: child.pid,
    tail: () => output,
    exited,
    stop: async () => {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

/** The first IPC message of `kind` from a child (its ports, once listening). */
export function firstMessage<T>(child: Child, kind: string, timeoutMs = 60_000): Promise<T> {
  return Promise.race([
    child.exited,
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${child.name}: no "${kind}" message within ${timeoutMs} ms:\n${child.tail()}`)),
        timeoutMs,
      );
      const onMessage = (m: unknown): void => {
        if (typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === kind) {
          clearTimeout(timer);
          child.process.off('message', onMessage);
          resolve(m as T);
        }
      };
      child.process.on('message', onMessage);
    }),
  ]);
}

/** Flattens a parsed config back into environment strings (what a child's loadConfig reads). */
export function toEnv(values: Record<string, string | number | boolean | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) out[k] = String(v);
  return out;
}
