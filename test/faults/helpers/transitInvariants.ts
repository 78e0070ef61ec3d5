import type { DataSource } from 'typeorm';
import type { PaymentProvider } from '../../../integrations/payment/provider';

/**
 * What must hold for an operator's rider-days after any transit drill:
 *  - at most one paid agreement charge per rider-day revision;
 *  - what PostgreSQL says each day was paid equals what the payment platform holds for its trades
 *    (captured less refunded), and the ledger says the same;
 *  - no rider is on the deny list without an open debt, and none with an open debt is missing from it
 *    (for pseudonyms that were live when the debt opened).
 * Answers the violations (empty when all hold), so a test shows all of them at once.
 */
export async function transitViolations(db: DataSource, payments: Pick<PaymentProvider, 'query'>, operatorId: string): Promise<string[]> {
  const out: string[] = [];
  const twice: Array<{ day: string; revision: number; n: number }> = await db.query(
    `SELECT rider_ref || '/' || service_day AS day, revision, count(*)::int AS n FROM transit_day_trades
      WHERE operator_id = $1 AND status = 'paid' AND purpose = 'agreement_charge' GROUP BY 1, 2 HAVING count(*) > 1`,
    [operatorId],
  );
  for (const t of twice) out.push(`${t.day} revision ${t.revision} charged ${t.n} times`);

  const trades: Array<{ out_trade_no: string; purpose: string; amount_minor: string; refunded_minor: string; status: string }> =
    await db.query(`SELECT out_trade_no, purpose, amount_minor, refunded_minor, status FROM transit_day_trades WHERE operator_id = $1`, [
      operatorId,
    ]);
  for (const t of trades) {
    const at = await payments.query(t.out_trade_no);
    const platformPaid =
      at.status === 'TRADE_SUCCESS' || at.status === 'TRADE_FINISHED' || (at.status === 'TRADE_CLOSED' && Number(t.refunded_minor) > 0);
    if (t.status === 'paid' && !platformPaid) out.push(`${t.out_trade_no} paid here, ${at.status} at the platform`);
    if (t.status !== 'paid' && (at.status === 'TRADE_SUCCESS' || at.status === 'TRADE_FINISHED'))
      out.push(`${t.out_trade_no} ${t.status} here but paid at the platform`);
    if (t.status === 'paid' && at.status !== 'NOT_FOUND' && at.amountMinor !== Number(t.amount_minor))
      out.push(`${t.out_trade_no} amount ${t.amount_minor} here, ${at.amountMinor} at the platform`);
    const ledger: Array<{ s: string | null }> = await db.query(
      `SELECT sum(amount_minor) AS s FROM ledger_entries WHERE out_trade_no = $1 AND kind IN ('paid', 'refunded')`,
      [t.out_trade_no],
    );
    const net = t.status === 'paid' ? Number(t.amount_minor) - Number(t.refunded_minor) : 0;
    if (t.purpose !== 'debt_payment' && Number(ledger[0]?.s ?? 0) !== net)
      out.push(`${t.out_trade_no} ledger ${ledger[0]?.s ?? 0}, trade nets ${net}`);
  }

  const listed: Array<{ rider_ref: string; pseudonym: string }> = await db.query(
    `SELECT rider_ref, pseudonym FROM (
       SELECT DISTINCT ON (pseudonym) rider_ref, pseudonym, action FROM transit_deny_list_changes
        WHERE operator_id = $1 ORDER BY pseudonym, version DESC) last WHERE action = 'add'`,
    [operatorId],
  );
  const debtors: Array<{ rider_ref: string }> = await db.query(
    `SELECT DISTINCT rider_ref FROM transit_debts WHERE operator_id = $1 AND status = 'open'`,
    [operatorId],
  );
  const inDebt = new Set(debtors.map((d) => d.rider_ref));
  for (const l of listed) if (!inDebt.has(l.rider_ref)) out.push(`${l.rider_ref} denied (${l.pseudonym}) without an open debt`);
  const listedRiders = new Set(listed.map((l) => l.rider_ref));
  for (const d of inDebt) if (!listedRiders.has(d)) out.push(`${d} has an open debt but is not on the deny list`);
  return out;
}
