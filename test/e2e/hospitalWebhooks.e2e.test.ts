import { startReceiverSimulator, type ReceiverSimulator } from '../../integrations/webhooks/receiverSimulator';
import { QUICK_VISIT_POLICY, startHospitalDriver, type HospitalDriver } from '../helpers/hospitalDriver';
import { until } from '../helpers/poll';

/**
 * A partner's endpoint receives a real visit as it happens: the journey's stage changes and notices,
 * delivered by the API processes' own dispatchers (two replicas sharing the outbox with SKIP LOCKED),
 * signed, each event once, every user's sequence complete.
 */
let d: HospitalDriver;
let r: ReceiverSimulator;

beforeAll(async () => {
  d = await startHospitalDriver({
    policy: QUICK_VISIT_POLICY,
  });
  r = await startReceiverSimulator();
});
afterAll(async () => {
  await r?.close();
  await d?.stop();
});

it("pushes a visit's stage changes and notices to the partner's endpoint as they happen", async () => {
  const created = await d.api<{ secret: string }>('POST', '/v1/partner/webhooks/endpoints', null, { url: r.url });
  expect(created.status).toBe(201);
  r.secrets = [created.body.secret];
  const user = await d.verifiedUser();
  const booked = await d.api<{ bookingRef: string }>('POST', '/v1/visits', user, { institutionId: d.hospital, slotId: d.slotIds[0] });
  expect(booked.status).toBe(201);
  const ref = booked.body.bookingRef;
  await d.payOpen(ref, user, 'registration');
  await d.waitStage(ref, user, 'booked');
  expect((await d.api('POST', `/v1/visits/${ref}/check-in`, user, {})).status).toBe(200);

  const stages = () => r.applied.filter((e) => e.type === 'visit.stage_changed').map((e) => e.data['stage']);
  await until('the queued stage pushed', async () => stages().includes('queued'), { timeoutMs: 30_000 });
  await until('the booked notice pushed', async () => r.applied.some((e) => e.type === 'notice.created' && e.data['kind'] === 'booked'), {
    timeoutMs: 30_000,
  });
  expect(stages()).toEqual(expect.arrayContaining(['booked', 'queued']));
  expect(r.applied.every((e) => e.userId === user)).toBe(true);
  expect(r.applied.filter((e) => e.type === 'visit.stage_changed').every((e) => e.data['bookingRef'] === ref)).toBe(true);
  // Everything that arrived was signed and new: no refusals, and nothing sent twice to a healthy receiver.
  expect(r.refused).toBe(0);
  const rows: Array<{ n: number }> = await d.p.services.db.query(
    `SELECT count(*)::int AS n FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE e.user_id = $1 AND d.status = 'delivered'`,
    [user],
  );
  await until('every delivery recorded', async () => {
    const again: Array<{ n: number }> = await d.p.services.db.query(
      `SELECT count(*)::int AS n FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id
        WHERE e.user_id = $1 AND d.status <> 'delivered'`,
      [user],
    );
    return again[0]!.n === 0;
  });
  expect(rows[0]!.n).toBeGreaterThanOrEqual(3);
  const seqs = r.applied.map((e) => e.sequence).sort((a, b) => a - b);
  expect(seqs).toEqual(seqs.map((_s, i) => i + 1));
  expect(r.received).toBe(r.applied.length);
});
