import { allHandlersFinished, condition, proxyActivities, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { TransitActivities } from '../../../activities/transit';
import { priceDay, type FareModel, type Tap } from '../../../domain/transit/fares';
import { riderDayTapsSignal } from './definitions';
import type { RiderDayInput, RiderDayOutcome, RiderDayStage, RiderDayTap, RiderDayView } from './types';

/**
 * More taps than any real rider makes in a day (a gate would need to be hit every minute for 16 hours);
 * past it taps are counted, not kept, so a runaway validator cannot grow one history without bound.
 */
const MAX_TAPS = 1_000;

const transit = proxyActivities<Pick<TransitActivities, 'openRiderDay' | 'riderDayPricing'>>({
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', maximumInterval: '1m', backoffCoefficient: 2 },
});
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
  return {
    stage: 'awaiting_settlement',
    revision: opened.revision,
    charge: view?.trace?.charge ?? null,
    currency: view?.trace?.currency ?? null,
    taps: taps.size,
  };
}
