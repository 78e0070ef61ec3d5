import { recordHistory } from '../helpers/histories';
import { startHospitalDriver, type HospitalDriver } from '../helpers/hospitalDriver';
import { until } from '../helpers/poll';

/**
 * Whole hospital visits through the HTTP API, the MLLP socket, the HIS simulator and the payment
 * simulator (real alipay-sdk), on the real Temporal server and PostgreSQL.
 */
let d: HospitalDriver;
let userA: string;
let userB: string;
const api: HospitalDriver['api'] = (...args) => d.api(...args);
const stage = (ref: string, user = userA) => d.stage(ref, user);
const waitStage = (ref: string, s: string) => d.waitStage(ref, userA, s);
const payOpen = (ref: string, step: string) => d.payOpen(ref, userA, step);

beforeAll(async () => {
  d = await startHospitalDriver({
    policy: {
      holdMinutes: 1,
      fullRefundCutoffMinutes: 60,
      noShowGraceMinutes: 0,
      reminderLeadMinutes: 4 * 24 * 60,
      visitQuietCloseSeconds: 3,
    },
  });
  userA = await d.verifiedUser();
  userB = await d.verifiedUser();
});
afterAll(async () => {
  await d?.stop();
});

describe('hospital visit', () => {
  it('runs a whole visit: booked, paid, checked in, queued, called, order paid, results delivered to the patient alone', async () => {
    const slots = await api<Array<{ slotId: string; feeMinor: number }>>('GET', `/v1/hospitals/${d.hospital}/slots`, null);
    expect(slots.status).toBe(200);
    expect(slots.body.length).toBe(10);
    const booked = await api<{ bookingRef: string; stage: string }>('POST', '/v1/visits', userA, {
      institutionId: d.hospital,
      slotId: d.slotIds[0],
    });
    expect(booked.status).toBe(201);
    const ref = booked.body.bookingRef;
    const taken = await api<{ code: string }>('POST', '/v1/visits', userB, { institutionId: d.hospital, slotId: d.slotIds[0] });
    expect(taken.status).toBe(409);
    expect(taken.body.code).toBe('slot_taken');

    await payOpen(ref, 'registration');
    await waitStage(ref, 'booked');
    expect((await api('GET', `/v1/visits/${ref}`, userB)).status).toBe(404); // another user's visit does not exist for them

    const checkIn = await api<{ stage: string }>('POST', `/v1/visits/${ref}/check-in`, userA, {});
    expect(checkIn.status).toBe(200);
    expect(checkIn.body.stage).toBe('queued');
    const queue = await api<{ status: string; position: number }>('GET', `/v1/visits/${ref}/queue`, userA);
    expect(queue.body).toMatchObject({ status: 'waiting', position: 1 });

    await until('HIS call', async () => d.his.callNext(d.doctor), { timeoutMs: 30_000 });
    await waitStage(ref, 'called');
    const { order } = await d.his.placeOrders(ref, { items: [{ code: 'CBC', text: 'Blood count', priceMinor: 4500 }], orderId: 'ORD-1' });
    await payOpen(ref, `order-${order.orderId}`);
    await until('order paid', async () => (await stage(ref)).orders.find((o) => o.orderId === 'ORD-1')?.status === 'paid', {
      timeoutMs: 30_000,
    });
    await d.his.sendResults(ref, 'ORD-1', [
      { code: 'HGB', text: 'Haemoglobin', value: '135', units: 'g/L', referenceRange: '115-150', abnormalFlag: 'N' },
    ]);
    await waitStage(ref, 'closed');

    const results = await api<{ results: Array<{ orderId: string; report: { observations: unknown[] } }> }>(
      'GET',
      `/v1/visits/${ref}/results`,
      userA,
    );
    expect(results.status).toBe(200);
    expect(results.body.results[0]?.orderId).toBe('ORD-1');
    expect(JSON.stringify(results.body.results[0]?.report)).toContain('135');
    expect((await api('GET', `/v1/visits/${ref}/results`, userB)).status).toBe(404);
    const notices: Array<{ kind: string }> = await d.p.services.db.query(
      `SELECT kind FROM notifications WHERE journey_id LIKE $1 ORDER BY id`,
      [`%/${ref}`],
    );
    expect(notices.map((n) => n.kind)).toEqual(expect.arrayContaining(['booked', 'reminder', 'results_ready', 'results_ready_doctor']));
    const kinds = d.his.received.map((m) => m.type);
    expect(kinds).toEqual(expect.arrayContaining(['SIU^S12', 'SIU^S14', 'ADT^A04', 'DFT^P03']));
    // Each stage the visit reached is one journey event (issue 13), under the patient's pseudonymous ref.
    const events: Array<{ stage: string; vertical: string; institution_id: string; user_ref: string }> = await d.p.services.db.query(
      'SELECT stage, vertical, institution_id, user_ref FROM journey_events WHERE journey_id = $1 ORDER BY id',
      [`hospital-visit/${d.hospital}/${ref}`],
    );
    expect(events.map((e) => e.stage)).toEqual(['holding', 'awaiting_payment', 'booked', 'queued', 'called', 'closed']);
    const [patient]: Array<{ user_ref: string }> = await d.p.services.db.query('SELECT user_ref FROM users WHERE id = $1', [userA]);
    expect(new Set(events.map((e) => `${e.vertical}|${e.institution_id}|${e.user_ref}`))).toEqual(
      new Set([`hospital|${d.hospital}|${patient?.user_ref}`]),
    );
    await recordHistory(d.p.services.temporal.workflow.getHandle(`hospital-visit/${d.hospital}/${ref}`), 'closed-full-visit');

    // The HIS sends the same results again after the visit closed (or a first delivery's row was never
    // marked applied): the visit had them, so the message is applied, not failed for an operator.
    const before: Array<{ id: string }> = await d.p.services.db.query(
      `SELECT coalesce(max(id), 0)::text AS id FROM inbox_messages WHERE institution_id = $1`,
      [d.hospital],
    );
    await d.his.sendResults(ref, 'ORD-1', [
      { code: 'HGB', text: 'Haemoglobin', value: '135', units: 'g/L', referenceRange: '115-150', abnormalFlag: 'N' },
    ]);
    const resent = await until(
      'the resent results settled',
      async () => {
        const rows: Array<{ status: string; error: string | null }> = await d.p.services.db.query(
          `SELECT status, error FROM inbox_messages WHERE institution_id = $1 AND id > $2 AND status <> 'received'`,
          [d.hospital, before[0]?.id ?? '0'],
        );
        return rows[0];
      },
      { timeoutMs: 30_000 },
    );
    expect(resent).toEqual({ status: 'applied', error: null });
  }, 90_000);

  it('cancels before the cut-off with a full refund and frees the slot', async () => {
    const booked = await api<{ bookingRef: string }>('POST', '/v1/visits', userA, { institutionId: d.hospital, slotId: d.slotIds[1] });
    const ref = booked.body.bookingRef;
    await payOpen(ref, 'registration');
    await waitStage(ref, 'booked');
    const cancel = await api<{ stage: string; refundMinor: number }>('POST', `/v1/visits/${ref}/cancel`, userA);
    expect(cancel.body).toEqual({ stage: 'cancelled', pending: false, refundMinor: 2500 });
    const ledger: Array<{ kind: string; amount_minor: string }> = await d.p.services.db.query(
      `SELECT l.kind, l.amount_minor FROM ledger_entries l JOIN payments p USING (out_trade_no) WHERE p.journey_id = $1 ORDER BY l.id`,
      [`hospital-visit/${d.hospital}/${ref}`],
    );
    expect(ledger.map((l) => [l.kind, Number(l.amount_minor)])).toEqual([
      ['created', 0],
      ['paid', 2500],
      ['refunded', -2500],
    ]);
    const [slot] = await d.p.services.db.query('SELECT status FROM slots WHERE id = $1', [d.slotIds[1]]);
    expect(slot.status).toBe('free');
    expect(d.his.received.map((m) => m.type)).toContain('SIU^S15');
    await recordHistory(d.p.services.temporal.workflow.getHandle(`hospital-visit/${d.hospital}/${ref}`), 'cancelled-before-cutoff');
  }, 60_000);

  it('releases the slot when the HIS refuses the hold', async () => {
    d.his.setBehaviour({ rejectHoldsForSlots: [d.slotIds[2] ?? ''] });
    const booked = await api<{ bookingRef: string }>('POST', '/v1/visits', userA, { institutionId: d.hospital, slotId: d.slotIds[2] });
    await waitStage(booked.body.bookingRef, 'rejected');
    const [slot] = await d.p.services.db.query('SELECT status FROM slots WHERE id = $1', [d.slotIds[2]]);
    expect(slot.status).toBe('free');
    await recordHistory(
      d.p.services.temporal.workflow.getHandle(`hospital-visit/${d.hospital}/${booked.body.bookingRef}`),
      'rejected-by-his',
    );
  }, 60_000);

  it('refuses to book for an unverified user, and validates the body', async () => {
    const bad = await api<{ errors: Array<{ field: string }> }>('POST', '/v1/visits', userA, { institutionId: 'x y', slotId: '' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e) => e.field).sort()).toEqual(['body.institutionId', 'body.slotId']);
  });
});
