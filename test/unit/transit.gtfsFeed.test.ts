import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DomainError } from '../../domain/errors';
import { buildFareModel, loadFeed, type FeedProblem } from '../../integrations/transit/gtfs';
import { metroville } from '../helpers/transitFareModel';

const DIR = path.join(__dirname, '../fixtures/gtfs/metroville');
const fixture = (): Record<string, string> =>
  Object.fromEntries(readdirSync(DIR).map((name) => [name, readFileSync(path.join(DIR, name), 'utf8')]));

function problemsOf(files: Record<string, string | undefined>): FeedProblem[] {
  try {
    buildFareModel(files);
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return (err as DomainError).details.problems as FeedProblem[];
  }
  throw new Error('the feed was accepted');
}

describe('GTFS-Fares v2 feed loader', () => {
  it('loads the Metroville sample feed into exactly the hand-written model', async () => {
    await expect(loadFeed(DIR)).resolves.toEqual(metroville);
  });

  it('refuses a bad feed naming every problem by file, line and field', () => {
    const files = fixture();
    files['fare_products.txt'] += 'metro_night,Night,,ride_code,4.005,CNY\nmetro_night,Night,pensioner,ride_code,4.00,USD\n';
    files['fare_leg_rules.txt'] += 'metro,metro,zone9,,peak,,metro_nope,high\n';
    files['fare_transfer_rules.txt'] += 'bus,bus,,600,,0,\n';
    files['timeframes.txt'] += 'peak,09:00:00,08:00:00,all_days\n';
    files['fare_caps.txt'] += 'daily,fortnight,,,15.00,CNY,someday\n';
    files['fare_rules_ext.txt'] = 'network_id,tap_off_required\nmetro,yes\n';
    files['stop_areas.txt'] += 'zone1,M9\n';
    files['rider_categories.txt'] += 'senior,Senior,1,\n';
    delete files['agency.txt'];
    expect(problemsOf(files)).toEqual(
      expect.arrayContaining([
        { file: 'agency.txt', line: 0, field: '', message: 'required file is missing' },
        { file: 'fare_products.txt', line: 12, field: 'amount', message: 'CNY allows at most 2 decimal places' },
        { file: 'fare_products.txt', line: 13, field: 'rider_category_id', message: '"pensioner" is not in rider_categories.txt' },
        { file: 'fare_products.txt', line: 13, field: 'currency', message: "the feed's fares are in CNY" },
        { file: 'fare_leg_rules.txt', line: 7, field: 'rule_priority', message: expect.any(String) },
        { file: 'fare_transfer_rules.txt', line: 3, field: 'transfer_count', message: 'required when from and to leg groups are equal' },
        {
          file: 'fare_transfer_rules.txt',
          line: 3,
          field: 'duration_limit_type',
          message: 'required with duration_limit and forbidden without it',
        },
        { file: 'timeframes.txt', line: 4, field: 'end_time', message: 'must be after start_time' },
        { file: 'fare_caps.txt', line: 5, field: 'cap_period', message: 'must be day or week' },
        { file: 'fare_caps.txt', line: 5, field: 'week_start_day', message: expect.any(String) },
        { file: 'fare_rules_ext.txt', line: 2, field: 'tap_off_required', message: 'must be 0 or 1' },
        { file: 'stop_areas.txt', line: 6, field: 'stop_id', message: '"M9" is not in stops.txt' },
        { file: 'rider_categories.txt', line: 2, field: 'is_default_fare_category', message: 'only one rider category may be the default' },
        { file: 'rider_categories.txt', line: 4, field: 'is_default_fare_category', message: 'only one rider category may be the default' },
      ]),
    );
  });

  it('names broken cross-references of a row that parses', () => {
    const files = fixture();
    files['fare_leg_rules.txt'] += 'metro,metro,zone9,,peak,,metro_nope,3\n';
    expect(problemsOf(files)).toEqual([
      { file: 'fare_leg_rules.txt', line: 7, field: 'from_area_id', message: '"zone9" is not in areas.txt' },
      { file: 'fare_leg_rules.txt', line: 7, field: 'from_timeframe_group_id', message: '"peak" is not in timeframes.txt' },
      { file: 'fare_leg_rules.txt', line: 7, field: 'fare_product_id', message: '"metro_nope" is not in fare_products.txt' },
    ]);
  });

  it('names a missing column once, a short row, and broken CSV quoting', () => {
    const files = fixture();
    files['stops.txt'] = 'stop_name\nCentral\n';
    files['routes.txt'] += 'R30,MV\n';
    files['networks.txt'] = 'network_id,network_name\n"metro,Metro\n';
    expect(problemsOf(files)).toEqual(
      expect.arrayContaining([
        { file: 'stops.txt', line: 1, field: 'stop_id', message: 'required column is missing' },
        { file: 'routes.txt', line: 5, field: '', message: 'expected 4 fields, found 2' },
        { file: 'networks.txt', line: 2, field: '', message: expect.stringContaining('not valid CSV') },
      ]),
    );
  });

  it('refuses an unknown time zone and a foreign currency in a cap', () => {
    const files = fixture();
    files['agency.txt'] = 'agency_id,agency_name,agency_url,agency_timezone\nMV,Metroville,https://x.example,Mars/Olympus\n';
    files['fare_caps.txt'] += 'weekly_usd,week,,,10.00,USD,monday\n';
    expect(problemsOf(files)).toEqual([
      { file: 'agency.txt', line: 2, field: 'agency_timezone', message: 'not an IANA time zone' },
      { file: 'fare_caps.txt', line: 5, field: 'currency', message: "the feed's fares are in CNY" },
    ]);
  });
});
