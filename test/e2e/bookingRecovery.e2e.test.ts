import { createHash } from 'node:crypto';
import { createSlotRepository } from '../../db/repositories/slots';
import { createVisitRepository } from '../../db/repositories/visits';
import { bookingRefFor, workflowIds } from '../../domain/ids';
import { createTestIdNumber } from '../helpers/factories';
import { recordHistory } from '../helpers/histories';
import { startHospitalDriver, type HospitalDriver } from '../helpers/hospitalDriver';
import { until } from '../helpers/poll';

/**
 * Booking and registration span two stores (PostgreSQL, Temporal). These tests put the database
 * in the state a crash between two steps leaves, then retry the request as a client would, and
 * check that the retry finishes the job (or that the reaper cleans up what nobody retried).
 */
let d: HospitalDriver;
let user: string;

beforeAll(async () => {
  d = await startHospitalDriver({
    policy: {
      holdMinutes: 5,
      fullRefundCutoffMinutes: 60,
      noShowGraceMinutes: 0,
      reminderLeadMinutes: 4 * 24 * 60,
      visitQuietCloseSeconds: 2,
    },
    // One patient holds several (orphaned) bookings here; the per-user limit is proven in limits.e2e.
    env: { MAX_OPEN_BOOKINGS_PER_USER: '100' },
  });
  user = await d.verifiedUser();
});
afterAll(async () => {
  await d?.stop();
});

const db = () => d.p.services.db;

