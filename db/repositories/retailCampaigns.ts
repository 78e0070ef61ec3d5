import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { issue, reserve, type BudgetRefusal, type BudgetState, type CampaignBudget } from '../../domain/retail/budget';
import type { CouponValue } from '../../domain/retail/coupons';
import { serviceDayOf } from '../../domain/hospital/serviceDay';
import { updateResult } from '../updateResult';

/**
 * Campaign budgets in SQL: each step locks the campaign row (`FOR UPDATE`), reads the running totals,
 * asks the pure rules (domain/retail/budget.ts) and writes the result in the same transaction, so
 * concurrent claims and checkouts queue on the row and can never overspend (the table's CHECK says
 * so too). Every money movement is recorded once by its key (`retail_budget_moves`).
 */
const CampaignRow = z.object({
  id: z.string(),
  funder_id: z.string(),
  name: z.string(),
  kind: z.enum(['fixed', 'percent']),
  value: z.number().int(),
  max_discount_minor: z.number().int().nullable(),
  min_spend_minor: z.number().int(),
  categories: z.array(z.string()),
  merchant_ids: z.array(z.string()),
  below_minimum: z.enum(['keep', 'claw_back']),
  valid_from: z.date(),
  valid_until: z.date(),
  time_zone: z.string(),
  budget_money_minor: z.coerce.number().int(),
  budget_count: z.number().int(),
  budget_daily_minor: z.coerce.number().int().nullable(),
  per_user_limit: z.number().int(),
  status: z.enum(['active', 'paused']),
  issued_count: z.number().int(),
  reserved_minor: z.coerce.number().int(),
  committed_minor: z.coerce.number().int(),
  created_at: z.date(),
});
export type CampaignRow = z.infer<typeof CampaignRow>;

export interface NewCampaign {
  funderId: string;
  name: string;
  value: CouponValue;
  merchantIds: readonly string[];
  belowMinimum: 'keep' | 'claw_back';
  validFrom: Date;
  validUntil: Date;
  timeZone: string;
  budget: CampaignBudget;
}

export function budgetOf(c: CampaignRow): CampaignBudget {
  return { moneyMinor: c.budget_money_minor, count: c.budget_count, dailyMoneyMinor: c.budget_daily_minor, perUser: c.per_user_limit };
}

export function couponValueOf(c: CampaignRow): CouponValue {
  return {
    kind: c.kind,
    value: c.value,
    maxDiscountMinor: c.max_discount_minor,
    minSpendMinor: c.min_spend_minor,
    categories: c.categories,
  };
}

export async function createCampaign(db: DataSource, c: NewCampaign): Promise<CampaignRow> {
  const rows: unknown = await db.query(
    `INSERT INTO retail_campaigns (id, funder_id, name, kind, value, max_discount_minor, min_spend_minor, categories, merchant_ids,
       below_minimum, valid_from, valid_until, time_zone, budget_money_minor, budget_count, budget_daily_minor, per_user_limit, status)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'active') RETURNING *`,
    [
      randomUUID(),
      c.funderId,
      c.name,
      c.value.kind,
      c.value.value,
      c.value.maxDiscountMinor,
      c.value.minSpendMinor,
      [...c.value.categories],
      [...c.merchantIds],
      c.belowMinimum,
      c.validFrom,
      c.validUntil,
      c.timeZone,
      c.budget.moneyMinor,
      c.budget.count,
      c.budget.dailyMoneyMinor,
      c.budget.perUser,
    ],
  );
  return z.array(CampaignRow).parse(rows)[0]!;
}

export async function findCampaign(db: Pick<DataSource, 'query'>, id: string): Promise<CampaignRow | undefined> {
  return z.array(CampaignRow).parse(await db.query('SELECT * FROM retail_campaigns WHERE id = $1', [id]))[0];
}

export async function listCampaigns(db: Pick<DataSource, 'query'>, funderId: string): Promise<CampaignRow[]> {
  return z
    .array(CampaignRow)
    .parse(await db.query('SELECT * FROM retail_campaigns WHERE funder_id = $1 ORDER BY created_at DESC', [funderId]));
}

