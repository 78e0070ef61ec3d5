import type { DataSource } from 'typeorm';
import { addDays, instantOfLocalTime } from '../../domain/hospital/serviceDay';
import type { SqlRunner } from '../../db/repositories/slots';
import { storeFeedVersion } from '../../db/repositories/transitFeeds';
import { transitServiceDayOf } from '../../domain/transit/serviceDay';
import { readFeedFiles } from '../../integrations/transit/gtfs';
import { ensureOperatorKeys, type SecretCipher } from '../../db/repositories/transitIssuerKeys';

export const DEMO_TRANSIT_OPERATOR_ID = 'metroville';
/** Metroville's time zone: its service days run 04:30 to 04:29 there. */
export const DEMO_TRANSIT_ZONE = 'Asia/Shanghai';
/** The operator's published fares (GTFS + GTFS-Fares v2 and our capping extension), relative to the repository. */
export const DEMO_TRANSIT_FEED_DIR = 'test/fixtures/gtfs/metroville';

export interface TransitOperatorSeed {
  id: string;
  name: string;
  timeZone: string;
  /** The institution's HMAC secret for signed requests (AFC tap batches, key-set fetches). */
  secret: string;
  /** Local time the service day starts (TfL and most metros: 04:30). */
  serviceDayStart?: string;
  feedDir?: string;
}

/**
 * A transit operator: an institution of kind `transit` with its time zone, service-day boundary and
 * fare feed in settings, and its signing keys (a root for its gates, an issuer for credentials),
 * generated once and stored encrypted. Idempotent: keys already there are kept.
 */
export async function seedTransitOperator(db: SqlRunner, cipher: SecretCipher, op: TransitOperatorSeed): Promise<void> {
  await db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, settings)
     VALUES ($1, 'transit', $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, time_zone = EXCLUDED.time_zone, settings = EXCLUDED.settings`,
    [
      op.id,
      op.name,
      op.timeZone,
      cipher.encrypt(op.secret),
      JSON.stringify({ serviceDayStart: op.serviceDayStart ?? '04:30', fareFeedDir: op.feedDir ?? DEMO_TRANSIT_FEED_DIR }),
    ],
  );
  await ensureOperatorKeys(db, cipher, op.id);
}

/**
 * The operator's fares, the first time only, as published a week ago (so the demo's earlier days are
 * priced): a feed never applies to a day already over when it is stored, so it is stored as of then.
 */
export async function seedTransitFeed(db: DataSource, op: { id: string; timeZone: string; feedDir?: string }): Promise<void> {
  const feeds: unknown[] = await db.query('SELECT 1 FROM transit_feed_versions WHERE operator_id = $1 LIMIT 1', [op.id]);
  if (feeds.length > 0) return;
  const effectiveFrom = addDays(transitServiceDayOf(Date.now(), op.timeZone), -7);
  await storeFeedVersion(db, {
    operatorId: op.id,
    files: await readFeedFiles(op.feedDir ?? DEMO_TRANSIT_FEED_DIR),
    effectiveFrom,
    now: instantOfLocalTime(effectiveFrom, '12:00', op.timeZone).getTime(),
  });
}
