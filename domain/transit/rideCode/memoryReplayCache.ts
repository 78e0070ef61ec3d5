import type { ReplayCache } from './verify';

/**
 * A gate's replay cache in memory: (pseudonym, counter) pairs live until their code could no
 * longer pass the freshness check, so memory stays bounded by the traffic of one validity window.
 */
export class MemoryReplayCache implements ReplayCache {
  private readonly seen = new Map<string, number>();
  private lastSweep = 0;

  constructor(private readonly clock: () => number) {}

  firstSeen(pseudonym: string, counter: number, untilMs: number): boolean {
    const now = this.clock();
    if (now - this.lastSweep > 10_000) {
      for (const [k, until] of this.seen) if (until < now) this.seen.delete(k);
      this.lastSweep = now;
    }
    const key = `${pseudonym}\u0000${counter}`;
    const until = this.seen.get(key);
    if (until !== undefined && until >= now) return false;
    this.seen.set(key, untilMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}
