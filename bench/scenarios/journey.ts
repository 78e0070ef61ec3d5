import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { approximateActions, historyShape, type HistoryShape } from '../lib/history';
import { pgWritesWindow, type PgWrites } from '../lib/pgStats';
import { serviceDayOf } from '../../domain/hospital/serviceDay';
import { workflowIds } from '../../domain/ids';
import { JsonHttp } from '../lib/http';
import { memoryLabel, type Check, type Comparison } from '../lib/report';
import { doctorIds, FEE_MINOR, insertHospital, insertVerifiedUsers, seedSlots, TIME_ZONE } from '../lib/seed';
import type { Stack } from '../lib/stack';
import { nowMs, perSecond, pool, ratioPercent, round, summarize } from '../lib/stats';
import { ORDER_PRICE_MINOR, VisitDriver } from '../lib/visitDriver';
import { Watcher } from '../lib/watch';
import {
  bareCalledSignal,
  bareCheckInUpdate,
  bareOrdersPlacedSignal,
  barePaidSignal,
  bareResultsReadySignal,
  bareTurnNearSignal,
  type bareVisit,
} from '../workflows/bareVisit';

/**
 * 1. Journey throughput: whole hospital visits per second (API → workflow → HL7 both ways → payment
 * → results), against the bare workflow of the same shape on its own worker (the Temporal floor).
 *
 * Each of `concurrency` lanes is one doctor with one patient at a time, so that the HIS's "call the
 * next patient" calls that lane's patient; lanes run visits back to back until `visits` are done.
 */
const HOSPITAL = 'bhosp';

export async function journeyScenario(
  stack: Stack,
  say: (m: string) => void,
): Promise<{ comparison: Comparison; shapes: { real: HistoryShape; bare: HistoryShape }; cost: JourneyCost }> {
  const { options: o } = stack;
  const lanes = o.journeyConcurrency;
  const total = o.journeyVisits + o.journeyWarmup;
  const doctors = doctorIds('JD', lanes);
  const his = await stack.startHis(HOSPITAL, doctors);
  await insertHospital(stack.db, stack.pii, {
    id: HOSPITAL,
    secret: stack.keys.hospitalSecret,
    hisPort: his.port,
    // Closes as soon as the patient was called and everything is settled: a visit's time is the platform's work, not a configured wait.
    policy: { visitQuietCloseSeconds: 0 },
  });
  const users = await insertVerifiedUsers(stack.db, stack.pii, stack.partner.id, lanes, 'J');
  const schedule = await seedSlots(stack.db, { institutionId: HOSPITAL, doctorIds: doctors, perDoctor: Math.ceil(total / lanes) + 1 });
  const http = new JsonHttp(
    stack.apis.map((a) => a.apiUrl),
    { maxSockets: lanes * 2 },
  );
  const watcher = new Watcher(stack.db);
  const driver = new VisitDriver(http, watcher, stack.payment.sim, his, HOSPITAL, stack.partner.apiKey);
  let lastReal = '';
  const nextSlot = (lane: number): string => {
    const slot = schedule.byDoctor.get(doctors[lane] ?? '')?.shift();
    if (!slot) throw new Error(`lane ${lane} ran out of slots`);
    return slot;
  };
  const realVisit = async (lane: number): Promise<number> => {
    const t0 = nowMs();
    const v = await driver.bookPayCheckIn(users[lane] ?? '', nextSlot(lane));
    await driver.treatAndClose(v, doctors[lane] ?? '');
    lastReal = v.journeyId;
    return nowMs() - t0;
  };
  const runTag = Date.now().toString(36);
  let lastBare = '';
  const bare = async (n: number): Promise<number> => {
    const t0 = nowMs();
    lastBare = await bareVisitJourney(stack.temporal, stack.bareTaskQueue, `bare-visit/${runTag}/${n}`);
    return nowMs() - t0;
  };

  try {
    // Floor first, then the platform; each after a short warm-up (connections, JIT, workflow caches).
    say(`journey floor: ${o.journeyVisits} bare visits, ${lanes} at a time…`);
    const floor = await measure(stack, o.journeyWarmup, o.journeyVisits, lanes, (i) => bare(i));
    say(`journey: ${o.journeyVisits} hospital visits, ${lanes} at a time…`);
    const real = await measure(stack, o.journeyWarmup, o.journeyVisits, lanes, (_i, lane) => realVisit(lane), true);
    const shapes = { real: await historyShape(stack.temporal, lastReal), bare: await historyShape(stack.temporal, lastBare) };
    const cost = await journeyCost(stack, real, shapes.real, o.journeyVisits, total, doctors);
    const realRate = perSecond(o.journeyVisits, real.elapsedMs);
    const floorRate = perSecond(o.journeyVisits, floor.elapsedMs);
    const comparison: Comparison = {
      scenario: 'Journey',
      measured: {
        what: 'hospital visits: API → workflow → HL7 → payment → results',
        rate: realRate,
        unit: 'visits/s',
        latency: summarize(real.latencies),
        details: { visits: o.journeyVisits, concurrency: lanes, elapsedMs: Math.round(real.elapsedMs), historyPerVisit: shapes.real },
      },
      floor: {
        what: 'bare workflow, same activities/signals, no I/O',
        rate: floorRate,
        unit: 'visits/s',
        latency: summarize(floor.latencies),
        details: { visits: o.journeyVisits, concurrency: lanes, elapsedMs: Math.round(floor.elapsedMs), historyPerVisit: shapes.bare },
      },
      ratioPercent: ratioPercent(realRate, floorRate),
      goalPercent: 80,
      checks: [
        await verifyVisits(stack, total),
        {
          name: 'same shape as the floor (local activities: at most as many)',
          ok: sameShape(shapes.real, shapes.bare),
          detail: `activities, local activities, signals, updates and child workflows per visit (children included): real ${describeShape(shapes.real)}; bare ${describeShape(shapes.bare)}`,
        },
      ],
      usage: { measured: real.usage, floor: floor.usage },
      memory: `${memoryLabel(real.usage.rss, [
        ['api', 'API'],
        ['worker', 'worker'],
      ])} (floor: bare worker ${floor.usage.rss.bareWorker ?? '?'})`,
      notes: [
        `per visit, real: ${describeShape(shapes.real)}; bare: ${describeShape(shapes.bare)}. ` +
          'The real visit also updates and signals its doctor-queue workflow and encrypts every payload (codec); the bare one does neither.',
      ],
    };
    comparison.notes.push(
      `cost per visit (capacity model): worker ${cost.workerCpuMs} CPU-ms, API ${cost.apiCpuMs} CPU-ms, PostgreSQL ${cost.postgresCpuMs} CPU-ms; ` +
        `about ${cost.temporalActions} Temporal actions (${cost.visitActions} the visit and its children, ${cost.queueActionsShare} its share of the doctor queue); ` +
        `${cost.pgRowsWritten} rows written (${cost.pg.inserted} inserted, ${cost.pg.updated} updated, ${cost.pg.deleted} deleted per visit) in ${cost.pg.commits} commits (reads included).`,
    );
    return { comparison, shapes, cost };
  } finally {
    watcher.stop();
    http.close();
  }
}

