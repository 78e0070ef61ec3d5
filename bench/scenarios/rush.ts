import { randomBytes } from 'node:crypto';
import { Pool } from 'pg';
import { createSlotRepository } from '../../db/repositories/slots';
import { DomainError, ErrorCode } from '../../domain/errors';
import { workflowIds } from '../../domain/ids';
import { JsonHttp, partnerHeaders } from '../lib/http';
import { memoryLabel, type Check, type Comparison, type Figure } from '../lib/report';
import type { Usage } from '../lib/usage';
import { doctorIds, insertHospital, insertVerifiedUsers, seedSlots, splitSlots } from '../lib/seed';
import type { Stack } from '../lib/stack';
import { nowMs, perSecond, ratioPercent, summarize } from '../lib/stats';

/**
 * 2. Registration rush: a day's M slots released at one instant to N patients at once. Every patient
 * tries a random slot from the schedule they saw before the release; on "taken" they reload the free
 * slots and try another, until they hold one or none is left. Run three times on fresh slots:
 * through the HTTP API (POST /v1/visits, which also starts the visit workflow), through the slot
 * repository's holdSlot directly, and as a bare conditional UPDATE (the floor). Each run is then
 * checked in the database: exactly M slots held, each by the one patient told it was theirs.
 */
type Outcome = { kind: 'booked'; ref: string } | { kind: 'taken' } | { kind: 'error'; reason: string };

interface Target {
  institutionId: string;
  book(slotId: string, patient: number): Promise<Outcome>;
  freeSlots(): Promise<string[]>;
}

interface RushRun {
  figure: Figure;
  checks: Check[];
  usage: Usage;
  /** Booking refs of the winners. */
  refs: string[];
}

const MAX_ATTEMPTS = 50;

