import { startHospitalDriver, type HospitalDriver } from '../helpers/hospitalDriver';

/**
 * The HIS is unreachable when a patient books a slot that starts in a few seconds: the hold is retried
 * until the slot starts, not for ever, and the visit ends in a named stage with the slot free again.
 */
let d: HospitalDriver;
let user: string;

beforeAll(async () => {
  d = await startHospitalDriver({ policy: { holdMinutes: 1, noShowGraceMinutes: 0, visitQuietCloseSeconds: 3 } });
  user = await d.verifiedUser();
});
afterAll(async () => {
  await d?.his.restore();
  await d?.stop();
});

describe('HIS hold deadline', () => {
  it('stops retrying the hold at the slot start and ends the visit rejected, with the slot released', async () => {
    const slotId = d.slotIds[0] ?? '';
    await d.moveSlotStart(slotId, new Date(Date.now() + 5_000));
    await d.his.outage({ mode: 'refuse' });
    const res = await d.api<{ bookingRef: string }>('POST', '/v1/visits', user, { institutionId: d.hospital, slotId });
    expect(res.status).toBe(201);
    const ref = res.body.bookingRef;
    const handle = d.p.services.temporal.workflow.getHandle(`hospital-visit/${d.hospital}/${ref}`);
    expect(await handle.result()).toMatchObject({ stage: 'rejected' });
    expect((await d.stage(ref, user)).stage).toBe('rejected');
    const [slot] = await d.p.services.db.query('SELECT status FROM slots WHERE id = $1', [slotId]);
    expect(slot.status).toBe('free');
    const history = await handle.fetchHistory();
    const failed = (history.events ?? []).find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes;
    expect(failed?.failure?.applicationFailureInfo).toMatchObject({ type: 'slot_rejected_by_his', nonRetryable: true });
  }, 90_000);
});
