import { randomBytes } from 'node:crypto';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { Router, type Request } from 'express';
import { z } from 'zod';
import { createSlotRepository } from '../../db/repositories/slots';
import { countOpenBookings, insertVisitWithinLimit } from '../../db/repositories/visits';
import { DomainError, ErrorCode } from '../../domain/errors';
import { HospitalPolicy } from '../../domain/hospital/policy';
import { serviceDayOf } from '../../domain/hospital/serviceDay';
import { bookingRefFor, workflowIds } from '../../domain/ids';
import { AmountDue, Institution, Stage, UserRef, Vertical } from '../../workflows/searchAttributes';
import {
  QUEUE_VIEW_CHANNEL,
  queueViewKey,
  readDoctorQueueView,
  readOwnQueueView,
  type DoctorQueueKey,
  type DoctorQueueView,
  type JoinedQueue,
} from '../../db/queries/doctorQueueView';
import { findOwnVisit, journeyPayments, listDepartments, listDoctors, visitResults, type OwnVisit } from '../../db/queries/partnerVisits';
import {
  BACKFILLED_SEQ,
  readOwnVisitView,
  readVisitView,
  upsertVisitView,
  VISIT_VIEW_CHANNEL,
  type VisitView,
} from '../../db/queries/visitView';
import { DoctorQueue, type QueuePosition } from '../../domain/hospital/queue';
import { merchantOrderNo } from '../../domain/ids';
import { cancelVisitUpdate, checkInUpdate, visitStatusQuery } from '../../workflows/hospital/visit/definitions';
import type { VisitStatus } from '../../workflows/hospital/visit/types';
import { partnerAuth } from '../auth/middleware';
import { principalKey, requirePartner } from '../auth/principal';
import type { ApiDeps } from '../deps';
import { idempotency } from '../http/idempotency';
import { rateLimited } from '../http/limits';
import { addRoute } from '../http/route';
import {
  BookingParam,
  BookVisitRequest,
  CheckInRequest,
  Department,
  Doctor,
  FreeSlot,
  InstitutionParam,
  PaymentDue,
  QueueView,
  SlotQuery,
  QueueEvent,
  StageView,
  VisitCreated,
  VisitResults,
  VisitStatusView,
} from '../schemas/visits';
import { streamQueue } from '../hospital/queueStream';

type VisitRow = OwnVisit;

/**
 * A hospital's time zone and policy, read at most every few seconds: at the registration rush every
 * booking needs them, and a policy change taking effect seconds later is harmless.
 */
function hospitalSettingsCache(db: ApiDeps['db'], ttlMs = 5_000) {
  const cache = new Map<string, { at: number; value: Promise<{ timeZone: string; policy: HospitalPolicy }> }>();
  const load = async (id: string): Promise<{ timeZone: string; policy: HospitalPolicy }> => {
    const rows: Array<{ time_zone: string; settings: unknown }> = await db.query(
      `SELECT time_zone, settings FROM institutions WHERE id = $1 AND kind = 'hospital'`,
      [id],
    );
    const row = rows[0];
    if (!row) throw new DomainError(ErrorCode.NotFound, `no hospital ${id}`);
    return { timeZone: row.time_zone, policy: HospitalPolicy.parse((row.settings as { policy?: unknown } | null)?.policy ?? {}) };
  };
  return {
    get(id: string): Promise<{ timeZone: string; policy: HospitalPolicy }> {
      const hit = cache.get(id);
      if (hit && Date.now() - hit.at < ttlMs) return hit.value;
      const value = load(id);
      cache.set(id, { at: Date.now(), value });
      value.catch(() => cache.delete(id)); // an unknown hospital is not remembered
      return value;
    },
  };
}

