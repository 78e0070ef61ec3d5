import { z } from 'zod';
import type { TierPolicy } from './tiers';

/**
 * A programme's membership settings (institutions.settings.retail.membership, a merchant's or a
 * district's): the tier period and thresholds, and how long points stay available.
 */
export const MembershipSettings = z.object({
  period: z
    .discriminatedUnion('kind', [
      z.object({ kind: z.literal('rolling'), days: z.number().int().min(1).max(730) }),
      z.object({ kind: z.literal('calendar_year') }),
    ])
    .default({ kind: 'calendar_year' }),
  tiers: z
    .array(
      z.object({
        name: z.string().regex(/^[a-z0-9_-]{1,32}$/),
        minSpendMinor: z.number().int().min(0).max(1_000_000_000),
      }),
    )
    .max(10)
    .refine((ts) => new Set(ts.map((t) => t.name)).size === ts.length, 'tier names must be distinct')
    .default([]),
  /** Points expire this many days after they became available; absent: never. */
  pointsExpireAfterDays: z.number().int().min(1).max(3_650).optional(),
});
export type MembershipSettings = z.infer<typeof MembershipSettings>;

export const DEFAULT_MEMBERSHIP: MembershipSettings = MembershipSettings.parse({});

export const tierPolicyOf = (m: MembershipSettings): TierPolicy => ({ period: m.period, tiers: m.tiers });
