/** Latency and rate summaries. Percentiles are nearest-rank over every sample (no sampling, no histogram buckets). */

export interface LatencySummary {
  count: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
}

export function summarize(samplesMs: readonly number[]): LatencySummary {
  if (samplesMs.length === 0) return { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0, meanMs: 0 };
  const sorted = Float64Array.from(samplesMs).sort();
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? 0;
  let sum = 0;
  for (const v of sorted) sum += v;
  return { count: sorted.length, p50Ms: round(at(0.5)), p99Ms: round(at(0.99)), maxMs: round(at(1)), meanMs: round(sum / sorted.length) };
}

export function perSecond(count: number, elapsedMs: number): number {
  return elapsedMs > 0 ? round((count * 1000) / elapsedMs) : 0;
}

export function round(n: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** measured / floor as a percentage, or null when the floor is zero. */
export function ratioPercent(measured: number, floor: number): number | null {
  return floor > 0 ? round((measured / floor) * 100, 1) : null;
}

/** High-resolution milliseconds since an arbitrary origin. */
export function nowMs(): number {
  return performance.now();
}

/** Runs `work(i)` for i in [0, total) with at most `concurrency` in flight; stops early on the first failure. */
export async function pool(total: number, concurrency: number, work: (i: number, lane: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: Error | undefined;
  const lane = async (laneNo: number): Promise<void> => {
    while (failed === undefined) {
      const i = next++;
      if (i >= total) return;
      try {
        await work(i, laneNo);
      } catch (err) {
        failed ??= err instanceof Error ? err : new Error('a pooled task failed', { cause: err });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, (_, l) => lane(l)));
  if (failed !== undefined) throw failed;
}