export async function setCampaignStatus(
  db: Pick<DataSource, 'query'>,
  funderId: string,
  id: string,
  status: 'active' | 'paused',
): Promise<boolean> {
  const rows: unknown = await db.query('UPDATE retail_campaigns SET status = $3 WHERE id = $1 AND funder_id = $2 RETURNING id', [
    id,
    funderId,
    status,
  ]);
  return updateResult(rows).affected > 0;
}

async function lockCampaign(tx: EntityManager, id: string): Promise<CampaignRow | undefined> {
  return z.array(CampaignRow).parse(await tx.query('SELECT * FROM retail_campaigns WHERE id = $1 FOR UPDATE', [id]))[0];
}

export type ClaimRefusal = BudgetRefusal | 'no_such_campaign' | 'campaign_paused' | 'not_valid_now';
export type ClaimResult = { ok: true; couponId: string; repeated: boolean } | { ok: false; reason: ClaimRefusal };

/** Why a campaign cannot be used now, if it cannot. */
function unusable(c: CampaignRow | undefined, now: Date): ClaimRefusal | null {
  if (!c) return 'no_such_campaign';
  if (c.status !== 'active') return 'campaign_paused';
  if (now < c.valid_from || now >= c.valid_until) return 'not_valid_now';
  return null;
}

/**
 * A shopper claims a coupon. The same request number answers the same coupon (a retried claim); a new
 * one takes one from the count and the shopper's per-user limit, or is refused with the limit's name.
 */
export async function claimCoupon(
  db: DataSource,
  c: { campaignId: string; userId: string; requestNo: string; now: Date },
): Promise<ClaimResult> {
  return db.transaction(async (tx) => {
    const campaign = await lockCampaign(tx, c.campaignId);
    const seen: Array<{ id: string }> = await tx.query(
      'SELECT id FROM retail_coupons WHERE campaign_id = $1 AND user_id = $2 AND request_no = $3',
      [c.campaignId, c.userId, c.requestNo],
    );
    if (seen[0]) return { ok: true, couponId: seen[0].id, repeated: true };
    const why = unusable(campaign, c.now);
    if (why || !campaign) return { ok: false, reason: why ?? 'no_such_campaign' };
    const mine: Array<{ n: number }> = await tx.query(
      'SELECT count(*)::int AS n FROM retail_coupons WHERE campaign_id = $1 AND user_id = $2',
      [c.campaignId, c.userId],
    );
    const state: BudgetState = {
      issuedCount: campaign.issued_count,
      reservedMinor: campaign.reserved_minor,
      committedMinor: campaign.committed_minor,
      todayMinor: 0,
      byUser: { [c.userId]: mine[0]?.n ?? 0 },
    };
    const step = issue(budgetOf(campaign), state, c.userId);
    if (!step.ok) return { ok: false, reason: step.reason };
    const couponId = randomUUID();
    await tx.query('UPDATE retail_campaigns SET issued_count = $2 WHERE id = $1', [c.campaignId, step.state.issuedCount]);
    await tx.query(`INSERT INTO retail_coupons (id, campaign_id, user_id, request_no, status) VALUES ($1, $2, $3, $4, 'available')`, [
      couponId,
      c.campaignId,
      c.userId,
      c.requestNo,
    ]);
    return { ok: true, couponId, repeated: false };
  });
}

const CouponRow = z.object({
  id: z.string(),
  campaign_id: z.string(),
  user_id: z.string(),
  status: z.enum(['available', 'reserved', 'used']),
  order_key: z.string().nullable(),
  discount_minor: z.number().int().nullable(),
  reserved_day: z.string().nullable(),
});

export type ReserveRefusal = ClaimRefusal | 'no_such_coupon' | 'coupon_not_available' | 'not_for_this_merchant';
export type ReserveResult = { ok: true } | { ok: false; reason: ReserveRefusal };

/**
 * Checkout: reserves a coupon's discount for an order from the campaign's money and daily budgets. A
 * coupon already reserved for the same order answers ok (a retried activity); one reserved or used
 * elsewhere is not available.
 */