/** In the database: every visit closed with its results stored, and exactly fee + order paid for each, no more. */
async function verifyVisits(stack: Stack, total: number): Promise<Check> {
  const rows: Array<{ closed: number; results: number; paid: number; paid_minor: string }> = await stack.db.query(
    `SELECT (SELECT count(*)::int FROM visits WHERE institution_id = $1 AND stage = 'closed') AS closed,
            (SELECT count(*)::int FROM visit_results r JOIN visits v USING (booking_ref) WHERE v.institution_id = $1) AS results,
            (SELECT count(*)::int FROM payments WHERE institution_id = $1 AND status = 'paid') AS paid,
            (SELECT coalesce(sum(l.amount_minor), 0)::text FROM ledger_entries l JOIN payments p USING (out_trade_no)
              WHERE p.institution_id = $1 AND l.kind = 'paid') AS paid_minor`,
    [HOSPITAL],
  );
  const r = rows[0];
  const expectedMinor = BigInt(total) * BigInt(FEE_MINOR + ORDER_PRICE_MINOR);
  const ok = r !== undefined && r.closed === total && r.results === total && r.paid === 2 * total && BigInt(r.paid_minor) === expectedMinor;
  return {
    name: `${total} visits closed, paid once`,
    ok,
    detail:
      `warm-up included: ${r?.closed ?? 0} closed, ${r?.results ?? 0} results stored, ${r?.paid ?? 0} payments paid (expected ${2 * total}), ` +
      `ledger ${r?.paid_minor ?? 0} minor units paid (expected ${expectedMinor})`,
  };
}

/**
 * The real visit writes its read model once per workflow task that changed it, so two changes landing
 * in one task make one write: it may run fewer local activities than the floor's fixed count, never more
 * (a floor doing more work than the real journey would flatter the ratio).
 */
function sameShape(real: HistoryShape, bare: HistoryShape): boolean {
  const [a, b] = [real, bare];
  return (
    a.activities === b.activities &&
    a.localActivities <= b.localActivities &&
    a.signals === b.signals &&
    a.updates === b.updates &&
    a.childWorkflows === b.childWorkflows
  );
}

function describeShape(s: HistoryShape): string {
  return `${s.activities} activities, ${s.localActivities} local activities, ${s.signals} signals, ${s.updates} update, ${s.childWorkflows} child workflows, ${s.workflowTasks} workflow tasks`;
}

