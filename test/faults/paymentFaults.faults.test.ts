import { SCALED_OUT } from '../helpers/hospitalDriver';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import type { FaultInput } from '../../integrations/payment/simulator';
import { formatMinor } from '../../domain/money';
import { signNotification } from '../../integrations/payment/simulator/signing';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { PartnerApi } from './helpers/api';
import { openHospital, payAtPlatform, verifiedUser, VisitDriver, type DrillHospital, DRILL_LIMITS } from './helpers/hospital';
import { checkInvariants, settledInvariants } from './helpers/invariants';
import { allSettledOrThrow, until } from '../helpers/poll';

/**
 * Drill 5: the payment platform misbehaves in every way the simulator knows while several hospital
 * visits pay, are refunded and are cancelled: 5xx answers, "system busy", slow and never-answered
 * calls on order creation, query, refund and close; duplicated, late, reordered and forged
 * notifications; plus hand-made notifications (forged "paid", validly signed with a wrong amount).
 * Afterwards each payment was captured once, refunds and closes happened once, every genuine
 * notification is in the inbox once, no forged one is, and the ledger balances against the platform.
 * (test/int/payment.faults.int.test.ts covers each fault against the adapter alone.)
 */
let p: TestPlatform;
let api: PartnerApi;
let hospital: DrillHospital;
let user: string;

beforeAll(async () => {
  p = await startTestPlatform({ env: DRILL_LIMITS, replicas: SCALED_OUT });
  api = new PartnerApi(
    p.apis.map((a) => a.url),
    p.partner.apiKey,
  );
  hospital = await openHospital(p, { doctors: 6 });
  user = await verifiedUser(api, p);
}, 60_000);
afterAll(async () => {
  await hospital?.stop();
  await p?.stop();
}, 60_000);

const GATEWAY_FAULTS: FaultInput[] = [
  { kind: 'http5xx', status: 502, times: 2, method: 'alipay.trade.precreate' },
  { kind: 'systemError', times: 1, method: 'alipay.trade.precreate' },
  { kind: 'delay', ms: 1_500, times: 2, method: 'alipay.trade.precreate' },
  { kind: 'http5xx', status: 503, times: 2, method: 'alipay.trade.query' },
  { kind: 'timeout', times: 1, method: 'alipay.trade.query' },
  { kind: 'systemError', times: 1, method: 'alipay.trade.query' },
  { kind: 'http5xx', status: 500, times: 1, method: 'alipay.trade.refund' },
  { kind: 'delay', ms: 1_000, times: 1, method: 'alipay.trade.refund' },
  { kind: 'systemError', times: 1, method: 'alipay.trade.close' },
];
// After the two forged notifications (injected first, alone, so these land on genuine ones).
const NOTIFY_FAULTS: FaultInput[] = [
  { kind: 'notifyOutOfOrder', count: 2 },
  { kind: 'notifyDuplicate', times: 2 },
  { kind: 'notifyLate', ms: 3_000, times: 1 },
];

function notification(over: Record<string, string>, keyPem: string): string {
  const params: Record<string, string> = {
    notify_time: new Date(Date.now() + 8 * 3600_000).toISOString().replace('T', ' ').slice(0, 19),
    notify_type: 'trade_status_sync',
    notify_id: randomUUID().replace(/-/g, ''),
    app_id: p.payment.sim.appId,
    // Ours, as the platform sends it: the drill's wrong-amount case must reach the amount check.
    seller_id: p.services.config.PAYMENT_SELLER_ID,
    charset: 'utf-8',
    version: '1.0',
    trade_no: `2099${Date.now()}`,
    trade_status: 'TRADE_SUCCESS',
    ...over,
  };
  return new URLSearchParams(signNotification(params, keyPem)).toString();
}
const form = { contentType: 'application/x-www-form-urlencoded' };

