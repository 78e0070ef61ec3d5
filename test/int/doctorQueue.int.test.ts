import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import { DomainError, ErrorCode } from '../../domain/errors';
import { addDays, endOfServiceDay, serviceDayOf } from '../../domain/hospital/serviceDay';
import { workflowIds } from '../../domain/ids';
import { Stage } from '../../workflows/searchAttributes';
import {
  callNextPatient,
  closeDoctorQueue,
  doctorQueueId,
  ensureDoctorQueue,
  joinDoctorQueue,
  leaveDoctorQueue,
  queuePosition,
  queueSummary,
  returnPatient,
  skipPatient,
  type QueueKey,
  type QueueStartOptions,
} from '../../clients/hospital/doctorQueue';
import type { DoctorQueueArgs, DoctorQueueOutcome } from '../../workflows/hospital/queue/types';
import { createHospitalActivities } from '../../activities/hospital';
import type { DataSource } from 'typeorm';
import { openTestDb } from '../helpers/db';
import { upsertDoctorQueueView } from '../../db/queries/doctorQueueView';
import { recordHistory } from '../helpers/histories';
import { createTestWorker, type TestTemporal } from '../helpers/temporal';

/** The doctor-queue entity workflow on the run's real Temporal dev server. */
let t: TestTemporal;
let running: Promise<void>;
let readModelDb: DataSource;

beforeAll(async () => {
  readModelDb = await openTestDb(2);
  // The queue writes its read model through this activity once per batch of its loop.
  const projectDoctorQueue = async (i: Parameters<typeof upsertDoctorQueueView>[1]): Promise<void> => {
    await upsertDoctorQueueView(readModelDb, i);
  };
  t = await createTestWorker({ activities: { projectDoctorQueue } });
  running = t.worker.run();
});
afterAll(async () => {
  t?.worker.shutdown();
  await running;
  await t?.close();
  await readModelDb?.destroy();
});

const INSTITUTION = 'test-hospital';
// Today: a queue started without a close time closes at the latest end of its day (tomorrow noon UTC).
const TODAY = serviceDayOf(Date.now(), 'UTC');
const newKey = (serviceDay = TODAY): QueueKey => ({ institutionId: INSTITUTION, doctorId: `doc-${randomUUID().slice(0, 8)}`, serviceDay });
const opts = (over: Partial<QueueStartOptions> = {}): QueueStartOptions => ({ taskQueue: t.taskQueue, ...over });
const newRef = (): string => `BK${randomUUID().replace(/-/g, '').slice(0, 12)}`;

async function join(key: QueueKey, bookingRef: string, o = opts()) {
  return joinDoctorQueue(t.client, key, o, { bookingRef, arrivedAtMs: Date.now() });
}

async function eventually<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (ok(v) || Date.now() > until) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A stand-in for the hospital-visit workflow: started on a task queue no worker polls, so it stays
 * open and every signal the queue sends it is recorded in its history for the test to read.
 */
async function visitStandIn(bookingRef: string): Promise<WorkflowHandle> {
  return t.client.workflow.start('hospitalVisitStandIn', {
    taskQueue: `nobody-${randomUUID()}`,
    workflowId: workflowIds.hospitalVisit(INSTITUTION, bookingRef),
    workflowExecutionTimeout: '10m',
  });
}

async function signalsReceived(handle: WorkflowHandle): Promise<Array<{ name: string; payload: unknown }>> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).flatMap((e) => {
    const a = e.workflowExecutionSignaledEventAttributes;
    if (!a) return [];
    return [{ name: a.signalName ?? '', payload: defaultPayloadConverter.fromPayload(a.input?.payloads?.[0] ?? {}) }];
  });
}

async function refusal(p: Promise<unknown>): Promise<DomainError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DomainError);
  return err as DomainError;
}

