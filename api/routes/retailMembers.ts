import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import type { z } from 'zod';
import { cardsOfUser, membersPage, pointsPage, tierCounts } from '../../db/queries/memberCards';
import { joinCard, readProgramme } from '../../db/repositories/memberCards';
import { findPartnerUser } from '../../db/repositories/users';
import { DomainError, ErrorCode } from '../../domain/errors';
import { maskName, maskPhone } from '../../domain/masking';
import { institutionAuth, partnerAuth } from '../auth/middleware';
import { requirePartner } from '../auth/principal';
import type { ApiDeps } from '../deps';
import { addRoute } from '../http/route';
import { ownRetailInstitution } from '../retail/merchant';
import { MerchantParam } from '../schemas/retail';
import {
  type CardView,
  JoinAnswer,
  MembersPage,
  MembersQuery,
  MyCards,
  PointsHistoryPage,
  PointsHistoryQuery,
  ProgrammeParam,
  TierCounts,
} from '../schemas/retailMembers';

/** A shopper holds few cards; the list is capped rather than paged. */
const MY_CARDS_LIMIT = 200;

/**
 * Member cards (issue 12): the shopper joins a merchant's or district's programme (or is enrolled at
 * their first paid order there) and reads their cards and points history; a merchant or district reads
 * its members, masked, and how many are in each tier. Every read comes from PostgreSQL.
 */
export function retailMemberRoutes(deps: ApiDeps) {
  const { db, pii } = deps;
  const signed = institutionAuth(db, pii, { limiter: deps.limits.institution });
  const asUser = partnerAuth(db, { userRequired: true, limits: deps.limits });
  const now = () => deps.now?.() ?? Date.now();

  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/retail/programmes/:programId/card',
      summary: "The shopper joins a merchant's or district's membership (201 a new card, 200 the card they hold)",
      tags: ['retail'],
      audience: 'partner',
      params: ProgrammeParam,
      response: JoinAnswer,
      status: 201,
      middleware: [asUser],
      handler: async ({ params }, req, res) => {
        const { partnerId, userId } = requirePartner(req);
        const user = await findPartnerUser(db, partnerId, userId);
        if (user?.identity_status !== 'verified') throw new DomainError(ErrorCode.Forbidden, 'only verified users hold member cards');
        const programme = await readProgramme(db, params.programId);
        if (!programme) throw new DomainError(ErrorCode.NotFound, 'no such merchant or district');
        const { card, created } = await joinCard(db, { userId, programme, via: 'shopper', atMs: now() });
        const mine = (await cardsOfUser(db, userId, MY_CARDS_LIMIT)).find((c) => c.id === card.id);
        const body: z.infer<typeof JoinAnswer> = {
          card: mine
            ? cardView(mine)
            : {
                cardId: card.id,
                scope: card.scope,
                programId: card.scope_id,
                joinedAt: card.joined_at.toISOString(),
                joinedVia: card.joined_via,
                tier: card.tier,
                periodSpend: card.period_spend_minor,
                points: { pending: 0, available: 0 },
              },
          created,
        };
        if (created) return body;
        res.status(200).json(body);
        return undefined;
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/users/me/cards',
      summary: "The shopper's member cards: tier, the period's spend, points pending and available",
      tags: ['retail'],
      audience: 'partner',
      response: MyCards,
      middleware: [asUser],
      handler: async (_in, req) => ({ cards: (await cardsOfUser(db, requirePartner(req).userId, MY_CARDS_LIMIT)).map(cardView) }),
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/users/me/points/history',
      summary: "The shopper's points movements with a merchant or district, newest first (cursor pages)",
      tags: ['retail'],
      audience: 'partner',
      query: PointsHistoryQuery,
      response: PointsHistoryPage,
      middleware: [asUser],
      handler: async ({ query }, req) => {
        const page = await pointsPage(db, {
          programId: query.program,
          userId: requirePartner(req).userId,
          limit: query.limit,
          ...(query.cursor ? { before: query.cursor } : {}),
        });
        return {
          program: query.program,
          movements: page.movements.map((m) => ({
            kind: m.kind,
            pending: m.pending_delta,
            available: m.available_delta,
            orderRef: m.order_key?.split('/')[1] ?? null,
            at: m.created_at.toISOString(),
          })),
          nextCursor: page.nextCursor,
        };
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/merchants/:merchantId/members',
      summary: "A merchant's or district's members, newest first, masked (a district's: spend across its merchants)",
      tags: ['retail'],
      audience: 'institution',
      params: MerchantParam,
      query: MembersQuery,
      response: MembersPage,
      middleware: [signed],
      handler: async ({ params, query }, req) => {
        await ownRetailInstitution(db, req, params.merchantId, 'an institution reads only its own members');
        const page = await membersPage(db, {
          scopeId: params.merchantId,
          limit: query.limit,
          ...(query.cursor ? { before: query.cursor } : {}),
          ...(query.tier ? { tier: query.tier } : {}),
        });
        return {
          members: page.members.map((m) => ({
            cardId: m.id,
            name: maskName(pii.decrypt(m.legal_name_enc)),
            phone: maskPhone(pii.decrypt(m.phone_enc)),
            joinedAt: m.joined_at.toISOString(),
            joinedVia: m.joined_via,
            tier: m.tier,
            periodSpend: m.period_spend_minor,
            merchants: m.merchants,
          })),
          nextCursor: page.nextCursor,
        };
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/merchants/:merchantId/members/tiers',
      summary: "How many of a merchant's or district's members are in each tier",
      tags: ['retail'],
      audience: 'institution',
      params: MerchantParam,
      response: TierCounts,
      middleware: [signed],
      handler: async ({ params }, req) => {
        await ownRetailInstitution(db, req, params.merchantId, 'an institution reads only its own members');
        return { tiers: await tierCounts(db, params.merchantId) };
      },
    });
    return router;
  };
}

function cardView(c: Awaited<ReturnType<typeof cardsOfUser>>[number]): z.infer<typeof CardView> {
  return {
    cardId: c.id,
    scope: c.scope,
    programId: c.scope_id,
    joinedAt: c.joined_at.toISOString(),
    joinedVia: c.joined_via,
    tier: c.tier,
    periodSpend: c.period_spend_minor,
    points: { pending: c.pending, available: c.available },
  };
}