it('injects mixed payment-platform faults (5xx, system busy, delays and a never-answered call on create/query/refund/close; forged, duplicated, late and reordered notifications; a forged "paid" and a wrong-amount notification) under 6 hospital visits that pay, refund and cancel; checks each payment captured once, refund and close once, genuine notifications stored once, forged ones never, every fault consumed, and the ledger balances against the platform', async () => {
  const sim = p.payment.sim;
  for (const f of GATEWAY_FAULTS) sim.faults.inject(f);
  sim.faults.inject({ kind: 'notifyForged', times: 2 });
  const ctx = { api, db: p.services.db, paymentSim: sim, hospital, stepTimeoutMs: 120_000 };
  const [v1, v2, v3, v4, v5, v6] = hospital.slots.map((slot) => new VisitDriver(ctx, user, slot));
  if (!v1 || !v2 || !v3 || !v4 || !v5 || !v6) throw new Error('six visits expected');
  for (const d of [v1, v2, v3, v4, v5, v6]) await d.book();

  // Hand-made notifications for v6's open order: a forgery claiming it is paid, and a genuine
  // signature over the wrong amount. Neither may move the order.
  const openNo = await v6.openPayment('registration');
  const stranger = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const forged = await api.call('POST', '/v1/payments/notifications', {
    raw: notification({ out_trade_no: openNo, total_amount: formatMinor(hospital.feeMinor, 'CNY') }, stranger.privateKey),
    ...form,
  });
  expect(forged.status).toBe(401);
  expect(forged.contentType).toContain('application/problem+json');
  const wrongAmountId = randomUUID().replace(/-/g, '');
  const wrongAmount = await api.call('POST', '/v1/payments/notifications', {
    raw: notification({ out_trade_no: openNo, total_amount: '0.01', notify_id: wrongAmountId }, p.payment.keys.platform.privateKeyPem),
    ...form,
  });
  expect(wrongAmount).toMatchObject({ status: 200, text: 'success' });
  const [kept] = await p.services.db.query(
    `SELECT status, error FROM inbox_messages WHERE channel = 'payment_notification' AND message_id = $1`,
    [wrongAmountId],
  );
  expect(kept).toEqual({ status: 'failed', error: 'amount differs from the order' });
  expect(await v6.paymentStatus('registration')).toBe('created');

  // v5 gives up before paying: the order is closed (through a "system busy" close).
  await v5.openPayment('registration');
  // The cancel answers within its bound: `pending` while the faulty close is retried, then the visit ends cancelled.
  expect(await v5.cancel()).toMatchObject({ refundMinor: 0 });
  await v5.waitStage('cancelled');

  // The first two payment notifications are forged: v1 and v2 learn of their payment by querying.
  await v1.pay('registration');
  await v2.pay('registration');
  await until('two forged notifications delivered', async () => sim.notifications.attempts.filter((a) => a.forged).length >= 2, {
    timeoutMs: 30_000,
  });
  for (const f of NOTIFY_FAULTS) sim.faults.inject(f);

  await allSettledOrThrow([
    ...[v1, v2, v3].map((d, i) => d.fullVisit(`ORD-${i + 1}`, 3100 + i * 10)),
    (async () => {
      await v4.pay('registration');
      await v4.waitStage('booked');
      // Answered within its bound (possibly `pending` while faults are retried); the fee goes back in full.
      await v4.cancel();
      await v4.waitStage('cancelled');
      await v4.waitPayment('registration', 'refunded');
    })(),
    (async () => {
      await v6.pay('registration');
      await v6.waitStage('booked');
    })(),
  ]);

  // Every injected fault happened (each disarms itself once used up).
  for (const method of ['alipay.trade.precreate', 'alipay.trade.query', 'alipay.trade.refund', 'alipay.trade.close']) {
    expect({ method, left: sim.faults.takeGatewayFault(method)?.kind }).toEqual({ method, left: undefined });
  }
  for (const kind of ['notifyForged', 'notifyOutOfOrder', 'notifyDuplicate', 'notifyLate'] as const)
    expect({ kind, left: sim.faults.take(kind) }).toEqual({ kind, left: undefined });

  // Notifications: forged deliveries refused and never stored; every genuine one stored exactly once.
  const attempts = sim.notifications.attempts;
  const forgedAttempts = attempts.filter((a) => a.forged);
  expect(forgedAttempts.length).toBeGreaterThanOrEqual(2);
  for (const a of forgedAttempts) expect(a).toMatchObject({ acknowledged: false, status: 401 });
  const genuine = [...new Set(attempts.filter((a) => !a.forged && a.acknowledged).map((a) => a.notifyId))];
  expect(attempts.filter((a) => !a.forged && a.acknowledged).length).toBeGreaterThan(genuine.length); // duplicates were delivered
  const stored: Array<{ message_id: string; n: string }> = await p.services.db.query(
    `SELECT message_id, count(*) AS n FROM inbox_messages WHERE channel = 'payment_notification' AND message_id = ANY($1) GROUP BY message_id`,
    [attempts.map((a) => a.notifyId)],
  );
  expect(stored.map((s) => s.message_id).sort()).toEqual(genuine.sort());
  expect(stored.every((s) => s.n === '1')).toBe(true);

  expect(await Promise.all([v1, v2, v3, v4, v5, v6].map((d) => d.stage()))).toEqual([
    'closed',
    'closed',
    'closed',
    'cancelled',
    'cancelled',
    'booked',
  ]);
  expect(await v5.paymentStatus('registration')).toBe('closed');
  expect(await v4.paymentStatus('registration')).toBe('refunded');
  const report = await settledInvariants({
    db: p.services.db,
    temporal: p.services.temporal,
    paymentSim: sim,
    institutionIds: [hospital.id],
    his: [hospital.his],
    simulatorIsScoped: true,
  });
  expect(report.violations).toEqual([]);
  expect(report.counts).toMatchObject({ visits: 6, completedVisits: 5, waitingVisits: 1, payments: 9, paid: 8, refunded: 1 });
  expect(report.counts.ledgerSumMinor).toBe(3 * hospital.feeMinor + 3100 + 3110 + 3120 + hospital.feeMinor /* v6 */);
}, 280_000);

