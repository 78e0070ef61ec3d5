import { isDeepStrictEqual } from 'node:util';
import { workflowIds } from '../../domain/ids';
import { visitStatusQuery } from '../../workflows/hospital/visit/definitions';
import { readVisitView, upsertVisitView } from '../../db/readModels/visitView';
import { startHospitalDriver, type HospitalDriver, type VisitStatusView } from '../helpers/hospitalDriver';
import { until } from '../helpers/poll';

/**
 * Partner reads come from the PostgreSQL read model: they answer with every worker stopped and after
 * the visits' workflow executions are gone (as after the namespace's retention period).
 */
let d: HospitalDriver;
let user: string;

beforeAll(async () => {
  d = await startHospitalDriver({
    policy: {
      holdMinutes: 5,
      fullRefundCutoffMinutes: 60,
      noShowGraceMinutes: 0,
      reminderLeadMinutes: 4 * 24 * 60,
      visitQuietCloseSeconds: 2,
    },
  });
  user = await d.verifiedUser();
});
afterAll(async () => {
  await d?.stop();
});

async function book(slot: number): Promise<string> {
  const r = await d.api<{ bookingRef: string }>('POST', '/v1/visits', user, { institutionId: d.hospital, slotId: d.slotIds[slot] });
  expect(r.status).toBe(201);
  return r.body.bookingRef;
}

it('reads every visit with all workers stopped and its workflow execution deleted', async () => {
  const booked = await book(0);
  await d.payOpen(booked, user, 'registration');
  await d.waitStage(booked, user, 'booked');
  const cancelled = await book(1);
  await d.payOpen(cancelled, user, 'registration');
  await d.waitStage(cancelled, user, 'booked');
  expect((await d.api('POST', `/v1/visits/${cancelled}/cancel`, user)).status).toBe(200);
  await d.waitStage(cancelled, user, 'cancelled');
  const unpaid = await book(2);
  await d.waitStage(unpaid, user, 'awaiting_payment');
  // What the partner saw while everything ran; the read model has caught up with each visit's last change.
  const before = new Map<string, VisitStatusView>();
  for (const ref of [booked, cancelled, unpaid]) {
    const view = await until(
      `${ref} published`,
      async () => {
        const live = await d.p.services.temporal.workflow.getHandle(workflowIds.hospitalVisit(d.hospital, ref)).query(visitStatusQuery);
        const row = await readVisitView(d.p.services.db, ref);
        return row && isDeepStrictEqual(row.status, live) ? d.stage(ref, user) : undefined;
      },
      { timeoutMs: 30_000 },
    );
    before.set(ref, view);
  }

  // No worker runs any more, and the executions are gone from Temporal.
  for (const w of d.p.workers.splice(0)) await w.shutdown();
  const { temporal } = d.p.services;
  for (const ref of [booked, cancelled, unpaid]) {
    const workflowId = workflowIds.hospitalVisit(d.hospital, ref);
    await temporal.workflowService.deleteWorkflowExecution({ namespace: temporal.options.namespace, workflowExecution: { workflowId } });
    await until(
      `${workflowId} deleted`,
      async () =>
        temporal.workflow
          .getHandle(workflowId)
          .describe()
          .then(
            () => false,
            () => true,
          ),
      {
        timeoutMs: 30_000,
      },
    );
  }

  for (const ref of [booked, cancelled, unpaid]) {
    const r = await d.api<VisitStatusView>('GET', `/v1/visits/${ref}`, user);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(before.get(ref));
  }
  expect((await d.stage(cancelled, user)).registration.refundedMinor).toBe(2500);
}, 120_000);

it('never lets an older snapshot replace a newer one', async () => {
  const db = d.p.services.db;
  const ref = `RM${Date.now()}`;
  const status = (stage: string) => ({ ...({} as VisitStatusView), stage }) as never;
  expect(await upsertVisitView(db, { bookingRef: ref, institutionId: d.hospital, seq: 2, status: status('booked') })).toBe(true);
  expect(await upsertVisitView(db, { bookingRef: ref, institutionId: d.hospital, seq: 1, status: status('awaiting_payment') })).toBe(false);
  expect(await upsertVisitView(db, { bookingRef: ref, institutionId: d.hospital, seq: 2, status: status('holding') })).toBe(false);
  expect((await readVisitView(db, ref))?.status.stage).toBe('booked');
  expect(await upsertVisitView(db, { bookingRef: ref, institutionId: d.hospital, seq: 3, status: status('queued') })).toBe(true);
  expect(await readVisitView(db, ref)).toMatchObject({ seq: 3, status: { stage: 'queued' } });
});
