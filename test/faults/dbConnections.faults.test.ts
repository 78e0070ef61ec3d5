import { SCALED_OUT } from '../helpers/hospitalDriver';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { workflowIds } from '../../domain/ids';
import { parseAck } from '../../integrations/hospital/hl7';
import type { CollectPaymentInput } from '../../workflows/payment/types';
import { fixture, withField } from '../fixtures/hl7';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { PartnerApi } from './helpers/api';
import { openHospital, payAtPlatform, verifiedUser, VisitDriver, type DrillHospital, DRILL_LIMITS } from './helpers/hospital';
import { checkInvariants, settledInvariants } from './helpers/invariants';
import { exchangeRaw, framed } from './helpers/mllpRaw';
import { createOwnDatabase } from './helpers/ownDatabase';
import { allSettledOrThrow, Mutex, sleep, until } from '../helpers/poll';
import { journeyWorkflowIds, retriedActivities } from './helpers/temporalProbe';

/**
 * Drill 3: PostgreSQL drops every connection of the platform's database while several hospital
 * visits run. To make sure the drops land inside activities (not only on idle pool connections),
 * each round first takes an EXCLUSIVE lock on the tables the journey activities write (visits,
 * slots, payments, ledger, notifications), waits until activity statements queue behind it, then
 * runs `pg_terminate_backend` on every other backend of the database and releases the lock.
 * The drill runs on a database of its own so the other test files are not hit.
 */
let p: TestPlatform;
let api: PartnerApi;
let hospital: DrillHospital;
let killer: Client;
let own: Awaited<ReturnType<typeof createOwnDatabase>>;
const sharedUrl = process.env.DATABASE_URL;
const VISITS = 4;
const ROUNDS = 6;

beforeAll(async () => {
  own = await createOwnDatabase('dbdrop');
  process.env.DATABASE_URL = own.url;
  // The platform redelivers a notification that was not answered `success` after 1 s (not 4 min).
  p = await startTestPlatform({
    env: DRILL_LIMITS,
    replicas: SCALED_OUT,
    payment: { sim: { notify: { retryScheduleMs: [1_000, 2_000, 4_000] } } },
  });
  api = new PartnerApi(
    p.apis.map((a) => a.url),
    p.partner.apiKey,
  );
  // A called visit with no order closes after a quiet period. Here the hospital's next message (the order)
  // waits behind a drop round (up to ~4 s, more under load), so the drills' 2 s closed visits before their
  // orders came: in CI, an order whose QR code never came, a closed visit without results notices, results
  // refused by a completed visit. The quiet period is set well beyond what the drill holds a message back.
  hospital = await openHospital(p, { doctors: VISITS, policy: { visitQuietCloseSeconds: 30 } });
  killer = new Client({ connectionString: own.url, application_name: 'fault-drill-killer' });
  await killer.connect();
}, 60_000);
afterAll(async () => {
  if (process.env.FAULTS_DEBUG) {
    process.stdout.write(`${p.logs.lines.filter((l) => /"level":(40|50)/.test(l)).join('\n')}\n`);
    const report = await checkInvariants({
      db: p.services.db,
      temporal: p.services.temporal,
      paymentSim: p.payment.sim,
      institutionIds: [hospital.id],
      his: [hospital.his],
    });
    process.stdout.write(`[db drill] invariants at the end: ${JSON.stringify(report, null, 1)}\n`);
  }
  await killer?.end();
  await hospital?.stop();
  await p?.stop();
  process.env.DATABASE_URL = sharedUrl;
  await own?.drop();
}, 60_000);

interface Round {
  waiting: string[];
  terminated: number;
}

