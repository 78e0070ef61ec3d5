/**
 * The day's trace, shaped like Littlepay's records: one micropayment per journey with its nominal
 * fare and every adjustment (transfer, cap) with the rule that made it, then one aggregated charge.
 * A rider can read it top to bottom and redo the sum.
 */

export type AdjustmentType = 'transfer' | 'daily_cap' | 'weekly_cap';

export interface Adjustment {
  type: AdjustmentType;
  /** The transfer rule or cap id from the operator's feed. */
  ruleId: string;
  /** Signed minor units: negative lowers the fare. */
  amount: number;
}

export type PricedJourneyKind =
  | 'complete'
  /** Tap-off forgotten; completed at the stop of the rider's next tap-on. */
  | 'auto_completed'
  /** Tap-off or tap-on missing; charged the network's maximum fare, which no cap covers. */
  | 'maximum_fare'
  /** No fare rule covers it: charged nothing rather than a guess. */
  | 'unpriced';

export interface JourneyTrace {
  /** The id of the journey's first tap. */
  journeyId: string;
  kind: PricedJourneyKind;
  /** Why a journey is incomplete, when it is. */
  incomplete?: 'missing_tap_off' | 'missing_tap_on';
  networkId: string;
  tapOnId?: string;
  tapOffId?: string;
  fromStopId?: string;
  toStopId?: string;
  startedAt: string;
  endedAt?: string;
  fareProductId?: string;
  legRuleId?: string;
  nominal: number;
  adjustments: Adjustment[];
  charged: number;
  countsTowardCaps: boolean;
}

export interface CapProgress {
  capId: string;
  period: 'day' | 'week';
  amount: number;
  /** Counted before this day: 0 for daily caps, the week-to-date for weekly ones. */
  countedBefore: number;
  countedToday: number;
  reached: boolean;
}

export interface DayTrace {
  currency: string;
  riderCategoryId: string;
  journeys: JourneyTrace[];
  ignoredTaps: { tapId: string; reason: string }[];
  nominalTotal: number;
  /** Maximum fares charged for incomplete journeys; outside every cap. */
  maximumFaresTotal: number;
  caps: CapProgress[];
  /** The one charge for the day. */
  charge: number;
}
