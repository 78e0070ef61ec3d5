import type { DataSource } from 'typeorm';
import { refundRequestNoFor } from '../../../domain/ids';
import type { PaymentSimulator } from '../../../integrations/payment/simulator';
import type { RetailOrderView } from '../../../workflows/retail/order/types';

/**
 * What must hold for merchants' retail orders after any retail drill (issue 12, item 9):
 *  - money: per order, refunded ≤ paid, the refunds add up to the refunded amount, each unit is in at
 *    most one refund, each refund is its units' paid amount less its claw-back; an order that failed
 *    kept nothing;
 *  - the platform ledger: what the simulator captured and refunded for each order's trade nets to what
 *    the order says it kept, each refund is at the platform once under its request number with its
 *    amount, no failed order's trade is still payable, and the platform holds no trade Causeway does not
 *    know (when the simulator serves only these merchants);
 *  - coupon budgets: each campaign's committed money = its budget moves (commits less refunds) = what
 *    the paid orders' coupons still carry (applied less refunded shares); reserved money = the coupons
 *    reserved; every coupon is where its orders say (used by its paid order, back in the wallet when
 *    returned, never held by a failed order); issued = coupons;
 *  - points: each member's balance (the ledger sum) = what their orders earned less what refunds reversed,
 *    pending while an order's window is open and available once it closed; a failed order moved none.
 * Answers the violations (empty when all hold), so a test shows all of them at once.
 */
export interface RetailInvariantDeps {
  db: DataSource;
  sim: Pick<PaymentSimulator, 'trades'>;
  merchantIds: string[];
  /** The simulator serves only these merchants: a trade it holds that no order names is a violation. */
  simulatorIsScoped?: boolean;
}

interface ViewRow {
  merchant_id: string;
  order_ref: string;
  user_id: string | null;
  stage: string;
  view: RetailOrderView;
}

const LIVE = new Set(['paid', 'closed']);
const FAILED = new Set(['refused', 'payment_failed']);

export async function retailViolations(deps: RetailInvariantDeps): Promise<string[]> {
  const { db, sim, merchantIds } = deps;
  const out: string[] = [];
  const views: ViewRow[] = await db.query(
    'SELECT merchant_id, order_ref, user_id, stage, view FROM retail_order_views WHERE merchant_id = ANY($1) ORDER BY merchant_id, order_ref',
    [merchantIds],
  );

  // Money, per order, and the platform's side of it.
  for (const { view: v, stage } of views) {
    const order = `${v.merchantId}/${v.orderRef}`;
    if (!LIVE.has(stage) && !FAILED.has(stage)) {
      out.push(`${order} not settled (${stage})`);
      continue;
    }
    if (v.refundedMinor > v.paidMinor) out.push(`${order} refunded ${v.refundedMinor} of ${v.paidMinor} paid`);
    const sumRefunds = v.refunds.reduce((s, r) => s + r.refundMinor, 0);
    if (sumRefunds !== v.refundedMinor) out.push(`${order} refunds add up to ${sumRefunds}, the order says ${v.refundedMinor}`);
    const unitPaid = new Map((v.allocation?.units ?? []).map((u) => [u.unitId, u.paidMinor]));
    const seenUnits = new Set<string>();
    for (const r of v.refunds) {
      for (const id of r.unitIds) {
        if (seenUnits.has(id)) out.push(`${order} unit ${id} refunded twice`);
        if (!unitPaid.has(id)) out.push(`${order} refund ${r.refundNo} names unknown unit ${id}`);
        seenUnits.add(id);
      }
      const paidOfUnits = r.unitIds.reduce((s, id) => s + (unitPaid.get(id) ?? 0), 0);
      if (r.unitsPaidMinor !== paidOfUnits)
        out.push(`${order} refund ${r.refundNo} units paid ${paidOfUnits}, recorded ${r.unitsPaidMinor}`);
      const returned = r.clawBackReturnedMinor ?? 0;
      if (r.refundMinor < 0 || r.refundMinor !== r.unitsPaidMinor + returned - r.clawedBackMinor)
        out.push(
          `${order} refund ${r.refundNo} of ${r.refundMinor} is not units paid ${r.unitsPaidMinor} plus ${returned} returned less ${r.clawedBackMinor}`,
        );
    }
    if (FAILED.has(stage) && (v.paidMinor !== 0 || v.refundedMinor !== 0 || v.refunds.length > 0))
      out.push(`${order} ${stage} but kept ${v.paidMinor - v.refundedMinor} (paid ${v.paidMinor})`);

    const trade = sim.trades.get(v.outTradeNo);
    const captured = trade?.paidAt ? trade.totalMinor : 0;
    const platformRefunded = trade?.refunds.reduce((s, r) => s + r.amountMinor, 0) ?? 0;
    if (captured - platformRefunded !== v.paidMinor - v.refundedMinor)
      out.push(
        `${order} keeps ${v.paidMinor - v.refundedMinor} here, the platform ${captured - platformRefunded} (captured ${captured}, refunded ${platformRefunded})`,
      );
    if (LIVE.has(stage) && v.paidMinor > 0 && captured !== v.paidMinor)
      out.push(`${order} paid ${v.paidMinor} here, the platform captured ${captured}`);
    if (FAILED.has(stage) && trade && (trade.state === 'WAIT_BUYER_PAY' || trade.state === 'TRADE_SUCCESS'))
      out.push(`${order} ${stage} but its trade is ${trade.state} at the platform`);
    if (LIVE.has(stage) && trade) {
      const byRequest = new Map<string, number[]>();
      for (const r of trade.refunds) byRequest.set(r.outRequestNo, [...(byRequest.get(r.outRequestNo) ?? []), r.amountMinor]);
      const expected = new Set<string>();
      for (const r of v.refunds) {
        if (r.refundMinor === 0) continue;
        const no = refundRequestNoFor(v.outTradeNo, r.refundNo);
        expected.add(no);
        const at = byRequest.get(no) ?? [];
        if (at.length !== 1 || at[0] !== r.refundMinor)
          out.push(`${order} refund ${r.refundNo} of ${r.refundMinor}: the platform holds ${JSON.stringify(at)}`);
      }
      for (const no of byRequest.keys()) if (!expected.has(no)) out.push(`${order} the platform refunded under ${no}, unknown here`);
    }
  }
  if (deps.simulatorIsScoped) {
    const known = new Set(views.map((r) => r.view.outTradeNo));
    for (const t of sim.trades.all())
      if (!known.has(t.outTradeNo)) out.push(`the platform holds trade ${t.outTradeNo} (${t.state}) that no order names`);
  }

  out.push(...(await budgetViolations(db, views, merchantIds)));
  out.push(...(await pointsViolations(db, views, merchantIds)));
  return out;
}