export async function reserveCoupon(
  db: DataSource,
  r: { couponId: string; userId: string; merchantId: string; orderKey: string; discountMinor: number; now: Date },
): Promise<ReserveResult> {
  return db.transaction(async (tx) => {
    const coupons = z
      .array(CouponRow)
      .parse(
        await tx.query(
          `SELECT id, campaign_id, user_id, status, order_key, discount_minor, reserved_day::text FROM retail_coupons WHERE id = $1`,
          [r.couponId],
        ),
      );
    const coupon = coupons[0];
    if (!coupon || coupon.user_id !== r.userId) return { ok: false, reason: 'no_such_coupon' };
    const campaign = await lockCampaign(tx, coupon.campaign_id);
    const locked = z
      .array(CouponRow)
      .parse(
        await tx.query(
          `SELECT id, campaign_id, user_id, status, order_key, discount_minor, reserved_day::text FROM retail_coupons WHERE id = $1 FOR UPDATE`,
          [r.couponId],
        ),
      )[0]!;
    if (locked.status !== 'available')
      return locked.order_key === r.orderKey ? { ok: true } : { ok: false, reason: 'coupon_not_available' };
    const why = unusable(campaign, r.now);
    if (why || !campaign) return { ok: false, reason: why ?? 'no_such_campaign' };
    if (!campaign.merchant_ids.includes(r.merchantId)) return { ok: false, reason: 'not_for_this_merchant' };
    const day = serviceDayOf(r.now.getTime(), campaign.time_zone);
    const spent: Array<{ spent_minor: string }> = await tx.query(
      'SELECT spent_minor FROM retail_campaign_days WHERE campaign_id = $1 AND day = $2',
      [campaign.id, day],
    );
    const state: BudgetState = {
      issuedCount: campaign.issued_count,
      reservedMinor: campaign.reserved_minor,
      committedMinor: campaign.committed_minor,
      todayMinor: Number(spent[0]?.spent_minor ?? 0),
      byUser: {},
    };
    const step = reserve(budgetOf(campaign), state, r.discountMinor);
    if (!step.ok) return { ok: false, reason: step.reason };
    await tx.query('UPDATE retail_campaigns SET reserved_minor = $2 WHERE id = $1', [campaign.id, step.state.reservedMinor]);
    await tx.query(
      `INSERT INTO retail_campaign_days (campaign_id, day, spent_minor) VALUES ($1, $2, $3)
       ON CONFLICT (campaign_id, day) DO UPDATE SET spent_minor = retail_campaign_days.spent_minor + EXCLUDED.spent_minor`,
      [campaign.id, day, r.discountMinor],
    );
    await tx.query(`UPDATE retail_coupons SET status = 'reserved', order_key = $2, discount_minor = $3, reserved_day = $4 WHERE id = $1`, [
      r.couponId,
      r.orderKey,
      r.discountMinor,
      day,
    ]);
    return { ok: true };
  });
}

/** Runs `apply` once per move key, under the campaign's lock; answers whether it ran now. */
async function moveOnce(
  tx: EntityManager,
  key: string,
  campaignId: string,
  amountMinor: number,
  apply: () => Promise<void>,
): Promise<boolean> {
  await lockCampaign(tx, campaignId);
  const fresh: unknown[] = await tx.query(
    `INSERT INTO retail_budget_moves (move_key, campaign_id, amount_minor) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING move_key`,
    [key, campaignId, amountMinor],
  );
  if (fresh.length === 0) return false;
  await apply();
  return true;
}

async function couponsOfOrder(tx: EntityManager, orderKey: string, status: 'reserved' | 'used') {
  return z
    .array(CouponRow)
    .parse(
      await tx.query(
        `SELECT id, campaign_id, user_id, status, order_key, discount_minor, reserved_day::text FROM retail_coupons WHERE order_key = $1 AND status = $2 ORDER BY id`,
        [orderKey, status],
      ),
    );
}

