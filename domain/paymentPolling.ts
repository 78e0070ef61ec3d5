/**
 * When the payment platform's notification is late or lost, the payment workflow asks for the order
 * status itself: soon at first (most users pay within a minute), then less and less often.
 */
export function pollDelayMs(attempt: number, opts: { firstMs?: number; maxMs?: number } = {}): number {
  const first = opts.firstMs ?? 5_000;
  const max = opts.maxMs ?? 60_000;
  const delay = first * 2 ** Math.max(0, attempt);
  return Math.min(delay, max);
}

/** The wait before the next check, never past the deadline. */
export function nextWaitMs(nowMs: number, deadlineMs: number, attempt: number, opts?: { firstMs?: number; maxMs?: number }): number {
  return Math.max(0, Math.min(pollDelayMs(attempt, opts), deadlineMs - nowMs));
}
