import { UNDO_GAVE_UP_ACTION } from '../../activities/hospital';
import { recentAudit } from '../../db/repositories/audit';
import { SCALED_OUT } from '../helpers/hospitalDriver';
import { startTestPlatform, TEST_KEYS, type TestPlatform } from '../helpers/platform';
import { PartnerApi } from './helpers/api';
import { openHospital, verifiedUser, VisitDriver, type DrillHospital, DRILL_LIMITS } from './helpers/hospital';
import { settledInvariants } from './helpers/invariants';
import { allSettledOrThrow, until } from '../helpers/poll';
import { pendingActivity } from './helpers/temporalProbe';

/**
 * Drill 4: the hospital's HIS goes away and comes back. First it refuses connections while
 * patients book (the slot hold, SIU^S12, cannot reach it); then it accepts connections but answers
 * nothing while the registration fees are paid (the confirmation, SIU^S14, times out). Outbound HL7
 * is retried by Temporal with the same MSH-10 each time; once the HIS is back every visit proceeds,
 * and the HIS applied each message once.
 */
let p: TestPlatform;
let api: PartnerApi;
let hospital: DrillHospital;
const VISITS = 3;

beforeAll(async () => {
  p = await startTestPlatform({ env: DRILL_LIMITS, replicas: SCALED_OUT });
  api = new PartnerApi(
    p.apis.map((a) => a.url),
    p.partner.apiKey,
  );
  hospital = await openHospital(p, { doctors: VISITS });
}, 60_000);
afterAll(async () => {
  await hospital?.stop();
  await p?.stop();
}, 60_000);

