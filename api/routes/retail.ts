import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { refundRetailOrder, startRetailOrder } from '../../clients/retail/order';
import { claimOrderRef, readRetailOrderView, retailOrdersOfUser, RETAIL_ORDER_CHANNEL } from '../../db/queries/retailOrderView';
import { pointsBalance, pointsHistory } from '../../db/repositories/pointsLedger';
import {
  claimCoupon,
  couponsOfUser,
  createCampaign,
  listCampaigns,
  setCampaignStatus,
  type CampaignRow,
} from '../../db/repositories/retailCampaigns';
import { findPartnerUser } from '../../db/repositories/users';
import { DomainError, ErrorCode } from '../../domain/errors';
import { hashOfParts, retailOutTradeNo } from '../../domain/ids';
import type { RefundOutcome, RetailOrderView } from '../../workflows/retail/order/types';
import { institutionAuth, partnerAuth } from '../auth/middleware';
import { requirePartner } from '../auth/principal';
import type { ApiDeps } from '../deps';
import { addRoute } from '../http/route';
import { ownRetailInstitution, readRetailInstitution } from '../retail/merchant';
import {
  CampaignParam,
  CampaignParams,
  CampaignView,
  ClaimAnswer,
  ClaimBody,
  CreateCampaign,
  CreateOrder,
  MerchantParam,
  MyCoupons,
  MyOrders,
  MyPoints,
  OrderParams,
  PointsQuery,
  RefundAnswer,
  RefundBody,
  RetailOrderBody,
} from '../schemas/retail';

/** How long the POS call waits for the payment's outcome before answering 202 (the till then polls). */
const POS_WAIT_MS = 3_000;
const SETTLED: ReadonlySet<string> = new Set(['paid', 'closed', 'refused', 'payment_failed']);

export function orderBody(v: RetailOrderView): z.infer<typeof RetailOrderBody> {
  return {
    merchantId: v.merchantId,
    orderRef: v.orderRef,
    stage: v.stage,
    reason: v.reason,
    total: v.totalMinor,
    paid: v.paidMinor,
    refunded: v.refundedMinor,
    currency: 'CNY',
    tradeStatus: v.tradeStatus,
    units: (v.allocation?.units ?? []).map((u) => ({
      unitId: u.unitId,
      lineId: u.lineId,
      category: u.category,
      price: u.priceMinor,
      paid: u.paidMinor,
      shares: u.shares,
    })),
    discounts: (v.allocation?.discounts ?? []).map((d) => ({ couponId: d.discountId, applied: d.appliedMinor, roundedUp: d.roundedUp })),
    pointsPending: v.pointsPending,
    pointsRedeemed: v.pointsRedeemed ?? 0,
    refunds: v.refunds.map(refundBody),
    refundWindowEndsAt: v.refundWindowEndsAt,
  };
}

function refundBody(r: RefundOutcome): z.infer<typeof RefundAnswer> {
  return {
    refundNo: r.refundNo,
    unitIds: r.unitIds,
    refund: r.refundMinor,
    unitsPaid: r.unitsPaidMinor,
    clawedBack: r.clawedBackMinor,
    clawBackReturned: r.clawBackReturnedMinor ?? 0,
    couponShares: r.couponSharesMinor,
    couponsReturned: r.couponsReturned,
    pointsReversed: r.pointsReversed,
    pointsRestored: r.pointsRestored ?? 0,
  };
}

function campaignView(c: CampaignRow): z.infer<typeof CampaignView> {
  return {
    campaignId: c.id,
    funderId: c.funder_id,
    name: c.name,
    kind: c.kind,
    value: c.value,
    minSpend: c.min_spend_minor,
    merchantIds: c.merchant_ids,
    status: c.status,
    validFrom: c.valid_from.toISOString(),
    validUntil: c.valid_until.toISOString(),
    budget: { money: c.budget_money_minor, count: c.budget_count, daily: c.budget_daily_minor, perUser: c.per_user_limit },
    used: { issued: c.issued_count, reserved: c.reserved_minor, committed: c.committed_minor },
  };
}

/**
 * Retail (issue 12): the merchant's POS (face-to-face orders, refunds by units), campaigns for
 * merchants and districts, and the shopper's side (claiming coupons, the wallet, points, orders).
 * Orders run as `retail-order/<merchant>/<order-ref>` journeys; every read comes from PostgreSQL.
 */
