import { UNDO_GAVE_UP_ACTION } from '../../activities/hospital';
import { recentAudit } from '../../db/repositories/audit';
import { TEST_KEYS } from '../helpers/platform';
import { startHospitalDriver, type HospitalDriver } from '../helpers/hospitalDriver';
import { recordHistory } from '../helpers/histories';
import { until } from '../helpers/poll';

/**
 * Issue 9 items 1 and 6 through the real API, HIS simulator and payment simulator: a failure after
 * the money moved is compensated and ends in a named stage; an operator's cancel compensates;
 * terminate is made good by the sweeper; updates answer within a bound with typed refusals.
 */
let d: HospitalDriver;
let user: string;

beforeAll(async () => {
  d = await startHospitalDriver({
    policy: {
      holdMinutes: 15,
      fullRefundCutoffMinutes: 60,
      noShowGraceMinutes: 0,
      reminderLeadMinutes: 4 * 24 * 60,
      visitQuietCloseSeconds: 3,
    },
  });
  user = await d.verifiedUser();
});
afterAll(async () => {
  await d?.stop();
});

interface Visit {
  stage: string;
  failureReason?: string;
  registration: { outTradeNo: string; status: string; refundedMinor: number };
}

async function book(slotIndex: number): Promise<string> {
  const res = await d.api<{ bookingRef: string }>('POST', '/v1/visits', user, { institutionId: d.hospital, slotId: d.slotIds[slotIndex] });
  expect(res.status).toBe(201);
  return res.body.bookingRef;
}
async function bookAndPay(slotIndex: number): Promise<string> {
  const ref = await book(slotIndex);
  await d.payOpen(ref, user, 'registration');
  await d.waitStage(ref, user, 'booked');
  return ref;
}
const visit = async (ref: string): Promise<Visit> => (await d.api<Visit>('GET', `/v1/visits/${ref}`, user)).body;
async function slot(slotIndex: number): Promise<{ status: string; booking_ref: string | null } | undefined> {
  const rows: Array<{ status: string; booking_ref: string | null }> = await d.p.services.db.query(
    'SELECT status, booking_ref FROM slots WHERE id = $1',
    [d.slotIds[slotIndex]],
  );
  return rows[0];
}
const hisTypes = (ref: string): string[] => d.his.received.filter((m) => m.bookingRef === ref).map((m) => m.type ?? '');
const platformRefunded = (outTradeNo: string): number => {
  const trade = d.p.payment.sim.trades.get(outTradeNo);
  return trade ? d.p.payment.sim.trades.refunded(trade) : -1;
};
async function operator<T>(method: string, path: string, body?: object): Promise<{ status: number; body: T }> {
  const res = await fetch(`${d.p.api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TEST_KEYS.operatorToken}`, 'content-type': 'application/json' },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}
/** A visit update through the API, timed: it must answer within the bound whatever the HIS does. */
async function timedUpdate(
  ref: string,
  what: 'cancel' | 'check-in',
): Promise<{ status: number; body: Record<string, unknown>; ms: number }> {
  const started = Date.now();
  const res = await fetch(`${d.p.api.url}/v1/visits/${ref}/${what}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${d.p.partner.apiKey}`, 'x-causeway-user': user, 'content-type': 'application/json' },
    body: '{}',
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, ms: Date.now() - started };
}

