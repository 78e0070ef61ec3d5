import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { RetailActivities } from '../../../activities/retail';
import { refundRequestNoFor, retailOutTradeNo } from '../../../domain/ids';
import type { Allocation } from '../../../domain/retail/allocation';
import { planRefund, type CouponTerms } from '../../../domain/retail/refunds';
import { AmountDue, Institution, Stage, Vertical } from '../../searchAttributes';
import { Compensations } from '../../shared/compensation';
import { refundUnitsUpdate } from './definitions';
import type { RefundOutcome, RefundRequest, RetailOrderInput, RetailOrderOutcome, RetailOrderStage, RetailOrderView } from './types';

const steps = proxyActivities<
  Pick<RetailActivities, 'commitOrderCoupons' | 'releaseOrderCoupons' | 'refundOrderCoupons' | 'movePoints' | 'sendReceipt' | 'tradeStatus'>
>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});
// The till waits for these two: local activities (no task round trip through the server each).
const pricing = proxyLocalActivities<Pick<RetailActivities, 'priceRetailOrder'>>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '200ms', maximumInterval: '5s', backoffCoefficient: 2 },
});
// A few quick tries, then the outcome is unknown and the trade is cancelled.
const till = proxyLocalActivities<Pick<RetailActivities, 'payAtTill'>>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', maximumInterval: '2s', maximumAttempts: 3 },
});
// Money back: retried until the platform answers, however long it is down.
const money = proxyActivities<Pick<RetailActivities, 'cancelTrade' | 'refundTrade'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', maximumInterval: '5m', backoffCoefficient: 2 },
});
/**
 * patched() id. Refunds arriving together, or waiting behind one, were all woken in the same activation
 * and ran at once: the till's repeat of a refund number found its units taken and got a 409 instead of
 * the refund's answer (found by the retail fault drills). Now each waits until it is alone, and one
 * asked while the window was open is still honoured if the window ends while it waits its turn.
 */
const REFUNDS_ONE_AT_A_TIME = 'retail-refunds-one-at-a-time';
/**
 * patched() id. A claw-back was kept for good: refunding the kept units later returned only what they
 * were paid, so a whole order refunded after a claw-back returned less than it took. Now a claw-back is
 * charged to the kept units and returned with them (domain/retail/refunds.ts).
 */
const CLAW_BACK_RETURNED = 'retail-claw-back-returned-with-its-units';

const views = proxyLocalActivities<Pick<RetailActivities, 'publishRetailOrderView'>>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});

/**
 * A face-to-face order (`retail-order/<merchant>/<order-ref>`):
 *  1. price it: coupons valued and allocated to the units, their budgets reserved (undo: release);
 *  2. pay by the shopper's code; USERPAYING is polled on the given schedule, then the trade is
 *     cancelled (which refunds a payment that landed meanwhile);
 *  3. commit the coupons, or release them when the payment failed;
 *  4. points earned on each unit go to the ledger as pending; the receipt goes to the shopper's window;
 *  5. refunds (updates, by units, one at a time) until the window ends: each returns exactly what
 *     those units were paid, gives their coupon shares back to the budgets and reverses their points;
 *  6. the window ends: the points left become available; closed.
 * It ends in a named stage (closed, refused, payment_failed), never as a failure with money kept.
 */
