/**
 * What a process does when an error escapes every handler (an unhandled rejection or an uncaught
 * exception): its state is unknown, so it must not limp on half-alive. It logs what failed (the
 * error's name, code and stack frames, never its message text, which may quote a patient's data),
 * gives its shutdown a bounded time to close listeners and pools, and exits non-zero so the
 * supervisor (systemd, Kubernetes, `npm start`) restarts it.
 */

export interface FatalLog {
  fatal(obj: object, msg: string): void;
}

export interface FatalErrorPolicyOptions {
  /** Process name in the log line. */
  name: string;
  logger?: FatalLog;
  /** Longest time the shutdown may take before the process exits anyway. Default 5 s. */
  shutdownTimeoutMs?: number;
  /** Test seam; default process.exit. */
  exit?: (code: number) => void;
}

export interface FatalErrorPolicy {
  /** The graceful shutdown to attempt (set once the services it closes exist). */
  setShutdown(fn: () => Promise<void>): void;
  setLogger(logger: FatalLog): void;
  /** Removes the process handlers (tests). */
  uninstall(): void;
}

export const FATAL_EXIT_CODE = 70; // EX_SOFTWARE: an internal error, distinct from a config error (1)

/** Name, code and stack frames of an error, without its message. */
export function describeFatal(err: unknown): { errorName: string; code?: string; frames?: string[] } {
  if (!(err instanceof Error)) return { errorName: typeof err };
  const code = 'code' in err ? err.code : undefined;
  const frames = (err.stack ?? '')
    .split('\n')
    .filter((l) => /^\s+at /.test(l))
    .slice(0, 12)
    .map((l) => l.trim());
  return { errorName: err.name, ...(typeof code === 'string' ? { code } : {}), ...(frames.length > 0 ? { frames } : {}) };
}

export function installFatalErrorPolicy(opts: FatalErrorPolicyOptions): FatalErrorPolicy {
  const exit = opts.exit ?? ((code: number) => process.exit(code));
  const timeoutMs = opts.shutdownTimeoutMs ?? 5_000;
  let logger = opts.logger;
  let shutdown: (() => Promise<void>) | undefined;
  let dying = false;

  const onFatal = (kind: 'unhandledRejection' | 'uncaughtException') => (err: unknown) => {
    const details = { process: opts.name, kind, ...describeFatal(err) };
    if (logger) logger.fatal(details, 'fatal error escaped every handler; shutting down');
    else process.stderr.write(`${JSON.stringify({ level: 'fatal', ...details })}\n`);
    // A second fatal error while shutting down (often the shutdown's own) ends it at once.
    if (dying) return exit(FATAL_EXIT_CODE);
    dying = true;
    process.exitCode = FATAL_EXIT_CODE;
    // Not unref'd: even if the event loop empties, the process ends through exit(), never as a clean 0.
    const timer = setTimeout(() => exit(FATAL_EXIT_CODE), timeoutMs);
    const attempt = shutdown ? Promise.resolve().then(shutdown) : Promise.resolve();
    void attempt
      .catch(() => undefined)
      .then(() => {
        clearTimeout(timer);
        exit(FATAL_EXIT_CODE);
      });
  };

  const rejection = onFatal('unhandledRejection');
  const exception = onFatal('uncaughtException');
  process.on('unhandledRejection', rejection);
  process.on('uncaughtException', exception);
  return {
    setShutdown: (fn) => (shutdown = fn),
    setLogger: (l) => (logger = l),
    uninstall: () => {
      process.off('unhandledRejection', rejection);
      process.off('uncaughtException', exception);
    },
  };
}