export function retailRoutes(deps: ApiDeps) {
  const { db, pii, temporal, config } = deps;
  const signed = institutionAuth(db, pii, { limiter: deps.limits.institution });
  const asUser = partnerAuth(db, { userRequired: true, limits: deps.limits });
  const now = () => deps.now?.() ?? Date.now();

  /**
   * The order's view once the payment settled (or the shopper is confirming on the phone), or as it is
   * at the deadline. Woken by the view's NOTIFY through the process's change feed; while that LISTEN
   * connection is down it re-reads every 100 ms.
   */
  const waitForOutcome = async (merchantId: string, orderRef: string): Promise<RetailOrderView> => {
    const deadline = Date.now() + POS_WAIT_MS;
    let notified = 0;
    let wake: (() => void) | null = null;
    const unsubscribe = deps.changes.subscribe(RETAIL_ORDER_CHANNEL, `${merchantId}/${orderRef}`, () => {
      notified += 1;
      const w = wake;
      wake = null;
      w?.();
    });
    try {
      for (;;) {
        const seen = notified;
        const v = (await readRetailOrderView(db, merchantId, orderRef))?.view;
        if (v && (SETTLED.has(v.stage) || v.tradeStatus === 'user_paying' || Date.now() >= deadline)) return v;
        if (notified !== seen) continue; // changed while it was being read
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, deps.changes.listening ? Math.max(0, deadline - Date.now()) : 100);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      unsubscribe();
    }
  };

  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/merchants/:merchantId/orders',
      summary: "The till's sale: priced with the member's coupons, paid by the shopper's payment code (201 settled, 202 still paying)",
      tags: ['retail'],
      audience: 'institution',
      params: MerchantParam,
      body: CreateOrder,
      response: RetailOrderBody,
      status: 201,
      middleware: [signed],
      handler: async ({ params, body }, req, res) => {
        const merchant = await ownRetailInstitution(db, req, params.merchantId, 'a merchant sells only at its own tills');
        if (merchant.kind !== 'merchant') throw new DomainError(ErrorCode.Forbidden, 'a district has no till');
        if (body.memberId) {
          const rows: Array<{ identity_status: string }> = await db.query('SELECT identity_status FROM users WHERE id = $1', [
            body.memberId,
          ]);
          if (rows[0]?.identity_status !== 'verified')
            throw new DomainError(ErrorCode.ValidationFailed, 'unknown member', {
              fields: [{ field: 'body.memberId', message: 'no verified member with this id' }],
            });
        }
        if (body.redeemPoints && !body.memberId)
          throw new DomainError(ErrorCode.ValidationFailed, 'points need a member', {
            fields: [{ field: 'body.memberId', message: 'required with redeemPoints' }],
          });
        if (body.couponIds.length > 0 && !body.memberId)
          throw new DomainError(ErrorCode.ValidationFailed, 'coupons need a member', {
            fields: [{ field: 'body.memberId', message: 'required with couponIds' }],
          });
        const requestHash = hashOfParts([JSON.stringify(body)]);
        const initial: RetailOrderView = {
          merchantId: merchant.id,
          orderRef: body.orderRef,
          stage: 'pricing',
          reason: null,
          totalMinor: body.lines.reduce((s, l) => s + l.quantity * l.unitPrice, 0),
          paidMinor: 0,
          refundedMinor: 0,
          outTradeNo: retailOutTradeNo(merchant.id, body.orderRef),
          tradeStatus: 'none',
          allocation: null,
          pointsPending: 0,
          refunds: [],
          refundWindowEndsAt: null,
        };
        const held = await claimOrderRef(db, {
          merchantId: merchant.id,
          orderRef: body.orderRef,
          userId: body.memberId ?? null,
          requestHash,
          view: initial,
        });
        if (held !== requestHash) throw new DomainError(ErrorCode.Conflict, 'this order reference was used for another sale');
        const r = merchant.retail;
        await startRetailOrder(
          temporal,
          config.TEMPORAL_TASK_QUEUE,
          {
            version: 1,
            merchantId: merchant.id,
            orderRef: body.orderRef,
            userId: body.memberId ?? null,
            lines: body.lines.map((l) => ({
              lineId: l.lineId,
              sku: l.sku,
              category: l.category,
              quantity: l.quantity,
              unitPriceMinor: l.unitPrice,
            })),
            couponIds: body.couponIds,
            authCode: body.authCode,
            subject: body.subject,
            refundWindowSeconds: r.refundWindowSeconds,
            userPayingPollSeconds: r.userPayingPollSeconds,
            accrual: { pointsPerMajor: r.pointsPerMajor, categoryMultipliers: r.categoryMultipliers, perVisit: r.perVisit },
            ...(body.redeemPoints ? { redeemPoints: body.redeemPoints, redemption: r.redemption } : {}),
          },
          requestHash,
        );
        const view = await waitForOutcome(merchant.id, body.orderRef);
        if (SETTLED.has(view.stage)) return orderBody(view);
        // Still paying (the shopper is confirming on the phone): the till polls the order.
        res.status(202).json(orderBody(view));
        return undefined;
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/merchants/:merchantId/orders/:orderRef',
      summary: 'An order as its journey last wrote it: stage, the allocation to units, refunds',
      tags: ['retail'],
      audience: 'institution',
      params: OrderParams,
      response: RetailOrderBody,
      middleware: [signed],
      handler: async ({ params }, req) => {
        await ownRetailInstitution(db, req, params.merchantId, 'a merchant reads only its own orders');
        const row = await readRetailOrderView(db, params.merchantId, params.orderRef);
        if (!row) throw new DomainError(ErrorCode.NotFound, 'no such order');
        return orderBody(row.view);
      },
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/merchants/:merchantId/orders/:orderRef/refunds',
      summary: 'Refunds units of a paid order: exactly what they were paid; coupon shares and points follow (same refundNo: same answer)',
      tags: ['retail'],
      audience: 'institution',
      params: OrderParams,
      body: RefundBody,
      response: RefundAnswer,
      middleware: [signed],
      handler: async ({ params, body }, req) => {
        await ownRetailInstitution(db, req, params.merchantId, 'a merchant refunds only its own orders');
        const row = await readRetailOrderView(db, params.merchantId, params.orderRef);
        if (!row) throw new DomainError(ErrorCode.NotFound, 'no such order');
        if (row.view.stage !== 'paid') {
          const done = row.view.refunds.find((r) => r.refundNo === body.refundNo);
          if (!done) throw new DomainError(ErrorCode.Conflict, `the order is ${row.view.stage}: no refunds`);
          // The journey has ended (no update reaches it): a till repeating a refund it never heard back
          // from gets the answer the journey recorded, as it would have while the order was open.
          if ([...body.unitIds].sort().join() !== done.unitIds.join())
            throw new DomainError(ErrorCode.ValidationFailed, 'refundNo was used for other units', {
              fields: [{ field: 'body.unitIds', message: 'refundNo was used for other units' }],
            });
          return refundBody(done);
        }
        return refundBody(
          await refundRetailOrder(temporal, params.merchantId, params.orderRef, {
            refundNo: body.refundNo,
            unitIds: body.unitIds,
          }),
        );
      },
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/merchants/:merchantId/campaigns',
      summary: 'A coupon campaign funded by this merchant (usable at its own tills) or district (at the merchants named)',
      tags: ['retail'],
      audience: 'institution',
      params: MerchantParam,
      body: CreateCampaign,
      response: CampaignView,
      status: 201,
      middleware: [signed],
      handler: async ({ params, body }, req) => {
        const funder = await ownRetailInstitution(db, req, params.merchantId, 'an institution funds only its own campaigns');
        let merchantIds = body.merchantIds ?? [funder.id];
        if (funder.kind === 'merchant' && merchantIds.some((m) => m !== funder.id))
          throw new DomainError(ErrorCode.ValidationFailed, 'a merchant funds coupons for its own tills', {
            fields: [{ field: 'body.merchantIds', message: 'only the merchant itself' }],
          });
        if (funder.kind === 'district') {
          if (!body.merchantIds)
            throw new DomainError(ErrorCode.ValidationFailed, 'name the merchants', {
              fields: [{ field: 'body.merchantIds', message: 'required for a district' }],
            });
          const members = await Promise.all(merchantIds.map((m) => readRetailInstitution(db, m)));
          const strangers = merchantIds.filter((_, i) => members[i]?.retail.districtId !== funder.id);
          if (strangers.length > 0)
            throw new DomainError(ErrorCode.ValidationFailed, 'not merchants of this district', {
              fields: [{ field: 'body.merchantIds', message: `not in the district: ${strangers.join(', ')}` }],
            });
          merchantIds = [...new Set(merchantIds)];
        }
        const created = await createCampaign(db, {
          funderId: funder.id,
          name: body.name,
          value: {
            kind: body.kind,
            value: body.value,
            maxDiscountMinor: body.maxDiscount,
            minSpendMinor: body.minSpend,
            categories: body.categories,
          },
          merchantIds,
          belowMinimum: body.belowMinimum,
          validFrom: new Date(body.validFrom),
          validUntil: new Date(body.validUntil),
          timeZone: funder.timeZone,
          budget: {
            moneyMinor: body.budget.money,
            count: body.budget.count,
            dailyMoneyMinor: body.budget.daily,
            perUser: body.budget.perUser,
          },
        });
        return campaignView(created);
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/merchants/:merchantId/campaigns',
      summary: "The funder's campaigns with their budget use (issued, reserved, committed)",
      tags: ['retail'],
      audience: 'institution',
      params: MerchantParam,
      response: z.object({ campaigns: z.array(CampaignView) }).meta({ id: 'Campaigns' }),
      middleware: [signed],
      handler: async ({ params }, req) => {
        await ownRetailInstitution(db, req, params.merchantId, 'an institution reads only its own campaigns');
        return { campaigns: (await listCampaigns(db, params.merchantId)).map(campaignView) };
      },
    });
    for (const [verb, status] of [
      ['pause', 'paused'],
      ['resume', 'active'],
    ] as const) {
      addRoute(router, registry, {
        method: 'post',
        path: `/v1/merchants/:merchantId/campaigns/:campaignId/${verb}`,
        summary: verb === 'pause' ? 'Pauses a campaign: no claims or checkouts with it until resumed' : 'Resumes a paused campaign',
        tags: ['retail'],
        audience: 'institution',
        params: CampaignParams,
        response: z.object({ status: z.string() }).meta({ id: `Campaign${verb === 'pause' ? 'Paused' : 'Resumed'}` }),
        middleware: [signed],
        handler: async ({ params }, req) => {
          await ownRetailInstitution(db, req, params.merchantId, 'an institution manages only its own campaigns');
          if (!(await setCampaignStatus(db, params.merchantId, params.campaignId, status)))
            throw new DomainError(ErrorCode.NotFound, 'no such campaign');
          return { status };
        },
      });
    }
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/retail/campaigns/:campaignId/claims',
      summary: 'The shopper claims a coupon (the same requestNo answers the same coupon); refusals name the limit',
      tags: ['retail'],
      audience: 'partner',
      params: CampaignParam,
      body: ClaimBody,
      response: ClaimAnswer,
      status: 201,
      middleware: [asUser],
      handler: async ({ params, body }, req) => {
        const { partnerId, userId } = requirePartner(req);
        const user = await findPartnerUser(db, partnerId, userId);
        if (user?.identity_status !== 'verified') throw new DomainError(ErrorCode.Forbidden, 'only verified users claim coupons');
        const r = await claimCoupon(db, { campaignId: params.campaignId, userId, requestNo: body.requestNo, now: new Date(now()) });
        if (!r.ok) {
          if (r.reason === 'no_such_campaign') throw new DomainError(ErrorCode.NotFound, 'no such campaign');
          throw new DomainError(ErrorCode.Conflict, `coupon refused: ${r.reason}`, { reason: r.reason });
        }
        return { couponId: r.couponId, repeated: r.repeated };
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/users/me/coupons',
      summary: "The shopper's coupons (available, reserved by a checkout, used)",
      tags: ['retail'],
      audience: 'partner',
      response: MyCoupons,
      middleware: [asUser],
      handler: async (_in, req) => {
        const rows = await couponsOfUser(db, requirePartner(req).userId);
        return {
          coupons: rows.map((c) => ({
            couponId: c.id,
            campaignId: c.campaign_id,
            name: c.name,
            status: c.status,
            kind: c.kind,
            value: c.value,
            minSpend: c.min_spend_minor,
            validUntil: c.valid_until.toISOString(),
            merchantIds: c.merchant_ids,
          })),
        };
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/users/me/points',
      summary: "The shopper's points with a merchant or district: pending, available, and the latest movements",
      tags: ['retail'],
      audience: 'partner',
      query: PointsQuery,
      response: MyPoints,
      middleware: [asUser],
      handler: async ({ query }, req) => {
        const { userId } = requirePartner(req);
        const balance = await pointsBalance(db, query.program, userId);
        const history = await pointsHistory(db, query.program, userId, 50);
        return {
          program: query.program,
          ...balance,
          history: history.map((h) => ({
            kind: h.kind,
            pending: h.pending_delta,
            available: h.available_delta,
            orderRef: h.order_key?.split('/')[1] ?? null,
            at: h.created_at.toISOString(),
          })),
        };
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/users/me/orders',
      summary: "The shopper's orders, newest first: amounts, allocation, refunds",
      tags: ['retail'],
      audience: 'partner',
      response: MyOrders,
      middleware: [asUser],
      handler: async (_in, req) => ({
        orders: (await retailOrdersOfUser(db, requirePartner(req).userId, 50)).map((o) => orderBody(o.view)),
      }),
    });
    return router;
  };
}
