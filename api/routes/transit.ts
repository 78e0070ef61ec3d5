import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { readUserRiderDay } from '../../db/queries/riderDayView';
import { transitOperatorCache } from '../../db/repositories/transitOperators';
import { storeTaps, type IncomingTap } from '../../db/repositories/transitTaps';
import { DomainError, ErrorCode } from '../../domain/errors';
import { transitServiceDayOf } from '../../domain/transit/serviceDay';
import { institutionAuth, partnerAuth } from '../auth/middleware';
import { requirePartner } from '../auth/principal';
import type { ApiDeps } from '../deps';
import { addRoute } from '../http/route';
import { ownOperator } from '../transit/operator';
import { afcTapBatch, OperatorParam, TapBatchResult, TripsQuery, TripsView, type TapResult } from '../schemas/transit';
import type { TapForwarder } from '../transit/tapForwarder';
import { tripsViewOf } from '../transit/tripsView';

const DAY_MS = 86_400_000;

/**
 * The transit operator's AFC posting taps (signed institution HTTP), and the rider's trips read for
 * partner apps. Taps are stored before the answer; forwarding to the rider-day workflows follows.
 */
export function transitRoutes(deps: ApiDeps, forwarder: Pick<TapForwarder, 'poke'>) {
  const operators = transitOperatorCache(deps.db);
  const now = (): number => deps.now?.() ?? Date.now();
  const { config } = deps;
  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/institutions/:operatorId/transit/taps',
      summary: 'Post a batch of AFC taps (stored before the answer; a result per tap)',
      tags: ['institutions', 'transit'],
      audience: 'institution',
      params: OperatorParam,
      body: afcTapBatch(config.TRANSIT_TAP_BATCH_MAX),
      response: TapBatchResult,
      middleware: [institutionAuth(deps.db, deps.pii, { limiter: deps.limits.institution })],
      handler: async ({ params, body }, req) => {
        const op = await ownOperator(req, params.operatorId, operators, 'an operator posts its own taps only');
        const at = now();
        const earliest = at - config.TRANSIT_TAP_MAX_AGE_DAYS * DAY_MS;
        const latest = at + config.TRANSIT_TAP_MAX_FUTURE_SECONDS * 1000;
        const early = new Map<string, TapResult>();
        const incoming: IncomingTap[] = [];
        for (const tap of body.taps) {
          const when = Date.parse(tap.transactionAt);
          if (when > latest) early.set(tap.tapId, { tapId: tap.tapId, status: 'rejected', reason: 'time_in_future' });
          else if (when < earliest) early.set(tap.tapId, { tapId: tap.tapId, status: 'rejected', reason: 'time_too_old' });
          else
            incoming.push({
              tapId: tap.tapId,
              pseudonym: tap.pseudonym,
              ...(tap.stopId !== undefined ? { stopId: tap.stopId } : {}),
              ...(tap.routeId !== undefined ? { routeId: tap.routeId } : {}),
              deviceId: tap.deviceId,
              tapType: tap.tapType,
              gateDecision: tap.gateDecision,
              transactionAt: when,
              serviceDay: transitServiceDayOf(when, op.timeZone, op.serviceDayStart),
            });
        }
        const stored = await storeTaps(deps.db, params.operatorId, incoming);
        if ([...stored.values()].includes('accepted')) forwarder.poke();
        const dayOf = new Map(incoming.map((t) => [t.tapId, t.serviceDay]));
        const seen = new Set<string>();
        const results = body.taps.map((tap): TapResult => {
          const first = !seen.has(tap.tapId);
          seen.add(tap.tapId);
          const refused = early.get(tap.tapId);
          if (refused) return refused;
          const status = stored.get(tap.tapId) ?? 'duplicate';
          if (status === 'foreign_pseudonym') return { tapId: tap.tapId, status: 'rejected', reason: 'foreign_pseudonym' };
          const serviceDay = dayOf.get(tap.tapId);
          return {
            tapId: tap.tapId,
            status: !first ? 'duplicate' : status === 'unknown_rider' ? 'unknown_rider' : status,
            ...(serviceDay ? { serviceDay } : {}),
          };
        });
        const count = (s: TapResult['status']) => results.filter((r) => r.status === s).length;
        return {
          results,
          counts: {
            accepted: count('accepted'),
            duplicate: count('duplicate'),
            unknownRider: count('unknown_rider'),
            rejected: count('rejected'),
          },
        };
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/transit/:operatorId/trips',
      summary: "The rider's trips of a service day (default today) with the running fare, cap progress and each journey's trace",
      tags: ['transit'],
      audience: 'partner',
      params: OperatorParam,
      query: TripsQuery,
      response: TripsView,
      middleware: [partnerAuth(deps.db, { userRequired: true, limits: deps.limits })],
      handler: async ({ params, query }, req) => {
        const { userId } = requirePartner(req);
        const op = await operators(params.operatorId);
        const serviceDay = query.day ?? transitServiceDayOf(now(), op.timeZone, op.serviceDayStart);
        const day = await readUserRiderDay(deps.db, { operatorId: params.operatorId, userId, serviceDay });
        if (!day) throw new DomainError(ErrorCode.NotFound, `not enrolled with ${params.operatorId}`);
        return tripsViewOf(params.operatorId, serviceDay, day.view);
      },
    });
    return router;
  };
}