async function post<T>(path: string, body: object, opts: { user?: string; key?: string } = {}): Promise<{ status: number; body: T }> {
  const res = await fetch(`${d.p.api.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${d.p.partner.apiKey}`,
      'content-type': 'application/json',
      ...(opts.user ? { 'x-causeway-user': opts.user } : {}),
      ...(opts.key ? { 'idempotency-key': opts.key } : {}),
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** What a crash before the answer was stored leaves in idempotency_keys: in progress, long ago. */
async function leaveKeyInProgress(key: string, path: string, body: object, principal: string): Promise<void> {
  const hash = createHash('sha256').update(`POST ${path}\n`).update(JSON.stringify(body)).digest('hex');
  await db().query(
    // As a crash leaves it once its lease has run out: no answer stored, the lease in the past.
    `INSERT INTO idempotency_keys (principal, key, request_hash, created_at, lease_until)
     VALUES ($1, $2, $3, now() - interval '1 hour', now() - interval '1 hour')
     ON CONFLICT (principal, key) DO UPDATE SET response_status = NULL, response_body = NULL,
       created_at = now() - interval '1 hour', lease_until = now() - interval '1 hour'`,
    [principal, key, hash],
  );
}

/** Hold and row as the first attempt wrote them, the workflow never started. */
async function orphanBooking(slotIndex: number, bookingRef: string, ageSeconds = 0): Promise<void> {
  const slotId = d.slotIds[slotIndex] ?? '';
  const slot = await createSlotRepository(db()).holdSlot({
    slotId,
    bookingRef,
    heldUntil: new Date(Date.now() + 600_000),
    now: new Date(),
  });
  await createVisitRepository(db()).insertVisit({
    bookingRef,
    institutionId: d.hospital,
    userId: user,
    partnerId: d.p.partner.id,
    slotId,
    doctorId: slot.doctorId,
    workflowId: workflowIds.hospitalVisit(d.hospital, bookingRef),
  });
  if (ageSeconds > 0) {
    await db().query(`UPDATE visits SET created_at = now() - make_interval(secs => $2) WHERE booking_ref = $1`, [bookingRef, ageSeconds]);
  }
}

const principal = () => `partner:${d.p.partner.id}:${user}`;
const slotRow = async (i: number) =>
  (
    await db().query<Array<{ status: string; booking_ref: string | null }>>('SELECT status, booking_ref FROM slots WHERE id = $1', [
      d.slotIds[i],
    ])
  )[0];

describe('booking across PostgreSQL and Temporal', () => {
  it('a retry after the workflow start failed gets its own hold back (201, same ref) instead of 409', async () => {
    const key = 'retry-after-failed-start';
    const ref = bookingRefFor(principal(), key);
    await orphanBooking(0, ref); // the 5xx freed the key; hold and row stayed
    const res = await post<{ bookingRef: string }>('/v1/visits', { institutionId: d.hospital, slotId: d.slotIds[0] }, { user, key });
    expect(res.status).toBe(201);
    expect(res.body.bookingRef).toBe(ref);
    await d.waitStage(ref, user, 'awaiting_payment');
  }, 60_000);

  it('a retry after a crash mid-request (key left in progress) takes the request over and starts the workflow', async () => {
    const key = 'retry-after-crash';
    const body = { institutionId: d.hospital, slotId: d.slotIds[1] };
    const ref = bookingRefFor(principal(), key);
    await orphanBooking(1, ref);
    await leaveKeyInProgress(key, '/v1/visits', body, principal());
    const res = await post<{ bookingRef: string }>('/v1/visits', body, { user, key });
    expect(res.status).toBe(201);
    expect(res.body.bookingRef).toBe(ref);
    await d.waitStage(ref, user, 'awaiting_payment');
  }, 60_000);

  it('a retry after the whole booking went through (answer lost) finds the same booked visit and the same workflow run', async () => {
    const key = 'retry-after-lost-answer';
    const body = { institutionId: d.hospital, slotId: d.slotIds[2] };
    const first = await post<{ bookingRef: string }>('/v1/visits', body, { user, key });
    expect(first.status).toBe(201);
    const ref = first.body.bookingRef;
    await d.payOpen(ref, user, 'registration');
    await d.waitStage(ref, user, 'booked');
    const handle = d.p.services.temporal.workflow.getHandle(workflowIds.hospitalVisit(d.hospital, ref));
    const runId = (await handle.describe()).runId;
    await leaveKeyInProgress(key, '/v1/visits', body, principal());
    const again = await post<{ bookingRef: string }>('/v1/visits', body, { user, key });
    expect(again.status).toBe(201);
    expect(again.body.bookingRef).toBe(ref);
    expect((await handle.describe()).runId).toBe(runId);
    expect(await slotRow(2)).toEqual({ status: 'booked', booking_ref: ref });
  }, 60_000);

  it('the reaper releases orphans past the grace period and leaves live bookings alone', async () => {
    await orphanBooking(3, 'BORPHANROW', 3_600); // row + hold, no workflow, an hour old
    await createSlotRepository(db()).holdSlot({
      slotId: d.slotIds[4] ?? '',
      bookingRef: 'BORPHANHOLD',
      heldUntil: new Date(Date.now() + 600_000),
      now: new Date(),
    }); // hold without a row
    await db().query(`UPDATE slots SET updated_at = now() - interval '1 hour' WHERE id = $1`, [d.slotIds[4]]);
    await orphanBooking(5, 'BYOUNGORPHAN'); // within the grace period: maybe still starting
    const live = (await post<{ bookingRef: string }>('/v1/visits', { institutionId: d.hospital, slotId: d.slotIds[6] }, { user })).body
      .bookingRef;
    await db().query(`UPDATE visits SET created_at = now() - interval '1 hour' WHERE booking_ref = $1`, [live]);
    await d.waitStage(live, user, 'awaiting_payment');
    await db().query(`UPDATE visits SET stage = 'holding' WHERE booking_ref = $1`, [live]); // looks like an orphan, but its workflow runs

    const reaper = await d.p.services.temporal.workflow.start('reapOrphanBookingsWorkflow', {
      taskQueue: d.p.services.config.TEMPORAL_TASK_QUEUE,
      workflowId: `booking-reaper/test-${Date.now()}`,
      args: [{ version: 1, graceSeconds: 600 }],
    });
    const result = await reaper.result();
    await recordHistory(reaper, 'orphans-released');
    expect(result).toEqual({ abandoned: 1, releasedHolds: 1 });
    expect(await slotRow(3)).toEqual({ status: 'free', booking_ref: null });
    expect(await slotRow(4)).toEqual({ status: 'free', booking_ref: null });
    expect(await slotRow(5)).toEqual({ status: 'held', booking_ref: 'BYOUNGORPHAN' });
    expect(await slotRow(6)).toEqual({ status: 'held', booking_ref: live });
    const stages: Array<{ booking_ref: string; stage: string }> = await db().query(
      'SELECT booking_ref, stage FROM visits WHERE booking_ref = ANY($1) ORDER BY booking_ref',
      [['BORPHANROW', live]],
    );
    expect(stages).toContainEqual({ booking_ref: 'BORPHANROW', stage: 'abandoned' });
    // The live booking is left to its workflow (which may already have written its own stage again).
    expect(stages.find((r) => r.booking_ref === live)?.stage).toMatch(/^(holding|awaiting_payment)$/);
  }, 60_000);
});

describe('registration retried after a crash', () => {
  it('starts identity verification for a user the first attempt left pending without a workflow', async () => {
    const body = { legalName: 'Crash Patient', idNumber: createTestIdNumber(), phone: '13900000000' };
    const { pii } = d.p.services;
    const userId = '7b0c5f2e-0000-4000-8000-000000000001';
    // The row as the first attempt inserted it, before it died at the workflow start.
    await db().query(
      `INSERT INTO users (id, partner_id, id_number_hash, id_number_enc, legal_name_enc, phone_enc, phone_hash, user_ref, identity_status, birth_year, sex, province_code)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, 'M', '44')`,
      [
        userId,
        d.p.partner.id,
        pii.lookupHash('id_number', body.idNumber),
        pii.encrypt(body.idNumber),
        pii.encrypt(body.legalName),
        pii.encrypt(body.phone),
        pii.lookupHash('phone', body.phone),
        pii.lookupHash('user_ref', userId).slice(0, 32),
        Number(body.idNumber.slice(6, 10)),
      ],
    );
    const retry = await post<{ userId: string; identityStatus: string }>('/v1/users', body);
    expect(retry.status).toBe(200); // the same details again: the same user, now being verified
    expect(retry.body.userId).toBe(userId);
    await until(
      'identity verified',
      async () =>
        (await db().query<Array<{ identity_status: string }>>('SELECT identity_status FROM users WHERE id = $1', [userId]))[0]
          ?.identity_status === 'verified',
      { timeoutMs: 30_000 },
    );
  }, 60_000);
});
