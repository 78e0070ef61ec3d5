import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { upsertRetailOrderView } from '../db/queries/retailOrderView';
import { recordDistrictPoints } from '../db/repositories/districtPoints';
import { recordOrderSpend } from '../db/repositories/memberCards';
import { recordPoints, redeemOrderPoints, restoreOrderPoints } from '../db/repositories/pointsLedger';
import {
  commitOrderCoupons,
  couponValueOf,
  findCampaign,
  refundCouponShares,
  releaseOrderCoupons,
  reserveCoupon,
} from '../db/repositories/retailCampaigns';
import { ErrorCode, isDomainError } from '../domain/errors';
import { allocate, unitsOf, type Discount, type OrderLine } from '../domain/retail/allocation';
import { couponDiscount } from '../domain/retail/coupons';
import { POINTS_DISCOUNT_ID, redemptionDiscount, unitPoints, type AccrualRules } from '../domain/retail/points';
import type { CouponTerms } from '../domain/retail/refunds';
import type { PaymentProvider } from '../integrations/payment/provider';
import type { PricingResult, RetailOrderView } from '../workflows/retail/order/types';
import { withFailureMapping } from './failures';
import type { Notifier } from './notifications';

/** An order key is `<merchant>/<order-ref>`: its points programme is the merchant. */
const programOf = (orderKey: string): string => orderKey.slice(0, orderKey.indexOf('/'));

const CouponOfUser = z.object({ id: z.string(), campaign_id: z.string(), status: z.string(), order_key: z.string().nullable() });

/**
 * The retail order's steps: pricing with coupons (reserving their budgets), face-to-face payment
 * (trade.pay, query, cancel), coupon commit and release, the points ledger, refunds and the order's
 * read model. Each is idempotent: keyed by the order, the refund number or the movement.
 */
