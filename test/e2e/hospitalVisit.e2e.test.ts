import { randomUUID } from 'node:crypto';
import { seedSchedule } from '../../db/repositories/slots';
import { serviceDayOf, addDays } from '../../domain/hospital/serviceDay';
import { startHisSimulator, type HisSimulator } from '../../integrations/hospital/simulator';
import { createTestIdNumber } from '../helpers/factories';
import { recordHistory } from '../helpers/histories';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';

/**
 * Whole hospital visits through the HTTP API, the MLLP socket, the HIS simulator and the payment
 * simulator (real alipay-sdk), on the real Temporal server and PostgreSQL.
 */
let p: TestPlatform;
let his: HisSimulator;
const HOSPITAL = `h${randomUUID().slice(0, 6)}`;
const DOCTOR = 'D1';
let slotIds: string[] = [];
let userA: string;
let userB: string;

async function api<T = unknown>(method: string, path: string, user: string | null, body?: object): Promise<{ status: number; body: T }> {
  const res = await fetch(`${p.api.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${p.partner.apiKey}`, 'content-type': 'application/json', ...(user ? { 'x-causeway-user': user } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

async function verifiedUser(): Promise<string> {
  const reg = await api<{ userId: string }>('POST', '/v1/users', null, { legalName: 'Test Patient', idNumber: createTestIdNumber(), phone: '13800000000' });
  expect(reg.status).toBe(202);
  await p.services.temporal.workflow.getHandle(`identity/${reg.body.userId}`).result();
  return reg.body.userId;
}

async function until<T>(fn: () => Promise<T | undefined>, what: string, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 150));
  }
  throw new Error(`timed out waiting for ${what}`);
}

type Status = { stage: string; orders: Array<{ orderId: string; status: string; outTradeNo: string | null }>; resultOrderIds: string[]; registration: { refundedMinor: number } };
const stage = async (ref: string, user = userA) => (await api<Status>('GET', `/v1/visits/${ref}`, user)).body;
const waitStage = (ref: string, s: string) => until(async () => ((await stage(ref)).stage === s ? true : undefined), `stage ${s}`);

async function payOpen(ref: string, step: string): Promise<void> {
  const due = await until(async () => {
    const r = await api<{ payments: Array<{ outTradeNo: string; step: string; qrCode: string | null }> }>('GET', `/v1/visits/${ref}/payments`, userA);
    return r.body.payments.find((x) => x.step === step && x.qrCode) ?? undefined;
  }, `payment ${step}`);
  p.payment.sim.buyer.scan(due.outTradeNo);
  p.payment.sim.buyer.pay(due.outTradeNo);
}

