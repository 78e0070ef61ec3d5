import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';
import { DEFAULT_SERVICE_DAY_START } from '../../domain/transit/serviceDay';

/** A transit operator's clock: its zone and when its service day starts (`settings.serviceDayStart`). */
export interface TransitOperator {
  id: string;
  timeZone: string;
  serviceDayStart: string;
}

const Settings = z
  .object({
    serviceDayStart: z
      .string()
      .regex(/^([01]\d|2[0-3]):[0-5]\d$/)
      .default(DEFAULT_SERVICE_DAY_START),
  })
  .loose();
const Row = z.object({ id: z.string(), time_zone: z.string(), settings: z.unknown() });

/** The operator, or NotFound when no institution of kind `transit` has that id. */
export async function readTransitOperator(db: Pick<DataSource, 'query'>, operatorId: string): Promise<TransitOperator> {
  const rows: unknown[] = await db.query(`SELECT id, time_zone, settings FROM institutions WHERE id = $1 AND kind = 'transit'`, [
    operatorId,
  ]);
  if (!rows[0]) throw new DomainError(ErrorCode.NotFound, `no transit operator ${operatorId}`);
  const row = Row.parse(rows[0]);
  return { id: row.id, timeZone: row.time_zone, serviceDayStart: Settings.parse(row.settings ?? {}).serviceDayStart };
}

/** The same, read at most every `ttlMs`: every tap batch and trips read needs it, and it rarely changes. */
export function transitOperatorCache(db: Pick<DataSource, 'query'>, ttlMs = 5_000) {
  const cache = new Map<string, { at: number; value: Promise<TransitOperator> }>();
  return (operatorId: string): Promise<TransitOperator> => {
    const hit = cache.get(operatorId);
    if (hit && Date.now() - hit.at < ttlMs) return hit.value;
    const value = readTransitOperator(db, operatorId);
    cache.set(operatorId, { at: Date.now(), value });
    value.catch(() => cache.delete(operatorId)); // an unknown operator is not remembered
    return value;
  };
}
