import {
  ParentClosePolicy,
  WorkflowIdReusePolicy,
  allHandlersFinished,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { TransitActivities } from '../../../activities/transit';
import type { TransitSettlementActivities } from '../../../activities/transitSettlement';
import { workflowIds } from '../../../domain/ids';
import { DEFAULT_CHARGE_RETRY_OFFSETS_MS, nextChargeAttemptAt } from '../../../domain/transit/chargeRetry';
import { priceDay, type FareModel, type Tap } from '../../../domain/transit/fares';
import { collectPayment } from '../../payment/collect';
import { AmountDue, Institution, Stage, Vertical } from '../../searchAttributes';
import { payRiderDebtSignal, retryRiderChargeSignal, riderDayTapsSignal } from './definitions';
import type { RiderDayInput, RiderDayOutcome, RiderDaySettlement, RiderDayStage, RiderDayTap, RiderDayView } from './types';

/**
 * More taps than any real rider makes in a day (a gate would need to be hit every minute for 16 hours);
 * past it taps are counted, not kept, so a runaway validator cannot grow one history without bound.
 */
const MAX_TAPS = 1_000;

const transit = proxyActivities<Pick<TransitActivities, 'openRiderDay' | 'riderDayPricing'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});
// Money moves here: retried until the platform answers; refusals come back as data, not failures.
const settlement = proxyActivities<TransitSettlementActivities>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '2s', maximumInterval: '5m', backoffCoefficient: 2 },
});
/** How long a debt's QR code can be paid before it is closed and the rider asks again. */
const DEBT_QR_VALID_MS = 15 * 60_000;
// Local: the view is a read model, written often and cheap to redo (seq-guarded upsert).
const views = proxyLocalActivities<Pick<TransitActivities, 'publishRiderDayView'>>({
  startToCloseTimeout: '10s',
  retry: { initialInterval: '500ms', maximumInterval: '30s' },
});

/** What the engine prices: taps the gate let through; an unknown tap type is a tap-on the pairing may correct. */
function engineTaps(taps: Iterable<RiderDayTap>): Tap[] {
  const out: Tap[] = [];
  for (const t of taps) {
    if (t.gate !== 'allow') continue;
    out.push({
      tapId: t.tapId,
      at: t.at,
      // A bus validator may report only its route; the engine finds the network from the route then.
      stopId: t.stopId ?? '',
      tapType: t.tapType === 'off' ? 'off' : 'on',
      ...(t.routeId !== undefined ? { routeId: t.routeId } : {}),
    });
  }
  return out;
}

/**
 * One rider's service day at one operator (`transit-day/<operator>/<rider-ref>/<service-day>`). It
 * keeps every tap it is sent, re-prices the whole day from scratch with the pure fare engine after
 * each batch (so late and out-of-order taps simply change the answer), and publishes the running
 * priced view. When the day is over plus the settlement delay it ends in `awaiting_settlement`:
 * charging the day is the payment side's step. Taps arriving after that start a new run of the
 * same id, which picks up the day's earlier taps and counts up the revision.
 */
