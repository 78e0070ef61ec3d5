import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router, type Request } from 'express';
import { newestNoticeId, noticesAfter, USER_NOTICE_CHANNEL } from '../../db/queries/userInbox';
import { listMutes, muteInstitution, unmuteInstitution } from '../../db/repositories/noticeMutes';
import { DomainError, ErrorCode } from '../../domain/errors';
import { partnerAuth } from '../auth/middleware';
import { requirePartner } from '../auth/principal';
import type { ApiDeps } from '../deps';
import { rateLimited } from '../http/limits';
import { addRoute } from '../http/route';
import { InstitutionIdParam, MutesView, MuteView, NoticeStreamQuery, Unmuted } from '../schemas/notices';
import { NoticeView } from '../schemas/users';
import { streamNotices } from '../users/noticeStream';
import { noticeView } from '../users/noticeView';

/** Notices read per query while a stream catches up. */
const STREAM_BATCH = 100;
const HEARTBEAT_MS = 15_000;
const NOTICE_ID = /^\d{1,18}$/;

/**
 * The service window live (notices as server-sent events) and the user's mutes: institutions whose
 * marketing notices they no longer want. Essential notices cannot be muted (domain/notices/classes.ts).
 */
export function userNoticeRoutes(deps: ApiDeps) {
  const { db, config } = deps;
  const asUser = partnerAuth(db, { userRequired: true, limits: deps.limits });
  const userRefOf = (req: Request): string => {
    const ref = requirePartner(req).user?.userRef;
    if (!ref) throw new DomainError(ErrorCode.NotFound, 'no such user');
    return ref;
  };
  const mute = (m: { institution_id: string; created_at: Date }) => ({
    institutionId: m.institution_id,
    mutedAt: m.created_at.toISOString(),
  });

  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/users/me/notices/stream',
      summary:
        "The user's new notices as server-sent events (event `notice`, id = notice id): those after Last-Event-ID or `after`, then each as it is written",
      tags: ['users'],
      audience: 'partner',
      query: NoticeStreamQuery,
      response: NoticeView,
      produces: 'text/event-stream',
      middleware: [asUser],
      handler: async ({ query }, req, res) => {
        const userRef = userRefOf(req);
        // The browser sends Last-Event-ID on every reconnect to the same URL, whose `after` is the first connect's.
        const lastEventId = req.header('last-event-id');
        if (lastEventId !== undefined && !NOTICE_ID.test(lastEventId))
          throw new DomainError(ErrorCode.ValidationFailed, 'Last-Event-ID must be a notice id', {
            fields: [{ field: 'headers.last-event-id', message: 'a notice id' }],
          });
        const after = lastEventId ?? query.after ?? (await newestNoticeId(db, userRef));
        const { partnerId, userId } = requirePartner(req);
        const { perUser, perPartner } = deps.limits.noticeStreams;
        const retry = config.NOTICE_STREAM_POLL_MS / 1000;
        const releaseUser = perUser.acquire(`${partnerId}:${userId}`);
        if (!releaseUser) throw rateLimited(`at most ${perUser.max} open notice streams per user`, retry);
        const releasePartner = perPartner.acquire(partnerId);
        if (!releasePartner) {
          releaseUser();
          throw rateLimited(`at most ${perPartner.max} open notice streams per partner app`, retry);
        }
        try {
          await streamNotices(req, res, {
            changes: deps.changes,
            channel: USER_NOTICE_CHANNEL,
            key: userRef,
            after,
            load: async (from, batch) => (await noticesAfter(db, userRef, from, batch)).map((n) => noticeView(n, query.locale)),
            batch: STREAM_BATCH,
            pollMs: config.NOTICE_STREAM_POLL_MS,
            heartbeatMs: HEARTBEAT_MS,
            now: () => deps.now?.() ?? Date.now(),
          });
        } finally {
          releasePartner();
          releaseUser();
        }
        return undefined;
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/users/me/mutes',
      summary: 'The institutions whose marketing notices the user muted',
      tags: ['users'],
      audience: 'partner',
      response: MutesView,
      middleware: [asUser],
      handler: async (_in, req) => ({ mutes: (await listMutes(db, userRefOf(req))).map(mute) }),
    });
    addRoute(router, registry, {
      method: 'put',
      path: '/v1/users/me/mutes/:institutionId',
      summary: "Mutes an institution's marketing notices (its announcements); a journey's notices are never muted. Idempotent",
      tags: ['users'],
      audience: 'partner',
      params: InstitutionIdParam,
      response: MuteView,
      middleware: [asUser],
      handler: async ({ params }, req) => {
        const row = await muteInstitution(db, userRefOf(req), params.institutionId);
        if (!row) throw new DomainError(ErrorCode.NotFound, `no institution ${params.institutionId}`);
        return mute(row);
      },
    });
    addRoute(router, registry, {
      method: 'delete',
      path: '/v1/users/me/mutes/:institutionId',
      summary: "Unmutes an institution's marketing notices (idempotent: the same answer whether or not it was muted)",
      tags: ['users'],
      audience: 'partner',
      params: InstitutionIdParam,
      response: Unmuted,
      middleware: [asUser],
      handler: async ({ params }, req) => {
        await unmuteInstitution(db, userRefOf(req), params.institutionId);
        return { institutionId: params.institutionId, muted: false as const };
      },
    });
    return router;
  };
}