beforeAll(async () => {
  p = await startTestPlatform();
  his = await startHisSimulator({
    host: '127.0.0.1', port: 0, causeway: { host: '127.0.0.1', port: p.api.mllpPort ?? 0 }, facility: HOSPITAL,
    departments: [{ id: 'CARD', name: 'Cardiology' }], doctors: [{ id: DOCTOR, name: 'Dr. Zhang', departmentId: 'CARD' }],
  });
  await p.services.db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, mllp_host, mllp_port, settings)
     VALUES ($1, 'hospital', 'Test Hospital', 'Asia/Shanghai', $2, '127.0.0.1', $3, $4)`,
    [HOSPITAL, p.services.pii.encrypt('hospital-secret'), his.port, JSON.stringify({ policy: { holdMinutes: 1, fullRefundCutoffMinutes: 60, noShowGraceMinutes: 0, reminderLeadMinutes: 4 * 24 * 60, visitQuietCloseSeconds: 3 } })],
  );
  const tomorrow = addDays(serviceDayOf(Date.now(), 'Asia/Shanghai'), 1);
  slotIds = (await seedSchedule(p.services.db, {
    institutionId: HOSPITAL, departments: [{ id: 'CARD', name: 'Cardiology' }], doctors: [{ id: DOCTOR, departmentId: 'CARD', displayName: 'Dr. Zhang' }],
    days: [tomorrow], slotsPerDoctorPerDay: 10, feeMinor: 2500, currency: 'CNY', opensAt: new Date(Date.now() - 60_000), timeZone: 'Asia/Shanghai',
  })).slotIds;
  userA = await verifiedUser();
  userB = await verifiedUser();
});
afterAll(async () => {
  await his?.stop();
  await p?.stop();
});

describe('hospital visit', () => {
  it('runs a whole visit: booked, paid, checked in, queued, called, order paid, results delivered to the patient alone', async () => {
    const slots = await api<Array<{ slotId: string; feeMinor: number }>>('GET', `/v1/hospitals/${HOSPITAL}/slots`, null);
    expect(slots.status).toBe(200);
    expect(slots.body.length).toBe(10);
    const booked = await api<{ bookingRef: string; stage: string }>('POST', '/v1/visits', userA, { institutionId: HOSPITAL, slotId: slotIds[0] });
    expect(booked.status).toBe(201);
    const ref = booked.body.bookingRef;
    const taken = await api<{ code: string }>('POST', '/v1/visits', userB, { institutionId: HOSPITAL, slotId: slotIds[0] });
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

    await until(async () => (await his.callNext(DOCTOR)) ?? undefined, 'HIS call');
    await waitStage(ref, 'called');
    const { order } = await his.placeOrders(ref, { items: [{ code: 'CBC', text: 'Blood count', priceMinor: 4500 }], orderId: 'ORD-1' });
    await payOpen(ref, `order-${order.orderId}`);
    await until(async () => ((await stage(ref)).orders.find((o) => o.orderId === 'ORD-1')?.status === 'paid' ? true : undefined), 'order paid');
    await his.sendResults(ref, 'ORD-1', [{ code: 'HGB', text: 'Haemoglobin', value: '135', units: 'g/L', referenceRange: '115-150', abnormalFlag: 'N' }]);
    await waitStage(ref, 'closed');

    const results = await api<{ results: Array<{ orderId: string; report: { observations: unknown[] } }> }>('GET', `/v1/visits/${ref}/results`, userA);
    expect(results.status).toBe(200);
    expect(results.body.results[0]?.orderId).toBe('ORD-1');
    expect(JSON.stringify(results.body.results[0]?.report)).toContain('135');
    expect((await api('GET', `/v1/visits/${ref}/results`, userB)).status).toBe(404);
    const notices: Array<{ kind: string }> = await p.services.db.query(`SELECT kind FROM notifications WHERE journey_id LIKE $1 ORDER BY id`, [`%/${ref}`]);
    expect(notices.map((n) => n.kind)).toEqual(expect.arrayContaining(['booked', 'reminder', 'results_ready', 'results_ready_doctor']));
    const kinds = his.received.map((m) => m.type);
    expect(kinds).toEqual(expect.arrayContaining(['SIU^S12', 'SIU^S14', 'ADT^A04', 'DFT^P03']));
    await recordHistory(p.services.temporal.workflow.getHandle(`hospital-visit/${HOSPITAL}/${ref}`), 'hospital-visit-full');
  }, 90_000);

  it('cancels before the cut-off with a full refund and frees the slot', async () => {
    const booked = await api<{ bookingRef: string }>('POST', '/v1/visits', userA, { institutionId: HOSPITAL, slotId: slotIds[1] });
    const ref = booked.body.bookingRef;
    await payOpen(ref, 'registration');
    await waitStage(ref, 'booked');
    const cancel = await api<{ stage: string; refundMinor: number }>('POST', `/v1/visits/${ref}/cancel`, userA);
    expect(cancel.body).toEqual({ stage: 'cancelled', refundMinor: 2500 });
    const ledger: Array<{ kind: string; amount_minor: string }> = await p.services.db.query(
      `SELECT l.kind, l.amount_minor FROM ledger_entries l JOIN payments p USING (out_trade_no) WHERE p.journey_id = $1 ORDER BY l.id`, [`hospital-visit/${HOSPITAL}/${ref}`]);
    expect(ledger.map((l) => [l.kind, Number(l.amount_minor)])).toEqual([['created', 0], ['paid', 2500], ['refunded', -2500]]);
    const [slot] = await p.services.db.query('SELECT status FROM slots WHERE id = $1', [slotIds[1]]);
    expect(slot.status).toBe('free');
    expect(his.received.map((m) => m.type)).toContain('SIU^S15');
  }, 60_000);

  it('releases the slot when the HIS refuses the hold', async () => {
    his.setBehaviour({ rejectHoldsForSlots: [slotIds[2] ?? ''] });
    const booked = await api<{ bookingRef: string }>('POST', '/v1/visits', userA, { institutionId: HOSPITAL, slotId: slotIds[2] });
    await waitStage(booked.body.bookingRef, 'rejected');
    const [slot] = await p.services.db.query('SELECT status FROM slots WHERE id = $1', [slotIds[2]]);
    expect(slot.status).toBe('free');
  }, 60_000);

  it('refuses to book for an unverified user, and validates the body', async () => {
    const bad = await api<{ errors: Array<{ field: string }> }>('POST', '/v1/visits', userA, { institutionId: 'x y', slotId: '' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e) => e.field).sort()).toEqual(['body.institutionId', 'body.slotId']);
  });
});
