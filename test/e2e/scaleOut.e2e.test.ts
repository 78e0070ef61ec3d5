import { startHospitalDriver, type HospitalDriver } from '../helpers/hospitalDriver';
import { until } from '../helpers/poll';
import { readQueueStream, type QueueEvent } from '../helpers/queueStream';

/**
 * Causeway as it is deployed: two API replicas and two workers against one Temporal and one
 * PostgreSQL. The registration rush lands on both replicas at once, and a replica dies while a
 * patient's queue screen is streaming from it.
 */
const SLOTS = 8;
const PATIENTS = 32;
let d: HospitalDriver;

beforeAll(async () => {
  d = await startHospitalDriver({
    policy: {
      holdMinutes: 5,
      fullRefundCutoffMinutes: 60,
      noShowGraceMinutes: 0,
      reminderLeadMinutes: 4 * 24 * 60,
      visitQuietCloseSeconds: 2,
    },
    slots: SLOTS,
    replicas: { api: 2, workers: 2 },
  });
});
afterAll(async () => {
  await d?.stop();
});

describe('two API replicas and two workers', () => {
  it('takes a booking rush spread over both replicas: one winner per slot, a 409 for everyone else', async () => {
    const users = await Promise.all(Array.from({ length: PATIENTS }, () => d.verifiedUser()));
    // Every slot is wanted by PATIENTS / SLOTS patients at the same moment, half of them through each replica.
    const answers = await Promise.all(
      users.map((user, i) =>
        d.api<{ bookingRef?: string; code?: string }>('POST', '/v1/visits', user, {
          institutionId: d.hospital,
          slotId: d.slotIds[i % SLOTS],
        }),
      ),
    );
    const won = answers.filter((a) => a.status === 201);
    const lost = answers.filter((a) => a.status === 409);
    expect(won).toHaveLength(SLOTS);
    expect(lost).toHaveLength(PATIENTS - SLOTS);
    expect(lost.every((a) => a.body.code === 'slot_taken')).toBe(true);

    const perSlot: Array<{ slot_id: string; n: number; held_by: string | null }> = await d.p.services.db.query(
      `SELECT v.slot_id, count(*)::int AS n, max(s.booking_ref) AS held_by FROM visits v JOIN slots s ON s.id = v.slot_id
        WHERE v.institution_id = $1 GROUP BY v.slot_id`,
      [d.hospital],
    );
    expect(perSlot).toHaveLength(SLOTS);
    expect(perSlot.every((r) => r.n === 1)).toBe(true);
    // Each slot is held by the booking that got its 201, and each winner's journey runs on some worker.
    const winners = new Set(won.map((a) => a.body.bookingRef));
    expect(perSlot.every((r) => r.held_by !== null && winners.has(r.held_by))).toBe(true);
    for (const a of won) {
      const ref = a.body.bookingRef as string;
      const user = users[answers.indexOf(a)] as string;
      await until(`${ref} awaiting payment`, async () => (await d.stage(ref, user)).stage === 'awaiting_payment', { timeoutMs: 30_000 });
    }
  }, 120_000);

  it('keeps a queue screen going when the replica it streams from dies: the app reconnects to the other one', async () => {
    // The rush above took every slot; this patient gets one freed by cancelling a winner's booking.
    const user = await d.verifiedUser();
    const free: Array<{ id: string; held_by: string }> = await d.p.services.db.query(
      `SELECT s.id, s.booking_ref AS held_by FROM slots s WHERE s.institution_id = $1 ORDER BY s.starts_at LIMIT 1`,
      [d.hospital],
    );
    const slot = free[0] as { id: string; held_by: string };
    const owner: Array<{ user_id: string }> = await d.p.services.db.query('SELECT user_id FROM visits WHERE booking_ref = $1', [
      slot.held_by,
    ]);
    expect((await d.api('POST', `/v1/visits/${slot.held_by}/cancel`, owner[0]?.user_id ?? null)).status).toBe(200);
    const booked = await until(
      'the freed slot',
      async () => {
        const r = await d.api<{ bookingRef: string }>('POST', '/v1/visits', user, { institutionId: d.hospital, slotId: slot.id });
        return r.status === 201 ? r.body.bookingRef : undefined;
      },
      { timeoutMs: 30_000 },
    );
    await d.payOpen(booked, user, 'registration');
    await d.waitStage(booked, user, 'booked');
    expect((await d.api('POST', `/v1/visits/${booked}/check-in`, user, {})).status).toBe(200);

    const [survivor, doomed] = d.p.apis as [HospitalDriver['p']['api'], HospitalDriver['p']['api']];
    const events: QueueEvent[] = [];
    const first = readQueueStream(`${doomed.url}/v1/visits/${booked}/queue/stream`, d.partnerHeaders(user), events);
    await until('a queue event from the doomed replica', async () => events.length > 0, { timeoutMs: 30_000 });
    expect(events[0]).toMatchObject({ stage: 'queued', status: 'waiting' });

    // The replica dies: its connections drop at once, as they would with the process.
    doomed.server.closeAllConnections();
    await doomed.close();
    d.p.apis.splice(d.p.apis.indexOf(doomed), 1);
    expect(await first).toBe('broken');
    expect(events.every((e) => e.stage === 'queued')).toBe(true);
    const seenBefore = events.length;

    const second = readQueueStream(`${survivor.url}/v1/visits/${booked}/queue/stream`, d.partnerHeaders(user), events);
    await until('a queue event from the surviving replica', async () => events.length > seenBefore, { timeoutMs: 30_000 });
    // Earlier bookings of this doctor were never checked in, so this patient is the only one waiting.
    await until('the HIS calls this patient', async () => (await d.his.callNext(d.doctor))?.bookingRef === booked, { timeoutMs: 30_000 });
    expect(await second).toBe('ended');
    expect(events.at(-1)?.stage).toBe('called');
  }, 120_000);
});
