import { isDeepStrictEqual } from 'node:util';
import { workflowIds } from '../../domain/ids';
import { visitStatusQuery } from '../../workflows/hospital/visit/definitions';
import { backfillVisitViews } from '../../clients/hospital/visitBackfill';
import { BACKFILLED_SEQ, readVisitView } from '../../db/queries/visitView';
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

it('backfills a visit that never published (started before the read model), and its own next publish replaces the copy', async () => {
  const ref = await book(3);
  await d.payOpen(ref, user, 'registration');
  await d.waitStage(ref, user, 'booked');
  const { db, temporal } = d.p.services;
  const handle = temporal.workflow.getHandle(workflowIds.hospitalVisit(d.hospital, ref));
  // Booked, its booking notice and reminder sent: nothing changes now until check-in or the slot's day, so
  // the visit publishes nothing more.
  await until(
    'the read model caught up',
    async () => {
      const live = await handle.query(visitStatusQuery);
      const kinds = live.notices.map((n) => n.kind);
      return kinds.includes('booked') && kinds.includes('reminder') && isDeepStrictEqual((await readVisitView(db, ref))?.status, live);
    },
    { timeoutMs: 30_000 },
  );
  // As if the visit had started before the read model: no row at all.
  await db.query('DELETE FROM visit_views WHERE booking_ref = $1', [ref]);

  const first = await backfillVisitViews(db, temporal, { institutionId: d.hospital });
  expect(first).toMatchObject({ candidates: 1, copied: 1, gone: 0 });
  const copied = await readVisitView(db, ref);
  expect(copied?.seq).toBe(BACKFILLED_SEQ);
  expect(isDeepStrictEqual(copied?.status, await handle.query(visitStatusQuery))).toBe(true);
  expect((await d.stage(ref, user)).stage).toBe('booked');

  // The workflow's own publish wins over the copy, and a second backfill leaves it alone.
  expect((await d.api('POST', `/v1/visits/${ref}/cancel`, user)).status).toBe(200);
  await until('the workflow publishes over the copy', async () => (await readVisitView(db, ref))?.status.stage === 'cancelled', {
    timeoutMs: 30_000,
  });
  expect(await backfillVisitViews(db, temporal, { institutionId: d.hospital })).toMatchObject({ candidates: 0 });
  const after = await readVisitView(db, ref);
  expect(after?.seq).toBeGreaterThan(0);
  expect(after?.status.stage).toBe('cancelled');
}, 120_000);

it('reads every visit with all workers stopped and its workflow execution being deleted', async () => {
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

  // No worker runs any more, so no workflow can answer a query (running or closed), and the executions are
  // deleted as retention would. The server removes them asynchronously, so whether each is gone yet when the
  // reads below run depends on load: the stopped workers already make any read that asks a workflow fail.
  for (const w of d.p.workers.splice(0)) await w.shutdown();
  const { temporal } = d.p.services;
  for (const ref of [booked, cancelled, unpaid]) {
    const workflowId = workflowIds.hospitalVisit(d.hospital, ref);
    await temporal.workflowService.deleteWorkflowExecution({ namespace: temporal.options.namespace, workflowExecution: { workflowId } });
  }

  for (const ref of [booked, cancelled, unpaid]) {
    const r = await d.api<VisitStatusView>('GET', `/v1/visits/${ref}`, user);
    expect(r.status).toBe(200);
    expect(r.body).toEqual(before.get(ref));
  }
  expect((await d.stage(cancelled, user)).registration.refundedMinor).toBe(2500);
}, 120_000);
