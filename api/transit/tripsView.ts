import type { TripsView } from '../schemas/transit';
import type { RiderDayView } from '../../workflows/transit/riderDay/types';

/** The partner's view of a rider-day: the running fare, cap progress as numbers, each journey's trace. */
export function tripsViewOf(operatorId: string, serviceDay: string, view: RiderDayView | null): TripsView {
  const trace = view?.trace ?? null;
  return {
    operatorId,
    serviceDay,
    stage: view?.stage ?? 'open',
    currency: trace?.currency ?? null,
    fare: view ? (trace?.charge ?? null) : 0,
    maximumFares: trace?.maximumFaresTotal ?? 0,
    caps: (trace?.caps ?? []).map((c) => ({
      capId: c.capId,
      period: c.period,
      counted: c.countedBefore + c.countedToday,
      cap: c.amount,
      reached: c.reached,
    })),
    trips: (trace?.journeys ?? []).map((j) => ({
      journeyId: j.journeyId,
      kind: j.kind,
      incomplete: j.incomplete ?? null,
      networkId: j.networkId,
      // A route-only validator (a bus) names no stop: the engine keeps an empty one.
      fromStopId: j.fromStopId || null,
      toStopId: j.toStopId || null,
      startedAt: j.startedAt,
      endedAt: j.endedAt ?? null,
      fareProductId: j.fareProductId ?? null,
      nominal: j.nominal,
      adjustments: j.adjustments,
      charged: j.charged,
      countsTowardCaps: j.countsTowardCaps,
    })),
    taps: { total: view?.taps.total ?? 0, denied: view?.taps.denied ?? 0 },
    settlement: view?.settlement
      ? {
          due: view.settlement.dueMinor,
          paid: view.settlement.paidMinor,
          owed: view.settlement.owedMinor,
          attempts: view.settlement.attempts,
          refusal: view.settlement.refusal,
          nextAttemptAt: view.settlement.nextAttemptAt,
          waived: view.settlement.waivedMinor,
        }
      : null,
  };
}