it(`injects a HIS outage twice — connections refused while ${VISITS} patients book, then connections hanging unanswered while they pay — and lifts it; checks the visits wait in holding / awaiting_payment while outbound HL7 is retried through Temporal, then proceed (one closes, one is cancelled with a refund, one stays booked), the HIS applied every message once, and the invariants hold`, async () => {
  const { his } = hospital;
  const user = await verifiedUser(api, p);
  const ctx = { api, db: p.services.db, paymentSim: p.payment.sim, hospital, stepTimeoutMs: 90_000 };
  const drivers = hospital.slots.map((slot) => new VisitDriver(ctx, user, slot));
  const temporal = p.services.temporal;

  // --- outage 1: the HIS refuses connections while the patients book -------------------------
  await his.outage({ mode: 'refuse' });
  for (const d of drivers) await d.book();
  for (const d of drivers) {
    const hold = await until(
      `${d.bookingRef}: the hold retried`,
      async () => {
        const a = await pendingActivity(temporal, d.workflowId, 'hisRequestHold');
        return a && a.attempt >= 3 ? a : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(hold.lastFailure).toBeTruthy();
    expect(await d.stage()).toBe('holding');
  }
  expect(his.received.filter((m) => m.type?.startsWith('SIU'))).toEqual([]);
  // The API's slot hold stands while the HIS is away: nobody else can take these slots.
  for (const d of drivers) {
    const [slot] = await p.services.db.query('SELECT status, booking_ref FROM slots WHERE id = $1', [d.slot.slotId]);
    expect(slot).toEqual({ status: 'held', booking_ref: d.bookingRef });
  }
  await his.restore();
  for (const d of drivers) await d.waitStage('awaiting_payment');

  // --- outage 2: the HIS accepts connections but answers nothing while the fees are paid ------
  await his.outage({ mode: 'hang' });
  for (const d of drivers) await d.pay('registration');
  for (const d of drivers) {
    await d.waitPayment('registration', 'paid');
    const confirm = await until(
      `${d.bookingRef}: the confirmation retried after an ACK timeout`,
      async () => {
        const a = await pendingActivity(temporal, d.workflowId, 'hisConfirm');
        return a && a.attempt >= 2 ? a : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(confirm.lastFailure).toBeTruthy();
    // Paid, but not booked until the HIS has confirmed.
    expect(await d.stage()).toBe('awaiting_payment');
  }
  await his.restore();
  await allSettledOrThrow(drivers.map((d) => d.waitStage('booked')));

  // Each booking's confirmation reached the HIS more than once (the retries), and was applied once.
  for (const d of drivers) {
    const booking = his.state.bookings.get(d.bookingRef);
    expect(booking?.status).toBe('booked');
  }
  const s14 = his.received.filter((m) => m.type === 'SIU^S14');
  expect(s14.filter((m) => !m.duplicate)).toHaveLength(VISITS);
  expect(s14.length).toBeGreaterThan(VISITS);

  // --- afterwards: the journeys go on as usual ------------------------------------------------
  const [first, second, third] = drivers;
  if (!first || !second || !third) throw new Error('three visits expected');
  // Answered within its bound (`pending` while the HIS is still catching up); the fee goes back in full.
  await second.cancel();
  await second.waitStage('cancelled');
  await second.waitPayment('registration', 'refunded');
  await first.attendAndClose('ORD-1', 4200);
  expect(await third.stage()).toBe('booked');
  expect(his.received.map((m) => m.type)).toEqual(expect.arrayContaining(['SIU^S12', 'SIU^S14', 'SIU^S15', 'ADT^A04', 'DFT^P03']));

  const report = await settledInvariants({
    db: p.services.db,
    temporal,
    paymentSim: p.payment.sim,
    institutionIds: [hospital.id],
    his: [his],
    simulatorIsScoped: true,
  });
  expect(report.violations).toEqual([]);
  expect(report.counts).toMatchObject({
    visits: VISITS,
    completedVisits: 2,
    waitingVisits: 1,
    payments: VISITS + 1,
    paid: VISITS + 1,
    refunded: 1,
  });
}, 200_000);

it('an HIS that stays down cannot keep a visit from its end: the operator-cancelled visit refunds, gives the HIS cancel up after hisUndoGiveUpSeconds, releases the slot, ends cancelled, and the audit log tells operators', async () => {
  const down = await openHospital(p, { doctors: 1, policy: { hisUndoGiveUpSeconds: 5 } });
  try {
    const user = await verifiedUser(api, p);
    const [slot] = down.slots;
    if (!slot) throw new Error('one slot expected');
    const d = new VisitDriver({ api, db: p.services.db, paymentSim: p.payment.sim, hospital: down, stepTimeoutMs: 60_000 }, user, slot);
    await d.book();
    await d.pay('registration');
    await d.waitStage('booked');
    await down.his.outage({ mode: 'refuse' });
    try {
      const res = await fetch(`${p.api.url}/v1/operator/visits/${d.bookingRef}/cancel`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_KEYS.operatorToken}` },
      });
      expect(res.status).toBe(200);
      await d.waitStage('cancelled');
      expect(await d.waitPayment('registration', 'refunded')).toBe('refunded');
      const [row] = await p.services.db.query('SELECT status, booking_ref FROM slots WHERE id = $1', [slot.slotId]);
      expect(row).toEqual({ status: 'free', booking_ref: null });
      const audit = await recentAudit(p.services.db, { action: UNDO_GAVE_UP_ACTION, subject: d.workflowId });
      expect(audit).toEqual([
        expect.objectContaining({
          actor: 'system:hospital-visit',
          details: expect.objectContaining({ bookingRef: d.bookingRef, step: 'his' }),
        }),
      ]);
      expect(down.his.received.filter((m) => m.bookingRef === d.bookingRef && m.type === 'SIU^S15')).toEqual([]);
    } finally {
      await down.his.restore();
    }
  } finally {
    await down.stop();
  }
}, 120_000);

it('the sweeper refunds a terminated visit while the HIS is down, gives its HIS cancel up after a few attempts, and leaves it to operators in the audit log', async () => {
  const down = await openHospital(p, { doctors: 1 });
  try {
    const user = await verifiedUser(api, p);
    const [slot] = down.slots;
    if (!slot) throw new Error('one slot expected');
    const d = new VisitDriver({ api, db: p.services.db, paymentSim: p.payment.sim, hospital: down, stepTimeoutMs: 60_000 }, user, slot);
    await d.book();
    await d.pay('registration');
    await d.waitStage('booked');
    await p.services.temporal.workflow.getHandle(d.workflowId).terminate('drill: operator terminated');
    await down.his.outage({ mode: 'refuse' });
    try {
      const res = await fetch(`${p.api.url}/v1/operator/sweeps/abandoned-visits/run`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_KEYS.operatorToken}`, 'content-type': 'application/json' },
        // Only this drill's hospital: the run's other files terminate visits too.
        body: JSON.stringify({ staleSeconds: 0, institutionId: down.id }),
      });
      expect(res.status).toBe(200);
      expect(await d.stage()).toBe('failed');
      expect(await d.paymentStatus('registration')).toBe('refunded');
      const audit = await recentAudit(p.services.db, { action: UNDO_GAVE_UP_ACTION, subject: d.workflowId });
      expect(audit.map((a) => a.details)).toEqual([expect.objectContaining({ bookingRef: d.bookingRef, step: 'his' })]);
    } finally {
      await down.his.restore();
    }
  } finally {
    await down.stop();
  }
}, 120_000);