describe('compensation (item 1)', () => {
  it('refunds the fee, cancels the HIS hold and ends `failed` (slot_taken) when the paid visit lost its hold to another patient', async () => {
    const ref = await book(0);
    // The hold lapsed while the payment was in flight (a backlogged worker) and another patient took the slot.
    await d.p.services.db.query(`UPDATE slots SET booking_ref = 'BOTHERPATIENT', held_until = now() + interval '1 hour' WHERE id = $1`, [
      d.slotIds[0],
    ]);
    await d.payOpen(ref, user, 'registration');
    await d.waitStage(ref, user, 'failed');
    const v = await visit(ref);
    expect(v).toMatchObject({ stage: 'failed', failureReason: 'slot_taken', registration: { status: 'refunded', refundedMinor: 2500 } });
    expect(platformRefunded(v.registration.outTradeNo)).toBe(2500);
    expect(await slot(0)).toEqual({ status: 'held', booking_ref: 'BOTHERPATIENT' }); // the other patient's hold is untouched
    await until('SIU^S15 at the HIS', async () => hisTypes(ref).includes('SIU^S15'));
    const handle = d.p.services.temporal.workflow.getHandle(`hospital-visit/${d.hospital}/${ref}`);
    expect(await handle.result()).toMatchObject({ stage: 'failed', refundedMinor: 2500, failureReason: 'slot_taken' });
    const description = await handle.describe();
    expect(description.status.name).toBe('COMPLETED');
    expect(description.searchAttributes.CausewayStage).toEqual(['failed']);
    await recordHistory(handle, 'failed-slot-taken');
  });

  it('an operator cancel (workflow cancellation) refunds in full, releases slot and HIS booking, and ends `cancelled`', async () => {
    const ref = await bookAndPay(1);
    const res = await operator<{ cancelRequested: boolean }>('POST', `/v1/operator/visits/${ref}/cancel`);
    expect(res).toEqual({ status: 200, body: { bookingRef: ref, cancelRequested: true } });
    await d.waitStage(ref, user, 'cancelled');
    const v = await visit(ref);
    expect(v).toMatchObject({ failureReason: 'operator_cancelled', registration: { refundedMinor: 2500 } });
    expect(platformRefunded(v.registration.outTradeNo)).toBe(2500);
    expect(await slot(1)).toEqual({ status: 'free', booking_ref: null });
    await until('SIU^S15 at the HIS', async () => hisTypes(ref).includes('SIU^S15'));
    // The workflow completed (not cancelled): the undo ran and the visit returned its named end.
    const handle = d.p.services.temporal.workflow.getHandle(`hospital-visit/${d.hospital}/${ref}`);
    expect(await handle.result()).toMatchObject({ stage: 'cancelled', refundedMinor: 2500, failureReason: 'operator_cancelled' });
    expect((await operator('POST', `/v1/operator/visits/${ref}/cancel`)).status).toBe(409);
  });

  it('the sweeper refunds a terminated visit (terminate runs no compensation), cancels its HIS booking and marks it failed', async () => {
    const ref = await bookAndPay(2);
    const outTradeNo = (await visit(ref)).registration.outTradeNo;
    await d.p.services.temporal.workflow.getHandle(`hospital-visit/${d.hospital}/${ref}`).terminate('drill: operator terminated');
    const swept = await operator<{ visits: number; refundedMinor: number }>('POST', '/v1/operator/sweeps/abandoned-visits/run', {
      staleSeconds: 0,
      // The run's other test files terminate visits too: this sweep takes only this file's hospital.
      institutionId: d.hospital,
    });
    expect(swept.status).toBe(200);
    expect(swept.body.refundedMinor).toBeGreaterThanOrEqual(2500);
    expect(platformRefunded(outTradeNo)).toBe(2500);
    expect(await slot(2)).toEqual({ status: 'free', booking_ref: null });
    const rows: Array<{ stage: string }> = await d.p.services.db.query('SELECT stage FROM visits WHERE booking_ref = $1', [ref]);
    expect(rows[0]?.stage).toBe('failed');
    // The patient never arrived: the HIS booking is cancelled too (the sweep waited for its ACK).
    expect(hisTypes(ref).filter((t) => t === 'SIU^S15')).toEqual(['SIU^S15']);
    if (process.env.CAUSEWAY_RECORD_HISTORIES === '1') {
      const sweep = await until('the sweep in visibility', async () => {
        for await (const w of d.p.services.temporal.workflow.list({ query: `WorkflowType = 'sweepAbandonedVisits'` })) return w;
        return undefined;
      });
      await recordHistory(d.p.services.temporal.workflow.getHandle(sweep.workflowId), 'refunded-terminated-visit');
    }
    // Run again: nothing left to do, nothing refunded twice.
    const again = await operator<{ visits: number }>('POST', '/v1/operator/sweeps/abandoned-visits/run', {
      staleSeconds: 0,
      institutionId: d.hospital,
    });
    expect(again.body.visits).toBe(0);
    expect(platformRefunded(outTradeNo)).toBe(2500);
    expect(hisTypes(ref).filter((t) => t === 'SIU^S15')).toEqual(['SIU^S15']);
  });
});

describe('updates answer within a bound, refusals are typed (item 6)', () => {
  it('cancel returns when the HIS refuses the cancellation (SIU^S15 rejected), and a second cancel is a typed 409', async () => {
    const ref = await bookAndPay(3);
    d.his.setBehaviour({ rejectMessageTypes: ['SIU^S15'] });
    try {
      const res = await timedUpdate(ref, 'cancel');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ stage: 'cancelled', pending: false, refundMinor: 2500 });
    } finally {
      d.his.setBehaviour({ rejectMessageTypes: [] });
    }
    // The refused cancel is left to operators, and the audit log says so.
    const gaveUp = await recentAudit(d.p.services.db, { action: UNDO_GAVE_UP_ACTION, subject: `hospital-visit/${d.hospital}/${ref}` });
    expect(gaveUp.map((a) => a.details)).toEqual([expect.objectContaining({ bookingRef: ref, step: 'his' })]);
    await recordHistory(d.p.services.temporal.workflow.getHandle(`hospital-visit/${d.hospital}/${ref}`), 'cancelled-his-cancel-refused');
    const again = await timedUpdate(ref, 'cancel');
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ code: 'invalid_state' });
  });

  it('cancel and check-in answer `pending` within the bound while the HIS hangs, and finish once it answers', async () => {
    const cancelRef = await bookAndPay(4);
    const checkInRef = await bookAndPay(5);
    await d.his.outage({ mode: 'hang' });
    try {
      const [cancel, checkIn] = await Promise.all([timedUpdate(cancelRef, 'cancel'), timedUpdate(checkInRef, 'check-in')]);
      expect(cancel).toMatchObject({ status: 200, body: { pending: true } });
      expect(checkIn).toMatchObject({ status: 200, body: { pending: true } });
      expect(Math.max(cancel.ms, checkIn.ms)).toBeLessThan(20_000);
    } finally {
      await d.his.restore();
    }
    await until('cancelled after the HIS answered', async () => (await visit(cancelRef)).stage === 'cancelled', { timeoutMs: 60_000 });
    await until('queued after the HIS answered', async () => ['queued', 'called'].includes((await visit(checkInRef)).stage), {
      timeoutMs: 60_000,
    });
  }, 120_000);
});
