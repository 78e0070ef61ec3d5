import { createHash } from 'node:crypto';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { announce } from '../../db/repositories/announcements';
import { DomainError, ErrorCode } from '../../domain/errors';
import { institutionAuth } from '../auth/middleware';
import { requireInstitution } from '../auth/principal';
import type { ApiDeps } from '../deps';
import { rateLimited } from '../http/limits';
import { addRoute } from '../http/route';
import { AnnouncementRequest, AnnouncementResult, InstitutionIdParam } from '../schemas/notices';

/** What a notice stores of an announcement: times as epoch milliseconds, like every notice's. */
function noticeData(body: AnnouncementRequest): Record<string, string | number> {
  switch (body.templateKey) {
    case 'service_closed':
      return { startsAtMs: Date.parse(body.data.startsAt), endsAtMs: Date.parse(body.data.endsAt) };
    case 'new_department':
      return { departmentId: body.data.departmentId, startsAtMs: Date.parse(body.data.startsAt) };
    case 'offer':
      return { amountMinor: body.data.amountMinor, startsAtMs: Date.parse(body.data.startsAt), endsAtMs: Date.parse(body.data.endsAt) };
  }
}

/**
 * An institution's announcements to its users (signed institution HTTP, for itself only): the
 * service window's marketing, which users can mute per institution. Idempotent by announcement id,
 * limited per institution per day (ANNOUNCEMENTS_PER_DAY, counted in PostgreSQL).
 */
export function announcementRoutes(deps: ApiDeps) {
  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/institutions/:institutionId/announcements',
      summary: 'Announce to every user with a journey at the institution (templates only, no free text); idempotent by announcementId',
      tags: ['institutions'],
      audience: 'institution',
      params: InstitutionIdParam,
      body: AnnouncementRequest,
      response: AnnouncementResult,
      middleware: [institutionAuth(deps.db, deps.pii, { limiter: deps.limits.institution })],
      handler: async ({ params, body }, req) => {
        const { institutionId } = requireInstitution(req);
        if (institutionId !== params.institutionId) throw new DomainError(ErrorCode.Forbidden, 'an institution announces only for itself');
        const data = noticeData(body);
        const outcome = await announce(deps.db, {
          institutionId,
          announcementId: body.announcementId,
          templateKey: body.templateKey,
          data,
          requestHash: createHash('sha256')
            .update(JSON.stringify([body.templateKey, data]))
            .digest('hex'),
          perDay: deps.config.ANNOUNCEMENTS_PER_DAY,
        });
        switch (outcome.kind) {
          case 'id_reused':
            throw new DomainError(ErrorCode.IdempotencyKeyReused, `announcement ${body.announcementId} was sent with other content`);
          case 'rate_limited':
            throw rateLimited(
              `at most ${deps.config.ANNOUNCEMENTS_PER_DAY} announcements per institution in 24 hours`,
              outcome.retryAfterSeconds,
            );
          case 'sent':
          case 'replayed':
            return {
              announcementId: body.announcementId,
              templateKey: body.templateKey,
              recipients: outcome.recipients,
              replayed: outcome.kind === 'replayed',
            };
        }
      },
    });
    return router;
  };
}