describe('defects this drill found (fixed; kept as regressions)', () => {
  it('injects a payment made on a QR code after its order was closed unscanned (patient cancelled; the platform kept the QR payable) and checks the money is recorded and refunded in full, the ledger agreeing with the platform', async () => {
    const other = await openHospital(p, { doctors: 1 });
    try {
      const d = new VisitDriver(
        { api, db: p.services.db, paymentSim: p.payment.sim, hospital: other, stepTimeoutMs: 60_000 },
        user,
        other.slots[0] ?? { slotId: '', doctorId: '' },
      );
      await d.book();
      const outTradeNo = await d.openPayment('registration');
      expect(await d.cancel()).toMatchObject({ refundMinor: 0 });
      await d.waitStage('cancelled');
      expect(await d.paymentStatus('registration')).toBe('closed');
      payAtPlatform(p.payment.sim, outTradeNo); // the patient still had the QR code open
      await until(
        'the late notification handled',
        async () => {
          const rows: Array<{ status: string }> = await p.services.db.query(
            `SELECT status FROM inbox_messages WHERE channel = 'payment_notification' AND correlation = $1`,
            [outTradeNo],
          );
          return rows.length > 0 && rows.every((r) => r.status !== 'received');
        },
        { timeoutMs: 30_000 },
      );
      const report = await settledInvariants(
        { db: p.services.db, temporal: p.services.temporal, paymentSim: p.payment.sim, institutionIds: [other.id] },
        3_000,
      );
      expect(report.violations).toEqual([]);
    } finally {
      await other.stop();
    }
  }, 90_000);

  it('(control for the late-payment case above) checks the invariant check itself sees a capture that has no ledger entry', async () => {
    // The checker must be able to fail: a trade paid at the platform behind Causeway's back is a violation.
    const other = await openHospital(p, { doctors: 1 });
    try {
      const d = new VisitDriver(
        { api, db: p.services.db, paymentSim: p.payment.sim, hospital: other, stepTimeoutMs: 60_000 },
        user,
        other.slots[0] ?? { slotId: '', doctorId: '' },
      );
      await d.book();
      const outTradeNo = await d.openPayment('registration');
      await p.services.db.query(`UPDATE payments SET status = 'closed' WHERE out_trade_no = $1`, [outTradeNo]);
      await p.services.temporal.workflow.getHandle(`payment/${outTradeNo}`).terminate('drill: control case');
      await p.services.temporal.workflow.getHandle(d.workflowId).terminate('drill: control case');
      payAtPlatform(p.payment.sim, outTradeNo);
      const report = await checkInvariants({
        db: p.services.db,
        temporal: p.services.temporal,
        paymentSim: p.payment.sim,
        institutionIds: [other.id],
      });
      expect(report.violations).toEqual(
        expect.arrayContaining([
          expect.stringContaining(`payment ${outTradeNo}: platform took the money`),
          expect.stringContaining('workflow TERMINATED'),
        ]),
      );
    } finally {
      await other.stop();
    }
  }, 60_000);
});
