import type { FareCap, FareModel } from './model';
import type { Adjustment, CapProgress } from './trace';

/**
 * Daily then weekly caps, applied in journey time order: each journey pays at most the room left
 * under every cap that covers it, and what it pays counts toward all of them. Maximum fares never
 * reach this code.
 */

export interface CapState {
  caps: FareCap[];
  counted: Map<string, number>;
  before: Map<string, number>;
}

export function capsFor(model: FareModel, riderCategoryId: string, weekToDate: Readonly<Record<string, number>>): CapState {
  const caps = model.caps
    .filter((c) => c.riderCategoryId === undefined || c.riderCategoryId === riderCategoryId)
    // Daily first so the trace credits a daily cap when both bind; then by id for a stable trace.
    .sort((a, b) => (a.period === b.period ? (a.capId < b.capId ? -1 : 1) : a.period === 'day' ? -1 : 1));
  const before = new Map(caps.map((c) => [c.capId, c.period === 'week' ? Math.max(0, weekToDate[c.capId] ?? 0) : 0]));
  return { caps, counted: new Map(caps.map((c) => [c.capId, 0])), before };
}

/** Returns the cap adjustments for a journey costing `fare` and counts what remains. */
export function applyCaps(state: CapState, networkId: string, fare: number): Adjustment[] {
  const applicable = state.caps.filter((c) => c.networkId === undefined || c.networkId === networkId);
  const adjustments: Adjustment[] = [];
  let due = fare;
  for (const cap of applicable) {
    const room = Math.max(0, cap.amount - state.before.get(cap.capId)! - state.counted.get(cap.capId)!);
    if (due > room) {
      adjustments.push({ type: cap.period === 'day' ? 'daily_cap' : 'weekly_cap', ruleId: cap.capId, amount: room - due });
      due = room;
    }
  }
  for (const cap of applicable) state.counted.set(cap.capId, state.counted.get(cap.capId)! + due);
  return adjustments;
}

export function capProgress(state: CapState): CapProgress[] {
  return state.caps.map((c) => {
    const countedBefore = state.before.get(c.capId)!;
    const countedToday = state.counted.get(c.capId)!;
    return {
      capId: c.capId,
      period: c.period,
      amount: c.amount,
      countedBefore,
      countedToday,
      reached: countedBefore + countedToday >= c.amount,
    };
  });
}
