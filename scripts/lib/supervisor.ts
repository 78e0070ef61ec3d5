import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { constants } from 'node:os';

/**
 * The children `npm start` runs (the Temporal dev server) live and die with it:
 * - a child that dies on its own stops everything, with a line naming it and its exit code or signal;
 * - SIGINT/SIGTERM, an uncaught exception or unhandled rejection in the parent stop every child first;
 * - each child runs in its own process group behind a small `sh` guard that kills it when the parent's
 *   pipe to the guard closes — so even a parent killed with SIGKILL leaves no orphan behind.
 */
export interface ChildSpec {
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** The child's stdout and stderr: the terminal (default), or discarded. */
  output?: 'inherit' | 'ignore';
}

export interface ChildExit {
  name: string;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface SupervisorOptions {
  log: (msg: string) => void;
  /** How long a child has to stop after SIGTERM before SIGKILL. */
  graceMs?: number;
  /** In-process clean-up to run (within `graceMs`) before the children are stopped, e.g. closing the API. */
  beforeStop?: () => Promise<void>;
  /** Called once everything is stopped after something went wrong (a child died, a signal, an exception). */
  onFatal?: (reason: string, code: number) => void;
}

// The guard: run the command in the background, wait for it, and kill it if our stdin (a pipe from the
// supervisor) reaches EOF first — which happens when the supervisor dies, however it dies.
// A TERM to the group reaches the child directly; the guard then waits for it, so the guard's exit still
// means the child is gone.
// (sh gives background jobs /dev/null as stdin, hence the pipe is kept on fd 3 for the watcher.)
const GUARD = [
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'child=$!',
  'trap \'kill -TERM "$child" 2>/dev/null; wait "$child"; exit $?\' TERM HUP',
  '( cat <&3 >/dev/null; kill -TERM "$child" 2>/dev/null || exit 0',
  '  for _ in 1 2 3 4 5 6 7 8 9 10; do sleep 0.5; kill -0 "$child" 2>/dev/null || exit 0; done',
  '  kill -KILL "$child" 2>/dev/null ) &',
  'exec 3<&-',
  'wait "$child"',
].join('\n');

const SIGNAL_NAMES = new Map(Object.entries(constants.signals).map(([name, num]) => [num, name]));

/** "exit code 1", "signal SIGKILL" — what a person needs to know about how a child ended. */
export function describeExit(exit: Pick<ChildExit, 'code' | 'signal'>): string {
  if (exit.signal) return `killed by signal ${exit.signal}`;
  if (exit.code !== null && exit.code > 128 && SIGNAL_NAMES.has(exit.code - 128)) {
    return `killed by signal ${SIGNAL_NAMES.get(exit.code - 128)} (exit code ${exit.code})`;
  }
  return `exit code ${exit.code ?? 'unknown'}`;
}

interface Running {
  spec: ChildSpec;
  proc: ChildProcess;
  exited: Promise<ChildExit>;
  done: boolean;
}

export class Supervisor {
  private readonly children: Running[] = [];
  private stopping: Promise<void> | undefined;
  private fatalReported = false;

  constructor(private readonly opts: SupervisorOptions) {}

  /** Starts a child under the guard, in its own process group (so stopping reaches its own children too). */
  start(spec: ChildSpec): ChildProcess {
    if (this.stopping) throw new Error(`not starting ${spec.name}: stopping`);
    const stdio: StdioOptions = ['pipe', spec.output ?? 'inherit', spec.output ?? 'inherit'];
    const proc = spawn('/bin/sh', ['-c', GUARD, 'guard', spec.command, ...spec.args], {
      stdio,
      detached: true,
      env: spec.env ?? process.env,
    });
    if (proc.pid === undefined) throw new Error(`could not start ${spec.name} (${spec.command})`);
    const pid = proc.pid;
    const running: Running = {
      spec,
      proc,
      done: false,
      exited: new Promise((resolve) => {
        proc.once('exit', (code, signal) => {
          running.done = true;
          proc.stdin?.destroy();
          resolve({ name: spec.name, pid, code, signal });
        });
      }),
    };
    proc.stdin?.on('error', () => undefined); // EPIPE when the guard is gone
    this.children.push(running);
    void running.exited.then((exit) => {
      if (this.stopping) return;
      this.fatal(`${exit.name} (process group ${exit.pid}) died: ${describeExit(exit)}; stopping everything else`, 1);
    });
    return proc;
  }

  /** Stops every child still running: SIGTERM to its process group, SIGKILL after the grace period. */
  stopAll(): Promise<void> {
    this.stopping ??= (async () => {
      const graceMs = this.opts.graceMs ?? 10_000;
      await Promise.all(
        this.children
          .filter((c) => !c.done)
          .map(async (c) => {
            this.signalGroup(c, 'SIGTERM');
            const timer = setTimeout(() => this.signalGroup(c, 'SIGKILL'), graceMs);
            await c.exited;
            clearTimeout(timer);
            this.signalGroup(c, 'SIGKILL'); // anything the child left in its group
          }),
      );
    })();
    return this.stopping;
  }

  /** Something went wrong: say what, stop every child, let the caller exit. */
  fatal(reason: string, code = 1): void {
    if (this.fatalReported) return;
    this.fatalReported = true;
    this.opts.log(reason);
    void (async () => {
      if (this.opts.beforeStop) {
        const budget = new Promise<void>((resolve) => setTimeout(resolve, this.opts.graceMs ?? 10_000).unref());
        await Promise.race([this.opts.beforeStop().catch((err: unknown) => this.opts.log(`clean-up failed: ${String(err)}`)), budget]);
      }
      await this.stopAll();
      this.opts.onFatal?.(reason, code);
    })();
  }

  /**
   * The parent's own ways to end: signals and crashes stop the children first; on exit (process.exit from
   * anywhere) whatever is still running is killed synchronously.
   */
  installProcessHandlers(): void {
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => this.fatal(`received ${signal}; stopping`, signal === 'SIGINT' ? 130 : 143));
    }
    process.on('uncaughtException', (err) => this.fatal(`uncaught exception: ${err.stack ?? err.message}`, 1));
    process.on('unhandledRejection', (err) =>
      this.fatal(`unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, 1),
    );
    process.on('exit', () => {
      for (const c of this.children) if (!c.done) this.signalGroup(c, 'SIGKILL');
    });
  }

  private signalGroup(c: Running, signal: NodeJS.Signals): void {
    try {
      if (c.proc.pid !== undefined) process.kill(-c.proc.pid, signal);
    } catch {
      // the group is gone already
    }
  }
}
