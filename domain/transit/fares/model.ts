/**
 * The operator's fare model: a typed in-memory form of GTFS-Fares v2 plus our capping extension
 * (docs/transit-fares.md). The feed loader builds it; the fare engine only reads it. Amounts are
 * integer minor units of `currency`.
 */

export interface FareProductPrice {
  fareProductId: string;
  /** Empty means the price for any rider category without a row of its own. */
  riderCategoryId?: string;
  amount: number;
}

export interface RiderCategory {
  riderCategoryId: string;
  isDefault: boolean;
}

/** A local time-of-day window in seconds after midnight; end may pass 24:00 (GTFS style). */
export interface Timeframe {
  timeframeGroupId: string;
  startSeconds: number;
  endSeconds: number;
}

export interface FareLegRule {
  /** Stable id shown to riders in the trace (leg_group_id, or file:line when the feed gives none). */
  ruleId: string;
  legGroupId?: string;
  networkId?: string;
  fromAreaId?: string;
  toAreaId?: string;
  fromTimeframeGroupId?: string;
  toTimeframeGroupId?: string;
  fareProductId: string;
  rulePriority: number;
}

/** GTFS duration_limit_type: which validation of each leg the transfer window runs between. */
export type DurationLimitType = 'departure_to_arrival' | 'departure_to_departure' | 'arrival_to_departure' | 'arrival_to_arrival';

/** GTFS fare_transfer_type 0 (A + AB), 1 (A + AB + B), 2 (AB). */
export type FareTransferType = 'a_plus_ab' | 'a_plus_ab_plus_b' | 'ab';

export interface FareTransferRule {
  ruleId: string;
  fromLegGroupId?: string;
  toLegGroupId?: string;
  /** -1 means unlimited; GTFS requires it only when from and to groups are equal. */
  transferCount?: number;
  durationLimitSeconds?: number;
  durationLimitType?: DurationLimitType;
  fareTransferType: FareTransferType;
  /** The transfer's own price (AB); absent means free. */
  fareProductId?: string;
}

/** Extension: a cap on what one rider pays per period (fare_caps.txt). */
export interface FareCap {
  capId: string;
  period: 'day' | 'week';
  /** Network the cap covers; absent covers every network. */
  networkId?: string;
  /** Rider category the cap applies to; absent applies to all. */
  riderCategoryId?: string;
  amount: number;
  /** 1 = Monday ... 7 = Sunday (ISO); only meaningful for weekly caps. */
  weekStartDay: number;
}

/** Extension: how a network treats tap-offs and incomplete journeys (fare_rules_ext.txt). */
export interface NetworkFareRules {
  networkId: string;
  /** Metro-style: a journey is a tap-on and a tap-off. Bus-style networks price the tap-on alone. */
  tapOffRequired: boolean;
  /** Longest plausible journey; a tap-on older than this when the next tap comes is left incomplete. */
  maxJourneySeconds: number;
  /** Charged for an incomplete journey; never counts toward a cap. */
  maxFareProductId?: string;
  /**
   * Complete a journey that lacks its tap-off at the stop of the rider's next tap-on in the same
   * network, when that tap-on comes within this many seconds (TfL-style auto-completion).
   */
  autoCompleteWithinSeconds?: number;
}

export interface FareModel {
  currency: string;
  /** IANA zone the timeframes are written in. */
  timeZone: string;
  products: FareProductPrice[];
  riderCategories: RiderCategory[];
  /** stop_id → area ids (stop_areas). */
  stopAreas: Record<string, string[]>;
  /** route_id → network_id (route_networks, or routes.network_id). */
  routeNetworks: Record<string, string>;
  /** Network of taps that carry only a stop (gated stations); from fare_rules_ext.txt. */
  stopNetworks: Record<string, string>;
  timeframes: Timeframe[];
  legRules: FareLegRule[];
  transferRules: FareTransferRule[];
  caps: FareCap[];
  networkRules: NetworkFareRules[];
}