/** Partner routes of the hospital journey. A user only ever sees their own visits: anything else is a 404. */
export function visitRoutes(deps: ApiDeps) {
  const { db, temporal, config } = deps;
  const now = (): number => deps.now?.() ?? Date.now();
  const slots = createSlotRepository(db);
  const hospitals = hospitalSettingsCache(db);
  const asUser = partnerAuth(db, { userRequired: true, limits: deps.limits });

  const ownVisit = async (req: Request, bookingRef: string): Promise<VisitRow> => {
    const { userId } = requirePartner(req);
    const visit = await findOwnVisit(db, bookingRef, userId);
    if (!visit) throw new DomainError(ErrorCode.NotFound, `no visit ${bookingRef}`);
    return visit;
  };
  /**
   * The visit's status from its read model. Only a visit started before the read model existed is asked
   * directly: it never publishes, so its backfilled copy (`npm run backfill:visit-views`) is what it was
   * when copied, and answers only once the workflow is gone.
   */
  const visitStatus = async (v: VisitRow): Promise<VisitStatus> => visitStatusFrom(v, await readVisitView(db, v.booking_ref));
  const visitStatusFrom = async (v: VisitRow, view: VisitView | null): Promise<VisitStatus> => {
    if (view && view.seq !== BACKFILLED_SEQ) return view.status;
    const live = handleOf(v).query(visitStatusQuery);
    return view ? live.catch(() => view.status) : live;
  };
  const queueKey = (v: VisitRow): DoctorQueueKey => ({
    institutionId: v.institution_id,
    doctorId: v.doctor_id,
    serviceDay: serviceDayOf(v.starts_at, v.time_zone),
  });
  /** Position and ETA from the queue's snapshot, computed at `nowMs` by the same pure code the queue runs. */
  const positionView = (v: VisitRow, snapshot: DoctorQueueView | null, joined: JoinedQueue | undefined, nowMs: number) => {
    const pos: QueuePosition = snapshot
      ? new DoctorQueue(snapshot.config, snapshot.state).positionOf(v.booking_ref, nowMs)
      : { status: 'unknown' };
    // Just checked in, the queue's own snapshot may not be written yet: the visit kept the join's answer.
    if (pos.status === 'unknown' && joined?.stage === 'queued' && joined.queue.position !== null)
      return { status: 'waiting', position: joined.queue.position, etaMinutes: joined.queue.etaMinutes };
    return {
      status: pos.status,
      position: pos.status === 'waiting' ? pos.position : null,
      etaMinutes: pos.status === 'waiting' ? pos.etaMinutes : null,
    };
  };
  const handleOf = (v: VisitRow) => temporal.workflow.getHandle(workflowIds.hospitalVisit(v.institution_id, v.booking_ref));
  const statusView = (s: VisitStatus) => ({
    ...s,
    slotStart: new Date(s.slotStartMs).toISOString(),
    notices: s.notices.map((n) => ({ kind: n.kind, at: new Date(n.atMs).toISOString() })),
  });
  /**
   * Runs a visit update; a typed refusal (the validator's ApplicationFailure, by its type) or a visit
   * that is already over becomes a 409. The visit answers within its bound (`pending` when still working).
   */
  const updateVisit = async <T>(v: VisitRow, what: string, fn: (h: ReturnType<typeof handleOf>) => Promise<T>): Promise<T> => {
    try {
      return await fn(handleOf(v));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new DomainError(ErrorCode.InvalidState, `cannot ${what}: the visit is ${v.stage}`);
      if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure && err.cause.type === ErrorCode.InvalidState)
        throw new DomainError(ErrorCode.InvalidState, err.cause.message);
      throw err;
    }
  };

  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/hospitals/:institutionId/departments',
      summary: 'Departments of a hospital',
      tags: ['hospital'],
      audience: 'partner',
      params: InstitutionParam,
      response: z.array(Department),
      middleware: [partnerAuth(db, { userRequired: false, limits: deps.limits })],
      handler: async ({ params }) => listDepartments(db, params.institutionId),
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/hospitals/:institutionId/doctors',
      summary: 'Doctors of a hospital',
      tags: ['hospital'],
      audience: 'partner',
      params: InstitutionParam,
      query: z.object({ departmentId: z.string().optional() }),
      response: z.array(Doctor),
      middleware: [partnerAuth(db, { userRequired: false, limits: deps.limits })],
      handler: async ({ params, query }) => listDoctors(db, params.institutionId, query.departmentId),
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/hospitals/:institutionId/slots',
      summary: 'Free slots (from the HIS schedule)',
      tags: ['hospital'],
      audience: 'partner',
      params: InstitutionParam,
      query: SlotQuery,
      response: z.array(FreeSlot),
      middleware: [partnerAuth(db, { userRequired: false, limits: deps.limits })],
      handler: async ({ params, query }) => {
        const at = new Date(now());
        const free = await slots.listFreeSlots({
          institutionId: params.institutionId,
          now: at,
          from: query.from ? new Date(query.from) : at,
          to: query.to ? new Date(query.to) : new Date(at.getTime() + 14 * 86_400_000),
          ...(query.doctorId ? { doctorId: query.doctorId } : {}),
          ...(query.departmentId ? { departmentId: query.departmentId } : {}),
        });
        return free.map((s) => ({
          slotId: s.id,
          doctorId: s.doctorId,
          departmentId: s.departmentId,
          startsAt: s.startsAt.toISOString(),
          durationMin: s.durationMin,
          feeMinor: s.feeMinor,
          currency: s.currency,
        }));
      },
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/visits',
      summary: 'Book a slot: held at once (409 if taken), then the registration fee is due',
      tags: ['hospital'],
      audience: 'partner',
      status: 201,
      body: BookVisitRequest,
      response: VisitCreated,
      middleware: [asUser, idempotency(db, config)],
      handler: async ({ body }, req) => {
        const { userId, partnerId, user } = requirePartner(req);
        if (user?.identityStatus !== 'verified')
          throw new DomainError(ErrorCode.Forbidden, 'a hospital booking needs a verified real-name identity');
        const { timeZone, policy } = await hospitals.get(body.institutionId);
        const tooMany = (): DomainError =>
          rateLimited(`at most ${deps.limits.maxOpenBookings} held or unpaid bookings per user`, policy.holdMinutes * 60);
        // With an Idempotency-Key every step below is safe to repeat: a retry after a failure or a
        // crash at any point finds the hold, the row and the workflow the first attempt left.
        const key = req.header('idempotency-key');
        const bookingRef = key ? bookingRefFor(principalKey(requirePartner(req)), key) : `B${randomBytes(9).toString('hex').toUpperCase()}`;
        // Cheap early answer at the rush; the authoritative count is taken with the insert below.
        if ((await countOpenBookings(db, userId, bookingRef)) >= deps.limits.maxOpenBookings) throw tooMany();
        const heldAt = now();
        // The rush-safe step: one conditional UPDATE; a taken slot is a 409 without asking the HIS.
        const slot = await slots.holdSlot({
          slotId: body.slotId,
          bookingRef,
          heldUntil: new Date(heldAt + (policy.holdMinutes + 1) * 60_000),
          now: new Date(heldAt),
        });
        if (slot.institutionId !== body.institutionId) {
          await slots.releaseSlot(slot.id, bookingRef);
          throw new DomainError(ErrorCode.NotFound, `no slot ${body.slotId} at ${body.institutionId}`);
        }
        const workflowId = workflowIds.hospitalVisit(body.institutionId, bookingRef);
        const recorded = await insertVisitWithinLimit(
          db,
          { bookingRef, institutionId: body.institutionId, userId, partnerId, slotId: slot.id, doctorId: slot.doctorId, workflowId },
          deps.limits.maxOpenBookings,
        );
        if (!recorded) {
          await slots.releaseSlot(slot.id, bookingRef);
          throw tooMany();
        }
        const { userRef } = user;
        // The read model's first row (seq 0): the visit reads at once, before a worker picks it up.
        await upsertVisitView(db, {
          seq: 0,
          status: {
            bookingRef,
            institutionId: body.institutionId,
            stage: 'holding',
            slotStartMs: slot.startsAt.getTime(),
            amountDueMinor: slot.feeMinor,
            currency: slot.currency,
            registration: {
              outTradeNo: merchantOrderNo(`${body.institutionId}_${bookingRef}`, 'reg'),
              status: 'not_started',
              refundedMinor: 0,
            },
            queue: { position: null, etaMinutes: null, calledAt: null },
            orders: [],
            resultOrderIds: [],
            notices: [],
          },
        });
        await temporal.workflow
          .start('hospitalVisit', {
            taskQueue: config.TEMPORAL_TASK_QUEUE,
            workflowId,
            // Already running (USE_EXISTING) or already finished (REJECT_DUPLICATE → caught below): the retry's work is done.
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
            args: [
              {
                version: 1,
                institutionId: body.institutionId,
                bookingRef,
                slotId: slot.id,
                doctorId: slot.doctorId,
                departmentId: slot.departmentId,
                slotStartMs: slot.startsAt.getTime(),
                durationMin: slot.durationMin,
                feeMinor: slot.feeMinor,
                currency: slot.currency,
                userRef,
                timeZone,
                heldAtMs: heldAt,
                policy,
              },
            ],
            typedSearchAttributes: [
              { key: Vertical, value: 'hospital' },
              { key: Institution, value: body.institutionId },
              { key: UserRef, value: userRef },
              { key: Stage, value: 'holding' },
              { key: AmountDue, value: slot.feeMinor },
            ],
            memo: { summary: `hospital visit ${bookingRef} at ${body.institutionId}` },
          })
          .catch((err: unknown) => {
            if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          });
        return { bookingRef, stage: 'holding', heldUntil: new Date(heldAt + policy.holdMinutes * 60_000).toISOString() };
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/visits/:bookingRef',
      summary: 'Visit status and history',
      tags: ['hospital'],
      audience: 'partner',
      params: BookingParam,
      response: VisitStatusView,
      middleware: [asUser],
      // Ownership and the projection in one round trip: this is the partner read hit most often.
      handler: async ({ params }, req) => {
        const found = await readOwnVisitView(db, params.bookingRef, requirePartner(req).userId);
        if (!found) throw new DomainError(ErrorCode.NotFound, `no visit ${params.bookingRef}`);
        return statusView(await visitStatusFrom(found.visit, found.view));
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/visits/:bookingRef/payments',
      summary: 'What to pay: the platform QR code of each open payment',
      tags: ['hospital'],
      audience: 'partner',
      params: BookingParam,
      response: PaymentDue,
      middleware: [asUser],
      handler: async ({ params }, req) => {
        const visit = await ownVisit(req, params.bookingRef);
        const rows = await journeyPayments(db, workflowIds.hospitalVisit(visit.institution_id, visit.booking_ref));
        return {
          payments: rows.map((r) => ({
            outTradeNo: r.out_trade_no,
            step: r.step,
            amountMinor: r.amount_minor,
            currency: r.currency.trim(),
            status: r.status,
            qrCode: r.status === 'created' ? r.qr_code : null,
          })),
        };
      },
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/visits/:bookingRef/cancel',
      summary: 'Cancel (refund per the hospital rule)',
      tags: ['hospital'],
      audience: 'partner',
      params: BookingParam,
      response: StageView,
      middleware: [asUser],
      handler: async ({ params }, req) =>
        updateVisit(await ownVisit(req, params.bookingRef), 'cancel', (h) =>
          h.executeUpdate(cancelVisitUpdate, { args: [{ version: 1 }] }),
        ),
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/visits/:bookingRef/check-in',
      summary: "Arrived at the hospital: join the doctor's queue",
      tags: ['hospital'],
      audience: 'partner',
      params: BookingParam,
      body: CheckInRequest,
      response: StageView,
      middleware: [asUser],
      handler: async ({ params }, req) =>
        updateVisit(await ownVisit(req, params.bookingRef), 'check in', (h) =>
          h.executeUpdate(checkInUpdate, { args: [{ version: 1, arrivedAtMs: now() }] }),
        ),
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/visits/:bookingRef/queue',
      summary: 'Queue position and ETA',
      tags: ['hospital'],
      audience: 'partner',
      params: BookingParam,
      response: QueueView,
      middleware: [asUser],
      // Ownership, the doctor's queue snapshot and the visit's own queue fields in one round trip.
      handler: async ({ params }, req) => {
        const found = await readOwnQueueView(db, params.bookingRef, requirePartner(req).userId);
        if (!found) throw new DomainError(ErrorCode.NotFound, `no visit ${params.bookingRef}`);
        return positionView(found.visit, found.snapshot, found.joined ?? undefined, now());
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/visits/:bookingRef/queue/stream',
      summary: 'Queue position and ETA as server-sent events (event `queue`), until called',
      tags: ['hospital'],
      audience: 'partner',
      params: BookingParam,
      response: QueueEvent,
      produces: 'text/event-stream',
      middleware: [asUser],
      handler: async ({ params }, req, res) => {
        const v = await ownVisit(req, params.bookingRef);
        const { partnerId, userId } = requirePartner(req);
        const release = deps.limits.queueStreams.acquire(`${partnerId}:${userId}`);
        if (!release)
          throw rateLimited(`at most ${deps.limits.queueStreams.max} open queue streams per user`, config.QUEUE_STREAM_POLL_MS / 1000);
        try {
          await streamQueue(req, res, {
            changes: deps.changes,
            sources: [
              { channel: VISIT_VIEW_CHANNEL, key: v.booking_ref, load: () => visitStatus(v) },
              { channel: QUEUE_VIEW_CHANNEL, key: queueViewKey(queueKey(v)), load: () => readDoctorQueueView(db, queueKey(v)) },
            ],
            render: (visit, queue, nowMs) => ({ stage: visit.stage, ...positionView(v, queue, visit, nowMs) }),
            now,
            refreshMs: 30_000,
            pollMs: config.QUEUE_STREAM_POLL_MS,
            heartbeatMs: 15_000,
          });
        } finally {
          release();
        }
        return undefined;
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/visits/:bookingRef/results',
      summary: 'Lab results, decrypted for the patient only',
      tags: ['hospital'],
      audience: 'partner',
      params: BookingParam,
      response: VisitResults,
      middleware: [asUser],
      handler: async ({ params }, req) => {
        const v = await ownVisit(req, params.bookingRef);
        const rows = await visitResults(db, v.booking_ref);
        return {
          results: rows.map((r) => ({
            orderId: r.order_id,
            abnormal: r.abnormal,
            receivedAt: r.received_at.toISOString(),
            report: JSON.parse(deps.pii.decrypt(r.results_enc)) as unknown,
          })),
        };
      },
    });
    return router;
  };
}
