import { localSecondsOfDay } from './localTime';
import type { FareLegRule, FareModel } from './model';

/**
 * Finds the fare product of one leg (GTFS-Fares v2 fare_leg_rules). An empty rule field matches
 * anything; among matching rules the highest rule_priority wins, and among equals the cheapest for
 * the rider, because GTFS leaves the choice to the rider and a rider would choose the cheapest.
 */

export interface LegQuery {
  networkId: string;
  fromStopId: string;
  /** Absent when the leg has no known arrival (tap-on-only networks). */
  toStopId?: string;
  departAt: number;
  arriveAt: number;
}

export interface PricedLeg {
  rule: FareLegRule;
  amount: number;
}

export function priceOf(model: FareModel, fareProductId: string, riderCategoryId: string): number | undefined {
  const own = model.products.find((p) => p.fareProductId === fareProductId && p.riderCategoryId === riderCategoryId);
  if (own) return own.amount;
  return model.products.find((p) => p.fareProductId === fareProductId && p.riderCategoryId === undefined)?.amount;
}

function inTimeframe(model: FareModel, groupId: string, epochMs: number): boolean {
  const t = localSecondsOfDay(epochMs, model.timeZone);
  return model.timeframes.some((f) => f.timeframeGroupId === groupId && f.startSeconds <= t && t < f.endSeconds);
}

function inArea(model: FareModel, areaId: string, stopId: string | undefined): boolean {
  return stopId !== undefined && (model.stopAreas[stopId] ?? []).includes(areaId);
}

function matches(model: FareModel, rule: FareLegRule, leg: LegQuery): boolean {
  if (rule.networkId !== undefined && rule.networkId !== leg.networkId) return false;
  if (rule.fromAreaId !== undefined && !inArea(model, rule.fromAreaId, leg.fromStopId)) return false;
  if (rule.toAreaId !== undefined && !inArea(model, rule.toAreaId, leg.toStopId)) return false;
  if (rule.fromTimeframeGroupId !== undefined && !inTimeframe(model, rule.fromTimeframeGroupId, leg.departAt)) return false;
  if (rule.toTimeframeGroupId !== undefined && !inTimeframe(model, rule.toTimeframeGroupId, leg.arriveAt)) return false;
  return true;
}

export function priceLeg(model: FareModel, leg: LegQuery, riderCategoryId: string): PricedLeg | undefined {
  let best: PricedLeg | undefined;
  for (const rule of model.legRules) {
    if (!matches(model, rule, leg)) continue;
    const amount = priceOf(model, rule.fareProductId, riderCategoryId);
    if (amount === undefined) continue;
    if (
      !best ||
      rule.rulePriority > best.rule.rulePriority ||
      (rule.rulePriority === best.rule.rulePriority && (amount < best.amount || (amount === best.amount && rule.ruleId < best.rule.ruleId)))
    ) {
      best = { rule, amount };
    }
  }
  return best;
}