describe('doctor queue workflow', () => {
  it('joins, calls, skips, returns and leaves, with positions and ETAs from observed consultations', async () => {
    const key = newKey();
    const [a, b, c, d, e] = [newRef(), newRef(), newRef(), newRef(), newRef()];
    expect(await join(key, a)).toEqual({ duplicate: false, position: { status: 'waiting', position: 1, etaMinutes: 0, near: true } });
    for (const r of [b, c, d]) await join(key, r);
    expect(await queuePosition(t.client, key, d)).toEqual({ status: 'waiting', position: 4, etaMinutes: 30, near: false });
    expect(await join(key, b)).toEqual({ duplicate: true, position: { status: 'waiting', position: 2, etaMinutes: 10, near: true } });

    const first = await callNextPatient(t.client, key);
    expect(first).toMatchObject({ bookingRef: a, finishedRef: null, waiting: 3, repeated: false });
    expect(await queuePosition(t.client, key, a)).toEqual({ status: 'called', calledAtMs: first.calledAtMs });
    // b's consultation starts; a's (a few ms) is observed, clamped to 1 min: average 0.3 × 1 + 0.7 × 10 = 7.3 min.
    expect(await callNextPatient(t.client, key)).toMatchObject({ bookingRef: b, finishedRef: a, waiting: 2 });
    expect(await queuePosition(t.client, key, c)).toMatchObject({ status: 'waiting', position: 1, etaMinutes: 8 });
    expect(await queuePosition(t.client, key, d)).toMatchObject({ status: 'waiting', position: 2, etaMinutes: 15 });

    await join(key, e);
    expect(await callNextPatient(t.client, key)).toMatchObject({ bookingRef: c, finishedRef: b });
    await skipPatient(t.client, key, c);
    expect(
      await eventually(
        () => queuePosition(t.client, key, c),
        (p) => p.status === 'skipped',
      ),
    ).toEqual({ status: 'skipped' });
    expect(await callNextPatient(t.client, key)).toMatchObject({ bookingRef: d, finishedRef: null });
    await returnPatient(t.client, key, c);
    await leaveDoctorQueue(t.client, key, e);
    const summary = await eventually(
      () => queueSummary(t.client, key),
      (s) => s.left === 1,
    );
    expect(summary).toEqual({
      current: d,
      waiting: [c],
      skipped: [],
      served: 2,
      left: 1,
      avgConsultationMinutes: expect.any(Number),
      observedConsultations: 2,
    });
    expect(await queuePosition(t.client, key, e)).toEqual({ status: 'left' });
    expect((await refusal(join(key, e))).code).toBe(ErrorCode.InvalidState);
  });

  it('refuses malformed or impossible joins in the validator, leaving no trace in history', async () => {
    const key = newKey();
    await join(key, newRef());
    expect((await refusal(join(key, 'not a ref!'))).code).toBe(ErrorCode.ValidationFailed);
    const future = await refusal(joinDoctorQueue(t.client, key, opts(), { bookingRef: newRef(), arrivedAtMs: Date.now() + 3_600_000 }));
    expect(future.code).toBe(ErrorCode.ValidationFailed);
    const history = await t.client.workflow.getHandle(doctorQueueId(key)).fetchHistory();
    expect((history.events ?? []).filter((ev) => ev.workflowExecutionUpdateAcceptedEventAttributes)).toHaveLength(1);
    expect((await queueSummary(t.client, key)).waiting).toHaveLength(1);
  });

  it('a repeated callId calls nobody new; an empty queue calls nobody', async () => {
    const key = newKey();
    const [a, b] = [newRef(), newRef()];
    await join(key, a);
    await join(key, b);
    const once = await callNextPatient(t.client, key, 'click-1');
    expect(await callNextPatient(t.client, key, 'click-1')).toEqual({ ...once, finishedRef: null, repeated: true });
    expect((await callNextPatient(t.client, key, 'click-2')).bookingRef).toBe(b);
    expect(await callNextPatient(t.client, key, 'click-3')).toMatchObject({ bookingRef: null, finishedRef: b, waiting: 0 });
  });

  it('concurrent first check-ins start one queue (update-with-start) and line up by arrival time', async () => {
    const key = newKey();
    const o = opts({ config: { nearPosition: 1, nearMinutes: 0 } });
    const refs = Array.from({ length: 10 }, newRef);
    const base = Date.now() - 60_000;
    // Sent all at once, so they reach the queue in any order; the reported arrival decides the order,
    // except that nobody overtakes the patient already told their turn is near (the first one in).
    const results = await Promise.all(
      refs.map((r, i) => joinDoctorQueue(t.client, key, o, { bookingRef: r, arrivedAtMs: base + i * 1_000 })),
    );
    expect(results.every((r) => !r.duplicate && r.position.status === 'waiting')).toBe(true);
    const heads = refs.filter((_, i) => results[i]?.position.status === 'waiting' && results[i].position.position === 1);
    expect(heads).toHaveLength(1);
    const head = heads[0]!;
    expect((await queueSummary(t.client, key)).waiting).toEqual([head, ...refs.filter((r) => r !== head)]);
    const places = await Promise.all(refs.map((r) => queuePosition(t.client, key, r)));
    expect(places.map((p) => (p.status === 'waiting' ? p.position : -1)).sort((x, y) => x - y)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // Starting again joins the running queue: still the first run.
    const described = await (await ensureDoctorQueue(t.client, key, opts())).describe();
    expect(described.runId).toBe(described.raw.workflowExecutionInfo?.firstRunId);
    expect(described.status.name).toBe('RUNNING');
  });

  it('tells visit workflows "turn near" and "called", and goes on when a visit workflow does not exist', async () => {
    const key = newKey();
    const [a, b, ghost] = [newRef(), newRef(), newRef()];
    const [visitA, visitB] = await Promise.all([visitStandIn(a), visitStandIn(b)]);
    await join(key, a);
    await join(key, b);
    await join(key, ghost);
    const called = await callNextPatient(t.client, key);
    expect(called.bookingRef).toBe(a);
    const toA = await eventually(
      () => signalsReceived(visitA),
      (s) => s.length >= 2,
    );
    expect(toA).toEqual([
      { name: 'queueTurnNear', payload: { version: 1, position: 1, etaMinutes: 0 } },
      { name: 'queueCalled', payload: { version: 1, calledAt: new Date(called.calledAtMs).toISOString() } },
    ]);
    const toB = await eventually(
      () => signalsReceived(visitB),
      (s) => s.length >= 1,
    );
    expect(toB).toEqual([{ name: 'queueTurnNear', payload: { version: 1, position: 2, etaMinutes: 10 } }]);

    const queueHistory = await eventually(
      () => t.client.workflow.getHandle(doctorQueueId(key)).fetchHistory(),
      (h) => (h.events ?? []).some((ev) => ev.signalExternalWorkflowExecutionFailedEventAttributes),
    );
    const failed = (queueHistory.events ?? []).flatMap((ev) => ev.signalExternalWorkflowExecutionFailedEventAttributes ?? []);
    expect(failed.length).toBeGreaterThanOrEqual(1);
    expect(failed.every((f) => f.workflowExecution?.workflowId === workflowIds.hospitalVisit(INSTITUTION, ghost))).toBe(true);
    expect((await callNextPatient(t.client, key)).bookingRef).toBe(b);
    expect((await callNextPatient(t.client, key)).bookingRef).toBe(ghost);
    const d = await t.client.workflow.getHandle(doctorQueueId(key)).describe();
    expect(d.status.name).toBe('RUNNING');
  });

  it('sends "turn near" when the ETA gets there with time alone, with no message arriving', async () => {
    const key = newKey();
    // A 3-second consultation prior; "near" only at an ETA of 0 minutes.
    const o = opts({ config: { priorConsultationMinutes: 0.05, minObservedMinutes: 0, nearPosition: 0, nearMinutes: 0 } });
    const [a, b] = [newRef(), newRef()];
    const visitB = await visitStandIn(b);
    await join(key, a, o);
    await join(key, b, o);
    await callNextPatient(t.client, key);
    expect(await signalsReceived(visitB)).toEqual([]);
    const started = Date.now();
    const toB = await eventually(
      () => signalsReceived(visitB),
      (s) => s.length >= 1,
    );
    expect(toB).toEqual([{ name: 'queueTurnNear', payload: { version: 1, position: 1, etaMinutes: 0 } }]);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('continues as new after the event budget, carrying its state across runs', async () => {
    const key = newKey();
    const o = opts({ maxEventsPerRun: 5 });
    const refs = Array.from({ length: 8 }, newRef);
    for (const r of refs) await join(key, r, o);
    const [r1, r2, r3, r4, r5, r6, r7, r8] = refs as [string, string, string, string, string, string, string, string];
    expect((await callNextPatient(t.client, key)).bookingRef).toBe(r1);
    expect((await callNextPatient(t.client, key)).bookingRef).toBe(r2);
    await skipPatient(t.client, key, r2);
    expect((await callNextPatient(t.client, key)).bookingRef).toBe(r3);
    await leaveDoctorQueue(t.client, key, r5);
    await returnPatient(t.client, key, r2);
    const summary = await eventually(
      () => queueSummary(t.client, key),
      (s) => s.left === 1 && s.waiting.includes(r2),
    );
    expect(summary).toMatchObject({
      current: r3,
      waiting: [r4, r6, r2, r7, r8],
      skipped: [],
      served: 1,
      left: 1,
      observedConsultations: 1,
    });
    expect(await join(key, r4, o)).toMatchObject({ duplicate: true, position: { status: 'waiting', position: 1 } });

    // Follow the chain from the first run: each run ended by continuing as new. The duplicate join above
    // is an update, so the workflow may still hand over once more after it answered; walk the chain until
    // it ends at the run the server reports as current (the queue goes quiet once its messages are taken).
    const walkChain = async () => {
      const latest = await t.client.workflow.getHandle(doctorQueueId(key)).describe();
      const firstRun = latest.raw.workflowExecutionInfo?.firstRunId ?? undefined;
      const messagesPerRun: number[] = [];
      let runId: string | undefined = firstRun;
      let lastRun: string | undefined;
      while (runId) {
        lastRun = runId;
        const events = (await t.client.workflow.getHandle(doctorQueueId(key), runId).fetchHistory()).events ?? [];
        messagesPerRun.push(
          events.filter((e) => e.workflowExecutionSignaledEventAttributes || e.workflowExecutionUpdateAcceptedEventAttributes).length,
        );
        runId = events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes?.newExecutionRunId ?? undefined;
      }
      const current = await t.client.workflow.getHandle(doctorQueueId(key)).describe();
      return { firstRun, lastRun, currentRun: current.runId, status: current.status.name, messagesPerRun };
    };
    const chain = await eventually(walkChain, (c) => c.lastRun === c.currentRun);
    expect(chain.firstRun).toBeTruthy();
    expect(chain.firstRun).not.toBe(chain.currentRun);
    expect(chain.status).toBe('RUNNING');
    // The chain ends at the running run, and at least one hand-over carried the state.
    const { messagesPerRun } = chain;
    expect(messagesPerRun.length).toBeGreaterThanOrEqual(2);
    // Each run handed over because it reached its budget, not before, and the messages add up across the
    // chain. How far past the budget a run goes is not asserted: updates keep being handled while the run
    // delivers its last notices (each an external-signal round trip), so the overshoot depends on load.
    for (const n of messagesPerRun.slice(0, -1)) expect(n).toBeGreaterThanOrEqual(5);
    // 9 joins (one a duplicate), 3 calls, a skip, a leave and a return: each taken by exactly one run.
    expect(messagesPerRun.reduce((a, b) => a + b, 0)).toBe(9 + 3 + 3);
  });

  it('closes on request and returns its summary', async () => {
    const key = newKey();
    const [a, b] = [newRef(), newRef()];
    await join(key, a);
    await join(key, b);
    await callNextPatient(t.client, key);
    await closeDoctorQueue(t.client, key);
    const outcome: DoctorQueueOutcome = await t.client.workflow.getHandle(doctorQueueId(key)).result();
    expect(outcome.summary).toMatchObject({ current: a, waiting: [b], served: 0 });
    expect(outcome.closedAtMs).toBeGreaterThan(0);
    await recordHistory(t.client.workflow.getHandle(doctorQueueId(key)), 'closed-on-request');
  });

  it('on closing tells the visits of waiting and skipped patients they will not be seen, and not the patient being seen', async () => {
    const key = newKey();
    const [skipped, current, waiting] = [newRef(), newRef(), newRef()];
    const [toSkipped, toCurrent, toWaiting] = await Promise.all([visitStandIn(skipped), visitStandIn(current), visitStandIn(waiting)]);
    for (const ref of [skipped, current, waiting]) await join(key, ref);
    expect((await callNextPatient(t.client, key)).bookingRef).toBe(skipped);
    await skipPatient(t.client, key, skipped);
    expect((await callNextPatient(t.client, key)).bookingRef).toBe(current);
    await closeDoctorQueue(t.client, key);
    const outcome: DoctorQueueOutcome = await t.client.workflow.getHandle(doctorQueueId(key)).result();
    expect(outcome.summary).toMatchObject({ current, waiting: [waiting], skipped: [skipped] });
    // The queue awaited its signals before completing: they are all in the visits' histories now.
    const closedSignals = async (h: WorkflowHandle) => (await signalsReceived(h)).filter((s) => s.name === 'queueClosed');
    expect(await closedSignals(toWaiting)).toEqual([
      { name: 'queueClosed', payload: { version: 1, closedAtMs: outcome.closedAtMs, skipped: false } },
    ]);
    expect(await closedSignals(toSkipped)).toEqual([
      { name: 'queueClosed', payload: { version: 1, closedAtMs: outcome.closedAtMs, skipped: true } },
    ]);
    expect(await closedSignals(toCurrent)).toEqual([]);
  });

  it('closes by itself at closeAtMs, with the stage queue_closed for visibility lists', async () => {
    const key = newKey();
    const a = newRef();
    await join(key, a, opts({ closeAtMs: Date.now() + 1_500 }));
    const h = t.client.workflow.getHandle(doctorQueueId(key));
    const outcome: DoctorQueueOutcome = await h.result();
    expect(outcome.summary).toMatchObject({ current: null, waiting: [a] });
    expect((await h.describe()).typedSearchAttributes.get(Stage)).toBe('queue_closed');
    await recordHistory(h, 'closed-at-day-end');
  });

  it('a queue started without a close time (as before) still closes at the latest end of its day', async () => {
    const key = newKey(addDays(TODAY, -2));
    await join(key, newRef());
    const outcome: DoctorQueueOutcome = await t.client.workflow.getHandle(doctorQueueId(key)).result();
    expect(outcome.summary.waiting).toHaveLength(1);
  });

  it("a day's queue runs once: after it closed, a late join or call is refused with queue_closed and starts no empty queue", async () => {
    const key = newKey();
    await join(key, newRef());
    await closeDoctorQueue(t.client, key);
    const h = t.client.workflow.getHandle(doctorQueueId(key));
    await h.result();
    const closedRun = (await h.describe()).runId;

    const late = await refusal(join(key, newRef()));
    expect(late.code).toBe(ErrorCode.QueueClosed);
    expect((await refusal(ensureDoctorQueue(t.client, key, opts()).then(() => undefined))).code).toBe(ErrorCode.QueueClosed);
    expect((await refusal(callNextPatient(t.client, key, 'late-call'))).code).toBe(ErrorCode.QueueClosed);
    const after = await h.describe();
    expect(after.runId).toBe(closedRun);
    expect(after.status.name).toBe('COMPLETED');
    // And a queue that never started is not found rather than created by a call.
    expect((await refusal(callNextPatient(t.client, newKey(), 'x'))).code).toBe(ErrorCode.NotFound);
  });

  it("the HIS's call (named patient, MSH-10 as call id) calls that patient, observes the consultation, and a resend changes nothing", async () => {
    const key = newKey();
    const [a, b, c] = [newRef(), newRef(), newRef()];
    const visitC = await visitStandIn(c);
    for (const r of [a, b, c]) await join(key, r);
    expect(await callNextPatient(t.client, key, 'MSG-1', a)).toMatchObject({ bookingRef: a, finishedRef: null, repeated: false });
    const second = await callNextPatient(t.client, key, 'MSG-2', c);
    expect(second).toMatchObject({ bookingRef: c, finishedRef: a, waiting: 1, repeated: false });
    expect(await callNextPatient(t.client, key, 'MSG-2', c)).toMatchObject({ bookingRef: c, repeated: true });
    expect(await callNextPatient(t.client, key, 'MSG-1', a)).toMatchObject({ bookingRef: null, repeated: true });
    expect(await queueSummary(t.client, key)).toMatchObject({ current: c, waiting: [b], served: 1, observedConsultations: 1 });
    const toC = await eventually(
      () => signalsReceived(visitC),
      (sigs) => sigs.some((x) => x.name === 'queueCalled'),
    );
    expect(toC.filter((x) => x.name === 'queueCalled')).toEqual([
      { name: 'queueCalled', payload: { version: 1, calledAt: new Date(second.calledAtMs).toISOString() } },
    ]);
    await closeDoctorQueue(t.client, key);
    await recordHistory(t.client.workflow.getHandle(doctorQueueId(key)), 'called-by-his');
  });

  it("the visit's check-in starts the day's queue closing at the end of that day in the institution's zone", async () => {
    const db = await openTestDb(1);
    try {
      const institutionId = `tz-${randomUUID().slice(0, 8)}`;
      await db.query(
        `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc) VALUES ($1, 'hospital', 'Zone test', 'America/New_York', 'x')`,
        [institutionId],
      );
      const acts = createHospitalActivities({
        db,
        his: () => Promise.reject(new Error('no HIS in this test')),
        notifier: { notify: () => Promise.resolve(false) },
        temporal: t.client,
        taskQueue: t.taskQueue,
      });
      const key = { institutionId, doctorId: 'D1', serviceDay: TODAY };
      const joined = await acts.joinQueue({ ...key, bookingRef: newRef(), arrivedAtMs: Date.now() });
      expect(joined).toEqual({ position: 1 });
      const started = (await t.client.workflow.getHandle(doctorQueueId(key)).fetchHistory()).events?.[0]
        ?.workflowExecutionStartedEventAttributes;
      const args = defaultPayloadConverter.fromPayload<DoctorQueueArgs>(started?.input?.payloads?.[0] ?? {});
      expect(args.closeAtMs).toBe(endOfServiceDay(TODAY, 'America/New_York'));
    } finally {
      await db.destroy();
    }
  });
});
