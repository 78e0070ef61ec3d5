import { randomUUID } from 'node:crypto';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import type { z } from 'zod';
import { readRiderDayView } from '../../db/queries/riderDayView';
import {
  acceptedClaimsThisMonth,
  claimsOf,
  findClaim,
  insertClaim,
  pseudonymOfTap,
  type ClaimRecord,
} from '../../db/repositories/transitClaims';
import { effectiveFeedVersion, loadFeedModel } from '../../db/repositories/transitFeeds';
import { storeTaps } from '../../db/repositories/transitTaps';
import { DomainError, ErrorCode } from '../../domain/errors';
import { decideClaim, MAX_CLAIMS_PER_MONTH } from '../../domain/transit/claims';
import { partnerAuth } from '../auth/middleware';
import type { ApiDeps } from '../deps';
import { addRoute } from '../http/route';
import { ClaimRequest, ClaimsView, ClaimView, OperatorParam } from '../schemas/transit';
import { enrolledRider } from '../transit/operator';
import type { TapForwarder } from '../transit/tapForwarder';

const view = (c: ClaimRecord): z.infer<typeof ClaimView> => ({
  claimId: c.id,
  serviceDay: c.service_day,
  journeyId: c.journey_id,
  toStopId: c.to_stop_id,
  status: c.status,
  reason: c.reason,
  createdAt: c.created_at.toISOString(),
});

/**
 * Incomplete-journey claims (partner apps, for their users). A claim the day's taps do not
 * contradict is accepted at once: it is stored with a tap-off at the claimed stop in one
 * transaction, so the day is priced again and the settlement step refunds the difference.
 */
export function transitClaimRoutes(deps: ApiDeps, forwarder: Pick<TapForwarder, 'poke'>) {
  const { db } = deps;
  const asUser = partnerAuth(db, { userRequired: true, limits: deps.limits });

  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/transit/:operatorId/claims',
      summary: 'Claim where an incomplete journey ended: accepted claims are refunded the difference (3 a month)',
      tags: ['transit'],
      audience: 'partner',
      status: 201,
      params: OperatorParam,
      body: ClaimRequest,
      response: ClaimView,
      middleware: [asUser],
      handler: async ({ params, body }, req) => {
        const rider = await enrolledRider(db, req, params.operatorId);
        const k = { operatorId: params.operatorId, riderRef: rider.rider_ref, serviceDay: body.serviceDay };
        const earlier = await findClaim(db, { ...k, journeyId: body.journeyId });
        if (earlier) return view(earlier); // a resent claim: the first answer stands
        const day = await readRiderDayView(db, k);
        const journeys = [...(day?.view.trace?.journeys ?? [])].sort((a, b) => a.startedAt.localeCompare(b.startedAt));
        const at = journeys.findIndex((j) => j.journeyId === body.journeyId);
        const journey = journeys[at];
        if (!journey) {
          throw new DomainError(ErrorCode.NotFound, `no journey ${body.journeyId} on ${body.serviceDay}`, {
            fields: [{ field: 'body.journeyId', message: 'not a journey of that day' }],
          });
        }
        const version = await effectiveFeedVersion(db, params.operatorId, body.serviceDay);
        const model = version === null ? null : await loadFeedModel(db, params.operatorId, version);
        const knownStop =
          model !== null && (model.stopNetworks[body.toStopId] !== undefined || model.stopAreas[body.toStopId] !== undefined);
        const next = journeys[at + 1];
        const tapOnPseudonym = journey.tapOnId ? await pseudonymOfTap(db, params.operatorId, journey.tapOnId) : undefined;

        const stored = await db.transaction(async (tx) => {
          // The rider row is the lock that keeps concurrent claims inside the monthly limit.
          await tx.query('SELECT 1 FROM transit_riders WHERE id = $1 FOR UPDATE', [rider.id]);
          const decision = decideClaim({
            journey,
            toStopId: body.toStopId,
            knownStop,
            nextTapOn: next ? { at: next.startedAt, stopId: next.fromStopId || null } : null,
            acceptedThisMonth: await acceptedClaimsThisMonth(tx, k),
          });
          const accepted = decision.accepted && tapOnPseudonym !== undefined;
          const claim = await insertClaim(tx, {
            id: randomUUID(),
            ...k,
            journeyId: body.journeyId,
            toStopId: body.toStopId,
            status: accepted ? 'accepted' : 'refused',
            reason: decision.accepted ? (accepted ? null : 'not_incomplete') : decision.reason,
          });
          if (claim && decision.accepted && tapOnPseudonym) {
            await storeTaps(tx, params.operatorId, [
              {
                tapId: `claim-${body.journeyId}`,
                pseudonym: tapOnPseudonym,
                stopId: body.toStopId,
                deviceId: 'claim',
                tapType: 'off',
                gateDecision: 'allow',
                transactionAt: decision.tapOffAt,
                serviceDay: body.serviceDay,
              },
            ]);
          }
          return claim ?? (await findClaim(tx, { ...k, journeyId: body.journeyId }));
        });
        if (!stored) throw new DomainError(ErrorCode.Conflict, 'the claim changed while it was made; send it again');
        if (stored.status === 'accepted') forwarder.poke();
        deps.logger.info(
          { operatorId: params.operatorId, riderRef: rider.rider_ref, status: stored.status, reason: stored.reason },
          'transit claim',
        );
        return view(stored);
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/transit/:operatorId/claims',
      summary: "The rider's claims, newest first, and how many more may be accepted this month",
      tags: ['transit'],
      audience: 'partner',
      params: OperatorParam,
      response: ClaimsView,
      middleware: [asUser],
      handler: async ({ params }, req) => {
        const rider = await enrolledRider(db, req, params.operatorId);
        const k = { operatorId: params.operatorId, riderRef: rider.rider_ref };
        const used = await acceptedClaimsThisMonth(db, k);
        return { remainingThisMonth: Math.max(0, MAX_CLAIMS_PER_MONTH - used), claims: (await claimsOf(db, k)).map(view) };
      },
    });
    return router;
  };
}
