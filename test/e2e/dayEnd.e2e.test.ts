import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ensureDoctorQueue, doctorQueueId, joinDoctorQueue, type QueueKey } from '../../clients/hospital/doctorQueue';
import { addDays, serviceDayOf } from '../../domain/hospital/serviceDay';
import { resolveTemporalCli } from '../../platform/temporal/cli';
import { TEST_KEYS } from '../helpers/platform';
import { Stage } from '../../workflows/searchAttributes';
import { recordHistory } from '../helpers/histories';
import { startHospitalDriver, type HospitalDriver } from '../helpers/hospitalDriver';
import { until } from '../helpers/poll';

/**
 * A short simulated service day: the doctor's session opens with a close time a few seconds ahead (as
 * every queue closes at the end of its day), visits run through their usual endings — seen and closed,
 * unpaid and expired, cancelled, no-show, checked in but never seen — and afterwards the Temporal visibility API lists no workflow
 * of that day still running.
 */
let d: HospitalDriver;
let user: string;

beforeAll(async () => {
  d = await startHospitalDriver({
    policy: { holdMinutes: 1, fullRefundCutoffMinutes: 60, noShowGraceMinutes: 0, visitQuietCloseSeconds: 2 },
    // One patient books the whole day's paths; the per-user limit is proven in limits.e2e.
    env: { MAX_OPEN_BOOKINGS_PER_USER: '100' },
  });
  user = await d.verifiedUser();
});
afterAll(async () => {
  await d?.stop();
});

async function book(slotIndex: number, startsInMs: number): Promise<string> {
  await d.moveSlotStart(d.slotIds[slotIndex] ?? '', new Date(Date.now() + startsInMs));
  const res = await d.api<{ bookingRef: string }>('POST', '/v1/visits', user, { institutionId: d.hospital, slotId: d.slotIds[slotIndex] });
  expect(res.status).toBe(201);
  return res.body.bookingRef;
}

async function running(query: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const w of d.p.services.temporal.workflow.list({ query })) ids.push(`${w.type} ${w.workflowId}`);
  return ids;
}