/** The order is paid: its coupons' reservations become spend, and the coupons are used. */
export async function commitOrderCoupons(db: DataSource, orderKey: string, now: Date): Promise<void> {
  await db.transaction(async (tx) => {
    for (const c of await couponsOfOrder(tx, orderKey, 'reserved')) {
      await moveOnce(tx, `commit:${orderKey}:${c.id}`, c.campaign_id, c.discount_minor ?? 0, async () => {
        await tx.query(
          'UPDATE retail_campaigns SET reserved_minor = reserved_minor - $2, committed_minor = committed_minor + $2 WHERE id = $1',
          [c.campaign_id, c.discount_minor ?? 0],
        );
        await tx.query(`UPDATE retail_coupons SET status = 'used', used_at = $2 WHERE id = $1`, [c.id, now]);
      });
    }
  });
}

/** The order's payment failed: its coupons' money goes back to the budgets and the coupons to the shopper. */
export async function releaseOrderCoupons(db: DataSource, orderKey: string): Promise<void> {
  await db.transaction(async (tx) => {
    for (const c of await couponsOfOrder(tx, orderKey, 'reserved')) {
      const amount = c.discount_minor ?? 0;
      await moveOnce(tx, `release:${orderKey}:${c.id}`, c.campaign_id, amount, async () => {
        await tx.query('UPDATE retail_campaigns SET reserved_minor = reserved_minor - $2 WHERE id = $1', [c.campaign_id, amount]);
        await tx.query('UPDATE retail_campaign_days SET spent_minor = spent_minor - $3 WHERE campaign_id = $1 AND day = $2', [
          c.campaign_id,
          c.reserved_day,
          amount,
        ]);
        await tx.query(
          `UPDATE retail_coupons SET status = 'available', order_key = NULL, discount_minor = NULL, reserved_day = NULL WHERE id = $1`,
          [c.id],
        );
      });
    }
  });
}

/**
 * A refund gives each coupon's share on the refunded units back to its campaign's money budget; a
 * coupon whose whole order was refunded within its validity goes back to the shopper's wallet.
 */
export async function refundCouponShares(
  db: DataSource,
  r: { orderKey: string; refundNo: string; sharesMinor: Record<string, number>; couponsReturned: readonly string[] },
): Promise<void> {
  await db.transaction(async (tx) => {
    for (const c of await couponsOfOrder(tx, r.orderKey, 'used')) {
      const share = r.sharesMinor[c.id] ?? 0;
      const back = r.couponsReturned.includes(c.id);
      if (share === 0 && !back) continue;
      await moveOnce(tx, `refund:${r.orderKey}:${r.refundNo}:${c.id}`, c.campaign_id, share, async () => {
        await tx.query('UPDATE retail_campaigns SET committed_minor = committed_minor - $2 WHERE id = $1', [c.campaign_id, share]);
        if (back)
          await tx.query(
            `UPDATE retail_coupons SET status = 'available', order_key = NULL, discount_minor = NULL, reserved_day = NULL, used_at = NULL WHERE id = $1`,
            [c.id],
          );
      });
    }
  });
}

/** A shopper's coupons with their campaign's terms (the wallet). */
export async function couponsOfUser(db: Pick<DataSource, 'query'>, userId: string) {
  return z
    .array(
      z.object({
        id: z.string(),
        campaign_id: z.string(),
        name: z.string(),
        status: z.enum(['available', 'reserved', 'used']),
        kind: z.enum(['fixed', 'percent']),
        value: z.number().int(),
        min_spend_minor: z.number().int(),
        valid_until: z.date(),
        merchant_ids: z.array(z.string()),
      }),
    )
    .parse(
      await db.query(
        `SELECT c.id, c.campaign_id, k.name, c.status, k.kind, k.value, k.min_spend_minor, k.valid_until, k.merchant_ids
           FROM retail_coupons c JOIN retail_campaigns k ON k.id = c.campaign_id WHERE c.user_id = $1 ORDER BY c.issued_at DESC LIMIT 200`,
        [userId],
      ),
    );
}
