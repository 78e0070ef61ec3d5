import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { listNotices, listUserVisits, markNoticesRead, unreadCount } from '../../db/queries/userInbox';
import { findPartnerUser } from '../../db/repositories/users';
import { DomainError, ErrorCode } from '../../domain/errors';
import { nextVisitAction } from '../../domain/hospital/nextAction';
import { partnerAuth } from '../auth/middleware';
import { requirePartner } from '../auth/principal';
import type { ApiDeps } from '../deps';
import { addRoute } from '../http/route';
import { noticeView } from '../users/noticeView';
import { MarkNoticesRead, MyVisitsView, NoticesPage, NoticesQuery } from '../schemas/users';

/** How many visits "my visits" lists: a patient's recent ones; older ones are in the hospital's records. */
const MY_VISITS_LIMIT = 50;

/**
 * The user's side of the service window, read from PostgreSQL: their notices (cursor pages, filters,
 * unread count, mark read) and their visits with what to do next. A partner reaches only its own user.
 */
export function userInboxRoutes(deps: ApiDeps) {
  const { db } = deps;
  const asUser = partnerAuth(db, { userRequired: true, limits: deps.limits });
  const userOf = async (req: Request) => {
    const { partnerId, userId } = requirePartner(req);
    const user = await findPartnerUser(db, partnerId, userId);
    if (!user) throw new DomainError(ErrorCode.NotFound, 'no such user');
    return user;
  };

  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/users/me/notices',
      summary: "The user's notices, newest first, with the unread count (cursor pages; filter by institution, kind, unread)",
      tags: ['users'],
      audience: 'partner',
      query: NoticesQuery,
      response: NoticesPage,
      middleware: [asUser],
      handler: async ({ query }, req) => {
        const user = await userOf(req);
        const page = await listNotices(db, {
          userRef: user.user_ref,
          limit: query.limit,
          ...(query.cursor ? { before: query.cursor } : {}),
          ...(query.institution ? { institutionId: query.institution } : {}),
          ...(query.kind ? { kind: query.kind } : {}),
          unreadOnly: query.unread === 'true',
        });
        return {
          notices: page.notices.map((n) => noticeView(n, query.locale)),
          unreadCount: await unreadCount(db, user.user_ref),
          nextCursor: page.nextCursor,
        };
      },
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/users/me/notices/read',
      summary: 'Marks notices read: the ones listed, or every one up to an id',
      tags: ['users'],
      audience: 'partner',
      body: MarkNoticesRead,
      response: z.object({ marked: z.number().int(), unreadCount: z.number().int() }).meta({ id: 'NoticesMarked' }),
      middleware: [asUser],
      handler: async ({ body }, req) => {
        const user = await userOf(req);
        const marked = await markNoticesRead(db, user.user_ref, {
          ...(body.noticeIds ? { ids: body.noticeIds } : {}),
          ...(body.upTo ? { upTo: body.upTo } : {}),
        });
        return { marked, unreadCount: await unreadCount(db, user.user_ref) };
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/users/me/visits',
      summary: "The user's visits, newest first: stage, amount due and what the app should offer next",
      tags: ['users'],
      audience: 'partner',
      response: MyVisitsView,
      middleware: [asUser],
      handler: async (_in, req) => {
        const { userId } = requirePartner(req);
        await userOf(req);
        const rows = await listUserVisits(db, userId, MY_VISITS_LIMIT);
        return {
          visits: rows.map((v) => ({
            bookingRef: v.booking_ref,
            institutionId: v.institution_id,
            stage: v.stage,
            slotStart: v.status ? new Date(v.status.slotStartMs).toISOString() : null,
            amountDue: v.status?.amountDueMinor ?? 0,
            currency: v.status?.currency ?? null,
            nextAction: nextVisitAction(v.stage, v.status),
          })),
        };
      },
    });
    return router;
  };
}