async function measure(
  stack: Stack,
  warmup: number,
  visits: number,
  lanes: number,
  one: (i: number, lane: number) => Promise<number>,
  countWrites = false,
) {
  await pool(warmup, lanes, async (i, lane) => {
    await one(i, lane);
  });
  const endWrites = countWrites ? await pgWritesWindow(stack.db, stack.databaseName) : undefined;
  const end = await stack.usage.window();
  const latencies: number[] = [];
  const t0 = nowMs();
  await pool(visits, lanes, async (i, lane) => {
    latencies.push(await one(warmup + i, lane));
  });
  const elapsedMs = nowMs() - t0;
  const usage = await end();
  return { elapsedMs, latencies, usage, writes: await endWrites?.() };
}

/** What one visit costs, for docs/capacity.md: CPU by process, Temporal actions, PostgreSQL writes. */
export interface JourneyCost {
  visits: number;
  workerCpuMs: number | null;
  apiCpuMs: number | null;
  postgresCpuMs: number | null;
  temporalCpuMs: number | null;
  /** Approximate billable actions (see approximateActions): the visit with its children, plus its share of the doctor queue's. */
  temporalActions: number;
  visitActions: number;
  queueActionsShare: number;
  pgRowsWritten: number;
  /** Per visit. */
  pg: PgWrites;
}

async function journeyCost(
  stack: Stack,
  real: Awaited<ReturnType<typeof measure>>,
  visitShape: HistoryShape,
  visits: number,
  total: number,
  doctors: string[],
): Promise<JourneyCost> {
  const per = (cpuSeconds: number | null | undefined): number | null =>
    cpuSeconds === null || cpuSeconds === undefined ? null : round((cpuSeconds * 1000) / visits, 1);
  // The doctor queues served every visit of the scenario (warm-up included): their actions are shared out over all of them.
  const days: Array<{ doctor_id: string; starts_at: Date }> = await stack.db.query(
    `SELECT DISTINCT doctor_id, starts_at FROM slots WHERE institution_id = $1 AND booking_ref IS NOT NULL`,
    [HOSPITAL],
  );
  const queueIds = [...new Set(days.map((d) => workflowIds.doctorQueue(HOSPITAL, d.doctor_id, serviceDayOf(d.starts_at, TIME_ZONE))))];
  let queueActions = 0;
  for (const id of queueIds) {
    if (!doctors.some((d) => id.includes(`/${d}/`))) continue;
    try {
      queueActions += approximateActions(await historyShape(stack.temporal, id), 1);
    } catch {
      // A queue that never started (no visit reached check-in on that day) has no history.
    }
  }
  const visitActions = approximateActions(visitShape, 1);
  const queueActionsShare = round(queueActions / total, 1);
  const w = real.writes ?? { commits: 0, inserted: 0, updated: 0, deleted: 0 };
  const pg = {
    commits: round(w.commits / visits, 1),
    inserted: round(w.inserted / visits, 1),
    updated: round(w.updated / visits, 1),
    deleted: round(w.deleted / visits, 1),
  };
  return {
    visits,
    workerCpuMs: per(real.usage.cpu.worker),
    apiCpuMs: per(real.usage.cpu.api),
    postgresCpuMs: per(real.usage.cpu.postgres),
    temporalCpuMs: per(real.usage.cpu.temporal),
    temporalActions: round(visitActions + queueActionsShare, 1),
    visitActions,
    queueActionsShare,
    pgRowsWritten: round(pg.inserted + pg.updated + pg.deleted, 1),
    pg,
  };
}

/**
 * The bare journey, driven like the real one: the payment "notification" once the payment child
 * exists, the check-in update, the queue's turn-near signal, the orders, the order's payment, the
 * results and the call. Returns the workflow id.
 */
async function bareVisitJourney(client: Client, taskQueue: string, workflowId: string): Promise<string> {
  const handle = await client.workflow.start<typeof bareVisit>('bareVisit', { taskQueue, workflowId, args: [] });
  await signalOnceStarted(client, `${workflowId}/reg`);
  await handle.executeUpdate(bareCheckInUpdate);
  await handle.signal(bareTurnNearSignal);
  await handle.signal(bareOrdersPlacedSignal);
  await signalOnceStarted(client, `${workflowId}/order`);
  await handle.signal(bareResultsReadySignal);
  await handle.signal(bareCalledSignal);
  await handle.result();
  return workflowId;
}

/** The real driver waits for the payment order to exist before paying; the bare one retries until the child exists, at the same pace. */
async function signalOnceStarted(client: Client, workflowId: string): Promise<void> {
  for (;;) {
    try {
      await client.workflow.getHandle(workflowId).signal(barePaidSignal);
      return;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
