import { createHash } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';
import { isCalendarDay } from '../../domain/hospital/serviceDay';
import type { FareModel } from '../../domain/transit/fares';
import { transitServiceDayOf } from '../../domain/transit/serviceDay';
import { buildFareModel, type FeedFiles } from '../../integrations/transit/gtfs';
import { feedRejected } from '../../integrations/transit/gtfs/problems';
import { readTransitOperator } from './transitOperators';

/**
 * An operator's GTFS feed versions. A feed is stored as its files and applies from a service day on;
 * for any day the newest version whose day has come is the one that prices it. A version may not
 * start before the operator's current service day, so a day already over (and perhaps settled) is
 * never re-priced by a later upload.
 */

export interface StoredFeedVersion {
  operatorId: string;
  version: number;
  effectiveFrom: string;
  /** False when the same files were already stored for that day (the upload is repeated). */
  created: boolean;
}

const FilesJson = z.record(z.string(), z.string());
const VersionRow = z.object({ version: z.coerce.number().int() });

function digestOf(files: Readonly<Record<string, string>>): string {
  const h = createHash('sha256');
  for (const name of Object.keys(files).sort()) h.update(`${name}\u0000${files[name]}\u0000`);
  return h.digest('hex');
}

export async function storeFeedVersion(
  db: DataSource,
  input: { operatorId: string; files: Readonly<Record<string, string>>; effectiveFrom: string; now?: number },
): Promise<StoredFeedVersion> {
  const operator = await readTransitOperator(db, input.operatorId);
  if (!isCalendarDay(input.effectiveFrom))
    throw new DomainError(ErrorCode.ValidationFailed, 'effectiveFrom is not a calendar day', {
      fields: [{ field: 'effectiveFrom', message: 'expected YYYY-MM-DD' }],
    });
  const today = transitServiceDayOf(input.now ?? Date.now(), operator.timeZone, operator.serviceDayStart);
  if (input.effectiveFrom < today)
    throw new DomainError(ErrorCode.ValidationFailed, `a feed cannot apply before the current service day ${today}`, {
      fields: [{ field: 'effectiveFrom', message: `must be ${today} or later: earlier days may be settled` }],
    });
  const model = buildFareModel(input.files); // throws with every problem named
  if (model.timeZone !== operator.timeZone)
    throw feedRejected([
      { file: 'agency.txt', line: 2, field: 'agency_timezone', message: `the operator's time zone is ${operator.timeZone}` },
    ]);
  const sha256 = digestOf(input.files);
  return db.transaction(async (tx) => {
    // One upload at a time per operator: versions are numbered without gaps.
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('transit-feed:' || $1))`, [input.operatorId]);
    const same: unknown[] = await tx.query(
      'SELECT version FROM transit_feed_versions WHERE operator_id = $1 AND sha256 = $2 AND effective_from = $3',
      [input.operatorId, sha256, input.effectiveFrom],
    );
    if (same[0]) return { ...base(input), version: VersionRow.parse(same[0]).version, created: false };
    const inserted: unknown[] = await tx.query(
      `INSERT INTO transit_feed_versions (operator_id, version, effective_from, sha256, files)
       SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $3, $4::jsonb FROM transit_feed_versions WHERE operator_id = $1
       RETURNING version`,
      [input.operatorId, input.effectiveFrom, sha256, JSON.stringify(input.files)],
    );
    return { ...base(input), version: VersionRow.parse(inserted[0]).version, created: true };
  });
}

function base(input: { operatorId: string; effectiveFrom: string }) {
  return { operatorId: input.operatorId, effectiveFrom: input.effectiveFrom };
}

/** The version that prices `serviceDay`, or null when the operator had no feed yet for that day. */
export async function effectiveFeedVersion(db: Pick<DataSource, 'query'>, operatorId: string, serviceDay: string): Promise<number | null> {
  const rows: unknown[] = await db.query(
    'SELECT version FROM transit_feed_versions WHERE operator_id = $1 AND effective_from <= $2 ORDER BY version DESC LIMIT 1',
    [operatorId, serviceDay],
  );
  return rows[0] ? VersionRow.parse(rows[0]).version : null;
}

/** One stored version's fare model, rebuilt through the loader (so stored JSON is parsed, not cast). */
export async function loadFeedModel(db: Pick<DataSource, 'query'>, operatorId: string, version: number): Promise<FareModel> {
  const rows: Array<{ files: unknown }> = await db.query(
    'SELECT files FROM transit_feed_versions WHERE operator_id = $1 AND version = $2',
    [operatorId, version],
  );
  if (!rows[0]) throw new DomainError(ErrorCode.NotFound, `no feed version ${version} for ${operatorId}`);
  const files: FeedFiles = FilesJson.parse(rows[0].files);
  return buildFareModel(files);
}