/** Repeats the check until it passes or `graceMs` ends (steps after a stage is published land just after it). */
export async function settledRetailViolations(deps: RetailInvariantDeps, graceMs = 10_000): Promise<string[]> {
  const end = Date.now() + graceMs;
  for (;;) {
    const found = await retailViolations(deps);
    if (found.length === 0 || Date.now() >= end) return found;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function budgetViolations(db: DataSource, views: ViewRow[], merchantIds: string[]): Promise<string[]> {
  const out: string[] = [];
  const campaigns: Array<{ id: string; issued_count: number; reserved_minor: string; committed_minor: string }> = await db.query(
    'SELECT id, issued_count, reserved_minor, committed_minor FROM retail_campaigns WHERE funder_id = ANY($1) OR merchant_ids && $1',
    [merchantIds],
  );
  if (campaigns.length === 0) return out;
  const ids = campaigns.map((c) => c.id);
  const coupons: Array<{ id: string; campaign_id: string; status: string; order_key: string | null; discount_minor: number | null }> =
    await db.query('SELECT id, campaign_id, status, order_key, discount_minor FROM retail_coupons WHERE campaign_id = ANY($1)', [ids]);
  const moves: Array<{ campaign_id: string; kind: string; s: string }> = await db.query(
    `SELECT campaign_id, split_part(move_key, ':', 1) AS kind, sum(amount_minor) AS s FROM retail_budget_moves
      WHERE campaign_id = ANY($1) GROUP BY 1, 2`,
    [ids],
  );
  const couponById = new Map(coupons.map((c) => [c.id, c]));

  // What the orders say each campaign's coupons still carry.
  const carried = new Map<string, number>();
  for (const { view: v, stage } of views) {
    const orderKey = `${v.merchantId}/${v.orderRef}`;
    for (const d of v.allocation?.discounts ?? []) {
      const coupon = couponById.get(d.discountId);
      if (!coupon) {
        out.push(`${orderKey} used coupon ${d.discountId} that no campaign here issued`);
        continue;
      }
      if (LIVE.has(stage)) {
        const back = v.refunds.reduce((s, r) => s + (r.couponSharesMinor[d.discountId] ?? 0), 0);
        carried.set(coupon.campaign_id, (carried.get(coupon.campaign_id) ?? 0) + d.appliedMinor - back);
        const returned = v.refunds.some((r) => r.couponsReturned.includes(d.discountId));
        if (!returned && (coupon.status !== 'used' || coupon.order_key !== orderKey))
          out.push(`coupon ${d.discountId} of paid order ${orderKey} is ${coupon.status} (order ${coupon.order_key ?? 'none'})`);
        if (returned && coupon.order_key === orderKey)
          out.push(`coupon ${d.discountId} returned by ${orderKey} is still ${coupon.status} for it`);
      } else if (FAILED.has(stage) && coupon.order_key === orderKey) {
        out.push(`coupon ${d.discountId} still ${coupon.status} by ${stage} order ${orderKey}`);
      }
    }
  }
  for (const c of campaigns) {
    const move = (kind: string) => Number(moves.find((m) => m.campaign_id === c.id && m.kind === kind)?.s ?? 0);
    const committed = Number(c.committed_minor);
    const byMoves = move('commit') - move('refund');
    if (committed !== byMoves) out.push(`campaign ${c.id} committed ${committed}, its budget moves say ${byMoves}`);
    const byOrders = carried.get(c.id) ?? 0;
    if (committed !== byOrders) out.push(`campaign ${c.id} committed ${committed}, its paid orders' coupons carry ${byOrders}`);
    const mine = coupons.filter((k) => k.campaign_id === c.id);
    const reserved = mine.filter((k) => k.status === 'reserved').reduce((s, k) => s + (k.discount_minor ?? 0), 0);
    if (Number(c.reserved_minor) !== reserved) out.push(`campaign ${c.id} reserved ${c.reserved_minor}, its reserved coupons ${reserved}`);
    if (c.issued_count !== mine.length) out.push(`campaign ${c.id} issued ${c.issued_count}, coupons ${mine.length}`);
  }
  return out;
}

async function pointsViolations(db: DataSource, views: ViewRow[], merchantIds: string[]): Promise<string[]> {
  const out: string[] = [];
  const ledger: Array<{ program_id: string; user_id: string; order_key: string | null; pending: number; available: number }> =
    await db.query(
      `SELECT program_id, user_id, order_key, sum(pending_delta)::int AS pending, sum(available_delta)::int AS available
         FROM points_ledger WHERE program_id = ANY($1) GROUP BY 1, 2, 3`,
      [merchantIds],
    );
  const key = (program: string, user: string) => `${program} member ${user}`;
  const expected = new Map<string, { pending: number; available: number }>();
  const add = (k: string, pending: number, available: number): void => {
    const e = expected.get(k) ?? { pending: 0, available: 0 };
    expected.set(k, { pending: e.pending + pending, available: e.available + available });
  };
  for (const { view: v, stage, user_id: userId } of views) {
    if (!userId) continue;
    const orderKey = `${v.merchantId}/${v.orderRef}`;
    const rows = ledger.filter((l) => l.order_key === orderKey);
    const pending = stage === 'paid' ? v.pointsPending : 0;
    const available = stage === 'closed' ? v.pointsPending : 0;
    add(key(v.merchantId, userId), pending, available);
    const got = rows.reduce((a, r) => ({ pending: a.pending + r.pending, available: a.available + r.available }), {
      pending: 0,
      available: 0,
    });
    if (got.pending !== pending || got.available !== available)
      out.push(`${orderKey} (${stage}) moved ${JSON.stringify(got)} points, its order says ${JSON.stringify({ pending, available })}`);
    if (rows.some((r) => r.user_id !== userId)) out.push(`${orderKey} moved points of another member`);
  }
  const balances = new Map<string, { pending: number; available: number }>();
  for (const l of ledger) {
    const k = key(l.program_id, l.user_id);
    const b = balances.get(k) ?? { pending: 0, available: 0 };
    balances.set(k, { pending: b.pending + l.pending, available: b.available + l.available });
  }
  for (const k of new Set([...balances.keys(), ...expected.keys()])) {
    const b = balances.get(k) ?? { pending: 0, available: 0 };
    const e = expected.get(k) ?? { pending: 0, available: 0 };
    if (b.pending !== e.pending || b.available !== e.available)
      out.push(`${k}: ledger sum ${JSON.stringify(b)}, orders ${JSON.stringify(e)}`);
    if (b.pending < 0 || b.available < 0) out.push(`${k}: negative balance ${JSON.stringify(b)}`);
  }
  return out;
}