describe('the end of a service day', () => {
  it('leaves no workflow of the day running: visits end, payments end, the queue closes with the stage queue_closed', async () => {
    const slotStartsInMs = 60_000;
    const key: QueueKey = {
      institutionId: d.hospital,
      doctorId: d.doctor,
      serviceDay: serviceDayOf(Date.now() + slotStartsInMs, 'Asia/Shanghai'),
    };
    // The session opens with a close time 30 s ahead: the day, shortened.
    await ensureDoctorQueue(d.p.services.temporal, key, {
      taskQueue: d.p.services.config.TEMPORAL_TASK_QUEUE,
      closeAtMs: Date.now() + 30_000,
    });

    // Seen: paid, checked in, called in by the HIS (ADT^A08 → the queue's call-next), closed after a quiet period.
    const seen = await book(0, slotStartsInMs);
    // Not paid before the deadline (the slot start, 4 s away): expired.
    const unpaid = await book(1, 4_000);
    // Paid, then cancelled.
    const cancelled = await book(2, slotStartsInMs);
    // Paid, never came: no-show at the slot start (no grace).
    const absent = await book(3, 8_000);
    // Paid and checked in after the HIS called the other patient, still waiting when the queue closes: not seen.
    const unseen = await book(4, slotStartsInMs);
    // Paid, checks in only after the queue closed: nobody can call the patient any more, not seen either.
    const late = await book(5, slotStartsInMs);
    for (const ref of [seen, cancelled, absent, unseen, late]) await d.payOpen(ref, user, 'registration');
    for (const ref of [seen, cancelled, absent, unseen, late]) await d.waitStage(ref, user, 'booked');

    expect((await d.api('POST', `/v1/visits/${seen}/check-in`, user, {})).status).toBe(200);
    expect((await d.api<{ stage: string }>('POST', `/v1/visits/${cancelled}/cancel`, user)).body).toMatchObject({ stage: 'cancelled' });
    const call = await until('the HIS to call the patient in', async () => (await d.his.callNext(d.doctor)) ?? undefined, {
      timeoutMs: 20_000,
    });
    expect(call.bookingRef).toBe(seen);
    expect((await d.api('POST', `/v1/visits/${unseen}/check-in`, user, {})).status).toBe(200);
    await d.waitStage(unseen, user, 'queued');

    for (const [ref, stage] of [
      [seen, 'closed'],
      [unpaid, 'expired'],
      [cancelled, 'cancelled'],
      [absent, 'no_show'],
      [unseen, 'not_seen'],
    ] as const)
      await d.waitStage(ref, user, stage);

    // Not seen: the fee went back in full through the payment platform, the slot and the HIS booking are released.
    // The stage is set before the patient's notice goes out: read until the notice is recorded too.
    const unseenVisit = await until(
      'the not_seen notice',
      async () => {
        const r = await d.api<{ registration: { outTradeNo: string; refundedMinor: number }; notices: Array<{ kind: string }> }>(
          'GET',
          `/v1/visits/${unseen}`,
          user,
        );
        return r.body.notices.some((n) => n.kind === 'not_seen') ? r : undefined;
      },
      { timeoutMs: 30_000 },
    );
    const { outTradeNo } = unseenVisit.body.registration;
    expect(unseenVisit.body.registration.refundedMinor).toBe(2500);
    const trade = d.p.payment.sim.trades.get(outTradeNo);
    expect(trade && d.p.payment.sim.trades.refunded(trade)).toBe(2500);
    const payments: Array<{ refunded_minor: string }> = await d.p.services.db.query(
      'SELECT refunded_minor FROM payments WHERE out_trade_no = $1',
      [outTradeNo],
    );
    expect(payments.map((p) => Number(p.refunded_minor))).toEqual([2500]);
    const slots: Array<{ status: string; booking_ref: string | null }> = await d.p.services.db.query(
      'SELECT status, booking_ref FROM slots WHERE id = $1',
      [d.slotIds[4]],
    );
    expect(slots).toEqual([{ status: 'free', booking_ref: null }]);
    await until('SIU^S15 for the unseen patient at the HIS', async () =>
      d.his.received.some((m) => m.bookingRef === unseen && m.type === 'SIU^S15'),
    );
    const unseenHandle = d.p.services.temporal.workflow.getHandle(`hospital-visit/${d.hospital}/${unseen}`);
    expect(await unseenHandle.result()).toMatchObject({ stage: 'not_seen', refundedMinor: 2500 });
    await recordHistory(unseenHandle, 'not-seen-queue-closed');

    const queue = d.p.services.temporal.workflow.getHandle(doctorQueueId(key));
    const outcome = (await queue.result()) as { summary: { current: string | null; waiting: string[] } };
    expect(outcome.summary.current).toBe(seen); // the HIS's call reached the queue
    expect(outcome.summary.waiting).toEqual([unseen]);
    expect((await d.api('POST', `/v1/visits/${late}/check-in`, user, {})).status).toBe(200);
    await d.waitStage(late, user, 'not_seen');
    expect((await d.stage(late, user)).registration.refundedMinor).toBe(2500);
    await recordHistory(
      d.p.services.temporal.workflow.getHandle(`hospital-visit/${d.hospital}/${late}`),
      'not-seen-checked-in-after-close',
    );
    await recordHistory(queue, 'closed-with-patient-waiting');
    expect((await queue.describe()).typedSearchAttributes.get(Stage)).toBe('queue_closed');

    // Visibility is eventually consistent: poll until it agrees that nothing of the day runs on.
    const taskQueue = d.p.services.config.TEMPORAL_TASK_QUEUE;
    const stillRunning = await until(
      'visibility to list no running workflow of the day',
      async () => {
        const ids = await running(`TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`);
        return ids.length === 0 ? ids : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500 },
    );
    expect(stillRunning).toEqual([]);
    // And the day's workflows were there to be listed: the visits, their payments and the queue, all ended.
    const ended = await running(`TaskQueue = "${taskQueue}" AND ExecutionStatus != "Running"`);
    expect(ended).toEqual(
      expect.arrayContaining([`doctorQueue ${doctorQueueId(key)}`, `hospitalVisit hospital-visit/${d.hospital}/${seen}`]),
    );
  }, 120_000);

  it("closes a queue started without a close time on the operator's one-off batch signal (docs/operations.md), payload encoded by the codec server", async () => {
    const cli = resolveTemporalCli({ pathVar: process.env.PATH ?? '', install: false });
    if (!cli) throw new Error('this drill runs the Temporal CLI: install it (scripts/install-temporal.sh)');
    // A day far ahead: without closeAtMs it would close only at that day's end (or its next continue-as-new).
    const key: QueueKey = {
      institutionId: d.hospital,
      doctorId: 'D-OLD',
      serviceDay: addDays(serviceDayOf(Date.now(), 'Asia/Shanghai'), 30),
    };
    const taskQueue = d.p.services.config.TEMPORAL_TASK_QUEUE;
    await ensureDoctorQueue(d.p.services.temporal, key, { taskQueue });
    await joinDoctorQueue(d.p.services.temporal, key, { taskQueue }, { bookingRef: 'BKNOVISIT1', arrivedAtMs: Date.now() });
    const id = doctorQueueId(key);
    // The documented command, scoped to this queue's id so the drill touches nothing else on the server.
    const query = `WorkflowType = "doctorQueue" AND ExecutionStatus = "Running" AND WorkflowId = "${id}"`;
    await until('the queue in visibility', async () => (await running(query)).length === 1, { timeoutMs: 30_000, intervalMs: 500 });
    const address = process.env.TEMPORAL_ADDRESS ?? '';
    await promisify(execFile)(cli, [
      'workflow',
      'signal',
      '--address',
      address,
      '--namespace',
      'default',
      '--query',
      query,
      '--name',
      'closeQueue',
      '--input',
      '{"version":1}',
      '--codec-endpoint',
      `${d.p.api.url}/codec`,
      '--codec-auth',
      `Bearer ${TEST_KEYS.operatorToken}`,
      '--reason',
      'close queues started without a close time',
      '--yes',
    ]);
    const queue = d.p.services.temporal.workflow.getHandle(id);
    const outcome = (await queue.result()) as { summary: { waiting: string[] } };
    expect(outcome.summary.waiting).toEqual(['BKNOVISIT1']); // the patient's (absent) visit was told; the queue went on
    expect((await queue.describe()).typedSearchAttributes.get(Stage)).toBe('queue_closed');
  }, 60_000);
});
