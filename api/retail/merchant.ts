import type { Request } from 'express';
import { z } from 'zod';
import type { SqlRunner } from '../../db/repositories/slots';
import { DomainError, ErrorCode } from '../../domain/errors';
import { MembershipSettings } from '../../domain/retail/membershipSettings';
import { requireInstitution } from '../auth/principal';

const DEFAULT_POLL_SECONDS = [2, 3, 5, 5, 5, 5, 5];

/** A merchant's retail settings (institutions.settings.retail), with the platform's defaults. */
export const RetailSettings = z.object({
  districtId: z.string().optional(),
  refundWindowSeconds: z
    .number()
    .int()
    .min(0)
    .max(90 * 86_400)
    .default(7 * 86_400),
  pointsPerMajor: z.number().min(0).max(100).default(1),
  categoryMultipliers: z.record(z.string(), z.number().min(0).max(100)).default({}),
  perVisit: z.number().int().min(0).max(10_000).default(0),
  /** Points as a discount at the till: minor units per point, and at most this share of what coupons left. */
  redemption: z
    .object({ minorPerPoint: z.number().int().min(1).max(10_000), maxShare: z.number().min(0).max(1) })
    .default({ minorPerPoint: 1, maxShare: 0.5 }),
  /** After USERPAYING: waits before each query (seconds); the trade is cancelled after the last. */
  userPayingPollSeconds: z.array(z.number().int().min(1).max(60)).min(1).max(20).default(DEFAULT_POLL_SECONDS),
  /** Member cards: tiers by spend over a period, points expiry (domain/retail/membershipSettings.ts). */
  membership: MembershipSettings.default(MembershipSettings.parse({})),
});
export type RetailSettings = z.infer<typeof RetailSettings>;

const Row = z.object({
  id: z.string(),
  kind: z.enum(['merchant', 'district']),
  time_zone: z.string(),
  settings: z.object({ retail: RetailSettings.optional() }).loose(),
});

export interface RetailInstitution {
  id: string;
  kind: 'merchant' | 'district';
  timeZone: string;
  retail: RetailSettings;
}

export async function readRetailInstitution(db: SqlRunner, id: string): Promise<RetailInstitution | undefined> {
  const row = z
    .array(Row)
    .parse(
      await db.query(`SELECT id, kind, time_zone, settings FROM institutions WHERE id = $1 AND kind IN ('merchant', 'district')`, [id]),
    )[0];
  return row ? { id: row.id, kind: row.kind, timeZone: row.time_zone, retail: row.settings.retail ?? RetailSettings.parse({}) } : undefined;
}

/** The merchant (or district) a signed route names, when the signer is it (403) and it exists (404). */
export async function ownRetailInstitution(db: SqlRunner, req: Request, id: string, refusal: string): Promise<RetailInstitution> {
  const { institutionId } = requireInstitution(req);
  if (institutionId !== id) throw new DomainError(ErrorCode.Forbidden, refusal);
  const found = await readRetailInstitution(db, id);
  if (!found) throw new DomainError(ErrorCode.NotFound, `no merchant or district ${id}`);
  return found;
}
