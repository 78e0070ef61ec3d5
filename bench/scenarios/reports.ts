import type { DataSource } from 'typeorm';
import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { demographicsReport, funnelReport, rollUpJourneyEvents } from '../../db/queries/journeyReports';
import { addDays, serviceDayOf } from '../../domain/hospital/serviceDay';
import { memoryLabel, type Comparison, type Figure } from '../lib/report';
import { TIME_ZONE } from '../lib/seed';
import type { Stack } from '../lib/stack';
import { nowMs, perSecond, ratioPercent, round, summarize } from '../lib/stats';

/**
 * Institution reports at volume (issue 13, "Done when"): `--reports-events` journey events (1,000,000
 * by default) over `--reports-institutions` merchants and 90 whole past days, generated in SQL and
 * folded into the rollups by the live roller (`causeway_roll_up_journey_events`, the function the
 * reports call), then each report timed one query at a time:
 *  - demographicsReport and funnelReport called directly (rollups → release rules → release ledger),
 *  - the same through the signed HTTP routes of the API process,
 * each against a floor measured in the same run: a bare `COUNT(*)` over the same rollup rows (the
 * report's own WHERE) for the same institutions and windows. Goal: p99 < 200 ms.
 *
 * Queries rotate over institutions and windows as a console would ask them: query i is for merchant
 * i mod I; its window ends 1–7 days before today (the offset grows every I queries) and is 30 days
 * long for the funnel, 7 for demographics (its stage alternating between paid and closed). Each phase
 * shifts its windows by a further week, so no phase answers from the release ledger rows of another
 * at the same window; within a phase an institution's ledger grows with every report, as it does live.
 */
const DAYS = 90;
const FUNNEL_DAYS = 30;
const DEMOGRAPHIC_DAYS = 7;
const SECRET = 'bench-reports-secret';
const PROVINCES = [
  11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52, 53, 54, 61, 62, 63, 64, 65,
];

const merchant = (i: number) => `bench-rep-${String(i).padStart(3, '0')}`;

