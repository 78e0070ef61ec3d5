import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { doctorExists, resultsForDoctor } from '../../db/queries/doctorResults';
import { writeAudit, writeAudits } from '../../db/repositories/audit';
import { createShare, listShares, revokeShare, type ShareRow } from '../../db/repositories/resultShares';
import { findOwnVisit } from '../../db/queries/partnerVisits';
import { DomainError, ErrorCode } from '../../domain/errors';
import { shareExpiry, SHARE_MAX_HOURS, SHARE_MAX_LIVE_PER_VISIT } from '../../domain/hospital/resultShares';
import { maskName } from '../../domain/masking';
import { institutionAuth, partnerAuth } from '../auth/middleware';
import { requireInstitution, requirePartner } from '../auth/principal';
import type { ApiDeps } from '../deps';
import { addRoute } from '../http/route';

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, '1-40 letters, digits, _ or -');
const DoctorParams = z.object({ institutionId: Id, doctorId: Id });
const DoctorQuery = z.object({ bookingRef: Id.optional(), limit: z.coerce.number().int().min(1).max(100).default(50) });
const VisitParam = z.object({ bookingRef: Id });
const ShareParams = z.object({ bookingRef: Id, shareId: z.string().uuid('a share id') });

const DoctorResults = z
  .object({
    results: z.array(
      z.object({
        bookingRef: z.string(),
        orderId: z.string(),
        /** The patient's name, masked: enough to confirm who is in front of the doctor. */
        patient: z.string(),
        hospitalId: z.string(),
        abnormal: z.boolean(),
        receivedAt: z.string(),
        /** `own`: a visit to this doctor; `grant`: shared by the patient until `grantExpiresAt`. */
        via: z.enum(['own', 'grant']),
        grantExpiresAt: z.string().nullable(),
        report: z.unknown(),
      }),
    ),
  })
  .meta({ id: 'DoctorResults' });

const CreateShare = z
  .object({ institutionId: Id, doctorId: Id, hours: z.number().int().min(1).max(SHARE_MAX_HOURS) })
  .strict()
  .meta({ id: 'CreateResultShare' });
const ShareView = z
  .object({
    shareId: z.string(),
    bookingRef: z.string(),
    institutionId: z.string(),
    doctorId: z.string(),
    expiresAt: z.string(),
    revokedAt: z.string().nullable(),
    live: z.boolean(),
  })
  .meta({ id: 'ResultShare' });

const shareView = (s: ShareRow, nowMs: number) => ({
  shareId: s.id,
  bookingRef: s.booking_ref,
  institutionId: s.institution_id,
  doctorId: s.doctor_id,
  expiresAt: s.expires_at.toISOString(),
  revokedAt: s.revoked_at?.toISOString() ?? null,
  live: s.revoked_at === null && s.expires_at.getTime() > nowMs,
});

/**
 * Results in the doctor's hands (issue 14, item 4). The hospital's own apps call the doctor view with
 * the hospital's signature, naming the doctor: it answers that doctor's patients' results, and those
 * patients shared with them by a live grant, decrypted, each read written to the audit log. Patients
 * grant and revoke through their partner app.
 */
