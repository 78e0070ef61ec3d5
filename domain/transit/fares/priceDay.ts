import { capProgress, capsFor, applyCaps } from './caps';
import { endOf, networkRulesOf, pairTaps, startOf, type Journey } from './journeys';
import { priceLeg, priceOf } from './legRules';
import type { FareModel } from './model';
import { canonicalTaps, type Tap } from './taps';
import type { DayTrace, JourneyTrace } from './trace';
import { applyTransfers, type TransferLeg } from './transfers';

/**
 * The fare engine: prices one rider's service day from scratch out of all its taps. Pure and
 * deterministic; the result depends only on the set of tap ids, never on their order or repeats.
 */

export interface PriceDayInput {
  taps: readonly Tap[];
  model: FareModel;
  riderCategoryId: string;
  /** Per weekly cap id, what earlier settled days of the same week counted toward it. */
  weekToDate?: Readonly<Record<string, number>>;
}

function riderCategory(model: FareModel, requested: string): string {
  if (model.riderCategories.length === 0 || model.riderCategories.some((c) => c.riderCategoryId === requested)) return requested;
  return model.riderCategories.find((c) => c.isDefault)?.riderCategoryId ?? requested;
}

interface Draft {
  trace: JourneyTrace;
  leg?: TransferLeg;
}

function iso(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : new Date(ms).toISOString();
}

function draft(model: FareModel, journeys: Journey[], index: number, category: string): Draft {
  const j = journeys[index]!;
  const rules = networkRulesOf(model, j.networkId);
  const base: JourneyTrace = {
    journeyId: (j.on ?? j.off)!.tapId,
    kind: 'complete',
    networkId: j.networkId,
    startedAt: iso(startOf(j))!,
    nominal: 0,
    adjustments: [],
    charged: 0,
    countsTowardCaps: true,
  };
  if (j.on) {
    base.tapOnId = j.on.tapId;
    base.fromStopId = j.on.stopId;
  }
  if (j.off) {
    base.tapOffId = j.off.tapId;
    base.toStopId = j.off.stopId;
    base.endedAt = iso(j.off.at);
  }

  let toStopId = j.off?.stopId;
  if (j.kind === 'missing_tap_off' && rules.autoCompleteWithinSeconds !== undefined) {
    const nextOn = journeys.slice(index + 1).find((n) => n.networkId === j.networkId && n.on)?.on;
    if (nextOn && nextOn.at - j.on!.at <= rules.autoCompleteWithinSeconds * 1000) {
      toStopId = nextOn.stopId;
      base.kind = 'auto_completed';
      base.incomplete = 'missing_tap_off';
      base.toStopId = toStopId;
    }
  }

  if (j.kind !== 'complete' && base.kind !== 'auto_completed') {
    base.incomplete = j.kind === 'missing_tap_off' ? 'missing_tap_off' : 'missing_tap_on';
    const max = rules.maxFareProductId === undefined ? undefined : priceOf(model, rules.maxFareProductId, category);
    base.countsTowardCaps = false;
    if (max === undefined) {
      base.kind = 'unpriced';
    } else {
      base.kind = 'maximum_fare';
      base.fareProductId = rules.maxFareProductId;
      base.nominal = max;
    }
    return { trace: base };
  }

  const departAt = startOf(j);
  // An auto-completed journey has no arrival time; its tap-on time stands in for it.
  const arriveAt = endOf(j);
  const priced = priceLeg(model, { networkId: j.networkId, fromStopId: j.on!.stopId, toStopId, departAt, arriveAt }, category);
  if (!priced) {
    base.kind = 'unpriced';
    return { trace: base };
  }
  base.fareProductId = priced.rule.fareProductId;
  base.legRuleId = priced.rule.ruleId;
  base.nominal = priced.amount;
  return { trace: base, leg: { legGroupId: priced.rule.legGroupId, departAt, arriveAt, nominal: priced.amount } };
}

export function priceDay(input: PriceDayInput): DayTrace {
  const { model } = input;
  const category = riderCategory(model, input.riderCategoryId);
  const paired = pairTaps(model, canonicalTaps(input.taps));
  const drafts = paired.journeys.map((_, i) => draft(model, paired.journeys, i, category));

  const legDrafts = drafts.filter((d) => d.leg !== undefined);
  const transfers = applyTransfers(
    model,
    legDrafts.map((d) => d.leg!),
    category,
  );
  legDrafts.forEach((d, i) => {
    const t = transfers[i];
    if (t) d.trace.adjustments.push(t);
  });

  const caps = capsFor(model, category, input.weekToDate ?? {});
  let charge = 0;
  let nominalTotal = 0;
  let maximumFaresTotal = 0;
  for (const { trace } of drafts) {
    let fare = trace.nominal + trace.adjustments.reduce((s, a) => s + a.amount, 0);
    if (trace.countsTowardCaps) {
      const capAdjustments = applyCaps(caps, trace.networkId, fare);
      trace.adjustments.push(...capAdjustments);
      fare += capAdjustments.reduce((s, a) => s + a.amount, 0);
    } else {
      maximumFaresTotal += fare;
    }
    trace.charged = fare;
    nominalTotal += trace.nominal;
    charge += fare;
  }

  return {
    currency: model.currency,
    riderCategoryId: category,
    journeys: drafts.map((d) => d.trace),
    ignoredTaps: paired.ignored.map((i) => ({ tapId: i.tap.tapId, reason: i.reason })),
    nominalTotal,
    maximumFaresTotal,
    caps: capProgress(caps),
    charge,
  };
}