export async function retailOrder(input: RetailOrderInput): Promise<RetailOrderOutcome> {
  const orderKey = `${input.merchantId}/${input.orderRef}`;
  const outTradeNo = retailOutTradeNo(input.merchantId, input.orderRef);
  const requestHash = workflowInfo().memo?.['requestHash'];
  let seq = 0;
  const view: RetailOrderView = {
    merchantId: input.merchantId,
    orderRef: input.orderRef,
    stage: 'pricing',
    reason: null,
    totalMinor: input.lines.reduce((s, l) => s + l.quantity * l.unitPriceMinor, 0),
    paidMinor: 0,
    refundedMinor: 0,
    outTradeNo,
    tradeStatus: 'none',
    allocation: null,
    pointsPending: 0,
    refunds: [],
    refundWindowEndsAt: null,
  };
  const publish = async (stage: RetailOrderStage, reason: string | null = view.reason): Promise<void> => {
    view.stage = stage;
    view.reason = reason;
    upsertSearchAttributes({ [Stage.name]: [stage] });
    await views.publishRetailOrderView({
      view,
      userId: input.userId,
      requestHash: typeof requestHash === 'string' ? requestHash : '',
      seq: ++seq,
    });
  };
  upsertSearchAttributes({ [Vertical.name]: ['retail'], [Institution.name]: [input.merchantId], [AmountDue.name]: [view.totalMinor] });

  // Refunds arrive as updates: one runs at a time, each planned against the refunds before it.
  let allocation: Allocation | null = null;
  let coupons: CouponTerms[] = [];
  let unitPoints: Record<string, number> = {};
  const refundedUnits = new Set<string>();
  const clawedBack = new Set<string>();
  const clawedBackOnUnits = new Map<string, number>();
  const outcomes = new Map<string, RefundOutcome>();
  // Refunds wait while the sale settles, run while the window is open, and are refused after.
  let refunds: 'not_yet' | 'open' | 'closed' = 'not_yet';
  let busy = false;
  setHandler(
    refundUnitsUpdate,
    async (req: RefundRequest): Promise<RefundOutcome> => {
      const oneAtATime = patched(REFUNDS_ONE_AT_A_TIME);
      const askedInWindow = refunds === 'open';
      const myTurn = () => refunds !== 'not_yet' && !busy;
      await condition(myTurn);
      if (oneAtATime) while (!myTurn()) await condition(myTurn);
      const seen = outcomes.get(req.refundNo);
      if (seen) return seen;
      const canRefund = refunds === 'open' || (oneAtATime && askedInWindow);
      if (!canRefund || !allocation) throw ApplicationFailure.nonRetryable('the order cannot be refunded now', 'invalid_state');
      busy = true;
      try {
        const returnsClawBack = patched(CLAW_BACK_RETURNED);
        const plan = planRefund(
          allocation,
          {
            refundedUnitIds: refundedUnits,
            clawedBackCoupons: clawedBack,
            ...(returnsClawBack ? { clawedBackOnUnits } : {}),
          },
          req.unitIds,
          coupons,
          Date.now(),
        );
        if (!plan.ok) throw ApplicationFailure.nonRetryable(`${plan.reason}: ${plan.unitIds.join(', ')}`, plan.reason);
        for (const id of plan.unitIds) refundedUnits.add(id);
        for (const c of plan.clawedBackCoupons) clawedBack.add(c);
        for (const [id, v] of Object.entries(plan.clawedBackOnUnits)) clawedBackOnUnits.set(id, (clawedBackOnUnits.get(id) ?? 0) + v);
        if (plan.refundMinor > 0)
          await money.refundTrade({
            outTradeNo,
            outRequestNo: refundRequestNoFor(outTradeNo, req.refundNo),
            refundMinor: plan.refundMinor,
            reason: 'retail refund',
          });
        const pointsRestored = await steps.refundOrderCoupons({
          orderKey,
          refundNo: req.refundNo,
          sharesMinor: plan.couponSharesMinor,
          couponsReturned: plan.couponsReturned,
          ...(plan.pointsShareMinor > 0
            ? {
                points: {
                  shareMinor: plan.pointsShareMinor,
                  minorPerPoint: input.redemption?.minorPerPoint ?? 1,
                  wholeOrderRefunded: plan.wholeOrderRefunded,
                },
              }
            : {}),
        });
        const pointsReversed = plan.unitIds.reduce((s, id) => s + (unitPoints[id] ?? 0), 0);
        if (input.userId && pointsReversed > 0)
          await steps.movePoints({
            programId: input.merchantId,
            userId: input.userId,
            key: `reverse:${orderKey}:${req.refundNo}`,
            kind: 'reverse',
            pendingDelta: -pointsReversed,
            availableDelta: 0,
            orderKey,
          });
        const outcome: RefundOutcome = {
          refundNo: req.refundNo,
          unitIds: plan.unitIds,
          refundMinor: plan.refundMinor,
          unitsPaidMinor: plan.unitsPaidMinor,
          clawedBackMinor: plan.clawedBackMinor,
          ...(returnsClawBack ? { clawBackReturnedMinor: plan.clawBackReturnedMinor } : {}),
          couponSharesMinor: plan.couponSharesMinor,
          couponsReturned: plan.couponsReturned,
          pointsReversed,
          ...(pointsRestored ? { pointsRestored } : {}),
        };
        outcomes.set(req.refundNo, outcome);
        view.refundedMinor += plan.refundMinor;
        view.pointsPending -= pointsReversed;
        view.refunds.push(outcome);
        await publish('paid');
        return outcome;
      } finally {
        busy = false;
      }
    },
    {
      validator: (req: RefundRequest) => {
        if (typeof req?.refundNo !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(req.refundNo))
          throw new Error('refundNo: 1-32 letters, digits, _ or -');
        if (!Array.isArray(req.unitIds) || req.unitIds.length === 0 || req.unitIds.length > 500) throw new Error('unitIds: 1-500 unit ids');
        const seen = outcomes.get(req.refundNo);
        if (seen && [...req.unitIds].sort().join() !== seen.unitIds.join()) throw new Error('refundNo was used for other units');
      },
    },
  );

  await publish('pricing');
  const priced = await pricing.priceRetailOrder({
    merchantId: input.merchantId,
    orderKey,
    userId: input.userId,
    lines: input.lines,
    couponIds: input.couponIds,
    accrual: input.accrual,
    nowMs: Date.now(),
    ...(input.redeemPoints && input.redemption ? { redeemPoints: input.redeemPoints, redemption: input.redemption } : {}),
  });
  if (!priced.ok) {
    refunds = 'closed';
    await publish('refused', priced.couponId ? `${priced.reason} (${priced.couponId})` : priced.reason);
    return { stage: 'refused', paidMinor: 0, refundedMinor: 0 };
  }
  allocation = priced.allocation;
  coupons = priced.coupons;
  unitPoints = priced.unitPoints;
  view.allocation = allocation;
  if (priced.pointsRedeemed) view.pointsRedeemed = priced.pointsRedeemed;
  const undo = new Compensations();
  if (priced.allocation.discounts.length > 0) undo.add('coupons', () => steps.releaseOrderCoupons(orderKey));

  // Payment.
  await publish('paying');
  let paid = false;
  let failure = '';
  if (allocation.paidMinor === 0)
    paid = true; // fully discounted: nothing to charge
  else {
    // Whether the shopper may have paid: then only a cancel (which refunds a late payment) settles it.
    let unsure = false;
    try {
      const answer = await till.payAtTill({
        outTradeNo,
        amountMinor: allocation.paidMinor,
        authCode: input.authCode,
        subject: input.subject,
      });
      if (answer.status === 'paid') paid = true;
      else if (answer.status === 'declined') {
        failure = answer.reason;
        view.tradeStatus = 'declined';
      } else {
        view.tradeStatus = 'user_paying';
        await publish('paying');
        unsure = true;
        failure = 'buyer_did_not_confirm';
        for (const waitS of input.userPayingPollSeconds) {
          await sleep(waitS * 1000);
          const status = await steps.tradeStatus(outTradeNo);
          if (status === 'paid') {
            paid = true;
            break;
          }
          if (status === 'closed') break;
        }
      }
    } catch {
      // The platform never answered: the shopper may or may not have paid.
      unsure = true;
      failure = 'payment_unknown';
    }
    if (!paid && unsure) {
      const action = await money.cancelTrade(outTradeNo);
      view.tradeStatus = 'cancelled';
      if (action === 'refund') failure = 'paid_during_cancel_refunded';
    }
  }
  if (!paid) {
    refunds = 'closed';
    await undo.run();
    await publish('payment_failed', failure);
    return { stage: 'payment_failed', paidMinor: 0, refundedMinor: 0 };
  }
  // Paid: the till's answer goes out first; committing the coupons and the points follow (retried until done).
  undo.remove('coupons');
  view.tradeStatus = 'paid';
  view.paidMinor = allocation.paidMinor;
  const earned = Object.values(unitPoints).reduce((s, p) => s + p, 0) + (input.userId && input.accrual ? input.accrual.perVisit : 0);
  view.pointsPending = input.userId ? earned : 0;
  const windowEndsMs = Date.now() + input.refundWindowSeconds * 1000;
  view.refundWindowEndsAt = new Date(windowEndsMs).toISOString();
  await publish('paid');
  if (priced.allocation.discounts.length > 0) await steps.commitOrderCoupons({ orderKey, nowMs: Date.now() });
  if (input.userId && earned > 0)
    await steps.movePoints({
      programId: input.merchantId,
      userId: input.userId,
      key: `earn:${orderKey}`,
      kind: 'earn_pending',
      pendingDelta: earned,
      availableDelta: 0,
      orderKey,
    });
  refunds = 'open';
  if (input.userId)
    await steps.sendReceipt({
      userId: input.userId,
      journeyId: workflowInfo().workflowId,
      orderRef: input.orderRef,
      paidMinor: view.paidMinor,
      pointsPending: earned,
    });

  // The refund window: refunds run in their handler; the window ends on the clock.
  await sleep(Math.max(0, windowEndsMs - Date.now()));
  await condition(() => !busy);
  refunds = 'closed';
  await condition(allHandlersFinished);
  if (input.userId && view.pointsPending > 0)
    await steps.movePoints({
      programId: input.merchantId,
      userId: input.userId,
      key: `release:${orderKey}`,
      kind: 'release',
      pendingDelta: -view.pointsPending,
      availableDelta: view.pointsPending,
      orderKey,
    });
  await publish('closed');
  return { stage: 'closed', paidMinor: view.paidMinor, refundedMinor: view.refundedMinor };
}
