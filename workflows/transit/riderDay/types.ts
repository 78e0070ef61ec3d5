import type { DayTrace } from '../../../domain/transit/fares';

/**
 * The rider-day journey's messages. Nothing personal crosses Temporal: the rider is the keyed
 * `riderRef`, and taps carry no pseudonym (the API resolved it before forwarding). Built only by the
 * API's tap forwarder from rows it parsed, so the workflow takes them as typed.
 */

export interface RiderDayTap {
  tapId: string;
  /** Transaction time, epoch ms. */
  at: number;
  stopId?: string;
  routeId?: string;
  tapType: 'on' | 'off' | 'unknown';
  gate: 'allow' | 'deny';
  deviceId: string;
}

export interface RiderDayInput {
  version: 1;
  operatorId: string;
  riderRef: string;
  riderCategoryId: string;
  /** YYYY-MM-DD in the operator's zone, days starting at its boundary (04:30 by default). */
  serviceDay: string;
  /** End of the service day plus the settlement delay: when this run stops taking taps. */
  settleAfterMs: number;
}

/** A batch of a rider's taps of this day; a tap id seen before is ignored. */
export interface RiderDayTaps {
  version: 1;
  taps: RiderDayTap[];
}

/**
 * `priced`: taking taps, the view re-priced after each batch. `awaiting_settlement`: the day is over
 * and this run has ended; the one charge of the day is the payment side's next step.
 */
export type RiderDayStage = 'priced' | 'awaiting_settlement';

/** What the workflow publishes to `rider_day_views` after every change. */
export interface RiderDayView {
  operatorId: string;
  riderRef: string;
  serviceDay: string;
  stage: RiderDayStage;
  /** 1 for the day's first run; a run started by taps arriving after an earlier run ended counts up. */
  revision: number;
  /** The operator's feed version that priced the day; null when no feed applied to it yet. */
  feedVersion: number | null;
  taps: { total: number; denied: number; overLimit: number };
  /** Null while no fare rules apply to the day (no feed loaded for it). */
  trace: DayTrace | null;
  settleAfterMs: number;
}

export interface RiderDayOutcome {
  stage: RiderDayStage;
  revision: number;
  charge: number | null;
  currency: string | null;
  taps: number;
}
