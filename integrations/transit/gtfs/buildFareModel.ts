import type { z } from 'zod';
import { isKnownCurrency, parseMajor } from '../../../domain/money';
import type { DurationLimitType, FareModel, FareTransferType } from '../../../domain/transit/fares';
import { readCsv, type Row } from './csv';
import { feedRejected, type FeedProblem } from './problems';
import * as S from './rowSchemas';

/**
 * Builds the fare engine's model from the text of a feed's files (file name → content). Pure: the
 * directory reader is loadFeed. Every problem in every file is collected first; a feed with any
 * problem is refused as a whole, because a half-loaded fare table would misprice riders silently.
 */

export type FeedFiles = Readonly<Record<string, string | undefined>>;

const DURATION_LIMIT_TYPES: DurationLimitType[] = [
  'departure_to_arrival',
  'departure_to_departure',
  'arrival_to_departure',
  'arrival_to_arrival',
];
const TRANSFER_TYPES: FareTransferType[] = ['a_plus_ab', 'a_plus_ab_plus_b', 'ab'];

export function buildFareModel(files: FeedFiles): FareModel {
  const problems: FeedProblem[] = [];
  const read = <T extends z.ZodType>(file: string, schema: T, columns: string[], required: boolean): Row<z.output<T>>[] => {
    const text = files[file];
    if (text === undefined) {
      if (required) problems.push({ file, line: 0, field: '', message: 'required file is missing' });
      return [];
    }
    return readCsv(file, text, schema as never, columns, problems);
  };
  const problem = (file: string, line: number, field: string, message: string) => problems.push({ file, line, field, message });

  const agencies = read('agency.txt', S.AgencyRow, ['agency_timezone'], true);
  const stops = read('stops.txt', S.StopRow, ['stop_id'], true);
  const routes = read('routes.txt', S.RouteRow, ['route_id'], true);
  const networks = read('networks.txt', S.NetworkRow, ['network_id'], false);
  const routeNetworks = read('route_networks.txt', S.RouteNetworkRow, ['network_id', 'route_id'], false);
  const areas = read('areas.txt', S.AreaRow, ['area_id'], false);
  const stopAreas = read('stop_areas.txt', S.StopAreaRow, ['area_id', 'stop_id'], false);
  const categories = read('rider_categories.txt', S.RiderCategoryRow, ['rider_category_id', 'is_default_fare_category'], false);
  const media = read('fare_media.txt', S.FareMediaRow, ['fare_media_id', 'fare_media_type'], false);
  const products = read('fare_products.txt', S.FareProductRow, ['fare_product_id', 'amount', 'currency'], true);
  const timeframes = read('timeframes.txt', S.TimeframeRow, ['timeframe_group_id', 'start_time', 'end_time', 'service_id'], false);
  const legRules = read('fare_leg_rules.txt', S.FareLegRuleRow, ['fare_product_id'], true);
  const transferRules = read('fare_transfer_rules.txt', S.FareTransferRuleRow, ['fare_transfer_type'], false);
  const caps = read('fare_caps.txt', S.FareCapRow, ['cap_id', 'cap_period', 'amount', 'currency'], false);
  const networkExt = read('fare_rules_ext.txt', S.FareRulesExtRow, ['network_id', 'tap_off_required'], false);
  const stopNetworks = read('stop_networks_ext.txt', S.StopNetworkRow, ['stop_id', 'network_id'], false);

  // The feed's own identifiers, for the cross-references below.
  const stopIds = new Set(stops.map((r) => r.value.stop_id));
  const routeIds = new Set(routes.map((r) => r.value.route_id));
  const networkIds = new Set([
    ...networks.map((r) => r.value.network_id),
    ...routes.flatMap((r) => (r.value.network_id ? [r.value.network_id] : [])),
  ]);
  const areaIds = new Set(areas.map((r) => r.value.area_id));
  const categoryIds = new Set(categories.map((r) => r.value.rider_category_id));
  const mediaIds = new Set(media.map((r) => r.value.fare_media_id));
  const productIds = new Set(products.map((r) => r.value.fare_product_id));
  const timeframeIds = new Set(timeframes.map((r) => r.value.timeframe_group_id));
  const legGroupIds = new Set(legRules.flatMap((r) => (r.value.leg_group_id ? [r.value.leg_group_id] : [])));
  const refersTo = (file: string, line: number, field: string, value: string | undefined, known: Set<string>, target: string) => {
    if (value !== undefined && !known.has(value)) problem(file, line, field, `${JSON.stringify(value)} is not in ${target}`);
  };

  // agency.txt: one time zone for the whole feed, since timeframes are read in it.
  const timeZone = agencies[0]?.value.agency_timezone ?? 'UTC';
  for (const { line, value } of agencies) {
    if (!validTimeZone(value.agency_timezone)) problem('agency.txt', line, 'agency_timezone', 'not an IANA time zone');
    else if (value.agency_timezone !== timeZone)
      problem('agency.txt', line, 'agency_timezone', 'every agency of one feed must share its time zone');
  }
  if (files['agency.txt'] !== undefined && agencies.length === 0) problem('agency.txt', 1, '', 'no agency');

  const routeNetwork: Record<string, string> = {};
  for (const { value } of routes) if (value.network_id) routeNetwork[value.route_id] = value.network_id;
  for (const { line, value } of routeNetworks) {
    refersTo('route_networks.txt', line, 'route_id', value.route_id, routeIds, 'routes.txt');
    refersTo('route_networks.txt', line, 'network_id', value.network_id, networkIds, 'networks.txt');
    if (routeNetwork[value.route_id] !== undefined) problem('route_networks.txt', line, 'route_id', 'route already has a network');
    routeNetwork[value.route_id] = value.network_id;
  }

  const stopArea: Record<string, string[]> = {};
  for (const { line, value } of stopAreas) {
    refersTo('stop_areas.txt', line, 'area_id', value.area_id, areaIds, 'areas.txt');
    refersTo('stop_areas.txt', line, 'stop_id', value.stop_id, stopIds, 'stops.txt');
    (stopArea[value.stop_id] ??= []).push(value.area_id);
  }

  if (categories.filter((r) => r.value.is_default_fare_category).length > 1) {
    for (const { line, value } of categories) {
      if (value.is_default_fare_category)
        problem('rider_categories.txt', line, 'is_default_fare_category', 'only one rider category may be the default');
    }
  }

  const currency = products[0]?.value.currency ?? 'XXX';
  const toMinor = (file: string, line: number, value: { amount: string; currency: string }): number | undefined => {
    if (!isKnownCurrency(value.currency)) return void problem(file, line, 'currency', `unknown currency ${value.currency}`);
    if (value.currency !== currency) return void problem(file, line, 'currency', `the feed's fares are in ${currency}`);
    try {
      return parseMajor(value.amount, value.currency);
    } catch (err) {
      return void problem(file, line, 'amount', (err as Error).message);
    }
  };

  const productPrices: FareModel['products'] = [];
  for (const { line, value } of products) {
    refersTo('fare_products.txt', line, 'rider_category_id', value.rider_category_id, categoryIds, 'rider_categories.txt');
    if (files['fare_media.txt'] !== undefined)
      refersTo('fare_products.txt', line, 'fare_media_id', value.fare_media_id, mediaIds, 'fare_media.txt');
    const amount = toMinor('fare_products.txt', line, value);
    if (amount === undefined) continue;
    productPrices.push({
      fareProductId: value.fare_product_id,
      ...(value.rider_category_id ? { riderCategoryId: value.rider_category_id } : {}),
      amount,
    });
  }

  const frames: FareModel['timeframes'] = [];
  for (const { line, value } of timeframes) {
    const startSeconds = value.start_time ?? 0;
    const endSeconds = value.end_time ?? 24 * 3600;
    if (startSeconds >= endSeconds) problem('timeframes.txt', line, 'end_time', 'must be after start_time');
    frames.push({ timeframeGroupId: value.timeframe_group_id, startSeconds, endSeconds });
  }

  const legs: FareModel['legRules'] = legRules.map(({ line, value }) => {
    const f = 'fare_leg_rules.txt';
    refersTo(f, line, 'network_id', value.network_id, networkIds, 'networks.txt or routes.txt');
    refersTo(f, line, 'from_area_id', value.from_area_id, areaIds, 'areas.txt');
    refersTo(f, line, 'to_area_id', value.to_area_id, areaIds, 'areas.txt');
    refersTo(f, line, 'from_timeframe_group_id', value.from_timeframe_group_id, timeframeIds, 'timeframes.txt');
    refersTo(f, line, 'to_timeframe_group_id', value.to_timeframe_group_id, timeframeIds, 'timeframes.txt');
    refersTo(f, line, 'fare_product_id', value.fare_product_id, productIds, 'fare_products.txt');
    return compact({
      ruleId: `${f}:${line}`,
      legGroupId: value.leg_group_id,
      networkId: value.network_id,
      fromAreaId: value.from_area_id,
      toAreaId: value.to_area_id,
      fromTimeframeGroupId: value.from_timeframe_group_id,
      toTimeframeGroupId: value.to_timeframe_group_id,
      fareProductId: value.fare_product_id,
      rulePriority: value.rule_priority ?? 0,
    });
  });

  const transfers: FareModel['transferRules'] = transferRules.map(({ line, value }) => {
    const f = 'fare_transfer_rules.txt';
    refersTo(f, line, 'from_leg_group_id', value.from_leg_group_id, legGroupIds, 'fare_leg_rules.txt');
    refersTo(f, line, 'to_leg_group_id', value.to_leg_group_id, legGroupIds, 'fare_leg_rules.txt');
    refersTo(f, line, 'fare_product_id', value.fare_product_id, productIds, 'fare_products.txt');
    const sameGroup = value.from_leg_group_id !== undefined && value.from_leg_group_id === value.to_leg_group_id;
    if (sameGroup && value.transfer_count === undefined)
      problem(f, line, 'transfer_count', 'required when from and to leg groups are equal');
    if (!sameGroup && value.transfer_count !== undefined)
      problem(f, line, 'transfer_count', 'forbidden unless from and to leg groups are equal');
    if (value.transfer_count === 0) problem(f, line, 'transfer_count', 'must be -1 or at least 1');
    if ((value.duration_limit === undefined) !== (value.duration_limit_type === undefined)) {
      problem(f, line, 'duration_limit_type', 'required with duration_limit and forbidden without it');
    }
    return compact({
      ruleId: `${f}:${line}`,
      fromLegGroupId: value.from_leg_group_id,
      toLegGroupId: value.to_leg_group_id,
      transferCount: value.transfer_count,
      durationLimitSeconds: value.duration_limit,
      durationLimitType: value.duration_limit_type === undefined ? undefined : DURATION_LIMIT_TYPES[value.duration_limit_type],
      fareTransferType: TRANSFER_TYPES[value.fare_transfer_type]!,
      fareProductId: value.fare_product_id,
    });
  });

  const capIds = new Set<string>();
  const fareCaps: FareModel['caps'] = [];
  for (const { line, value } of caps) {
    const f = 'fare_caps.txt';
    if (capIds.has(value.cap_id)) problem(f, line, 'cap_id', 'duplicate cap_id');
    capIds.add(value.cap_id);
    refersTo(f, line, 'network_id', value.network_id, networkIds, 'networks.txt or routes.txt');
    refersTo(f, line, 'rider_category_id', value.rider_category_id, categoryIds, 'rider_categories.txt');
    const amount = toMinor(f, line, value);
    if (amount === undefined) continue;
    fareCaps.push(
      compact({
        capId: value.cap_id,
        period: value.cap_period,
        networkId: value.network_id,
        riderCategoryId: value.rider_category_id,
        amount,
        weekStartDay: value.week_start_day ?? 1,
      }),
    );
  }

  const networkRules: FareModel['networkRules'] = networkExt.map(({ line, value }) => {
    const f = 'fare_rules_ext.txt';
    refersTo(f, line, 'network_id', value.network_id, networkIds, 'networks.txt or routes.txt');
    refersTo(f, line, 'max_fare_product_id', value.max_fare_product_id, productIds, 'fare_products.txt');
    if (value.tap_off_required && value.max_journey_minutes === undefined)
      problem(f, line, 'max_journey_minutes', 'required when tap_off_required is 1');
    if (!value.tap_off_required && value.auto_complete_within_minutes !== undefined) {
      problem(f, line, 'auto_complete_within_minutes', 'only a network that requires tap-off can auto-complete');
    }
    return compact({
      networkId: value.network_id,
      tapOffRequired: value.tap_off_required,
      maxJourneySeconds: (value.max_journey_minutes ?? 0) * 60,
      maxFareProductId: value.max_fare_product_id,
      autoCompleteWithinSeconds: value.auto_complete_within_minutes === undefined ? undefined : value.auto_complete_within_minutes * 60,
    });
  });

  const stopNetwork: Record<string, string> = {};
  for (const { line, value } of stopNetworks) {
    refersTo('stop_networks_ext.txt', line, 'stop_id', value.stop_id, stopIds, 'stops.txt');
    refersTo('stop_networks_ext.txt', line, 'network_id', value.network_id, networkIds, 'networks.txt or routes.txt');
    stopNetwork[value.stop_id] = value.network_id;
  }

  if (problems.length > 0) throw feedRejected(problems);
  return {
    currency,
    timeZone,
    products: productPrices,
    riderCategories: categories.map(({ value }) => ({
      riderCategoryId: value.rider_category_id,
      isDefault: value.is_default_fare_category ?? false,
    })),
    stopAreas: stopArea,
    routeNetworks: routeNetwork,
    stopNetworks: stopNetwork,
    timeframes: frames,
    legRules: legs,
    transferRules: transfers,
    caps: fareCaps,
    networkRules,
  };
}

function validTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** Drops undefined optional fields, so a model from the feed equals one written by hand. */
function compact<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
