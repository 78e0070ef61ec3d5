import { priceOf } from './legRules';
import type { FareModel, FareTransferRule } from './model';
import type { Adjustment } from './trace';

/**
 * GTFS-Fares v2 transfer discounts over the day's priced legs, in time order. A leg continues the
 * transfer chain of the leg before it when a fare_transfer_rule matches their leg groups, the
 * chain's transfer count and the duration limit; otherwise it starts a new chain.
 */

export interface TransferLeg {
  legGroupId?: string;
  departAt: number;
  arriveAt: number;
  nominal: number;
}

function withinDuration(rule: FareTransferRule, prev: TransferLeg, cur: TransferLeg): boolean {
  if (rule.durationLimitSeconds === undefined) return true;
  const type = rule.durationLimitType ?? 'departure_to_arrival';
  const from = type === 'departure_to_arrival' || type === 'departure_to_departure' ? prev.departAt : prev.arriveAt;
  const to = type === 'departure_to_arrival' || type === 'arrival_to_arrival' ? cur.arriveAt : cur.departAt;
  return to - from <= rule.durationLimitSeconds * 1000;
}

function adjustmentFor(
  model: FareModel,
  rule: FareTransferRule,
  prev: TransferLeg,
  cur: TransferLeg,
  riderCategoryId: string,
): number | undefined {
  const ab = rule.fareProductId === undefined ? 0 : priceOf(model, rule.fareProductId, riderCategoryId);
  if (ab === undefined) return undefined;
  switch (rule.fareTransferType) {
    case 'a_plus_ab':
      return ab - cur.nominal;
    case 'a_plus_ab_plus_b':
      return ab;
    case 'ab':
      // AB is the price of both legs together; the first was already charged in full. Never below zero.
      return Math.max(ab - prev.nominal - cur.nominal, -cur.nominal);
  }
}

/** One entry per leg: the transfer adjustment, if the leg continued a chain. */
export function applyTransfers(model: FareModel, legs: readonly TransferLeg[], riderCategoryId: string): (Adjustment | undefined)[] {
  const out: (Adjustment | undefined)[] = [];
  let prev: TransferLeg | undefined;
  let transfers = 0;
  for (const cur of legs) {
    let best: { rule: FareTransferRule; amount: number } | undefined;
    if (prev) {
      for (const rule of model.transferRules) {
        if (rule.fromLegGroupId !== undefined && rule.fromLegGroupId !== prev.legGroupId) continue;
        if (rule.toLegGroupId !== undefined && rule.toLegGroupId !== cur.legGroupId) continue;
        if (rule.transferCount !== undefined && rule.transferCount !== -1 && transfers + 1 > rule.transferCount) continue;
        if (!withinDuration(rule, prev, cur)) continue;
        const amount = adjustmentFor(model, rule, prev, cur, riderCategoryId);
        if (amount === undefined) continue;
        if (!best || amount < best.amount || (amount === best.amount && rule.ruleId < best.rule.ruleId)) best = { rule, amount };
      }
    }
    if (best) {
      transfers += 1;
      out.push({ type: 'transfer', ruleId: best.rule.ruleId, amount: best.amount });
    } else {
      transfers = 0;
      out.push(undefined);
    }
    prev = cur;
  }
  return out;
}
