import type { DataSource } from 'typeorm';
import { z } from 'zod';
import type { SqlRunner } from './slots';
import { updateResult } from '../updateResult';

/**
 * The money side of rider-days: the trades made for each day, the debts of days refused past the
 * retry policy, and the deny list those debts put pseudonyms on. Every writer here may run twice
 * (activity retries): inserts are keyed, updates move forward only.
 */

const updatedIds = (result: unknown): Array<{ id: string }> => z.array(z.object({ id: z.string() })).parse(updateResult(result).rows);

export interface DayKey {
  operatorId: string;
  riderRef: string;
  serviceDay: string;
}

export const DayTrade = z.object({
  out_trade_no: z.string(),
  purpose: z.enum(['agreement_charge', 'debt_payment']),
  revision: z.number().int(),
  amount_minor: z.coerce.number().int(),
  currency: z.string(),
  status: z.enum(['pending', 'paid', 'refused']),
  refusal: z.string().nullable(),
  trade_no: z.string().nullable(),
  refunded_minor: z.coerce.number().int(),
});
export type DayTrade = z.infer<typeof DayTrade>;

/** The day's trades, newest first (refunds take from the newest paid trade first). */
export async function tradesOfDay(db: SqlRunner, k: DayKey): Promise<DayTrade[]> {
  const rows: unknown = await db.query(
    `SELECT out_trade_no, purpose, revision, amount_minor, currency, status, refusal, trade_no, refunded_minor
       FROM transit_day_trades WHERE operator_id = $1 AND rider_ref = $2 AND service_day = $3
      ORDER BY created_at DESC, out_trade_no DESC`,
    [k.operatorId, k.riderRef, k.serviceDay],
  );
  return z.array(DayTrade).parse(rows);
}

/** What the rider has paid for the day so far, net of refunds. */
export const paidOf = (trades: readonly DayTrade[]): number =>
  trades.filter((t) => t.status === 'paid').reduce((sum, t) => sum + t.amount_minor - t.refunded_minor, 0);

export async function insertPendingTrade(
  db: SqlRunner,
  t: DayKey & { outTradeNo: string; revision: number; purpose: DayTrade['purpose']; amountMinor: number; currency: string },
): Promise<void> {
  await db.query(
    `INSERT INTO transit_day_trades (out_trade_no, operator_id, rider_ref, service_day, revision, purpose, amount_minor, currency, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending') ON CONFLICT (out_trade_no) DO NOTHING`,
    [t.outTradeNo, t.operatorId, t.riderRef, t.serviceDay, t.revision, t.purpose, t.amountMinor, t.currency],
  );
}

/** A trade's outcome; a paid trade never goes back (a late `refused` of a redelivered attempt is ignored). */
export async function settleTrade(
  db: SqlRunner,
  outTradeNo: string,
  outcome: { status: 'paid'; tradeNo: string } | { status: 'refused'; refusal: string },
): Promise<void> {
  await db.query(
    `UPDATE transit_day_trades SET status = $2, trade_no = COALESCE($3, trade_no), refusal = $4, updated_at = now()
      WHERE out_trade_no = $1 AND status <> 'paid'`,
    [outTradeNo, outcome.status, outcome.status === 'paid' ? outcome.tradeNo : null, outcome.status === 'refused' ? outcome.refusal : null],
  );
}

/** The platform's cumulative refund of a trade: only ever raises what is stored. */
export async function recordTradeRefunded(db: SqlRunner, outTradeNo: string, totalRefundedMinor: number): Promise<void> {
  await db.query(
    `UPDATE transit_day_trades SET refunded_minor = GREATEST(refunded_minor, $2), updated_at = now() WHERE out_trade_no = $1`,
    [outTradeNo, totalRefundedMinor],
  );
}

