/**
 * Waiting without fixed sleeps: poll a condition until it holds or a deadline passes. Errors thrown
 * by the probe count as "not yet" (a drill injects faults, so a probe may hit one) and the last one
 * is reported when the deadline passes.
 */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  opts: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  const interval = opts.intervalMs ?? 150;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false) return value;
      lastError = undefined; // the probe works; the condition just does not hold yet
    } catch (err) {
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${opts.timeoutMs ?? 60_000} ms waiting for ${what}${why}`);
    }
    await sleep(interval);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for every promise; if any rejected, throws one error listing every failure (not just the first). */
export async function allSettledOrThrow<T>(promises: Array<Promise<T>>): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failures = settled.flatMap((s, i) =>
    s.status === 'rejected' ? [`#${i}: ${s.reason instanceof Error ? s.reason.message : String(s.reason)}`] : [],
  );
  if (failures.length > 0) throw new Error(`${failures.length} of ${promises.length} failed:\n${failures.join('\n')}`);
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}

/** One at a time: a drill keeps a fault window and a step that must not overlap it apart. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
