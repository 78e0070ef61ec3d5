import type { DataSource } from 'typeorm';

/**
 * Waits for rows to appear, for every in-flight journey at once: one query per kind per tick
 * instead of one poll per journey, so watching costs the database almost nothing. It reads what the
 * platform wrote (visit stage, payment orders with their QR code, notices); a partner app would be
 * told the same by a push notice.
 */
interface Waiter {
  key: string;
  resolve: () => void;
  reject: (err: Error) => void;
  deadline: number;
  what: string;
}

type Kind = 'stage' | 'payment' | 'notice';

const FAILED_STAGES = new Set(['cancelled', 'expired', 'rejected', 'no_show', 'not_seen']);

export class Watcher {
  private readonly waiters: Record<Kind, Waiter[]> = { stage: [], payment: [], notice: [] };
  private readonly timer: NodeJS.Timeout;
  private busy = false;

  constructor(
    private readonly db: DataSource,
    intervalMs = 20,
    private readonly timeoutMs = 180_000,
  ) {
    this.timer = setInterval(() => void this.tick(), intervalMs);
  }

  /** The visit reached `stage` (as the workflow's setVisitStage activity recorded it). */
  stage(bookingRef: string, stage: string): Promise<void> {
    return this.add('stage', `${bookingRef}|${stage}`, `visit ${bookingRef} at stage ${stage}`);
  }

  /** A payment order for this journey step exists at the platform (its QR code is stored). */
  payment(journeyId: string, step: string): Promise<void> {
    return this.add('payment', `${journeyId}|${step}`, `payment ${step} of ${journeyId}`);
  }

  /** The journey sent the user a notice of this kind. */
  notice(journeyId: string, kind: string): Promise<void> {
    return this.add('notice', `${journeyId}|${kind}`, `notice ${kind} of ${journeyId}`);
  }

  stop(): void {
    clearInterval(this.timer);
    for (const list of Object.values(this.waiters)) for (const w of list.splice(0)) w.reject(new Error('watcher stopped'));
  }

  private add(kind: Kind, key: string, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiters[kind].push({ key, resolve, reject, deadline: Date.now() + this.timeoutMs, what });
    });
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await Promise.all([
        this.check('stage', async (keys) => {
          const refs = keys.map((k) => k.split('|')[0]);
          const rows: Array<{ booking_ref: string; stage: string }> = await this.db.query(
            'SELECT booking_ref, stage FROM visits WHERE booking_ref = ANY($1)',
            [refs],
          );
          const failed = new Map(rows.filter((r) => FAILED_STAGES.has(r.stage)).map((r) => [r.booking_ref, r.stage]));
          return { found: new Set(rows.map((r) => `${r.booking_ref}|${r.stage}`)), failed: (key) => failed.get(key.split('|')[0] ?? '') };
        }),
        this.check('payment', async (keys) => {
          const ids = keys.map((k) => k.split('|')[0]);
          const rows: Array<{ journey_id: string; step: string }> = await this.db.query(
            'SELECT journey_id, step FROM payments WHERE journey_id = ANY($1) AND qr_code IS NOT NULL',
            [ids],
          );
          return { found: new Set(rows.map((r) => `${r.journey_id}|${r.step}`)) };
        }),
        this.check('notice', async (keys) => {
          const ids = keys.map((k) => k.split('|')[0]);
          const rows: Array<{ journey_id: string; kind: string }> = await this.db.query(
            'SELECT journey_id, kind FROM notifications WHERE journey_id = ANY($1)',
            [ids],
          );
          return { found: new Set(rows.map((r) => `${r.journey_id}|${r.kind}`)) };
        }),
      ]);
    } catch (err) {
      for (const list of Object.values(this.waiters))
        for (const w of list.splice(0)) w.reject(err instanceof Error ? err : new Error(String(err)));
    } finally {
      this.busy = false;
    }
  }

  private async check(
    kind: Kind,
    query: (keys: string[]) => Promise<{ found: Set<string>; failed?: (key: string) => string | undefined }>,
  ): Promise<void> {
    if (this.waiters[kind].length === 0) return;
    const { found, failed } = await query([...new Set(this.waiters[kind].map((w) => w.key))]);
    const now = Date.now();
    // Waiters added while the query ran are kept (or resolved, if their row is already there).
    this.waiters[kind] = this.waiters[kind].filter((w) => {
      if (found.has(w.key)) w.resolve();
      else if (failed?.(w.key) !== undefined) w.reject(new Error(`${w.what}: the visit ended ${failed(w.key) ?? ''}`));
      else if (now > w.deadline) w.reject(new Error(`timed out waiting for ${w.what}`));
      else return true;
      return false;
    });
  }
}