export function createRetailActivities(deps: { db: DataSource; payments: PaymentProvider; notifier: Notifier }) {
  const { db, payments } = deps;
  return withFailureMapping({
    /**
     * Prices the order: each coupon's value on the units it applies to, allocated to the units by
     * largest remainder, then reserved from its campaign's budgets. A refusal releases what this order
     * had reserved and names the coupon and the reason; nothing is charged.
     */
    async priceRetailOrder(i: {
      merchantId: string;
      orderKey: string;
      userId: string | null;
      lines: OrderLine[];
      couponIds: string[];
      accrual: AccrualRules | null;
      nowMs: number;
      redeemPoints?: number;
      redemption?: { minorPerPoint: number; maxShare: number };
    }): Promise<PricingResult> {
      const units = unitsOf(i.lines);
      const discounts: Discount[] = [];
      const terms: CouponTerms[] = [];
      for (const couponId of [...i.couponIds].sort()) {
        if (!i.userId) return { ok: false, reason: 'coupons_need_a_member', couponId };
        const coupon = z
          .array(CouponOfUser)
          .parse(
            await db.query('SELECT id, campaign_id, status, order_key FROM retail_coupons WHERE id = $1 AND user_id = $2', [
              couponId,
              i.userId,
            ]),
          )[0];
        if (!coupon) return { ok: false, reason: 'no_such_coupon', couponId };
        const campaign = await findCampaign(db, coupon.campaign_id);
        if (!campaign) return { ok: false, reason: 'no_such_coupon', couponId };
        const value = couponValueOf(campaign);
        const worth = couponDiscount(value, units);
        if (!worth.ok) return { ok: false, reason: worth.reason, couponId };
        discounts.push({
          discountId: couponId,
          kind: 'coupon',
          amountMinor: worth.amountMinor,
          ...(value.categories.length ? { categories: value.categories } : {}),
        });
        terms.push({
          discountId: couponId,
          minSpendMinor: value.minSpendMinor,
          validUntilMs: campaign.valid_until.getTime(),
          belowMinimum: campaign.below_minimum,
        });
      }
      const withCoupons = allocate(i.lines, discounts);
      for (const d of withCoupons.discounts) {
        const r = await reserveCoupon(db, {
          couponId: d.discountId,
          userId: i.userId!,
          merchantId: i.merchantId,
          orderKey: i.orderKey,
          discountMinor: d.appliedMinor,
          now: new Date(i.nowMs),
        });
        if (!r.ok) {
          await releaseOrderCoupons(db, i.orderKey);
          return { ok: false, reason: r.reason, couponId: d.discountId };
        }
      }
      // Points last, on what the coupons left: spending them cannot be refused, only capped.
      let allocation = withCoupons;
      let pointsRedeemed = 0;
      const rule = i.redemption;
      if (i.userId && rule && i.redeemPoints && i.redeemPoints > 0) {
        pointsRedeemed = await redeemOrderPoints(db, {
          programId: i.merchantId,
          userId: i.userId,
          orderKey: i.orderKey,
          wanted: i.redeemPoints,
          usable: (p) => redemptionDiscount(p, rule.minorPerPoint, withCoupons.paidMinor, rule.maxShare).points,
        });
        if (pointsRedeemed > 0)
          allocation = allocate(i.lines, [
            ...discounts,
            { discountId: POINTS_DISCOUNT_ID, kind: 'points', amountMinor: pointsRedeemed * rule.minorPerPoint },
          ]);
      }
      const points: Record<string, number> = {};
      if (i.userId && i.accrual) for (const u of allocation.units) points[u.unitId] = unitPoints(i.accrual, u);
      return { ok: true, allocation, coupons: terms, unitPoints: points, ...(pointsRedeemed > 0 ? { pointsRedeemed } : {}) };
    },

    /** alipay.trade.pay with the shopper's code. A refusal is an answer (declined), not a failure. */
    async payAtTill(i: {
      outTradeNo: string;
      amountMinor: number;
      authCode: string;
      subject: string;
    }): Promise<{ status: 'paid' | 'user_paying' } | { status: 'declined'; reason: string }> {
      try {
        const r = await payments.payByBarcode({
          outTradeNo: i.outTradeNo,
          amountMinor: i.amountMinor,
          currency: 'CNY',
          subject: i.subject,
          authCode: i.authCode,
        });
        return { status: r.status === 'TRADE_SUCCESS' ? 'paid' : 'user_paying' };
      } catch (err) {
        if (isDomainError(err) && (err.code === ErrorCode.PaymentDeclined || err.code === ErrorCode.InvalidState))
          return {
            status: 'declined',
            reason: (typeof err.details['subCode'] === 'string' ? err.details['subCode'] : err.code).slice(0, 64),
          };
        throw err;
      }
    },

    async tradeStatus(outTradeNo: string): Promise<'paid' | 'waiting' | 'closed' | 'not_found'> {
      const q = await payments.query(outTradeNo);
      if (q.status === 'TRADE_SUCCESS' || q.status === 'TRADE_FINISHED') return 'paid';
      if (q.status === 'WAIT_BUYER_PAY') return 'waiting';
      if (q.status === 'TRADE_CLOSED') return 'closed';
      return 'not_found';
    },

    /** Cancels the trade (closing it, or refunding a payment that landed meanwhile); repeated until the platform is sure. */
    async cancelTrade(outTradeNo: string): Promise<'close' | 'refund' | 'none'> {
      const r = await payments.cancel(outTradeNo);
      if (r.retry) throw new Error('the platform asks for the cancel to be repeated');
      return r.action;
    },

    async commitOrderCoupons(i: { orderKey: string; nowMs: number }): Promise<void> {
      await commitOrderCoupons(db, i.orderKey, new Date(i.nowMs));
    },

    /** The undo of pricing: the coupons' reservations released and any points spent given back. */
    async releaseOrderCoupons(orderKey: string): Promise<void> {
      await releaseOrderCoupons(db, orderKey);
      await restoreOrderPoints(db, { programId: programOf(orderKey), orderKey, key: `restore:${orderKey}:release`, points: 'rest' });
    },

    async refundOrderCoupons(i: {
      orderKey: string;
      refundNo: string;
      sharesMinor: Record<string, number>;
      couponsReturned: string[];
      /** The refunded units' share of a points discount: those points go back (all that is left with the last units). */
      points?: { shareMinor: number; minorPerPoint: number; wholeOrderRefunded: boolean };
    }): Promise<number> {
      await refundCouponShares(db, i);
      if (!i.points) return 0;
      return restoreOrderPoints(db, {
        programId: programOf(i.orderKey),
        orderKey: i.orderKey,
        key: `restore:${i.orderKey}:${i.refundNo}`,
        points: i.points.wholeOrderRefunded ? 'rest' : Math.floor(i.points.shareMinor / i.points.minorPerPoint),
      });
    },

    /** One movement of the points ledger (earn pending, reverse on refund, release when the window ends). */
    async movePoints(m: {
      programId: string;
      userId: string;
      key: string;
      kind: 'earn_pending' | 'reverse' | 'release';
      pendingDelta: number;
      availableDelta: number;
      orderKey: string;
    }): Promise<void> {
      await recordPoints(db, m);
    },

    async refundTrade(i: { outTradeNo: string; outRequestNo: string; refundMinor: number; reason: string }): Promise<void> {
      // Repeating the request number never refunds twice (fundChanged is then false).
      await payments.refund({
        outTradeNo: i.outTradeNo,
        outRequestNo: i.outRequestNo,
        refundMinor: i.refundMinor,
        currency: 'CNY',
        reason: i.reason,
      });
    },

    /** The receipt in the shopper's service window: ids and amounts only. */
    async sendReceipt(i: { userId: string; journeyId: string; orderRef: string; paidMinor: number; pointsPending: number }): Promise<void> {
      const rows: Array<{ user_ref: string }> = await db.query('SELECT user_ref FROM users WHERE id = $1', [i.userId]);
      if (!rows[0]) return;
      await deps.notifier.notify({
        userRef: rows[0].user_ref,
        journeyId: i.journeyId,
        kind: 'retail_receipt',
        key: '',
        data: { orderRef: i.orderRef, amountMinor: i.paidMinor, pointsPending: i.pointsPending },
      });
    },

    async publishRetailOrderView(i: { view: RetailOrderView; userId: string | null; requestHash: string; seq: number }): Promise<void> {
      await upsertRetailOrderView(db, i);
      // Member cards follow the order view here rather than in a new workflow step: the journey's
      // command sequence (and its recorded histories) stay as they are, every stage the journey
      // publishes passes through here with its seq (which guards the spend row like the view), and the
      // tier rule stays in TypeScript (domain/retail/tiers.ts) instead of a copy in a PL/pgSQL trigger.
      // A failure here retries the whole activity; the view's write is then a no-op.
      const v = i.view;
      if (i.userId && (v.stage === 'paid' || v.stage === 'closed')) {
        const netMinor = v.paidMinor - v.refundedMinor;
        const district = await recordOrderSpend(db, {
          merchantId: v.merchantId,
          orderRef: v.orderRef,
          userId: i.userId,
          netMinor,
          seq: i.seq,
          nowMs: Date.now(),
        });
        if (district)
          await recordDistrictPoints(db, {
            districtId: district.id,
            pointsPerMajor: district.pointsPerMajor ?? 0,
            merchantId: v.merchantId,
            orderRef: v.orderRef,
            userId: i.userId,
            netMinor,
            closed: v.stage === 'closed',
            seq: i.seq,
          });
      }
    },
  });
}
export type RetailActivities = ReturnType<typeof createRetailActivities>;
