import { z } from 'zod';

/**
 * zod schemas of the GTFS, GTFS-Fares v2 and extension rows we read. CSV gives every field as a
 * string and an absent value as ''; these turn them into typed values or name what is wrong.
 * Columns we do not use are accepted and ignored, as GTFS asks of consumers.
 */

const id = z.string().min(1, 'required');
const optional = z
  .string()
  .optional()
  .transform((s) => (s === undefined || s === '' ? undefined : s));
const integer = (min: number, max: number) =>
  z
    .string()
    .regex(/^-?\d+$/, 'must be an integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
const optionalInteger = (min: number, max: number) => z.union([z.literal('').transform(() => undefined), integer(min, max)]).optional();
const flag = z.enum(['0', '1'], 'must be 0 or 1').transform((v) => v === '1');
const optionalFlag = z.union([z.literal('').transform(() => false), flag]).optional();
/** Decimal in major units; converted to minor units once the currency is known. */
const amount = z.string().regex(/^\d+(\.\d+)?$/, 'must be a non-negative decimal amount');
const currency = z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code');
const time = z
  .string()
  .regex(/^\d{1,2}:\d{2}:\d{2}$/, 'must be HH:MM:SS')
  .transform((s) => {
    const [h, m, sec] = s.split(':').map(Number);
    return h! * 3600 + m! * 60 + sec!;
  })
  .pipe(z.number().max(24 * 3600, 'must not pass 24:00:00'));

export const AgencyRow = z.object({ agency_timezone: id });
export const StopRow = z.object({ stop_id: id });
export const RouteRow = z.object({ route_id: id, network_id: optional });
export const NetworkRow = z.object({ network_id: id });
export const RouteNetworkRow = z.object({ network_id: id, route_id: id });
export const AreaRow = z.object({ area_id: id });
export const StopAreaRow = z.object({ area_id: id, stop_id: id });
export const RiderCategoryRow = z.object({ rider_category_id: id, is_default_fare_category: optionalFlag });
export const FareMediaRow = z.object({ fare_media_id: id, fare_media_type: integer(0, 4) });
export const FareProductRow = z.object({
  fare_product_id: id,
  rider_category_id: optional,
  fare_media_id: optional,
  amount,
  currency,
});
export const TimeframeRow = z.object({
  timeframe_group_id: id,
  start_time: z.union([z.literal('').transform(() => 0), time]).optional(),
  end_time: z.union([z.literal('').transform(() => 24 * 3600), time]).optional(),
});
export const FareLegRuleRow = z.object({
  leg_group_id: optional,
  network_id: optional,
  from_area_id: optional,
  to_area_id: optional,
  from_timeframe_group_id: optional,
  to_timeframe_group_id: optional,
  fare_product_id: id,
  rule_priority: optionalInteger(0, 1_000_000),
});
export const FareTransferRuleRow = z.object({
  from_leg_group_id: optional,
  to_leg_group_id: optional,
  transfer_count: optionalInteger(-1, 1_000),
  duration_limit: optionalInteger(1, 7 * 24 * 3600),
  duration_limit_type: optionalInteger(0, 3),
  fare_transfer_type: integer(0, 2),
  fare_product_id: optional,
});

// Extension files (docs/transit-fares.md).
const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export const FareCapRow = z.object({
  cap_id: id,
  cap_period: z.enum(['day', 'week'], 'must be day or week'),
  network_id: optional,
  rider_category_id: optional,
  amount,
  currency,
  week_start_day: z
    .union([
      z.literal('').transform(() => 1),
      z.enum(WEEKDAYS, 'must be a weekday name in lower case').transform((d) => WEEKDAYS.indexOf(d) + 1),
    ])
    .optional(),
});
export const FareRulesExtRow = z.object({
  network_id: id,
  tap_off_required: flag,
  max_journey_minutes: optionalInteger(1, 24 * 60),
  max_fare_product_id: optional,
  auto_complete_within_minutes: optionalInteger(1, 72 * 60),
});
export const StopNetworkRow = z.object({ stop_id: id, network_id: id });
