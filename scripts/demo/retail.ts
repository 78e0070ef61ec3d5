import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { partnerCall } from './partnerCall';
import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { retailOutTradeNo } from '../../domain/ids';
import { formatMinor } from '../../domain/money';
import { SIM_AUTH_CODES, type PaymentSimulator } from '../../integrations/payment/simulator';
import { DEMO_DISTRICT_ID } from './retailSeed';

const Campaign = z.object({ campaignId: z.string(), name: z.string(), value: z.number(), minSpend: z.number() });
const Claimed = z.object({ couponId: z.string(), repeated: z.boolean() });
const Order = z.object({
  stage: z.string(),
  reason: z.string().nullable(),
  total: z.number(),
  paid: z.number(),
  tradeStatus: z.string(),
  units: z.array(
    z.object({
      unitId: z.string(),
      lineId: z.string(),
      category: z.string(),
      price: z.number(),
      paid: z.number(),
      shares: z.record(z.string(), z.number()),
    }),
  ),
  discounts: z.array(z.object({ couponId: z.string(), applied: z.number() })),
  pointsPending: z.number(),
});
const Refund = z.object({
  refund: z.number(),
  unitsPaid: z.number(),
  clawedBack: z.number(),
  couponShares: z.record(z.string(), z.number()),
  couponsReturned: z.array(z.string()),
  pointsReversed: z.number(),
});
const Points = z.object({ pending: z.number(), available: z.number() });

export interface DemoRetailOptions {
  apiUrl: string;
  partnerApiKey: string;
  /** The district's signing secret (the demo's institution key). */
  districtSecret: string;
  /** The merchant onboarded a moment ago and the till secret it collected. */
  merchantId: string;
  merchantSecret: string;
  userId: string;
  payment: PaymentSimulator;
  uiUrl: string;
  say: (m: string) => void;
}

const LINES = [
  { lineId: 'A', sku: 'beef-noodles', category: 'food', quantity: 2, unitPrice: 1_800 },
  { lineId: 'B', sku: 'jasmine-tea', category: 'drink', quantity: 1, unitPrice: 900 },
];

/**
 * A shopper in the Future Shopping District: claims the district's coupon in the partner app, pays at
 * the noodle bar's till with the payment code (the platform answers USERPAYING once; the shopper
 * confirms on the phone), earns pending points, then has the tea refunded; every figure printed comes
 * from Causeway's answers, so the allocation trace is the one the order journey recorded.
 */
export async function runDemoRetail(o: DemoRetailOptions): Promise<void> {
  const shopper = partnerCall(o);
  const district = new InstitutionHttpClient({ baseUrl: o.apiUrl, institutionId: DEMO_DISTRICT_ID, secret: o.districtSecret });
  const till = new InstitutionHttpClient({ baseUrl: o.apiUrl, institutionId: o.merchantId, secret: o.merchantSecret });
  const must = <T>(schema: z.ZodType<T>, what: string, r: { status: number; body: unknown }): T => {
    if (r.status >= 400) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
    return schema.parse(r.body);
  };
  const run = Date.now().toString(36);
  const yuan = (minor: number) => `${formatMinor(minor, 'CNY')} CNY`;

  const now = Date.now();
  const campaign = must(
    Campaign,
    'district campaign',
    await district.post(`/v1/merchants/${DEMO_DISTRICT_ID}/campaigns`, {
      name: `District welcome ${run}`,
      kind: 'fixed',
      value: 500,
      minSpend: 4_000,
      merchantIds: [o.merchantId],
      validFrom: new Date(now - 60_000).toISOString(),
      validUntil: new Date(now + 30 * 86_400_000).toISOString(),
      budget: { money: 50_000, count: 100, perUser: 1 },
    }),
  );
  const coupon = await shopper(Claimed, 'POST', `/v1/retail/campaigns/${campaign.campaignId}/claims`, { requestNo: `demo-${run}` });
  o.say(`retail: the district's coupon (${yuan(campaign.value)} off from ${yuan(campaign.minSpend)}) claimed: ${coupon.couponId}`);

  const orderRef = `demo-${run}`;
  const first = await till.post(`/v1/merchants/${o.merchantId}/orders`, {
    orderRef,
    memberId: o.userId,
    couponIds: [coupon.couponId],
    lines: LINES,
    authCode: SIM_AUTH_CODES.waitForBuyer,
  });
  const answered = must(Order, 'till sale', first);
  o.say(
    `retail: till sale ${orderRef} (2 × beef noodles ${yuan(1_800)}, 1 × jasmine tea ${yuan(900)}): ${first.status} ${answered.tradeStatus}; ` +
      `follow retail-order/${o.merchantId}/${orderRef} in ${o.uiUrl}`,
  );
  if (answered.tradeStatus === 'user_paying') {
    o.say('retail: the shopper confirms the payment on the phone…');
    o.payment.buyer.pay(retailOutTradeNo(o.merchantId, orderRef));
  }
  let order = answered;
  const end = Date.now() + 30_000;
  while (order.stage !== 'paid') {
    if (['payment_failed', 'refused', 'closed'].includes(order.stage) || Date.now() > end)
      throw new Error(`the demo sale ended ${order.stage} (${order.reason ?? 'no reason'})`);
    await sleep(300);
    order = must(Order, 'order', await till.get(`/v1/merchants/${o.merchantId}/orders/${orderRef}`));
  }
  o.say(`retail: paid ${yuan(order.paid)} of ${yuan(order.total)}; the coupon spread over the units in proportion to price:`);
  for (const u of order.units) {
    const share = Object.values(u.shares).reduce((s, v) => s + v, 0);
    o.say(`retail:   unit ${u.unitId} (${u.category}) price ${yuan(u.price)} − coupon ${yuan(share)} = paid ${yuan(u.paid)}`);
  }
  // The journey records the pending points just after the payment: wait for the ledger to show them.
  let points = await shopper(Points, 'GET', `/v1/users/me/points?program=${o.merchantId}`);
  for (let i = 0; i < 30 && points.pending < order.pointsPending; i++) {
    await sleep(200);
    points = await shopper(Points, 'GET', `/v1/users/me/points?program=${o.merchantId}`);
  }
  o.say(
    `retail: points pending ${order.pointsPending} (1 per yuan paid), available once the refund window ends; balance ${points.pending} pending, ${points.available} available`,
  );

  const tea = order.units.filter((u) => u.lineId === 'B').map((u) => u.unitId);
  const refund = must(
    Refund,
    'refund',
    await till.post(`/v1/merchants/${o.merchantId}/orders/${orderRef}/refunds`, { refundNo: `demo-r-${run}`, unitIds: tea }),
  );
  o.say(
    `retail: tea refunded: ${yuan(refund.refund)} back = paid for the unit ${yuan(refund.unitsPaid)}` +
      (refund.clawedBack ? ` − claw-back ${yuan(refund.clawedBack)} (what is left is below the coupon's minimum spend)` : '') +
      `; coupon share ${yuan(Object.values(refund.couponShares).reduce((a, b) => a + b, 0))} back to the district's budget;` +
      ` ${refund.pointsReversed} points reversed; coupon returned: ${refund.couponsReturned.length ? 'yes' : 'no (only a whole refund returns it)'}`,
  );
}