export async function transitRiderDay(input: RiderDayInput): Promise<RiderDayOutcome> {
  const taps = new Map<string, RiderDayTap>();
  let fresh = 0;
  let overLimit = 0;
  const accept = (batch: readonly RiderDayTap[]): void => {
    for (const tap of batch) {
      if (taps.has(tap.tapId)) continue;
      if (taps.size >= MAX_TAPS) {
        overLimit += 1;
        continue;
      }
      taps.set(tap.tapId, tap);
      fresh += 1;
    }
  };
  setHandler(riderDayTapsSignal, (batch) => accept(batch.taps));

  const day = { operatorId: input.operatorId, riderRef: input.riderRef, serviceDay: input.serviceDay };
  const opened = await transit.openRiderDay(day);
  accept(opened.priorTaps);

  let feed: { version: number; model: FareModel } | undefined;
  let view: RiderDayView | undefined;
  let seq = 0;
  let money: RiderDaySettlement | undefined;
  /** Re-prices from scratch when taps came since the last pricing, then writes the view. */
  const publish = async (stage: RiderDayStage): Promise<void> => {
    let trace = view?.trace ?? null;
    if (fresh > 0 || !view) {
      fresh = 0;
      const ctx = await transit.riderDayPricing({ ...day, knownFeedVersion: feed?.version ?? null });
      // The model crosses the history only when the effective version changes: cached per workflow by version.
      if (ctx.feedVersion !== null && ctx.model) feed = { version: ctx.feedVersion, model: ctx.model };
      trace =
        ctx.feedVersion !== null && feed?.version === ctx.feedVersion
          ? priceDay({
              taps: engineTaps(taps.values()),
              model: feed.model,
              riderCategoryId: input.riderCategoryId,
              weekToDate: ctx.weekToDate,
            })
          : null;
    }
    const all = [...taps.values()];
    view = {
      ...day,
      stage,
      revision: opened.revision,
      feedVersion: trace ? (feed?.version ?? null) : null,
      taps: { total: all.length, denied: all.filter((t) => t.gate === 'deny').length, overLimit },
      trace,
      settleAfterMs: input.settleAfterMs,
      ...(money ? { settlement: money } : {}),
    };
    seq += 1;
    await views.publishRiderDayView({ view, seq });
  };

  for (;;) {
    if (fresh > 0) {
      await publish('priced');
      continue;
    }
    const remaining = input.settleAfterMs - Date.now();
    if (remaining <= 0) break;
    await condition(() => fresh > 0, remaining);
  }
  // Taps signalled while the last view was written are priced before the run ends: they are marked
  // forwarded already, so a later run would only pick them up when more taps come.
  do {
    await condition(allHandlersFinished);
    await publish('awaiting_settlement');
  } while (fresh > 0);
  // Runs from before settlement was built ended here; their histories must replay unchanged.
  if (!patched('transit-day-settles')) {
    return {
      stage: 'awaiting_settlement',
      revision: opened.revision,
      charge: view?.trace?.charge ?? null,
      currency: view?.trace?.currency ?? null,
      taps: taps.size,
    };
  }

  let payRequested = false;
  setHandler(payRiderDebtSignal, () => {
    payRequested = true;
  });
  let retryRequested = false;
  setHandler(retryRiderChargeSignal, () => {
    retryRequested = true;
  });
  const retryOnTapAfterMs = input.retryOnTapAfterMs ?? 3_600_000;
  let lastAttemptAt: number;
  const offsets = input.chargeRetryOffsetsMs ?? DEFAULT_CHARGE_RETRY_OFFSETS_MS;
  let refusals = 0;
  let firstRefusalAt = 0;
  let inDebt = false;
  let debtPayments = 0;
  let paidByQr = false;
  const setStage = (stage: RiderDayStage, owed: number): void => {
    upsertSearchAttributes([
      { key: Vertical, value: 'transit' },
      { key: Institution, value: input.operatorId },
      { key: Stage, value: stage },
      { key: AmountDue, value: owed },
    ]);
  };

  /** The debt's QR order through the payment saga; true when the rider paid it. */
  const payDebtByQr = async (owed: number, currency: string): Promise<boolean> => {
    debtPayments += 1;
    const outTradeNo = `tq-${uuid4()}`;
    const child = await startChild(collectPayment, {
      workflowId: workflowIds.payment(outTradeNo),
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      args: [
        {
          version: 1,
          outTradeNo,
          journeyId: workflowInfo().workflowId,
          step: `debt-${debtPayments}`,
          institutionId: input.operatorId,
          userRef: input.riderRef,
          amountMinor: owed,
          currency,
          subject: `Transit ${input.serviceDay}`,
          deadlineMs: Date.now() + DEBT_QR_VALID_MS,
        },
      ],
    });
    const outcome = await child.result();
    if (outcome.status !== 'paid') return false;
    await settlement.recordRiderDebtPayment({
      ...day,
      revision: opened.revision,
      outTradeNo,
      tradeNo: outcome.tradeNo,
      amountMinor: outcome.amountMinor,
      currency,
    });
    return true;
  };

  setStage('awaiting_settlement', view?.trace?.charge ?? 0);
  // One charge (or refund) of the difference per attempt; a refusal waits for the next attempt, the
  // rider paying by QR code, or new taps (which re-price the day and try again at once).
  for (;;) {
    const due = view?.trace?.charge ?? 0;
    const currency = view?.trace?.currency ?? '';
    const r = await settlement.settleRiderDay({
      version: 1,
      ...day,
      revision: opened.revision,
      attempt: refusals,
      dueMinor: due,
      currency,
      chargeAllowed: Date.now() <= (input.lateChargeUntilMs ?? Number.POSITIVE_INFINITY),
    });
    lastAttemptAt = Date.now();
    if (r.outcome !== 'refused') {
      if (inDebt) await settlement.closeRiderDebt({ ...day, status: paidByQr || r.chargedMinor > 0 ? 'paid' : 'cleared' });
      money = {
        dueMinor: due,
        paidMinor: r.paidMinor,
        owedMinor: 0,
        attempts: refusals,
        refusal: null,
        nextAttemptAt: null,
        waivedMinor: r.waivedMinor,
      };
      setStage(r.outcome, 0);
      await publish(r.outcome);
      if (fresh > 0) continue; // taps came while settling: the day is re-priced (above) and settled again
      return { stage: r.outcome, revision: opened.revision, charge: due, currency: currency || null, taps: taps.size, paid: r.paidMinor };
    }
    refusals += 1;
    if (refusals === 1) firstRefusalAt = Date.now();
    const next = inDebt ? null : nextChargeAttemptAt(offsets, firstRefusalAt, refusals);
    if (next === null && !inDebt) {
      await settlement.openRiderDebt({ ...day, owedMinor: r.owedMinor, currency, reason: r.reason });
      inDebt = true;
    }
    const stage: RiderDayStage = inDebt ? 'in_debt' : 'charge_retrying';
    money = {
      dueMinor: due,
      paidMinor: r.paidMinor,
      owedMinor: r.owedMinor,
      attempts: refusals,
      refusal: r.reason,
      nextAttemptAt: next === null ? null : new Date(next).toISOString(),
      waivedMinor: 0,
    };
    setStage(stage, r.owedMinor);
    await publish(stage);
    for (;;) {
      const wake = (): boolean => payRequested || retryRequested || fresh > 0;
      const woke = next === null ? (await condition(wake), true) : await condition(wake, Math.max(1, next - Date.now()));
      if (!woke || fresh > 0) break; // the attempt is due, or taps changed the price
      if (retryRequested && !payRequested) {
        retryRequested = false;
        if (Date.now() - lastAttemptAt >= retryOnTapAfterMs) break; // the rider rides again: try the charge now
        continue;
      }
      payRequested = false;
      const paid = await payDebtByQr(r.owedMinor, currency);
      payRequested = false; // asked again while that QR code was open: the same request
      if (paid) {
        paidByQr = true;
        break;
      }
    }
    if (fresh > 0) await publish(stage); // re-price before the next attempt
  }
}
