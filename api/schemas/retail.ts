import { z } from 'zod';

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '1-64 letters, digits, _ or -');
const Minor = z.number().int().min(0).max(100_000_000);

export const MerchantParam = z.object({ merchantId: Id });
export const OrderParams = z.object({
  merchantId: Id,
  orderRef: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, '1-32 letters, digits, _ or -'),
});
export const CampaignParam = z.object({ campaignId: z.string().uuid('a campaign id') });
export const CampaignParams = z.object({ merchantId: Id, campaignId: z.string().uuid('a campaign id') });

export const OrderLineBody = z
  .object({
    lineId: z.string().regex(/^[A-Za-z0-9_-]{1,16}$/, '1-16 letters, digits, _ or -'),
    sku: z.string().min(1).max(64),
    category: z.string().regex(/^[a-z0-9_-]{1,32}$/, 'lower-case category, 1-32 characters'),
    quantity: z.number().int().min(1).max(999),
    unitPrice: Minor,
  })
  .strict();

export const CreateOrder = z
  .object({
    orderRef: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, '1-32 letters, digits, _ or -'),
    /** The shopper as a member (from their membership code), for coupons and points. */
    memberId: z.string().uuid('a member id').optional(),
    lines: z
      .array(OrderLineBody)
      .min(1)
      .max(100)
      .refine((ls) => new Set(ls.map((l) => l.lineId)).size === ls.length, 'line ids must be distinct'),
    couponIds: z.array(z.string().uuid('a coupon id')).max(5).default([]),
    /** Points the member spends on this sale (at the merchant's rate, capped by its share; fewer if fewer are available). */
    redeemPoints: z.number().int().min(1).max(10_000_000).optional(),
    /** The shopper's payment code as the till scanned it. */
    authCode: z.string().regex(/^\d{16,24}$/, 'payment code is 16-24 digits'),
    subject: z.string().min(1).max(128).default('Purchase'),
  })
  .strict()
  .meta({ id: 'CreateRetailOrder' });

const AllocatedUnitView = z.object({
  unitId: z.string(),
  lineId: z.string(),
  category: z.string(),
  price: z.number().int(),
  paid: z.number().int(),
  /** Each coupon's share of this unit's discount, by coupon id. */
  shares: z.record(z.string(), z.number().int()),
});

const RefundView = z.object({
  refundNo: z.string(),
  unitIds: z.array(z.string()),
  refund: z.number().int(),
  unitsPaid: z.number().int(),
  clawedBack: z.number().int(),
  /** A claw-back taken by an earlier refund on these units, returned now with them. */
  clawBackReturned: z.number().int(),
  couponShares: z.record(z.string(), z.number().int()),
  couponsReturned: z.array(z.string()),
  pointsReversed: z.number().int(),
  /** Spent points given back with these units. */
  pointsRestored: z.number().int(),
});

export const RetailOrderBody = z
  .object({
    merchantId: z.string(),
    orderRef: z.string(),
    stage: z.string(),
    reason: z.string().nullable(),
    total: z.number().int(),
    paid: z.number().int(),
    refunded: z.number().int(),
    currency: z.literal('CNY'),
    tradeStatus: z.string(),
    units: z.array(AllocatedUnitView),
    discounts: z.array(z.object({ couponId: z.string(), applied: z.number().int(), roundedUp: z.array(z.string()) })),
    pointsPending: z.number().int(),
    /** Points spent as a discount on this order (their share is in each unit's `shares.points`). */
    pointsRedeemed: z.number().int(),
    refunds: z.array(RefundView),
    refundWindowEndsAt: z.string().nullable(),
  })
  .meta({ id: 'RetailOrder' });

export const RefundBody = z
  .object({
    refundNo: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, '1-32 letters, digits, _ or -'),
    unitIds: z
      .array(z.string().regex(/^[A-Za-z0-9_-]{1,16}#\d{3}$/, 'a unit id: <line id>#<nnn>'))
      .min(1)
      .max(500),
  })
  .strict()
  .meta({ id: 'RetailRefundRequest' });

export const RefundAnswer = RefundView.meta({ id: 'RetailRefund' });

export const CreateCampaign = z
  .object({
    name: z.string().min(1).max(64),
    kind: z.enum(['fixed', 'percent']),
    /** Minor units (fixed) or whole percent (percent). */
    value: z.number().int().min(1).max(10_000_000),
    maxDiscount: Minor.nullable().default(null),
    minSpend: Minor.default(0),
    categories: z
      .array(z.string().regex(/^[a-z0-9_-]{1,32}$/))
      .max(20)
      .default([]),
    /** Merchants where it can be used: the funder itself for a merchant; a district names its merchants. */
    merchantIds: z.array(Id).min(1).max(200).optional(),
    belowMinimum: z.enum(['keep', 'claw_back']).default('claw_back'),
    validFrom: z.iso.datetime({ offset: true }),
    validUntil: z.iso.datetime({ offset: true }),
    budget: z
      .object({
        money: Minor,
        count: z.number().int().min(1).max(10_000_000),
        daily: Minor.nullable().default(null),
        perUser: z.number().int().min(1).max(100).default(1),
      })
      .strict(),
  })
  .strict()
  .refine((c) => c.kind !== 'percent' || c.value <= 100, { message: 'a percentage is 1-100', path: ['value'] })
  .refine((c) => Date.parse(c.validUntil) > Date.parse(c.validFrom), { message: 'must be after validFrom', path: ['validUntil'] })
  .meta({ id: 'CreateCampaign' });

export const CampaignView = z
  .object({
    campaignId: z.string(),
    funderId: z.string(),
    name: z.string(),
    kind: z.string(),
    value: z.number().int(),
    minSpend: z.number().int(),
    merchantIds: z.array(z.string()),
    status: z.string(),
    validFrom: z.string(),
    validUntil: z.string(),
    budget: z.object({ money: z.number().int(), count: z.number().int(), daily: z.number().int().nullable(), perUser: z.number().int() }),
    used: z.object({ issued: z.number().int(), reserved: z.number().int(), committed: z.number().int() }),
  })
  .meta({ id: 'Campaign' });

export const ClaimBody = z
  .object({ requestNo: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '1-64 letters, digits, _ or -') })
  .strict()
  .meta({ id: 'ClaimCoupon' });
export const ClaimAnswer = z.object({ couponId: z.string(), repeated: z.boolean() }).meta({ id: 'CouponClaimed' });

export const MyCoupons = z
  .object({
    coupons: z.array(
      z.object({
        couponId: z.string(),
        campaignId: z.string(),
        name: z.string(),
        status: z.string(),
        kind: z.string(),
        value: z.number().int(),
        minSpend: z.number().int(),
        validUntil: z.string(),
        merchantIds: z.array(z.string()),
      }),
    ),
  })
  .meta({ id: 'MyCoupons' });

export const PointsQuery = z.object({ program: Id });
export const MyPoints = z
  .object({
    program: z.string(),
    pending: z.number().int(),
    available: z.number().int(),
    history: z.array(
      z.object({
        kind: z.string(),
        pending: z.number().int(),
        available: z.number().int(),
        orderRef: z.string().nullable(),
        at: z.string(),
      }),
    ),
  })
  .meta({ id: 'MyPoints' });

export const MyOrders = z.object({ orders: z.array(RetailOrderBody) }).meta({ id: 'MyRetailOrders' });