/** Takes the operator's next deny-list version; the head row stays locked until the transaction ends. */
async function nextDenyListVersion(tx: SqlRunner, operatorId: string): Promise<number> {
  const rows: Array<{ version: string }> = await tx.query(
    `INSERT INTO transit_deny_list_heads (operator_id, version) VALUES ($1, 1)
     ON CONFLICT (operator_id) DO UPDATE SET version = transit_deny_list_heads.version + 1
     RETURNING version`,
    [operatorId],
  );
  return Number(rows[0]!.version);
}

/** One new version listing (or un-listing) a rider's pseudonyms; null when there are none. */
async function appendDenyListChanges(
  tx: SqlRunner,
  k: { operatorId: string; riderRef: string },
  action: 'add' | 'remove',
  pseudonyms: string[],
): Promise<number | null> {
  if (pseudonyms.length === 0) return null;
  const version = await nextDenyListVersion(tx, k.operatorId);
  await tx.query(
    `INSERT INTO transit_deny_list_changes (operator_id, version, pseudonym, action, rider_ref)
     SELECT $1, $2, p, $3, $4 FROM unnest($5::text[]) AS p`,
    [k.operatorId, version, action, k.riderRef, pseudonyms],
  );
  return version;
}

/**
 * Opens (or raises) the day's debt. When it is the rider's first open debt, the rider is marked in
 * debt — no new credential from now on — and the pseudonyms of their live credentials go on the
 * deny list under one new version. Returns that version, or null when the list did not change.
 */