export async function rushScenario(stack: Stack, say: (m: string) => void): Promise<Comparison[]> {
  const { rushPatients: n, rushSlots: m } = stack.options;
  const split = splitSlots(m);
  const seed = async (institutionId: string, prefix: string): Promise<string[]> =>
    (await seedSlots(stack.db, { institutionId, doctorIds: doctorIds(prefix, split.doctors), perDoctor: split.perDoctor })).all;

  // Floor: one UPDATE … WHERE status = 'free' per attempt, on its own pool of the API's size.
  const pool = new Pool({ connectionString: stack.databaseUrl, max: 10, application_name: 'causeway-bench-rush' });
  const bareInstitution = 'brush-bare';
  const bareSlots = await seed(bareInstitution, 'RB');
  const bare: Target = {
    institutionId: bareInstitution,
    book: async (slotId) => {
      const ref = newRef();
      const res = await pool.query(
        `UPDATE slots SET status = 'held', booking_ref = $2, held_until = now() + interval '15 minutes', updated_at = now()
                                     WHERE id = $1 AND status = 'free' RETURNING id`,
        [slotId, ref],
      );
      return res.rowCount === 1 ? { kind: 'booked', ref } : { kind: 'taken' };
    },
    freeSlots: async () =>
      (await pool.query<{ id: string }>(`SELECT id FROM slots WHERE institution_id = $1 AND status = 'free'`, [bareInstitution])).rows.map(
        (r) => r.id,
      ),
  };

  // The repository the API uses, called directly (no HTTP, no workflow), on the bench's pool of 10.
  const repoInstitution = 'brush-repo';
  const repoSlots = await seed(repoInstitution, 'RR');
  const repo = createSlotRepository(stack.db);
  const direct: Target = {
    institutionId: repoInstitution,
    book: async (slotId) => {
      const ref = newRef();
      const now = new Date();
      try {
        await repo.holdSlot({ slotId, bookingRef: ref, heldUntil: new Date(now.getTime() + 16 * 60_000), now });
        return { kind: 'booked', ref };
      } catch (err) {
        if (err instanceof DomainError && err.code === ErrorCode.SlotTaken) return { kind: 'taken' };
        return { kind: 'error', reason: err instanceof DomainError ? err.code : 'unexpected' };
      }
    },
    freeSlots: async () => {
      const now = new Date();
      return (
        await repo.listFreeSlots({ institutionId: repoInstitution, from: now, to: new Date(now.getTime() + 14 * 86_400_000), now })
      ).map((s) => s.id);
    },
  };

  // The real thing: verified patients of a partner app, POST /v1/visits, the hospital's HIS behind it.
  const httpInstitution = 'brush';
  const httpDoctors = doctorIds('RH', split.doctors);
  const his = await stack.startHis(httpInstitution, httpDoctors);
  await insertHospital(stack.db, stack.pii, { id: httpInstitution, secret: stack.keys.hospitalSecret, hisPort: his.port, policy: {} });
  const httpSlots = (await seedSlots(stack.db, { institutionId: httpInstitution, doctorIds: httpDoctors, perDoctor: split.perDoctor })).all;
  const users = await insertVerifiedUsers(stack.db, stack.pii, stack.partner.id, n, 'R');
  const http = new JsonHttp(
    stack.apis.map((a) => a.apiUrl),
    { maxSockets: stack.options.rushConnections },
  );
  const api: Target = {
    institutionId: httpInstitution,
    book: async (slotId, patient) => {
      const res = await http.request<{ bookingRef?: string; code?: string }>('POST', '/v1/visits', {
        headers: partnerHeaders(stack.partner.apiKey, users[patient]),
        body: { institutionId: httpInstitution, slotId },
      });
      if (res.status === 201 && res.body.bookingRef) return { kind: 'booked', ref: res.body.bookingRef };
      if (res.status === 409 && res.body.code === 'slot_taken') return { kind: 'taken' };
      return { kind: 'error', reason: `${res.status} ${res.body.code ?? ''}`.trim() };
    },
    freeSlots: async () => {
      const res = await http.request<Array<{ slotId: string }>>('GET', `/v1/hospitals/${httpInstitution}/slots`, {
        headers: partnerHeaders(stack.partner.apiKey),
      });
      if (res.status !== 200) throw new Error(`free slots answered ${res.status}`);
      return res.body.map((s) => s.slotId);
    },
  };

  try {
    say(`rush floor: ${n} patients for ${m} slots, bare conditional UPDATE…`);
    const floor = await rush(stack, bare, bareSlots, n, m, 'bare conditional UPDATE on slots');
    say(`rush: ${n} patients for ${m} slots, holdSlot directly…`);
    const viaRepo = await rush(stack, direct, repoSlots, n, m, 'holdSlot() directly (slot repository)');
    say(`rush: ${n} patients for ${m} slots through POST /v1/visits…`);
    const viaApi = await rush(stack, api, httpSlots, n, m, 'POST /v1/visits (hold + visit row + workflow start)', true);
    // The M visits now wait for a registration fee nobody will pay, their payments polling the platform:
    // end them (children go with them) so that they do not load the scenarios that follow.
    await Promise.all(
      viaApi.refs.map((ref) =>
        stack.temporal.workflow.getHandle(workflowIds.hospitalVisit(httpInstitution, ref)).terminate('bench: rush measured'),
      ),
    );
    const row = (scenario: string, run: RushRun, memory: string, notes: string[]): Comparison => ({
      scenario,
      measured: run.figure,
      floor: floor.figure,
      ratioPercent: ratioPercent(run.figure.rate, floor.figure.rate),
      checks: run.checks,
      usage: { measured: run.usage, floor: floor.usage },
      memory,
      notes,
    });
    return [
      row(
        `Registration rush, HTTP (${n} patients, ${m} slots)`,
        viaApi,
        memoryLabel(viaApi.usage.rss, [
          ['api', 'API'],
          ['worker', 'worker'],
        ]),
        [
          `latency is per booking attempt (201 or 409), as the patient's app sees it, over ${stack.options.rushConnections} keep-alive connections; ` +
            "the floor is one UPDATE … WHERE status = 'free' per attempt on a 10-connection pool (the API's pool size). " +
            'Losers reload the free slots (GET /v1/hospitals/:id/slots, a SELECT for the floor) and try again; bookings/s counts up to the last booking. ' +
            `Through the API: 201 p50/p99 ${latencyOf(viaApi, 'bookedLatency')} ms, 409 ${latencyOf(viaApi, 'takenLatency')} ms, ` +
            `${Math.round(viaApi.figure.details?.attemptsPerSecond as number)} attempts/s (floor ${Math.round(floor.figure.details?.attemptsPerSecond as number)}).`,
        ],
      ),
      row(
        `Registration rush, holdSlot (${n} patients, ${m} slots)`,
        viaRepo,
        `bench ${viaRepo.usage.rss.bench ?? '?'} (runs in the bench process)`,
        [],
      ),
    ];
  } finally {
    http.close();
    await pool.end();
  }
}

function latencyOf(run: RushRun, key: 'bookedLatency' | 'takenLatency'): string {
  const l = run.figure.details?.[key] as { p50Ms: number; p99Ms: number } | undefined;
  return l ? `${Math.round(l.p50Ms)}/${Math.round(l.p99Ms)}` : '?';
}

function newRef(): string {
  return `B${randomBytes(9).toString('hex').toUpperCase()}`;
}