export function doctorViewRoutes(deps: ApiDeps) {
  const { db, pii } = deps;
  const signed = institutionAuth(db, pii, { limiter: deps.limits.institution });
  const asUser = partnerAuth(db, { userRequired: true, limits: deps.limits });
  const now = () => deps.now?.() ?? Date.now();

  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/institutions/:institutionId/doctors/:doctorId/results',
      summary: "A doctor's view: their patients' results and results shared with them by a live grant (every read audited)",
      tags: ['hospital'],
      audience: 'institution',
      params: DoctorParams,
      query: DoctorQuery,
      response: DoctorResults,
      middleware: [signed],
      handler: async ({ params, query }, req) => {
        const { institutionId } = requireInstitution(req);
        if (institutionId !== params.institutionId)
          throw new DomainError(ErrorCode.Forbidden, 'a hospital shows results only to its own doctors');
        if (!(await doctorExists(db, params.institutionId, params.doctorId))) throw new DomainError(ErrorCode.NotFound, 'no such doctor');
        const rows = await resultsForDoctor(db, {
          ...params,
          ...(query.bookingRef ? { bookingRef: query.bookingRef } : {}),
          limit: query.limit,
        });
        // Ids only: one entry for the look itself (a probe that found nothing is traced too), one per result shown.
        await writeAudits(db, [
          {
            actor: `institution:${params.institutionId}`,
            action: 'results.listed',
            subject: `doctor:${params.institutionId}:${params.doctorId}`,
            details: { count: rows.length, bookingRef: query.bookingRef ?? null },
          },
          ...rows.map((r) => ({
            actor: `institution:${params.institutionId}`,
            action: 'results.viewed',
            subject: `${r.booking_ref}/${r.order_id}`,
            details: { doctorId: params.doctorId, via: r.via },
          })),
        ]);
        return {
          results: rows.map((r) => ({
            bookingRef: r.booking_ref,
            orderId: r.order_id,
            patient: maskName(pii.decrypt(r.legal_name_enc)),
            hospitalId: r.visit_institution_id,
            abnormal: r.abnormal,
            receivedAt: r.received_at.toISOString(),
            via: r.via,
            grantExpiresAt: r.grant_expires_at?.toISOString() ?? null,
            report: JSON.parse(pii.decrypt(r.results_enc)) as unknown,
          })),
        };
      },
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/visits/:bookingRef/shares',
      summary: "The patient shares this visit's results with a doctor of another hospital, for 1 hour to 30 days",
      tags: ['hospital'],
      audience: 'partner',
      params: VisitParam,
      body: CreateShare,
      response: ShareView,
      status: 201,
      middleware: [asUser],
      handler: async ({ params, body }, req) => {
        const { userId } = requirePartner(req);
        const visit = await findOwnVisit(db, params.bookingRef, userId);
        if (!visit) throw new DomainError(ErrorCode.NotFound, `no visit ${params.bookingRef}`);
        const when = shareExpiry({
          nowMs: now(),
          hours: body.hours,
          visitInstitutionId: visit.institution_id,
          toInstitutionId: body.institutionId,
        });
        if (!when.ok)
          throw new DomainError(ErrorCode.ValidationFailed, 'cannot share like this', {
            fields: [
              {
                field: when.reason === 'own_hospital' ? 'body.institutionId' : 'body.hours',
                message: when.reason === 'own_hospital' ? 'the visit is at this hospital already' : `1-${SHARE_MAX_HOURS} hours`,
              },
            ],
          });
        if (!(await doctorExists(db, body.institutionId, body.doctorId)))
          throw new DomainError(ErrorCode.ValidationFailed, 'no such doctor', {
            fields: [{ field: 'body.doctorId', message: 'not a doctor of that hospital' }],
          });
        const created = await createShare(db, {
          bookingRef: visit.booking_ref,
          userId,
          institutionId: body.institutionId,
          doctorId: body.doctorId,
          expiresAt: new Date(when.expiresAtMs),
        });
        if (created.kind === 'too_many')
          throw new DomainError(ErrorCode.Conflict, `this visit holds ${SHARE_MAX_LIVE_PER_VISIT} live shares already: revoke one first`);
        const { share } = created;
        await writeAudit(db, {
          actor: `user:${userId}`,
          action: 'results.shared',
          subject: visit.booking_ref,
          details: { institutionId: body.institutionId, doctorId: body.doctorId, shareId: share.id },
        });
        return shareView(share, now());
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/visits/:bookingRef/shares',
      summary: "The patient's grants for this visit's results, live or not",
      tags: ['hospital'],
      audience: 'partner',
      params: VisitParam,
      response: z.object({ shares: z.array(ShareView) }).meta({ id: 'ResultShares' }),
      middleware: [asUser],
      handler: async ({ params }, req) => {
        const { userId } = requirePartner(req);
        if (!(await findOwnVisit(db, params.bookingRef, userId)))
          throw new DomainError(ErrorCode.NotFound, `no visit ${params.bookingRef}`);
        return { shares: (await listShares(db, params.bookingRef, userId)).map((s) => shareView(s, now())) };
      },
    });
    addRoute(router, registry, {
      method: 'delete',
      path: '/v1/visits/:bookingRef/shares/:shareId',
      summary: 'Revokes a grant at once (revoking again is fine)',
      tags: ['hospital'],
      audience: 'partner',
      params: ShareParams,
      response: ShareView,
      middleware: [asUser],
      handler: async ({ params }, req) => {
        const { userId } = requirePartner(req);
        const share = await revokeShare(db, { bookingRef: params.bookingRef, userId, shareId: params.shareId, at: new Date(now()) });
        if (!share) throw new DomainError(ErrorCode.NotFound, 'no such share');
        await writeAudit(db, {
          actor: `user:${userId}`,
          action: 'results.share_revoked',
          subject: params.bookingRef,
          details: { shareId: share.id },
        });
        return shareView(share, now());
      },
    });
    return router;
  };
}