export async function openDebt(
  db: DataSource,
  d: DayKey & { amountMinor: number; currency: string; reason: string },
): Promise<{ denyListVersion: number | null }> {
  return db.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO transit_debts (operator_id, rider_ref, service_day, amount_minor, currency, reason, status)
       VALUES ($1, $2, $3, $4, $5, $6, 'open')
       ON CONFLICT (operator_id, rider_ref, service_day) DO UPDATE
         SET amount_minor = EXCLUDED.amount_minor, reason = EXCLUDED.reason, status = 'open', closed_at = NULL`,
      [d.operatorId, d.riderRef, d.serviceDay, d.amountMinor, d.currency, d.reason],
    );
    const marked = updatedIds(
      await tx.query(
        `UPDATE transit_riders SET in_debt = true, updated_at = now()
        WHERE operator_id = $1 AND rider_ref = $2 AND NOT in_debt RETURNING id`,
        [d.operatorId, d.riderRef],
      ),
    );
    const riderId = marked[0]?.id;
    if (!riderId) return { denyListVersion: null };
    const live: Array<{ pseudonym: string }> = await tx.query(
      `SELECT pseudonym FROM transit_credentials WHERE rider_id = $1 AND valid_until > now()`,
      [riderId],
    );
    return {
      denyListVersion: await appendDenyListChanges(
        tx,
        d,
        'add',
        live.map((r) => r.pseudonym),
      ),
    };
  });
}

/**
 * Closes the day's debt (`paid` by the rider, or `cleared` when a re-priced day no longer owes).
 * When it was the rider's last open debt, the rider may get credentials again and every pseudonym
 * of theirs still listed is removed under one new version.
 */
export async function closeDebt(db: DataSource, d: DayKey & { status: 'paid' | 'cleared' }): Promise<{ denyListVersion: number | null }> {
  return db.transaction(async (tx) => {
    await tx.query(
      `UPDATE transit_debts SET status = $4, closed_at = now()
        WHERE operator_id = $1 AND rider_ref = $2 AND service_day = $3 AND status = 'open'`,
      [d.operatorId, d.riderRef, d.serviceDay, d.status],
    );
    // Locks the rider row: a concurrent openDebt of another day either sees this close or waits for it.
    const cleared = updatedIds(
      await tx.query(
        `UPDATE transit_riders r SET in_debt = false, updated_at = now()
        WHERE r.operator_id = $1 AND r.rider_ref = $2 AND r.in_debt
          AND NOT EXISTS (SELECT 1 FROM transit_debts d WHERE d.operator_id = r.operator_id AND d.rider_ref = r.rider_ref AND d.status = 'open')
        RETURNING id`,
        [d.operatorId, d.riderRef],
      ),
    );
    if (!cleared[0]) return { denyListVersion: null };
    const listed: Array<{ pseudonym: string }> = await tx.query(
      `SELECT pseudonym FROM (
         SELECT DISTINCT ON (pseudonym) pseudonym, action FROM transit_deny_list_changes
          WHERE operator_id = $1 AND rider_ref = $2 ORDER BY pseudonym, version DESC) last
        WHERE action = 'add'`,
      [d.operatorId, d.riderRef],
    );
    return {
      denyListVersion: await appendDenyListChanges(
        tx,
        d,
        'remove',
        listed.map((r) => r.pseudonym),
      ),
    };
  });
}

/** The operator's deny-list version now and every change after `since`, in version order. */
export async function denyListChangesSince(
  db: SqlRunner,
  operatorId: string,
  since: number,
): Promise<{ version: number; changes: Array<{ pseudonym: string; action: 'add' | 'remove' }> }> {
  const head: Array<{ version: string }> = await db.query(`SELECT version FROM transit_deny_list_heads WHERE operator_id = $1`, [
    operatorId,
  ]);
  const version = Number(head[0]?.version ?? 0);
  if (version <= since) return { version, changes: [] };
  const rows: unknown = await db.query(
    `SELECT pseudonym, action FROM transit_deny_list_changes
      WHERE operator_id = $1 AND version > $2 AND version <= $3 ORDER BY version, pseudonym`,
    [operatorId, since, version],
  );
  return { version, changes: z.array(z.object({ pseudonym: z.string(), action: z.enum(['add', 'remove']) })).parse(rows) };
}

export const OpenDebt = z.object({
  service_day: z.string(),
  amount_minor: z.coerce.number().int(),
  currency: z.string(),
  reason: z.string(),
  opened_at: z.date(),
});
export type OpenDebt = z.infer<typeof OpenDebt>;

/** A rider's open debts, oldest day first. */
export async function openDebtsOf(db: SqlRunner, k: { operatorId: string; riderRef: string }): Promise<OpenDebt[]> {
  const rows: unknown = await db.query(
    `SELECT service_day, amount_minor, currency, reason, opened_at FROM transit_debts
      WHERE operator_id = $1 AND rider_ref = $2 AND status = 'open' ORDER BY service_day`,
    [k.operatorId, k.riderRef],
  );
  return z.array(OpenDebt).parse(rows);
}

/**
 * The days of these riders whose charge was refused and is still owed (retrying, or in debt). An open
 * debt counts as soon as its row is written: the day's view says `in_debt` a step later, and a ride in
 * between must still ask the day to try again (found as a race in CI: the rider tapped in that gap).
 */
export async function owedDaysOf(db: SqlRunner, riders: ReadonlyArray<{ operatorId: string; riderRef: string }>): Promise<Array<DayKey>> {
  if (riders.length === 0) return [];
  const rows: unknown = await db.query(
    `WITH r AS (SELECT * FROM unnest($1::text[], $2::text[]) AS r(operator_id, rider_ref))
     SELECT v.operator_id, v.rider_ref, v.service_day
       FROM rider_day_views v JOIN r ON r.operator_id = v.operator_id AND r.rider_ref = v.rider_ref
      WHERE v.stage IN ('charge_retrying', 'in_debt')
     UNION
     SELECT d.operator_id, d.rider_ref, d.service_day
       FROM transit_debts d JOIN r ON r.operator_id = d.operator_id AND r.rider_ref = d.rider_ref
      WHERE d.status = 'open'`,
    [riders.map((r) => r.operatorId), riders.map((r) => r.riderRef)],
  );
  return z
    .array(z.object({ operator_id: z.string(), rider_ref: z.string(), service_day: z.string() }))
    .parse(rows)
    .map((r) => ({ operatorId: r.operator_id, riderRef: r.rider_ref, serviceDay: r.service_day }));
}
