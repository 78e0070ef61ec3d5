import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { effectiveFeedVersion, loadFeedModel, storeFeedVersion } from '../../db/repositories/transitFeeds';
import { DomainError } from '../../domain/errors';
import { addDays } from '../../domain/hospital/serviceDay';
import { transitServiceDayOf } from '../../domain/transit/serviceDay';
import { readFeedFiles } from '../../integrations/transit/gtfs';
import { openTestDb } from '../helpers/db';
import { metroville } from '../helpers/transitFareModel';
import { createTestTransitOperator, METROVILLE_FEED, METROVILLE_ZONE, storeMetrovilleFeed } from '../helpers/transitFactories';

/** Operator feed versions in PostgreSQL: refused with every problem named, applied from a day on, never back-dated. */
let db: DataSource;
let files: Record<string, string>;
const TODAY = transitServiceDayOf(Date.now(), METROVILLE_ZONE);

beforeAll(async () => {
  db = await openTestDb(2);
  files = await readFeedFiles(METROVILLE_FEED);
});
afterAll(async () => {
  await db?.destroy();
});

async function refusal(p: Promise<unknown>): Promise<DomainError> {
  const err: unknown = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

describe('transit feed versions', () => {
  it('stores a feed from a day on; the newest version whose day has come prices a day', async () => {
    const op = await createTestTransitOperator(db, (s) => s);
    const v1 = await storeFeedVersion(db, { operatorId: op.id, files, effectiveFrom: TODAY });
    expect(v1).toEqual({ operatorId: op.id, version: 1, effectiveFrom: TODAY, created: true });
    // The same files for the same day again: nothing new.
    expect(await storeFeedVersion(db, { operatorId: op.id, files, effectiveFrom: TODAY })).toMatchObject({ version: 1, created: false });

    const cheaper = { ...files, 'fare_caps.txt': files['fare_caps.txt']!.replace('15.00', '12.00') };
    const tomorrow = addDays(TODAY, 1);
    expect(await storeFeedVersion(db, { operatorId: op.id, files: cheaper, effectiveFrom: tomorrow })).toMatchObject({ version: 2 });

    expect(await effectiveFeedVersion(db, op.id, addDays(TODAY, -1))).toBeNull();
    expect(await effectiveFeedVersion(db, op.id, TODAY)).toBe(1);
    expect(await effectiveFeedVersion(db, op.id, tomorrow)).toBe(2);
    expect(await loadFeedModel(db, op.id, 1)).toEqual(metroville);
    expect((await loadFeedModel(db, op.id, 2)).caps.find((c) => c.capId === 'daily')?.amount).toBe(1200);
  });

  it('never applies a feed to a day already begun before the upload', async () => {
    const op = await createTestTransitOperator(db, (s) => s);
    const err = await refusal(storeFeedVersion(db, { operatorId: op.id, files, effectiveFrom: addDays(TODAY, -1) }));
    expect(err.details.fields?.map((f) => f.field)).toEqual(['effectiveFrom']);
    const notADay = await refusal(storeFeedVersion(db, { operatorId: op.id, files, effectiveFrom: '2026-02-30' }));
    expect(notADay.details.fields?.map((f) => f.field)).toEqual(['effectiveFrom']);
  });

  it('refuses a bad feed with every problem named, and one written for another time zone', async () => {
    const op = await createTestTransitOperator(db, (s) => s);
    const bad = { ...files, 'fare_products.txt': `${files['fare_products.txt']}x,X,,ride_code,abc,CNY\n` };
    delete (bad as Record<string, string | undefined>)['stops.txt'];
    const err = await refusal(storeFeedVersion(db, { operatorId: op.id, files: bad, effectiveFrom: TODAY }));
    expect(err.details.fields?.map((f) => f.field)).toEqual(
      expect.arrayContaining(['stops.txt:0:', expect.stringMatching(/^fare_products\.txt:\d+:amount$/)]),
    );
    const london = await createTestTransitOperator(db, (s) => s, { timeZone: 'Europe/London' });
    const zone = await refusal(storeFeedVersion(db, { operatorId: london.id, files, effectiveFrom: addDays(TODAY, 1) }));
    expect(zone.details.fields).toEqual([{ field: 'agency.txt:2:agency_timezone', message: "the operator's time zone is Europe/London" }]);
    const rows: unknown[] = await db.query('SELECT 1 FROM transit_feed_versions WHERE operator_id = ANY($1::text[])', [[op.id, london.id]]);
    expect(rows).toHaveLength(0);
  });

  it('refuses an institution that is not a transit operator', async () => {
    const err = await refusal(storeFeedVersion(db, { operatorId: 'no-such-operator', files, effectiveFrom: TODAY }));
    expect(err.code).toBe('not_found');
  });

  it('loads a feed through the script, printing every problem of a refused one', async () => {
    const op = await createTestTransitOperator(db, (s) => s);
    // The built script, as `npm run transit:feed` runs it (npm test builds first).
    const script = path.join(__dirname, '..', '..', 'dist', 'scripts', 'transit-feed.js');
    if (!existsSync(script)) throw new Error('dist/scripts/transit-feed.js missing: run `npm run build` (npm test does)');
    const run = (dir: string, day: string) =>
      spawnSync(process.execPath, [script, op.id, dir, day], {
        env: { ...process.env, DATABASE_URL: process.env.DATABASE_URL },
        encoding: 'utf8',
      });
    const ok = run(METROVILLE_FEED, TODAY);
    expect(ok.stdout).toContain(`stored: ${op.id} feed version 1 from ${TODAY}`);
    const refused = run(path.join(METROVILLE_FEED, '..'), TODAY);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('agency.txt:0:');
    await storeMetrovilleFeed(db, op.id, addDays(TODAY, 2)); // the factory's path still stores
  });
});
