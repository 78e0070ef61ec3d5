export type {
  DurationLimitType,
  FareTransferType,
  FareModel,
  FareCap,
  FareLegRule,
  FareTransferRule,
  NetworkFareRules,
  Timeframe,
  FareProductPrice,
  RiderCategory,
} from './model';
export type { Tap, TapType } from './taps';
export type { DayTrace, JourneyTrace, Adjustment, CapProgress } from './trace';
export { priceDay, type PriceDayInput } from './priceDay';
export { weekStartOf } from './week';
