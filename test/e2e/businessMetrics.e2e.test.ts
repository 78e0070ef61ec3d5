import { insertVerifiedUsers } from '../../bench/lib/seed';
import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { SIM_AUTH_CODES } from '../../integrations/payment/simulator';
import { QUICK_VISIT_POLICY, startHospitalDriver, type HospitalDriver } from '../helpers/hospitalDriver';
import { until } from '../helpers/poll';
import { createTestMerchant } from '../helpers/retailFactories';

/**
 * The business series on the API's own metrics listener (issue 13, item 7), scraped over HTTP before
 * and after real journeys: a whole hospital visit (two payments, HL7 orders and results through the
 * inbox), a visit cancelled with its refund, a retail order paid and refunded at the till. The run's
 * test files share one database and run side by side, so each figure must have grown by at least
 * what these journeys did (other files' journeys may add to it, never take from it).
 */
let d: HospitalDriver;
let metricsUrl: string;
const CACHE_MS = 200;

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The Prometheus text format's samples (no timestamps are written by prom-client). */
function parse(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

async function scrape(): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(metricsUrl);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  const text = await res.text();
  return { text, samples: parse(text) };
}

/** The value of one series (0 when absent). */
function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const s = samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value ?? 0;
}

beforeAll(async () => {
  d = await startHospitalDriver({
    policy: QUICK_VISIT_POLICY,
    replicas: { api: 1, workers: 1 },
    env: { METRICS_DB_CACHE_MS: String(CACHE_MS) },
  });
  metricsUrl = d.p.api.metricsUrl ?? '';
  expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
});
afterAll(async () => {
  await d?.stop();
});

