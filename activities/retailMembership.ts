import { heartbeat } from '@temporalio/activity';
import { remindExpiringCoupons } from '../db/repositories/couponReminders';
import { remindExpiringPoints } from '../db/repositories/pointsReminders';
import type { DataSource } from 'typeorm';
import { cardsDueReview, programmesForSweep, refreshCard } from '../db/repositories/memberCards';
import { expireMemberPoints, membersWithDueLots } from '../db/repositories/pointsExpiry';
import { withFailureMapping } from './failures';

export interface MembershipSweepInput {
  /** The instant the run acts as of (the workflow's start; drills may name another). */
  asOfMs: number;
  /** Members (and cards) per query; a run goes on while batches come back full. */
  limit: number;
  /** Only these programmes (drills and tests); all by default. */
  programIds?: string[];
}

export interface MembershipSweepResult {
  /** Points moved from available to expired by this run. */
  expiredPoints: number;
  membersExpired: number;
  cardsReviewed: number;
  /** Shoppers told of coupons about to expire (one notice per funder and day). */
  couponReminders?: number;
  /** Members told of points about to expire (one notice per programme and day). */
  pointsReminders?: number;
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
      const only = input.programIds ? new Set(input.programIds) : null;
      for (const p of await programmesForSweep(db)) {
        if (only && !only.has(p.id)) continue;
        const days = p.membership.pointsExpireAfterDays;
        if (days) {
          const ageMs = days * DAY_MS;
          // Batch after batch while batches are full and move points (a lot spent before it was due
          // is found again but moves nothing, so it cannot keep the loop going).
          for (;;) {
            const batch = await membersWithDueLots(db, p.id, new Date(input.asOfMs - ageMs), input.limit);
            let movedAny = false;
            for (const userId of batch) {
              heartbeat();
              const moved = await expireMemberPoints(db, { programId: p.id, userId, ageMs, nowMs: input.asOfMs });
              if (moved > 0) {
                out.expiredPoints += moved;
                out.membersExpired += 1;
                movedAny = true;
              }
            }
            if (batch.length < input.limit || !movedAny) break;
          }
          heartbeat();
          const told = await remindExpiringPoints(db, { programId: p.id, ageMs, asOfMs: input.asOfMs, pageSize: input.limit });
          out.pointsReminders = (out.pointsReminders ?? 0) + told;
        }
        // A review moves the card's reviewed_at past the threshold, so each batch is new cards.
        for (;;) {
          const batch = await cardsDueReview(db, p, input.asOfMs, input.limit);
          for (const cardId of batch) {
            heartbeat();
            await refreshCard(db, cardId, p, input.asOfMs);
            out.cardsReviewed += 1;
          }
          if (batch.length < input.limit) break;
        }
      }
      out.couponReminders = await remindExpiringCoupons(db, input.asOfMs, input.programIds);
      return out;
    },
  });
}
export type RetailMembershipActivities = ReturnType<typeof createRetailMembershipActivities>;
