import { readFileSync, writeFileSync } from 'node:fs';
import { partnerClient } from '../../clients/partner/client';
import { startReceiverSimulator, type ReceiverSimulator } from '../../integrations/webhooks/receiverSimulator';
import { createTestIdNumber } from '../helpers/factories';
import { QUICK_VISIT_POLICY, startHospitalDriver, type HospitalDriver } from '../helpers/hospitalDriver';
import { generateClientTypes, PARTNER_CLIENT_TYPES } from '../helpers/partnerClientFile';
import { until } from '../helpers/poll';

/**
 * The OpenAPI document proven by use: the partner client's types are generated from the document the
 * API serves (openapi-typescript), the committed copy must be current (`npm run client:generate`
 * rewrites it), and a partner developer's first hour runs through that generated client (openapi-fetch):
 * register a user, book, pay, read the visit and the inbox, and receive a push.
 */
let d: HospitalDriver;
let receiver: ReceiverSimulator;

beforeAll(async () => {
  d = await startHospitalDriver({
    policy: QUICK_VISIT_POLICY,
    replicas: { api: 1, workers: 1 },
  });
  receiver = await startReceiverSimulator();
});
afterAll(async () => {
  await receiver?.close();
  await d?.stop();
});

it('has the client types generated from the document the API serves, committed and current', async () => {
  const doc = await (await fetch(`${d.p.api.url}/openapi.json`)).text();
  const generated = await generateClientTypes(doc);
  if (process.env.CAUSEWAY_WRITE_CLIENT === '1') writeFileSync(PARTNER_CLIENT_TYPES, generated);
  expect(readFileSync(PARTNER_CLIENT_TYPES, 'utf8')).toBe(generated);
});

it("runs a partner's first hour through the generated client: key, user, booking, payment, inbox, push", async () => {
  const app = partnerClient({ baseUrl: d.p.api.url, apiKey: d.p.partner.apiKey });
  const hook = await app.POST('/v1/partner/webhooks/endpoints', { body: { url: receiver.url, eventTypes: [] } });
  expect(hook.response.status).toBe(201);
  receiver.secrets = [hook.data!.secret];

  const registered = await app.POST('/v1/users', {
    body: { legalName: 'Test Patient', idNumber: createTestIdNumber(), phone: '13800000000' },
  });
  expect(registered.response.status).toBe(202);
  const userId = registered.data!.userId;
  const me = partnerClient({ baseUrl: d.p.api.url, apiKey: d.p.partner.apiKey, userId });
  await until('verified', async () => (await me.GET('/v1/users/me')).data?.identityStatus === 'verified', { timeoutMs: 30_000 });

  const slots = await app.GET('/v1/hospitals/{institutionId}/slots', { params: { path: { institutionId: d.hospital } } });
  expect(slots.data!.length).toBeGreaterThan(0);
  const booked = await me.POST('/v1/visits', { body: { institutionId: d.hospital, slotId: slots.data![0]!.slotId } });
  expect(booked.response.status).toBe(201);
  const ref = booked.data!.bookingRef;
  const due = await until(
    'the registration fee',
    async () =>
      (await me.GET('/v1/visits/{bookingRef}/payments', { params: { path: { bookingRef: ref } } })).data?.payments.find((x) => x.qrCode),
    { timeoutMs: 30_000 },
  );
  d.p.payment.sim.buyer.scan(due.outTradeNo);
  d.p.payment.sim.buyer.pay(due.outTradeNo);
  await until(
    'booked',
    async () => (await me.GET('/v1/visits/{bookingRef}', { params: { path: { bookingRef: ref } } })).data?.stage === 'booked',
    {
      timeoutMs: 30_000,
    },
  );

  // The booked notice is written by the journey's next step, just after the stage.
  const inbox = await until(
    'the booked notice',
    async () => {
      const page = (await me.GET('/v1/users/me/notices', { params: { query: { locale: 'en', limit: 10 } } })).data;
      return page?.notices.some((n) => n.kind === 'booked') ? page : undefined;
    },
    { timeoutMs: 30_000 },
  );
  expect(inbox.unreadCount).toBeGreaterThan(0);
  expect(inbox.notices.find((n) => n.kind === 'booked')?.text).toMatch(/^Booked for /);
  await until('the push', async () => receiver.applied.some((e) => e.type === 'visit.stage_changed' && e.data['stage'] === 'booked'), {
    timeoutMs: 30_000,
  });
  expect(receiver.refused).toBe(0);

  // An error is a typed problem naming the field.
  const bad = await me.POST('/v1/visits', { body: { institutionId: d.hospital, slotId: '' } });
  expect(bad.response.status).toBe(422);
  expect(bad.error).toMatchObject({ status: 422, errors: [expect.objectContaining({ field: expect.stringContaining('slotId') })] });
});