async function seed(
  db: DataSource,
  secretEnc: string,
  events: number,
  institutions: number,
  say: (m: string) => void,
): Promise<{ seedMs: number; rollMs: number }> {
  const t0 = nowMs();
  await db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, settings)
     SELECT $1 || lpad(i::text, 3, '0'), 'merchant', 'Bench reports ' || i, $2, $3, '{}' FROM generate_series(0, $4 - 1) AS i`,
    ['bench-rep-', TIME_ZONE, secretEnc, institutions],
  );
  // A city's shoppers: most from its own province, the rest from anywhere; one in twenty has no
  // derived demographics (counted as unknown). Every draw is a hash of the row number (same data every run).
  const users = Math.max(1_000, Math.round(events / 10));
  await db.query(
    `INSERT INTO user_demographics (user_ref, age_band, gender, region_code)
     SELECT 'bench-u' || u, (ARRAY['0-17', '18-29', '30-44', '45-59', '60+'])[1 + abs(hashint8extended(u, 6)) % 5],
            CASE WHEN abs(hashint8extended(u, 7)) % 2 = 0 THEN 'female' ELSE 'male' END,
            CASE WHEN abs(hashint8extended(u, 8)) % 10 < 7 THEN '310000'
                 ELSE (($2::int[])[1 + abs(hashint8extended(u, 9)) % cardinality($2::int[])])::text || '0000' END
       FROM generate_series(0::bigint, $1::bigint - 1) AS u WHERE abs(hashint8extended(u, 10)) % 20 <> 0`,
    [users, PROVINCES],
  );
  // Orders reach 1–4 stages of the retail funnel (all priced, 85% paying, 80% paid, 60% closed: 3.25
  // events an order), at a time of day spread over whole past local days; each batch's events are
  // queued for the roller as the triggers queue them.
  const orders = Math.round(events / 3.25);
  const batch = 40_000;
  for (let from = 0; from < orders; from += batch) {
    await db.query(
      `WITH o AS (
         SELECT j, $3 || lpad((abs(hashint8extended(j, 1)) % $4)::text, 3, '0') AS inst,
                (date_trunc('day', now() AT TIME ZONE $5) - (1 + abs(hashint8extended(j, 2)) % $6) * interval '1 day'
                  + (abs(hashint8extended(j, 3)) % 86000) * interval '1 second') AT TIME ZONE $5 AS at,
                CASE WHEN abs(hashint8extended(j, 4)) % 100 < 15 THEN 1 WHEN abs(hashint8extended(j, 4)) % 100 < 20 THEN 2
                     WHEN abs(hashint8extended(j, 4)) % 100 < 40 THEN 3 ELSE 4 END AS reach
           FROM generate_series($1::bigint, $2::bigint) AS j),
       e AS (
         INSERT INTO journey_events (journey_id, vertical, institution_id, stage, at, user_ref, amount_minor)
         SELECT 'retail-order/' || o.inst || '/b' || o.j, 'retail', o.inst, (ARRAY['pricing', 'paying', 'paid', 'closed'])[s],
                o.at + s * interval '1 second', 'bench-u' || (abs(hashint8extended(o.j, 5)) % $7), CASE WHEN s = 3 THEN 1000 + o.j % 9000 END
           FROM o, generate_series(1, o.reach) AS s
         RETURNING id)
       INSERT INTO journey_events_pending (event_id) SELECT id FROM e`,
      [from, Math.min(orders, from + batch) - 1, 'bench-rep-', institutions, TIME_ZONE, DAYS, users],
    );
  }
  const seedMs = nowMs() - t0;
  say(`reports: ${events} journey events seeded in ${Math.round(seedMs / 1000)} s; rolling up…`);
  const r0 = nowMs();
  await rollUpJourneyEvents(db, 50_000);
  // What autovacuum does soon after in production: the emptied queue's dead rows would slow every
  // report's (no-op) roll-up call, and the planner needs the new rollups' statistics.
  await db.query('VACUUM ANALYZE journey_events_pending, journey_rollups');
  return { seedMs, rollMs: nowMs() - r0 };
}

interface Ask {
  institutionId: string;
  from: string;
  to: string;
  stage: string;
}

/** Query i of a phase: institution i mod I, a window ending 1–7 days (+ a week per phase) before today. */
function ask(i: number, phase: number, institutions: number, days: number, today: string): Ask {
  const to = addDays(today, -(1 + phase * 7 + (Math.floor(i / institutions) % 7)));
  return { institutionId: merchant(i % institutions), from: addDays(to, -(days - 1)), to, stage: i % 2 === 0 ? 'paid' : 'closed' };
}

/** The first funnel's released cells against a count straight from journey_events (a scan, once). */
async function funnelTruth(
  db: DataSource,
  f: { ask: Ask; cells: Array<Array<number | null>>; rows: readonly string[]; cols: readonly string[] },
): Promise<{ name: string; ok: boolean; detail: string }> {
  const rows: Array<{ day: string; stage: string; n: string }> = await db.query(
    `SELECT to_char(at AT TIME ZONE $2, 'YYYY-MM-DD') AS day, stage, count(*) AS n FROM journey_events
      WHERE institution_id = $1 AND to_char(at AT TIME ZONE $2, 'YYYY-MM-DD') BETWEEN $3 AND $4 GROUP BY 1, 2`,
    [f.ask.institutionId, TIME_ZONE, f.ask.from, f.ask.to],
  );
  const count = new Map(rows.map((r) => [`${r.day}|${r.stage}`, Number(r.n)]));
  let checked = 0;
  let wrong = 0;
  f.cells.forEach((row, d) =>
    row.forEach((v, s) => {
      if (v === null) return;
      checked++;
      if (v !== (count.get(`${f.rows[d]}|${f.cols[s]}`) ?? 0)) wrong++;
    }),
  );
  return {
    name: 'released funnel cells equal the events',
    ok: checked > 0 && wrong === 0,
    detail: `${checked} cells checked, ${wrong} wrong`,
  };
}

async function timed(n: number, run: (i: number) => Promise<void>): Promise<{ samples: number[]; elapsed: number }> {
  const samples: number[] = [];
  const t0 = nowMs();
  for (let i = 0; i < n; i++) {
    const s0 = nowMs();
    await run(i);
    samples.push(nowMs() - s0);
  }
  return { samples, elapsed: nowMs() - t0 };
}

export async function reportsScenario(stack: Stack, say: (m: string) => void): Promise<Comparison[]> {
  const { reportsEvents: events, reportsInstitutions: institutions, reportsQueries: queries } = stack.options;
  const db = stack.db;
  const { seedMs, rollMs } = await seed(db, stack.pii.encrypt(SECRET), events, institutions, say);
  const stats: Array<{ n: string; cells: string }> = await db.query(
    `SELECT (SELECT count(*) FROM journey_events) AS n, (SELECT count(*) FROM journey_rollups WHERE grain = 'day') AS cells`,
  );
  const eventCount = Number(stats[0]!.n);
  const dayCells = Number(stats[0]!.cells);
  say(`reports: rolled up in ${Math.round(rollMs / 1000)} s (${dayCells} day cells); ${queries} queries per report…`);
  const today = serviceDayOf(Date.now(), TIME_ZONE);
  const k = 11;
  const clients = new Map<string, InstitutionHttpClient>();
  const client = (id: string) => {
    let c = clients.get(id);
    if (!c)
      clients.set(id, (c = new InstitutionHttpClient({ baseUrl: stack.api.apiUrl, institutionId: id, secret: SECRET, timeoutMs: 30_000 })));
    return c;
  };

  const floorSql = `SELECT count(*) FROM journey_rollups WHERE institution_id = $1 AND vertical = 'retail' AND grain = 'day' AND bucket BETWEEN $2 AND $3`;
  const floor = async (days: number, phase: number) => {
    const end = await stack.usage.window();
    const t = await timed(queries, async (i) => {
      const a = ask(i, phase, institutions, days, today);
      await db.query(floorSql, [a.institutionId, a.from, a.to]);
    });
    return { ...t, usage: await end() };
  };

  const comparisons: Comparison[] = [];
  const reports = [
    {
      name: 'funnel',
      days: FUNNEL_DAYS,
      direct: (a: Ask) => funnelReport(db, { institutionId: a.institutionId, vertical: 'retail', from: a.from, to: a.to, k }),
      path: (a: Ask) => `/v1/institutions/${a.institutionId}/reports/funnel?from=${a.from}&to=${a.to}`,
    },
    {
      name: 'demographics',
      days: DEMOGRAPHIC_DAYS,
      direct: (a: Ask) =>
        demographicsReport(db, { institutionId: a.institutionId, vertical: 'retail', stage: a.stage, from: a.from, to: a.to, k }),
      path: (a: Ask) => `/v1/institutions/${a.institutionId}/reports/demographics?stage=${a.stage}&from=${a.from}&to=${a.to}`,
    },
  ] as const;
  let phase = 0;
  for (const r of reports) {
    for (const via of ['direct', 'http'] as const) {
      phase += 1;
      say(`reports: ${r.name} (${via}), ${queries} queries, and its COUNT(*) floor…`);
      const f = await floor(r.days, phase);
      let failures = 0;
      let released = 0;
      let first: { ask: Ask; cells: Array<Array<number | null>>; rows: readonly string[]; cols: readonly string[] } | undefined;
      const end = await stack.usage.window();
      const t = await timed(queries, async (i) => {
        const a = ask(i, phase, institutions, r.days, today);
        if (via === 'direct') {
          const out = await r.direct(a);
          released += out.release.published.length;
          first ??= { ask: a, cells: out.release.table.cells.map((row) => row.map((e) => e.value)), rows: out.rows, cols: out.cols };
        } else {
          const res = await client(a.institutionId).get<{ total: unknown }>(r.path(a));
          if (res.status !== 200) failures++;
        }
      });
      const usage = await end();
      const truth = r.name === 'funnel' && first ? await funnelTruth(db, first) : null;
      const lat = summarize(t.samples);
      const floorLat = summarize(f.samples);
      const measured: Figure = {
        what:
          via === 'direct'
            ? `${r.name}Report() over ${r.days} days: rollups → release rules → release ledger, one at a time`
            : `signed GET /v1/institutions/:id/reports/${r.name} (${r.days} days) to the API process, one at a time`,
        rate: perSecond(queries, t.elapsed),
        unit: 'reports/s',
        latency: lat,
        details: { queries, institutions, events: eventCount, dayCells, ...(via === 'direct' ? { countsReleased: released } : {}) },
      };
      comparisons.push({
        scenario: `Report ${r.name} (${via === 'direct' ? 'query function' : 'HTTP'}) at ${Math.round(eventCount / 1000)}k journey events vs bare COUNT(*)`,
        measured,
        floor: {
          what: `SELECT count(*) over the same rollup rows (same institutions and windows)`,
          rate: perSecond(queries, f.elapsed),
          unit: 'queries/s',
          latency: floorLat,
        },
        ratioPercent: ratioPercent(measured.rate, perSecond(queries, f.elapsed)),
        checks: [
          { name: 'p99 < 200 ms', ok: lat.p99Ms < 200, detail: `p99 ${round(lat.p99Ms, 1)} ms (floor ${round(floorLat.p99Ms, 1)} ms)` },
          ...(via === 'http' ? [{ name: 'every request answered 200', ok: failures === 0, detail: `${failures} failed` }] : []),
          ...(truth ? [truth] : []),
          { name: 'events seeded', ok: eventCount >= events, detail: `${eventCount} events, ${dayCells} day cells` },
        ],
        usage: { measured: usage, floor: f.usage },
        memory: memoryLabel(usage.rss, [['api', 'API']]),
        notes:
          phase === 1
            ? [
                `Seeded in ${round(seedMs / 1000, 1)} s (SQL generate_series); rolled up by causeway_roll_up_journey_events in ${round(rollMs / 1000, 1)} s (${Math.round(eventCount / (rollMs / 1000))} events/s).`,
              ]
            : [],
      });
    }
  }
  return comparisons;
}
