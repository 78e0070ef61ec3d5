import { heartbeat } from '@temporalio/activity';
import type { DataSource } from 'typeorm';
import { cardsDueReview, programmesWithMembership, refreshCard } from '../db/repositories/memberCards';
import { expireMemberPoints, membersWithDueLots } from '../db/repositories/pointsExpiry';
import { withFailureMapping } from './failures';

export interface MembershipSweepInput {
  /** The instant the run acts as of (the workflow's start; drills may name another). */
  asOfMs: number;
  /** Members (and cards) per programme per run; the next run takes the rest. */
  limit: number;
}

export interface MembershipSweepResult {
  /** Points moved from available to expired by this run. */
  expiredPoints: number;
  membersExpired: number;
  cardsReviewed: number;
}

const DAY_MS = 86_400_000;

/**
 * The periodic side of membership: points older than each programme's age expire, and cards whose
 * period ended are reviewed (their tier may fall). Each step is idempotent by key or by the card's
 * review time, so a retried or repeated run changes nothing more.
 */
export function createRetailMembershipActivities(deps: { db: DataSource }) {
  const { db } = deps;
  return withFailureMapping({
    async sweepRetailMembership(input: MembershipSweepInput): Promise<MembershipSweepResult> {
      const out: MembershipSweepResult = { expiredPoints: 0, membersExpired: 0, cardsReviewed: 0 };
      for (const p of await programmesWithMembership(db)) {
        const days = p.membership.pointsExpireAfterDays;
        if (days) {
          const ageMs = days * DAY_MS;
          for (const userId of await membersWithDueLots(db, p.id, new Date(input.asOfMs - ageMs), input.limit)) {
            heartbeat();
            const moved = await expireMemberPoints(db, { programId: p.id, userId, ageMs, nowMs: input.asOfMs });
            if (moved > 0) {
              out.expiredPoints += moved;
              out.membersExpired += 1;
            }
          }
        }
        if (p.membership.tiers.length > 0)
          for (const cardId of await cardsDueReview(db, p, input.asOfMs, input.limit)) {
            heartbeat();
            await refreshCard(db, cardId, p, input.asOfMs);
            out.cardsReviewed += 1;
          }
      }
      return out;
    },
  });
}
export type RetailMembershipActivities = ReturnType<typeof createRetailMembershipActivities>;