/** No HL7 row of this hospital waits to be applied, and every payment taken at the platform has its notification applied. */
async function inboundSettled(): Promise<boolean> {
  const hl7: unknown[] = await p.services.db.query(
    `SELECT 1 FROM inbox_messages WHERE channel = 'hl7' AND sender = $1 AND status = 'received'`,
    [`HIS^${hospital.id}`],
  );
  const paid = p.payment.sim.trades
    .all()
    .filter((t) => t.paidAt !== undefined)
    .map((t) => t.outTradeNo);
  const notes: Array<{ correlation: string; status: string }> = await p.services.db.query(
    `SELECT correlation, status FROM inbox_messages WHERE channel = 'payment_notification' AND correlation = ANY($1)`,
    [paid],
  );
  return hl7.length === 0 && paid.every((no) => notes.some((n) => n.correlation === no)) && notes.every((n) => n.status !== 'received');
}

/** One fault; a round that PostgreSQL picked as a deadlock victim (taking the locks) is simply run again. */
async function dropConnectionsDuringActivities(): Promise<Round> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await dropRound();
    } catch (err) {
      if ((err as { code?: string }).code !== '40P01' || attempt >= 5) throw err;
    }
  }
}

/** Lock the activity tables, wait for activity statements to queue, drop every other connection, unlock. */
async function dropRound(): Promise<Round> {
  await killer.query('BEGIN');
  try {
    // Ledger before payments: the order the payment activities' own transactions take them in.
    await killer.query('LOCK TABLE ledger_entries, payments, visits, slots, notifications IN EXCLUSIVE MODE');
    const waitingSql = `SELECT left(query, 60) AS query FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'`;
    const deadline = Date.now() + 3_000;
    let waiting: Array<{ query: string }> = [];
    while (Date.now() < deadline) {
      // pg_stat_activity is a per-transaction snapshot unless cleared.
      await killer.query('SELECT pg_stat_clear_snapshot()');
      waiting = (await killer.query<{ query: string }>(waitingSql)).rows;
      if (waiting.length > 0) break;
      await sleep(50);
    }
    // In the select list, not the WHERE clause: PostgreSQL may evaluate WHERE conditions in any order.
    const terminated = await killer.query<{ pid: number; ok: boolean }>(
      'SELECT pid, pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    // Termination is asynchronous: the window lasts until those backends are gone (and the pools have
    // seen their sockets close), so a step kept out of the window does not meet a dying connection.
    const pids = terminated.rows.filter((r) => r.ok).map((r) => r.pid);
    await until(
      'terminated backends gone',
      async () => {
        await killer.query('SELECT pg_stat_clear_snapshot()');
        return (await killer.query('SELECT 1 FROM pg_stat_activity WHERE pid = ANY($1)', [pids])).rowCount === 0;
      },
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    await sleep(100);
    return { waiting: waiting.map((w) => w.query), terminated: pids.length };
  } finally {
    await killer.query('COMMIT');
  }
}

it(`injects repeated pg_terminate_backend of every connection to the database, timed while journey activities wait on their tables, under ${VISITS} concurrent hospital visits; checks every visit still closes, the drops hit activities that were retried, and the invariants hold (no duplicate payment, ledger entry, slot or HIS message; ledger balances; inbox applied)`, async () => {
  const users = [await verifiedUser(api, p), await verifiedUser(api, p)];
  // Steps that arrive at Causeway as inbound messages (HIS call-in, orders, results; the platform's
  // payment notification) are kept out of the fault windows, each until Causeway has applied what it
  // stored: this drill is about activities (inbound messages under a dropped connection are the
  // known defect below, and the HIS simulator does not resend after an AR).
  const window = new Mutex();
  const inbound = <T>(step: () => Promise<T>): Promise<T> =>
    window.run(async () => {
      const result = await step();
      await until('inbound messages applied', () => inboundSettled(), { timeoutMs: 30_000 });
      return result;
    });
  const ctx = { api, db: p.services.db, paymentSim: p.payment.sim, hospital, stepTimeoutMs: 150_000, inbound };
  const drivers = hospital.slots.map((slot, i) => new VisitDriver(ctx, users[i % users.length] ?? '', slot));
  for (const d of drivers) await d.book();

  let done = false;
  const journeys = allSettledOrThrow(drivers.map((d, i) => d.fullVisit(`ORD-${i + 1}`, 4000 + i))).finally(() => {
    done = true;
  });
  // A handful of drops spread over the journeys' life (not one long outage: that is a different drill).
  const rounds: Round[] = [];
  while (!done && rounds.length < ROUNDS) {
    rounds.push(await window.run(dropConnectionsDuringActivities));
    await Promise.race([journeys.catch(() => undefined), sleep(1_500)]);
  }
  await journeys;
  for (const d of drivers) expect(await d.stage()).toBe('closed');

  const hitActivities = rounds.flatMap((r) => r.waiting);
  process.stdout.write(
    `[db drill] ${rounds.length} rounds, ${rounds.reduce((n, r) => n + r.terminated, 0)} connections dropped, statements caught waiting: ${JSON.stringify(hitActivities)}\n`,
  );
  expect(hitActivities.length).toBeGreaterThan(0);
  const retried = await retriedActivities(p.services.temporal, await journeyWorkflowIds(p.services.db, [hospital.id]));
  expect(retried.length).toBeGreaterThan(0);

  const report = await settledInvariants({
    db: p.services.db,
    temporal: p.services.temporal,
    paymentSim: p.payment.sim,
    institutionIds: [hospital.id],
    his: [hospital.his],
    simulatorIsScoped: true,
  });
  if (report.violations.length > 0) {
    // What to read if a violation comes back: each visit's own account (stage, orders, results, notices).
    const views = await p.services.db.query('SELECT booking_ref, status FROM visit_views WHERE booking_ref = ANY($1)', [
      drivers.map((d) => d.bookingRef),
    ]);
    process.stdout.write(`[db drill] visits: ${JSON.stringify(views)}\n`);
  }
  expect(report.violations).toEqual([]);
  expect(report.counts).toMatchObject({ visits: VISITS, completedVisits: VISITS, payments: VISITS * 2, paid: VISITS * 2 });
  // Retried notice activities lost nothing: every patient got each notice of a whole visit.
  for (const d of drivers) {
    const kinds: Array<{ kind: string }> = await p.services.db.query('SELECT kind FROM notifications WHERE journey_id = $1', [
      d.workflowId,
    ]);
    // On a failure, the visit's own account of its orders and notices is printed beside the kinds found
    // (one CI run missed the results notices of a closed visit; this is what to read if it comes back).
    const [view] = await p.services.db.query<Array<{ status: { orders?: unknown; notices?: unknown; stage?: unknown } }>>(
      'SELECT status FROM visit_views WHERE booking_ref = $1',
      [d.bookingRef],
    );
    const wanted = ['booked', 'reminder', 'results_ready', 'results_ready_doctor'];
    expect({ workflowId: d.workflowId, kinds: wanted.filter((w) => kinds.some((k) => k.kind === w)), view: view?.status }).toEqual({
      workflowId: d.workflowId,
      kinds: wanted,
      view: expect.anything(),
    });
  }
}, 290_000);

describe('defects this drill found (fixed; kept as regressions)', () => {
  /**
   * Fault injector (in this drill's own database): the UPDATE that marks one inbox row applied is made
   * to take 3 s, and its connection is terminated while it runs. `act` sends what creates the row.
   */
  async function dropWhileMarkingApplied(channel: string, correlation: string, act: () => Promise<void>): Promise<void> {
    await killer.query(
      `CREATE OR REPLACE FUNCTION drill_slow_apply() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(3); RETURN NEW; END $$`,
    );
    await killer.query(`CREATE TRIGGER drill_slow_apply BEFORE UPDATE ON inbox_messages FOR EACH ROW
      WHEN (NEW.channel = '${channel}' AND NEW.status = 'applied' AND NEW.correlation = '${correlation}') EXECUTE FUNCTION drill_slow_apply()`);
    try {
      await act();
      const pid = await until(
        'the mark-applied UPDATE running',
        async () => {
          const r = await killer.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND query LIKE 'UPDATE inbox_messages SET status = ''applied''%'`,
          );
          return r.rows[0]?.pid;
        },
        { timeoutMs: 15_000, intervalMs: 20 },
      );
      await killer.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await killer.query('DROP TRIGGER IF EXISTS drill_slow_apply ON inbox_messages');
    }
  }

  it("injects a dropped connection while the API marks a payment notification applied and checks the platform's redelivery leaves the inbox row applied", async () => {
    const ref = randomUUID().replace(/-/g, '').slice(0, 16);
    const input: CollectPaymentInput = {
      version: 1,
      outTradeNo: `DB_${ref}`,
      journeyId: `drill-db/${ref}`,
      step: 'registration',
      institutionId: `kb-${hospital.id}`,
      userRef: 'u_db',
      amountMinor: 1234,
      currency: 'CNY',
      subject: 'Drill payment',
      deadlineMs: Date.now() + 5 * 60_000,
    };
    const handle = await p.services.temporal.workflow.start('collectPayment', {
      taskQueue: p.services.config.TEMPORAL_TASK_QUEUE,
      workflowId: workflowIds.payment(input.outTradeNo),
      args: [input],
    });
    await until('QR code', async () => {
      const rows: unknown[] = await p.services.db.query('SELECT 1 FROM payments WHERE out_trade_no = $1 AND qr_code IS NOT NULL', [
        input.outTradeNo,
      ]);
      return rows.length > 0;
    });
    // The "mark applied" UPDATE of this one notification is slowed and its connection dropped mid-way.
    await dropWhileMarkingApplied('payment_notification', input.outTradeNo, async () => {
      payAtPlatform(p.payment.sim, input.outTradeNo);
    });
    // The payment itself went through (the signal came before the failed UPDATE) ...
    expect(await handle.result()).toMatchObject({ status: 'paid' });
    // ... and the platform, answered 500, redelivers until it gets `success`.
    await until(
      'a redelivery acknowledged',
      async () => p.payment.sim.notifications.attempts.some((a) => a.outTradeNo === input.outTradeNo && a.acknowledged && a.attempt > 1),
      { timeoutMs: 20_000 },
    );
    const rows: Array<{ status: string }> = await p.services.db.query(
      `SELECT status FROM inbox_messages WHERE channel = 'payment_notification' AND correlation = $1`,
      [input.outTradeNo],
    );
    expect(rows).toEqual([{ status: 'applied' }]);
  }, 60_000);

  it('injects a dropped connection while the inbound HL7 pipeline marks a message applied and checks the row settles (applied, or failed with its error) without waiting for another message', async () => {
    const ref = `BKDB${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
    const cid = `DB${randomUUID().replace(/-/g, '').slice(0, 12).toUpperCase()}`;
    // The HIS echoing a booking change (SIU^S14): dispatch does nothing, then the row is marked applied.
    let raw = withField(withField(fixture('siu_s12_v251.hl7'), 'MSH', 4, hospital.id), 'MSH', 10, cid);
    raw = withField(withField(raw, 'MSH', 9, 'SIU^S14^SIU_S12'), 'SCH', 1, `${ref}^CAUSEWAY`);
    await dropWhileMarkingApplied('hl7', ref, async () => {
      const { acks } = await exchangeRaw(p.api.mllpPort ?? 0, framed(raw), { expectAcks: 1 });
      expect(parseAck(acks[0] ?? '')).toMatchObject({ ackCode: 'AA', ackedControlId: cid });
    });
    const row = async (): Promise<{ status: string; error: string | null } | undefined> => {
      const rows: Array<{ status: string; error: string | null }> = await p.services.db.query(
        `SELECT status, error FROM inbox_messages WHERE channel = 'hl7' AND sender = $1 AND message_id = $2`,
        [`HIS^${hospital.id}`, cid],
      );
      return rows[0];
    };
    await until('the row settled', async () => (await row())?.status !== 'received', { timeoutMs: 10_000 }).catch(() => undefined);
    const settled = await row();
    expect(settled?.status).not.toBe('received');
    if (settled?.status === 'failed') expect(settled.error).toBeTruthy();
  }, 60_000);
});
