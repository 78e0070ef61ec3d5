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
  /**
   * After a refused charge, when to try again, as offsets from the first refusal (ascending). Past
   * the last one the day becomes a debt and the rider goes on the deny list. Absent in runs started
   * before settlement was built: the default policy applies.
   */
  chargeRetryOffsetsMs?: number[];
  /** Late-tap window: a revision that would cost more after this instant is not charged (only refunds). */
  lateChargeUntilMs?: number;
  /**
   * A refused day is also tried again when the rider taps on a later day, at most this often
   * (absent: an hour), so a rider who rides again pays as soon as their balance allows.
   */
  retryOnTapAfterMs?: number;
}

/** The rider tapped on a later day (from the tap forwarder): a refused charge may be tried again now. */
export interface RetryRiderCharge {
  version: 1;
}

/** The rider asked to pay the day's debt now (by QR code). */
export interface PayRiderDebt {
  version: 1;
}

/** A batch of a rider's taps of this day; a tap id seen before is ignored. */
export interface RiderDayTaps {
  version: 1;
  taps: RiderDayTap[];
}

/**
 * `priced`: taking taps, the view re-priced after each batch. `awaiting_settlement`: the day is over
 * and its charge is being made (the terminal stage of runs from before settlement was built).
 * Terminal stages of a run: `settled` (charged, or the difference of a late revision charged or
 * refunded), `nothing_due`, and `in_debt` left only by paying. `charge_retrying`: the charge was
 * refused and is tried again on the retry schedule.
 */
export const RIDER_DAY_STAGES = ['priced', 'awaiting_settlement', 'charge_retrying', 'in_debt', 'settled', 'nothing_due'] as const;
export type RiderDayStage = (typeof RIDER_DAY_STAGES)[number];
/** Stages after the day's taps stopped counting: the ones weekly caps count from. */
export const ENDED_RIDER_DAY_STAGES: readonly RiderDayStage[] = [
  'awaiting_settlement',
  'charge_retrying',
  'in_debt',
  'settled',
  'nothing_due',
];

/** Where the day's money stands, after the run has tried to settle it. */
export interface RiderDaySettlement {
  /** What the trace says the day costs (all revisions): the target of the day's charges. */
  dueMinor: number;
  /** Net amount the rider has paid for this day over all revisions (charges less refunds). */
  paidMinor: number;
  /** Owed and not paid: the charge was refused (retrying, or in debt until paid by QR code). */
  owedMinor: number;
  /** Refused charges of this revision so far. */
  attempts: number;
  /** Why the last charge was refused (e.g. `insufficient_balance`, `no_agreement`). */
  refusal: string | null;
  /** ISO instant of the next scheduled attempt while `charge_retrying`. */
  nextAttemptAt: string | null;
  /** A late revision whose difference would be a charge after the late-tap window: not charged. */
  waivedMinor: number;
}

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
  /** Absent while the day takes taps; written once the run settles (or tries to). */
  settlement?: RiderDaySettlement;
}

export interface RiderDayOutcome {
  stage: RiderDayStage;
  revision: number;
  charge: number | null;
  currency: string | null;
  taps: number;
  /** Net paid for the day over all revisions; absent for runs that ended before settling. */
  paid?: number;
}