/** All patients at once; the clock runs from the release to the last successful booking. */
async function rush(
  stack: Stack,
  target: Target,
  schedule: string[],
  n: number,
  m: number,
  what: string,
  withVisits = false,
): Promise<RushRun> {
  const attempts: number[] = [];
  const byOutcome: Record<Outcome['kind'], number[]> = { booked: [], taken: [], error: [] };
  const reloads: number[] = [];
  const errors = new Map<string, number>();
  const won = new Map<number, { slotId: string; ref: string }>();
  let taken = 0;
  let lastWinAt = 0;
  const end = await stack.usage.window();
  const t0 = nowMs();
  const patient = async (i: number): Promise<void> => {
    let candidates = schedule;
    for (let a = 0; a < MAX_ATTEMPTS && candidates.length > 0; a++) {
      const slotId = candidates[Math.floor(Math.random() * candidates.length)] ?? '';
      const s0 = nowMs();
      const outcome = await target.book(slotId, i);
      const ms = nowMs() - s0;
      attempts.push(ms);
      byOutcome[outcome.kind].push(ms);
      if (outcome.kind === 'booked') {
        won.set(i, { slotId, ref: outcome.ref });
        lastWinAt = nowMs();
        return;
      }
      if (outcome.kind === 'taken') taken++;
      else errors.set(outcome.reason, (errors.get(outcome.reason) ?? 0) + 1);
      const r0 = nowMs();
      candidates = await target.freeSlots();
      reloads.push(nowMs() - r0);
    }
  };
  await Promise.all(Array.from({ length: n }, (_, i) => patient(i)));
  const allDoneMs = nowMs() - t0;
  const usage = await end();
  const elapsedMs = (lastWinAt || nowMs()) - t0;
  const checks = await verify(stack, target.institutionId, [...won.values()], m, withVisits);
  if (errors.size > 0) checks.push({ name: 'no errors', ok: false, detail: [...errors].map(([k, v]) => `${v}× ${k}`).join(', ') });
  return {
    figure: {
      what,
      rate: perSecond(won.size, elapsedMs),
      unit: 'bookings/s',
      latency: summarize(attempts),
      details: {
        patients: n,
        slots: m,
        booked: won.size,
        attempts: attempts.length,
        attemptsPerSecond: perSecond(attempts.length, allDoneMs),
        taken,
        errors: Object.fromEntries(errors),
        untilLastBookingMs: Math.round(elapsedMs),
        untilAllPatientsDoneMs: Math.round(allDoneMs),
        bookedLatency: summarize(byOutcome.booked),
        takenLatency: summarize(byOutcome.taken),
        reloadLatency: summarize(reloads),
      },
    },
    checks,
    usage,
    refs: [...won.values()].map((w) => w.ref),
  };
}

/** Asks the database, not the clients: every held slot has exactly one owner, and it is the patient who was told so. */
async function verify(
  stack: Stack,
  institutionId: string,
  wins: Array<{ slotId: string; ref: string }>,
  m: number,
  withVisits: boolean,
): Promise<Check[]> {
  const rows: Array<{ id: string; status: string; booking_ref: string | null }> = await stack.db.query(
    'SELECT id, status, booking_ref FROM slots WHERE institution_id = $1',
    [institutionId],
  );
  const owner = new Map(rows.map((r) => [r.id, r.booking_ref]));
  const held = rows.filter((r) => r.status !== 'free').length;
  const claimsPerSlot = new Map<string, number>();
  for (const w of wins) claimsPerSlot.set(w.slotId, (claimsPerSlot.get(w.slotId) ?? 0) + 1);
  const claimedTwice = [...claimsPerSlot.values()].filter((c) => c > 1).length;
  const notOwner = wins.filter((w) => owner.get(w.slotId) !== w.ref).length;
  let visitDuplicates = 0;
  let visits = wins.length;
  if (withVisits) {
    const dup: unknown[] = await stack.db.query(
      'SELECT slot_id FROM visits WHERE institution_id = $1 GROUP BY slot_id HAVING count(*) > 1',
      [institutionId],
    );
    visitDuplicates = dup.length;
    const counted: Array<{ n: number }> = await stack.db.query('SELECT count(*)::int AS n FROM visits WHERE institution_id = $1', [
      institutionId,
    ]);
    visits = counted[0]?.n ?? 0;
  }
  const doubleBookings = claimedTwice + notOwner + visitDuplicates;
  return [
    {
      name: `0 double-bookings (${doubleBookings})`,
      ok: doubleBookings === 0,
      detail:
        `slots claimed by two patients: ${claimedTwice}; patients told "booked" who do not hold the slot in the database: ${notOwner}` +
        (withVisits ? `; slots with two visit rows: ${visitDuplicates}` : ''),
    },
    {
      name: `booked = ${m} (${wins.length})`,
      ok: wins.length === m && held === m && visits === m,
      detail: `successful bookings ${wins.length}, slots held in the database ${held}${withVisits ? `, visit rows ${visits}` : ''}, slots released ${m}`,
    },
  ];
}
