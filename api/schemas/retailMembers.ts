import { z } from 'zod';

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '1-64 letters, digits, _ or -');
const Cursor = z
  .string()
  .regex(/^\d{1,18}$/, 'a cursor from a previous page')
  .optional();

export const ProgrammeParam = z.object({ programId: Id });

export const CardView = z
  .object({
    cardId: z.string(),
    scope: z.enum(['merchant', 'district']),
    /** The merchant or district. */
    programId: z.string(),
    joinedAt: z.string(),
    joinedVia: z.string(),
    tier: z.string().nullable(),
    /** Spend counted for the tier in the current period, in minor units. */
    periodSpend: z.number().int(),
    points: z.object({ pending: z.number().int(), available: z.number().int() }),
  })
  .meta({ id: 'MemberCard' });

export const JoinAnswer = z.object({ card: CardView, created: z.boolean() }).meta({ id: 'MemberCardJoined' });
export const MyCards = z.object({ cards: z.array(CardView) }).meta({ id: 'MyMemberCards' });

export const PointsHistoryQuery = z.object({
  program: Id,
  cursor: Cursor,
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
export const PointsHistoryPage = z
  .object({
    program: z.string(),
    movements: z.array(
      z.object({
        kind: z.string(),
        pending: z.number().int(),
        available: z.number().int(),
        orderRef: z.string().nullable(),
        at: z.string(),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'PointsHistoryPage' });

export const MembersQuery = z.object({
  cursor: Cursor,
  limit: z.coerce.number().int().min(1).max(100).default(20),
  tier: z
    .string()
    .regex(/^[a-z0-9_-]{1,32}$/)
    .optional(),
});
export const MembersPage = z
  .object({
    members: z.array(
      z.object({
        cardId: z.string(),
        /** Masked: the family name (or first word) only. */
        name: z.string().describe('masked'),
        /** Masked: the first three and last four digits. */
        phone: z.string().describe('masked'),
        joinedAt: z.string(),
        joinedVia: z.string(),
        tier: z.string().nullable(),
        periodSpend: z.number().int(),
        /** Merchants the card's spend came from (a district's card: the merchants bought at). */
        merchants: z.number().int(),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .meta({ id: 'MembersPage' });

export const TierCounts = z
  .object({ tiers: z.array(z.object({ tier: z.string().nullable(), members: z.number().int() })) })
  .meta({ id: 'MemberTierCounts' });
