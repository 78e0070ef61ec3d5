import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startDevServer, type DevServer } from '../../platform/temporal/devServer';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { killed, spawnWorker } from '../helpers/workerProcess';
import { PartnerApi } from './helpers/api';
import { openHospital, verifiedUser, VisitDriver, type DrillHospital, DRILL_LIMITS } from './helpers/hospital';
import { settledInvariants } from './helpers/invariants';
import { allSettledOrThrow, until } from '../helpers/poll';

/**
 * Drill 6: the Temporal server itself stops and starts again. A dev server of this drill's own
 * persists to a SQLite file in a temp dir; the API and a worker process run against it; journeys are
 * started; the server is stopped while they wait (a payment is made meanwhile: its notification
 * cannot be signalled), then restarted on the same port and file. The journeys pick up where they
 * were and complete.
 */
let server: DevServer | undefined;
let p: TestPlatform;
let api: PartnerApi;
let hospital: DrillHospital;
let worker: (ChildProcess & { ready: Promise<void> }) | undefined;
let dir: string;
let port: number;
const sharedAddress = process.env.TEMPORAL_ADDRESS;
const VISITS = 3;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

const startServer = (): Promise<DevServer> =>
  startDevServer({ pathVar: process.env.PATH ?? '', dbFilename: path.join(dir, 'temporal.db'), port });

async function ready(): Promise<{ status: number; checks: Record<string, string> }> {
  const res = await fetch(`${p.api.url}/readyz`, { signal: AbortSignal.timeout(10_000) });
  return { status: res.status, checks: ((await res.json()) as { checks: Record<string, string> }).checks };
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'causeway-temporal-drill-'));
  port = await freePort();
  server = await startServer();
  process.env.TEMPORAL_ADDRESS = server.address;
  p = await startTestPlatform({ env: DRILL_LIMITS, replicas: { api: 2, workers: 1 } });
  await p.worker.shutdown(); // journeys run on the worker process, which must outlive the server restart
  worker = spawnWorker(p.services.config, { PUBLIC_BASE_URL: p.api.url });
  await worker.ready;
  api = new PartnerApi(
    p.apis.map((a) => a.url),
    p.partner.apiKey,
  );
  hospital = await openHospital(p, { doctors: VISITS });
}, 90_000);
afterAll(async () => {
  if (worker && worker.exitCode === null && worker.signalCode === null) {
    const w = worker;
    w.kill('SIGTERM');
    const forced = setTimeout(() => w.kill('SIGKILL'), 10_000);
    await killed(w);
    clearTimeout(forced);
  }
  await hospital?.stop();
  await p?.stop();
  await server?.stop();
  if (process.env.FAULTS_DEBUG)
    process.stdout.write(
      `${JSON.stringify(p?.payment.sim.notifications.attempts)}\n${p?.logs.lines.filter((l) => /"level":(40|50)/.test(l)).join('\n')}\n`,
    );
  process.env.TEMPORAL_ADDRESS = sharedAddress;
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 90_000);

it(`injects a Temporal server stop (persisted to its SQLite file) while ${VISITS} hospital visits wait — one paid during the outage — and a restart on the same port and file; checks readiness reports the outage, the same worker process resumes, every visit closes, the payment made meanwhile is picked up, and the invariants hold`, async () => {
  const user = await verifiedUser(api, p);
  const ctx = { api, db: p.services.db, paymentSim: p.payment.sim, hospital, stepTimeoutMs: 150_000 };
  const drivers = hospital.slots.map((slot) => new VisitDriver(ctx, user, slot));
  const [paidBefore, waiting, paidDuring] = drivers;
  if (!paidBefore || !waiting || !paidDuring) throw new Error('three visits expected');
  for (const d of drivers) await d.book();
  await paidBefore.pay('registration');
  await paidBefore.waitStage('booked');
  for (const d of [waiting, paidDuring]) await d.openPayment('registration');
  const runIds = await Promise.all(drivers.map(async (d) => (await p.services.temporal.workflow.getHandle(d.workflowId).describe()).runId));
  expect((await ready()).status).toBe(200);

  // --- the server goes away ---------------------------------------------------------------------
  await server?.stop();
  server = undefined;
  await until(
    'readiness to report Temporal down',
    async () => {
      const r = await ready();
      return r.status === 503 && r.checks.temporal !== 'ok' && r.checks.database === 'ok';
    },
    { timeoutMs: 30_000 },
  );
  // Partner reads come from PostgreSQL: every visit reads, with its stage, while Temporal is down.
  for (const [d, stage] of [
    [paidBefore, 'booked'],
    [waiting, 'awaiting_payment'],
    [paidDuring, 'awaiting_payment'],
  ] as const) {
    const read = await api.call<{ stage: string }>('GET', `/v1/visits/${d.bookingRef}`, { user });
    expect({ ref: d.bookingRef, status: read.status, stage: read.body.stage }).toEqual({ ref: d.bookingRef, status: 200, stage });
  }
  // A patient pays while Temporal is down: the notification is stored in the inbox first (the signal
  // to the payment journey cannot be delivered until the server is back).
  const duringNo = await paidDuring.pay('registration');
  await until(
    'the notification stored',
    async () => {
      const rows: unknown[] = await p.services.db.query(
        `SELECT 1 FROM inbox_messages WHERE channel = 'payment_notification' AND correlation = $1`,
        [duringNo],
      );
      return rows.length === 1;
    },
    { timeoutMs: 30_000 },
  );

  // --- and comes back on the same port and file -------------------------------------------------
  server = await startServer();
  expect(server.address).toBe(`127.0.0.1:${port}`);
  await until('readiness back', async () => (await ready()).status === 200, { timeoutMs: 60_000 });
  // The same runs, from the file: nothing was lost or started afresh.
  for (const [i, d] of drivers.entries()) {
    const desc = await p.services.temporal.workflow.getHandle(d.workflowId).describe();
    expect({ ref: d.bookingRef, runId: desc.runId, status: desc.status.name }).toEqual({
      ref: d.bookingRef,
      runId: runIds[i],
      status: 'RUNNING',
    });
  }

  // Applied once the server is back (the held signal goes through, or the journey's own query finds the payment).
  await paidDuring.waitStage('booked');
  await until(
    'the notification stored during the outage applied',
    async () => {
      const rows: Array<{ status: string }> = await p.services.db.query(
        `SELECT status FROM inbox_messages WHERE channel = 'payment_notification' AND correlation = $1`,
        [duringNo],
      );
      return rows[0]?.status === 'applied';
    },
    { timeoutMs: 60_000 },
  );
  await waiting.pay('registration');
  await allSettledOrThrow(drivers.map((d, i) => d.attendAndClose(`ORD-${i + 1}`, 2000 + i)));
  // The worker process that was running before the outage did the work afterwards.
  expect(worker?.exitCode).toBeNull();
  expect(worker?.signalCode).toBeNull();

  const report = await settledInvariants({
    db: p.services.db,
    temporal: p.services.temporal,
    paymentSim: p.payment.sim,
    institutionIds: [hospital.id],
    his: [hospital.his],
    simulatorIsScoped: true,
  });
  expect(report.violations).toEqual([]);
  expect(report.counts).toMatchObject({ visits: VISITS, completedVisits: VISITS, payments: VISITS * 2, paid: VISITS * 2 });
}, 280_000);