it('counts journeys, payments, refunds and HL7 processing from real journeys, with no label that names anyone', async () => {
  const before = (await scrape()).samples;
  for (const name of [
    'causeway_journeys',
    'causeway_journeys_started',
    'causeway_journeys_finished',
    'causeway_payments',
    'causeway_payments_amount_minor',
    'causeway_refunds',
    'causeway_refunds_amount_minor',
    'causeway_hl7_inbox_messages',
    'causeway_hl7_inbox_oldest_age_seconds',
    'causeway_reconciliation_mismatches',
    'causeway_webhook_deliveries',
    'causeway_hl7_inbox_processing_delay_seconds_count',
  ])
    expect(before.some((s) => s.name === name)).toBe(true);
  expect(value(before, 'causeway_business_metrics_up')).toBe(1);

  // A whole visit: registration and an order paid, the order and its results arriving over MLLP.
  const user = await d.verifiedUser();
  const booked = await d.api<{ bookingRef: string }>('POST', '/v1/visits', user, { institutionId: d.hospital, slotId: d.slotIds[0] });
  expect(booked.status).toBe(201);
  const ref = booked.body.bookingRef;
  await d.payOpen(ref, user, 'registration');
  await d.waitStage(ref, user, 'booked');
  expect((await d.api('POST', `/v1/visits/${ref}/check-in`, user, {})).status).toBe(200);
  await until('HIS call', async () => d.his.callNext(d.doctor), { timeoutMs: 30_000 });
  await d.waitStage(ref, user, 'called');
  const { order } = await d.his.placeOrders(ref, { items: [{ code: 'CBC', text: 'Blood count', priceMinor: 4500 }], orderId: 'ORD-M' });
  await d.payOpen(ref, user, `order-${order.orderId}`);
  await until('order paid', async () => (await d.stage(ref, user)).orders.some((o) => o.orderId === 'ORD-M' && o.status === 'paid'), {
    timeoutMs: 30_000,
  });
  await d.his.sendResults(ref, 'ORD-M', [{ code: 'HGB', text: 'Haemoglobin', value: '135', units: 'g/L', referenceRange: '115-150' }]);
  await d.waitStage(ref, user, 'closed');

  // A visit cancelled before the cut-off: its fee comes back.
  const second = await d.api<{ bookingRef: string }>('POST', '/v1/visits', user, { institutionId: d.hospital, slotId: d.slotIds[1] });
  const ref2 = second.body.bookingRef;
  await d.payOpen(ref2, user, 'registration');
  await d.waitStage(ref2, user, 'booked');
  const cancel = await d.api<{ stage: string; refundMinor: number }>('POST', `/v1/visits/${ref2}/cancel`, user);
  expect(cancel.body).toMatchObject({ stage: 'cancelled', refundMinor: 2500 });

  // A retail order paid at the till and refunded.
  const shop = await createTestMerchant(d.p.services.db, d.p.services.pii, { secret: 'metrics-secret' });
  const till = new InstitutionHttpClient({ baseUrl: d.p.api.url, institutionId: shop, secret: 'metrics-secret' });
  const [member] = await insertVerifiedUsers(d.p.services.db, d.p.services.pii, d.p.partner.id, 1, `bm${Date.now().toString(36)}`);
  const sale = await till.post<{ stage: string }>(`/v1/merchants/${shop}/orders`, {
    orderRef: 'M1',
    memberId: member,
    lines: [{ lineId: 'A', sku: 'x', category: 'food', quantity: 1, unitPrice: 1_234 }],
    authCode: SIM_AUTH_CODES.success,
  });
  expect(sale.body.stage).toBe('paid');
  const refund = await till.post<{ refund: number }>(`/v1/merchants/${shop}/orders/M1/refunds`, { refundNo: 'R1', unitIds: ['A#001'] });
  expect(refund.status).toBe(200);

  // The figures are read from PostgreSQL at scrape time (cached CACHE_MS): poll until the refund shows.
  const grown = (after: Sample[], name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
  const after = await until(
    'metrics with the retail refund',
    async () => {
      const s = (await scrape()).samples;
      return grown(s, 'causeway_refunds', { vertical: 'retail' }) >= 1 ? s : undefined;
    },
    { timeoutMs: 30_000 },
  );
  const at = (name: string, labels: Record<string, string> = {}) => grown(after, name, labels);
  expect(at('causeway_journeys_started', { vertical: 'hospital' })).toBeGreaterThanOrEqual(2);
  expect(at('causeway_journeys_started', { vertical: 'retail' })).toBeGreaterThanOrEqual(1);
  expect(at('causeway_journeys_finished', { vertical: 'hospital', stage: 'closed' })).toBeGreaterThanOrEqual(1);
  expect(at('causeway_journeys_finished', { vertical: 'hospital', stage: 'cancelled' })).toBeGreaterThanOrEqual(1);
  expect(at('causeway_journeys', { vertical: 'retail', stage: 'paid' })).toBeGreaterThanOrEqual(1);
  // Registration, order and the second registration; then the till's payment.
  expect(at('causeway_payments', { vertical: 'hospital', outcome: 'paid' })).toBeGreaterThanOrEqual(3);
  expect(at('causeway_payments_amount_minor', { vertical: 'hospital', outcome: 'paid' })).toBeGreaterThanOrEqual(2500 + 4500 + 2500);
  expect(at('causeway_payments', { vertical: 'retail', outcome: 'paid' })).toBeGreaterThanOrEqual(1);
  expect(at('causeway_payments_amount_minor', { vertical: 'retail', outcome: 'paid' })).toBeGreaterThanOrEqual(1_234);
  expect(at('causeway_refunds', { vertical: 'hospital' })).toBeGreaterThanOrEqual(1);
  expect(at('causeway_refunds_amount_minor', { vertical: 'hospital' })).toBeGreaterThanOrEqual(2500);
  expect(at('causeway_refunds_amount_minor', { vertical: 'retail' })).toBeGreaterThanOrEqual(1_234);
  // The order and the results went through this API's inbox (the call-in too): each applied message is observed once.
  expect(at('causeway_hl7_inbox_processing_delay_seconds_count')).toBeGreaterThanOrEqual(2);
  expect(value(after, 'causeway_hl7_inbox_processing_delay_seconds_bucket', { le: '+Inf' })).toBe(
    value(after, 'causeway_hl7_inbox_processing_delay_seconds_count'),
  );
  expect(value(after, 'causeway_business_metrics_up')).toBe(1);

  // No label value is anything but a word from the code's lists: no user, booking, order or institution.
  const { text, samples } = await scrape();
  const named = [user, ref, ref2, d.hospital, shop, 'ORD-M', 'M1', member!];
  for (const n of named) expect(text).not.toContain(n);
  const business = samples.filter((s) => s.name.startsWith('causeway_'));
  expect(business.length).toBeGreaterThan(50);
  for (const s of business)
    for (const [k, v] of Object.entries(s.labels)) {
      expect(['vertical', 'stage', 'outcome', 'status', 'kind', 'le', 'svc']).toContain(k);
      if (k === 'le') expect(v).toMatch(/^(\d+(\.\d+)?|\+Inf)$/);
      else if (k === 'svc') expect(v).toBe('causeway-test-api0');
      else expect(v).toMatch(/^[a-z][a-z_]{1,31}$/);
    }
});
