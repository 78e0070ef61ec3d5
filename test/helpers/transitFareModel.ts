import type { FareModel } from '../../domain/transit/fares';

/**
 * The Metroville sample operator, written out by hand. It is exactly what the feed in
 * test/fixtures/gtfs/metroville loads into (the loader test checks that), so the fare engine tests
 * and the demo price the same rules.
 *
 * Metro (gated, tap-off required): 5.00 across zones, 3.00 within one, 2.50 within zone 1 off-peak;
 * bus 2.00 flat, 1.00 within 90 min of a metro leg's departure. Caps: 15.00 a day (8.00 for students),
 * 60.00 a week from Monday. An incomplete metro journey costs the 9.00 maximum fare.
 */
export const metroville: FareModel = {
  currency: 'CNY',
  timeZone: 'Asia/Shanghai',
  products: [
    { fareProductId: 'metro_cross_zone', amount: 500 },
    { fareProductId: 'metro_cross_zone', riderCategoryId: 'student', amount: 250 },
    { fareProductId: 'metro_one_zone', amount: 300 },
    { fareProductId: 'metro_one_zone', riderCategoryId: 'student', amount: 150 },
    { fareProductId: 'metro_off_peak', amount: 250 },
    { fareProductId: 'bus_flat', amount: 200 },
    { fareProductId: 'bus_flat', riderCategoryId: 'student', amount: 100 },
    { fareProductId: 'bus_after_metro', amount: 100 },
    { fareProductId: 'bus_after_metro', riderCategoryId: 'student', amount: 50 },
    { fareProductId: 'metro_max_fare', amount: 900 },
  ],
  riderCategories: [
    { riderCategoryId: 'adult', isDefault: true },
    { riderCategoryId: 'student', isDefault: false },
  ],
  stopAreas: { M1: ['zone1'], M2: ['zone1'], M3: ['zone2'], M4: ['zone2'] },
  routeNetworks: { L1: 'metro', R10: 'bus', R20: 'bus' },
  stopNetworks: { M1: 'metro', M2: 'metro', M3: 'metro', M4: 'metro' },
  timeframes: [
    { timeframeGroupId: 'off_peak', startSeconds: 10 * 3600, endSeconds: 16 * 3600 },
    { timeframeGroupId: 'off_peak', startSeconds: 20 * 3600, endSeconds: 24 * 3600 },
  ],
  legRules: [
    { ruleId: 'fare_leg_rules.txt:2', legGroupId: 'metro', networkId: 'metro', fareProductId: 'metro_cross_zone', rulePriority: 0 },
    {
      ruleId: 'fare_leg_rules.txt:3',
      legGroupId: 'metro',
      networkId: 'metro',
      fromAreaId: 'zone1',
      toAreaId: 'zone1',
      fareProductId: 'metro_one_zone',
      rulePriority: 1,
    },
    {
      ruleId: 'fare_leg_rules.txt:4',
      legGroupId: 'metro',
      networkId: 'metro',
      fromAreaId: 'zone2',
      toAreaId: 'zone2',
      fareProductId: 'metro_one_zone',
      rulePriority: 1,
    },
    {
      ruleId: 'fare_leg_rules.txt:5',
      legGroupId: 'metro',
      networkId: 'metro',
      fromAreaId: 'zone1',
      toAreaId: 'zone1',
      fromTimeframeGroupId: 'off_peak',
      fareProductId: 'metro_off_peak',
      rulePriority: 2,
    },
    { ruleId: 'fare_leg_rules.txt:6', legGroupId: 'bus', networkId: 'bus', fareProductId: 'bus_flat', rulePriority: 0 },
  ],
  transferRules: [
    {
      ruleId: 'fare_transfer_rules.txt:2',
      fromLegGroupId: 'metro',
      toLegGroupId: 'bus',
      durationLimitSeconds: 5400,
      durationLimitType: 'departure_to_departure',
      fareTransferType: 'a_plus_ab',
      fareProductId: 'bus_after_metro',
    },
  ],
  caps: [
    { capId: 'daily', period: 'day', amount: 1500, weekStartDay: 1 },
    { capId: 'daily_student', period: 'day', riderCategoryId: 'student', amount: 800, weekStartDay: 1 },
    { capId: 'weekly', period: 'week', amount: 6000, weekStartDay: 1 },
  ],
  networkRules: [
    { networkId: 'metro', tapOffRequired: true, maxJourneySeconds: 3 * 3600, maxFareProductId: 'metro_max_fare' },
    { networkId: 'bus', tapOffRequired: false, maxJourneySeconds: 0 },
  ],
};
