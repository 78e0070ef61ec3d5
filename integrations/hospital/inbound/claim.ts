import type { DataSource } from 'typeorm';
import { z } from 'zod';

/**
 * Claiming a booking's inbox rows across processes: a transaction-scoped PostgreSQL advisory lock
 * per correlation (booking ref). Whoever holds it is the only one applying that booking's rows, so
 * N API processes apply each row once and in id order. The lock goes with the transaction, so a
 * process that dies mid-drain releases it with its connection; its rows stay `received`.
 *
 * The key is 64 bits of md5('hl7:' || correlation): hashtext's 32 bits would make two bookings
 * share a lock far more often, and a booking whose lock is taken by another booking's drain waits.
 */
const LOCK_KEY = `('x' || substr(md5('hl7:' || $1), 1, 16))::bit(64)::bigint`;

const Locked = z.object({ locked: z.boolean() });

export type Claimed<T> = { acquired: true; value: T } | { acquired: false };

/**
 * Runs `work` while holding the booking's lock, or gives up at once when another process holds it
 * (the holder re-reads after each pass, see handler.ts). The lock's connection does nothing else:
 * work uses the pool as usual, so callers bound how many claims they hold at once (each pins one
 * pooled connection).
 */
export function tryBookingClaim<T>(db: DataSource, correlation: string, work: () => Promise<T>): Promise<Claimed<T>> {
  return withBookingClaim(db, correlation, 'try', work);
}

/** Runs `work` once the booking's lock is free (an operator's reprocess queues behind a live drain). */
export async function waitForBookingClaim<T>(db: DataSource, correlation: string, work: () => Promise<T>): Promise<T> {
  const claim = await withBookingClaim(db, correlation, 'wait', work);
  if (!claim.acquired) throw new Error('a waited-for advisory lock was not granted');
  return claim.value;
}

async function withBookingClaim<T>(db: DataSource, correlation: string, mode: 'try' | 'wait', work: () => Promise<T>): Promise<Claimed<T>> {
  const runner = db.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    let locked = true;
    if (mode === 'try') {
      const rows = (await runner.query(`SELECT pg_try_advisory_xact_lock(${LOCK_KEY}) AS locked`, [correlation])) as unknown[];
      locked = Locked.parse(rows[0]).locked;
    } else {
      await runner.query(`SELECT pg_advisory_xact_lock(${LOCK_KEY})`, [correlation]);
    }
    if (!locked) {
      await runner.rollbackTransaction();
      return { acquired: false };
    }
    let value: T;
    try {
      value = await work();
    } catch (err) {
      await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    }
    await runner.commitTransaction();
    return { acquired: true, value };
  } finally {
    await runner.release();
  }
}

/** At most `limit` callers at a time; the rest wait in arrival order. */
export class Gate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.active += 1;
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // The slot passes straight to the next waiter, so `active` never drops below what runs.
      if (next) next();
      else this.active -= 1;
    }
  }
}
