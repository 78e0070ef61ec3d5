import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import path from 'node:path';
import { Client as PgClient } from 'pg';
import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { RIDER_DAY_VIEW_CHANNEL } from '../../db/queries/riderDayView';
import { storeFeedVersion } from '../../db/repositories/transitFeeds';
import { instantOfLocalTime } from '../../domain/hospital/serviceDay';
import { issueCredential, makeCode, MemoryReplayCache, verifyCode } from '../../domain/transit/rideCode';
import { transitServiceDayOf } from '../../domain/transit/serviceDay';
import { readFeedFiles } from '../../integrations/transit/gtfs';
import { insertVerifiedUsers } from '../lib/seed';
import { memoryLabel, type Comparison, type Figure } from '../lib/report';
import type { Stack } from '../lib/stack';
import { nowMs, perSecond, pool, ratioPercent, summarize } from '../lib/stats';

/**
 * Transit (issue 11, item 9), each figure beside a floor measured in the same run:
 *  - gate verification, one thread (a core), against bare Ed25519 verification of the same two
 *    signatures per code (goal ≥ 50% of the floor, p99 < 5 ms per code);
 *  - tap ingestion through the signed AFC route, stored before the answer, against a bare multi-row
 *    INSERT of the same rows from this process (goal ≥ 2,000 taps/s);
 *  - a tap in the rider's running fare (POST answered → the rider-day view's NOTIFY), against a bare
 *    NOTIFY round trip (goal p99 < 2 s);
 *  - a compressed morning peak: R riders tapping on and off, until every rider-day shows both taps priced.
 * The ingestion operator's taps are not forwarded (the stack forwards only the fares operator's), so
 * ingestion is measured without workflows starting behind it; the other two run the whole path.
 */
export const FARES_OPERATOR = 'bench-metro';
export const INGEST_OPERATOR = 'bench-afc';
const ZONE = 'Asia/Shanghai';
const FEED_DIR = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures', 'gtfs', 'metroville');

interface Riders {
  pseudonyms: string[];
}

async function insertOperator(stack: Stack, id: string): Promise<void> {
  await stack.db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, settings) VALUES ($1, 'transit', $1, $2, $3, '{}')
     ON CONFLICT (id) DO NOTHING`,
    [id, ZONE, stack.pii.encrypt(stack.keys.hospitalSecret)],
  );
}

/** Verified users enrolled with the operator, one live credential each (pseudonyms as gates see them). */
async function insertRiders(stack: Stack, operatorId: string, count: number, tag: string): Promise<Riders> {
  const users = await insertVerifiedUsers(stack.db, stack.pii, stack.partner.id, count, tag);
  const pseudonyms = users.map((_, i) => `ps_${tag}_${i}`);
  await stack.db.query(
    `WITH r AS (
       INSERT INTO transit_riders (id, operator_id, user_id, rider_ref, status)
       SELECT gen_random_uuid(), $1, u, 'r_' || $2 || '_' || n, 'active' FROM unnest($3::uuid[]) WITH ORDINALITY AS t(u, n)
       RETURNING id, rider_ref)
     INSERT INTO transit_credentials (pseudonym, operator_id, rider_id, key_id, device_public_key, valid_from, valid_until)
     SELECT 'ps_' || $2 || '_' || (split_part(r.rider_ref, '_', 3)::int - 1), $1, r.id, 'k1', 'bench', now() - interval '1 hour', now() + interval '1 day'
       FROM r`,
    [operatorId, tag, users],
  );
  return { pseudonyms };
}

function tap(tapId: string, pseudonym: string, stopId: string, tapType: 'on' | 'off', at: number) {
  return {
    tapId,
    pseudonym,
    stopId,
    deviceId: `gate-${stopId}`,
    tapType,
    gateDecision: 'allow',
    transactionAt: new Date(at).toISOString(),
  };
}
type AfcTap = ReturnType<typeof tap>;

/** Posts batches over `lanes` connections; answers latencies and how many taps the API accepted. */
async function postBatches(http: InstitutionHttpClient, operatorId: string, batches: AfcTap[][], lanes: number) {
  const latencies: number[] = [];
  let accepted = 0;
  let failed = 0;
  await pool(batches.length, lanes, async (i) => {
    const s0 = nowMs();
    const r = await http.post<{ counts?: { accepted: number } }>(`/v1/institutions/${operatorId}/transit/taps`, { taps: batches[i] });
    latencies.push(nowMs() - s0);
    if (r.status === 200) accepted += r.body.counts?.accepted ?? 0;
    else failed++;
  });
  return { latencies, accepted, failed };
}

const chunk = <T>(list: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(list.length / size) }, (_, i) => list.slice(i * size, (i + 1) * size));

export async function transitScenario(stack: Stack, say: (m: string) => void): Promise<Comparison[]> {
  const o = stack.options;
  return [await gateVerification(stack, o.transitGateCodes, say), ...(await tapIngestion(stack, say))];
}

async function gateVerification(stack: Stack, n: number, say: (m: string) => void): Promise<Comparison> {
  say(`transit gate: making ${n} codes…`);
  const issuer = generateKeyPairSync('ed25519');
  const now = Date.now();
  const codes: Buffer[] = [];
  const floorInputs: Array<{ a: Buffer; sa: Buffer; b: Buffer; sb: Buffer; device: ReturnType<typeof generateKeyPairSync> }> = [];
  for (let i = 0; i < n; i++) {
    const device = generateKeyPairSync('ed25519');
    const credential = issueCredential({
      keyId: 'k1',
      issuerPrivateKey: issuer.privateKey,
      operatorId: FARES_OPERATOR,
      pseudonym: `ps_gate_${i}`,
      riderCategoryId: 'adult',
      devicePublicKey: device.publicKey,
      validFrom: now - 60_000,
      validUntil: now + 3_600_000,
    });
    const code = makeCode({ credential, devicePrivateKey: device.privateKey, now, counter: 1 });
    codes.push(code);
    // The floor verifies two signatures over messages of the same sizes as the credential and the code.
    const a = randomBytes(credential.length);
    const b = randomBytes(code.length);
    floorInputs.push({ a, sa: sign(null, a, issuer.privateKey), b, sb: sign(null, b, device.privateKey), device });
  }
  const issuerKeys = new Map([['k1', { publicKey: issuer.publicKey }]]);
  const denyList = new Set(['ps_nobody']);

  const endFloor = await stack.usage.window();
  const f0 = nowMs();
  let floorOk = 0;
  for (const f of floorInputs) if (verify(null, f.a, issuer.publicKey, f.sa) && verify(null, f.b, f.device.publicKey, f.sb)) floorOk++;
  const floorMs = nowMs() - f0;
  const floorUsage = await endFloor();

  const replayCache = new MemoryReplayCache(() => now);
  const latencies: number[] = [];
  let allowed = 0;
  const end = await stack.usage.window();
  const t0 = nowMs();
  for (const code of codes) {
    const s0 = nowMs();
    const d = verifyCode({ code, operatorId: FARES_OPERATOR, issuerKeys, denyList, replayCache, now });
    latencies.push(nowMs() - s0);
    if (d.allow) allowed++;
  }
  const elapsedMs = nowMs() - t0;
  const usage = await end();
  const measured: Figure = {
    what: 'pure verifier: issuer + device signatures, freshness, deny list, replay cache; one thread',
    rate: perSecond(n, elapsedMs),
    unit: 'codes/s/core',
    latency: summarize(latencies),
    details: { codes: n, allowed },
  };
  const floor: Figure = {
    what: 'bare Ed25519 verify of two signatures of the same sizes (node:crypto), one thread',
    rate: perSecond(n, floorMs),
    unit: 'codes/s/core',
    details: { verified: floorOk },
  };
  const p99 = measured.latency?.p99Ms ?? Number.POSITIVE_INFINITY;
  return {
    scenario: 'Transit gate verification vs bare signatures',
    measured,
    floor,
    ratioPercent: ratioPercent(measured.rate, floor.rate),
    goalPercent: 50,
    checks: [
      { name: 'every genuine code allowed', ok: allowed === n, detail: `${allowed} of ${n}` },
      { name: 'p99 < 5 ms per code', ok: p99 < 5, detail: `p99 ${p99.toFixed(3)} ms` },
    ],
    usage: { measured: usage, floor: floorUsage },
    memory: memoryLabel(usage.rss, [['bench', 'bench']]),
    notes: ['Measured in the bench process: the verifier is pure, a gate runs it on its own CPU.'],
  };
}

async function tapIngestion(stack: Stack, say: (m: string) => void): Promise<Comparison[]> {
  const o = stack.options;
  const tag = Date.now().toString(36).slice(-5);
  const today = transitServiceDayOf(Date.now(), ZONE);
  const at = (hhmm: string) => instantOfLocalTime(today, hhmm, ZONE).getTime();
  await insertOperator(stack, INGEST_OPERATOR);
  await insertOperator(stack, FARES_OPERATOR);
  await storeFeedVersion(stack.db, { operatorId: FARES_OPERATOR, files: await readFeedFiles(FEED_DIR), effectiveFrom: today });
  say(`transit taps: seeding ${o.transitTapRiders + o.transitPeakRiders + o.transitLatencySamples} riders…`);
  const ingestRiders = await insertRiders(stack, INGEST_OPERATOR, o.transitTapRiders, `i${tag}`);
  const batchSize = 200;
  const lanes = 8;
  const taps = Array.from({ length: o.transitTaps }, (_, i) =>
    tap(
      `t${tag}-${i}`,
      ingestRiders.pseudonyms[i % ingestRiders.pseudonyms.length]!,
      i % 2 ? 'M3' : 'M1',
      i % 2 ? 'off' : 'on',
      at('08:00') + i,
    ),
  );
  const http = (operatorId: string) =>
    new InstitutionHttpClient({ baseUrl: stack.api.apiUrl, institutionId: operatorId, secret: stack.keys.hospitalSecret });

  // Floor: the same rows, the same batch size and concurrency, a bare INSERT from this process.
  await stack.db.query(
    `CREATE TABLE IF NOT EXISTS bench_taps_floor (id bigserial PRIMARY KEY, operator_id text, tap_id text, pseudonym text, stop_id text,
       device_id text, tap_type text, gate_decision text, transaction_at timestamptz, service_day text, status text)`,
  );
  say(`transit taps floor: ${taps.length} rows by bare INSERT, ${batchSize} a statement, ${lanes} at once…`);
  const batches = chunk(taps, batchSize);
  const endFloor = await stack.usage.window();
  const f0 = nowMs();
  await pool(batches.length, lanes, async (i) => {
    const b = batches[i]!;
    await stack.db.query(
      `INSERT INTO bench_taps_floor (operator_id, tap_id, pseudonym, stop_id, device_id, tap_type, gate_decision, transaction_at, service_day, status)
       SELECT $1, t, p, s, d, ty, g, ta, $2, 'pending'
         FROM unnest($3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[]) AS x(t, p, s, d, ty, g, ta)`,
      [
        INGEST_OPERATOR,
        today,
        b.map((x) => x.tapId),
        b.map((x) => x.pseudonym),
        b.map((x) => x.stopId),
        b.map((x) => x.deviceId),
        b.map((x) => x.tapType),
        b.map((x) => x.gateDecision),
        b.map((x) => x.transactionAt),
      ],
    );
  });
  const floorMs = nowMs() - f0;
  const floorUsage = await endFloor();
  const floor: Figure = {
    what: `bare multi-row INSERT from the bench (${batchSize} a statement, ${lanes} at once)`,
    rate: perSecond(taps.length, floorMs),
    unit: 'taps/s',
  };

  say(`transit taps: ${taps.length} taps through POST /v1/institutions/${INGEST_OPERATOR}/transit/taps…`);
  await postBatches(
    http(INGEST_OPERATOR),
    INGEST_OPERATOR,
    chunk(
      taps.slice(0, batchSize * 2).map((t) => ({ ...t, tapId: `w-${t.tapId}` })),
      batchSize,
    ),
    2,
  );
  const end = await stack.usage.window();
  const t0 = nowMs();
  const posted = await postBatches(http(INGEST_OPERATOR), INGEST_OPERATOR, batches, lanes);
  const elapsedMs = nowMs() - t0;
  const usage = await end();
  const stored: Array<{ n: number }> = await stack.db.query(
    `SELECT count(*)::int AS n FROM transit_taps WHERE operator_id = $1 AND tap_id LIKE $2`,
    [INGEST_OPERATOR, `t${tag}-%`],
  );
  const ingestion: Comparison = {
    scenario: 'Transit tap ingestion vs bare INSERT',
    measured: {
      what: `signed AFC batches of ${batchSize} over ${lanes} connections: auth, validation, pseudonym lookup, INSERT, answer`,
      rate: perSecond(taps.length, elapsedMs),
      unit: 'taps/s',
      latency: summarize(posted.latencies),
      details: { taps: taps.length, accepted: posted.accepted, failedBatches: posted.failed },
    },
    floor,
    ratioPercent: ratioPercent(perSecond(taps.length, elapsedMs), floor.rate),
    checks: [
      {
        name: 'every tap stored before its answer',
        ok: stored[0]?.n === taps.length && posted.accepted === taps.length,
        detail: `${stored[0]?.n} rows, ${posted.accepted} accepted`,
      },
      {
        name: '≥ 2,000 taps/s',
        ok: perSecond(taps.length, elapsedMs) >= 2000,
        detail: `${Math.round(perSecond(taps.length, elapsedMs))} taps/s`,
      },
    ],
    usage: { measured: usage, floor: floorUsage },
    memory: memoryLabel(usage.rss, [['api', 'API']]),
    notes: [
      'The ingestion operator is not forwarded (TRANSIT_FORWARD_OPERATORS names only the fares operator): no workflow starts behind these taps.',
    ],
  };

  return [
    ingestion,
    await tapToFare(stack, say, tag, at, http(FARES_OPERATOR)),
    await morningPeak(stack, say, tag, at, http(FARES_OPERATOR), floor),
  ];
}

/** From the POST answer to the NOTIFY of the rider-day view that priced the tap. */
async function tapToFare(
  stack: Stack,
  say: (m: string) => void,
  tag: string,
  at: (hhmm: string) => number,
  http: InstitutionHttpClient,
): Promise<Comparison> {
  const n = stack.options.transitLatencySamples;
  const riders = await insertRiders(stack, FARES_OPERATOR, n, `l${tag}`);
  const listener = new PgClient({ connectionString: stack.databaseUrl });
  await listener.connect();
  const seen = new Map<string, number>();
  listener.on('notification', (m) => {
    const rider = m.payload?.split('/')[1];
    if (rider && !seen.has(rider)) seen.set(rider, nowMs());
  });
  await listener.query(`LISTEN ${RIDER_DAY_VIEW_CHANNEL}`);
  try {
    // Floor: a bare NOTIFY from this process to its own listener, the last hop of the measured path.
    const floorLat: number[] = [];
    for (let i = 0; i < 50; i++) {
      const key = `${FARES_OPERATOR}/floor-${tag}-${i}/x`;
      const s0 = nowMs();
      await stack.db.query(`SELECT pg_notify($1, $2)`, [RIDER_DAY_VIEW_CHANNEL, key]);
      while (!seen.has(`floor-${tag}-${i}`)) await new Promise((r) => setTimeout(r, 1));
      floorLat.push(nowMs() - s0);
    }
    say(`transit tap → fare: ${n} riders, one tap each, 20 a second…`);
    const posted = new Map<string, number>();
    const refs: Array<{ rider_ref: string; pseudonym: string }> = await stack.db.query(
      `SELECT r.rider_ref, c.pseudonym FROM transit_credentials c JOIN transit_riders r ON r.id = c.rider_id WHERE c.pseudonym = ANY($1)`,
      [riders.pseudonyms],
    );
    const end = await stack.usage.window();
    for (const [i, r] of refs.entries()) {
      await http.post(`/v1/institutions/${FARES_OPERATOR}/transit/taps`, {
        taps: [tap(`f${tag}-${i}`, r.pseudonym, 'M1', 'on', at('07:00'))],
      });
      posted.set(r.rider_ref, nowMs());
      await new Promise((res) => setTimeout(res, 50));
    }
    const d0 = nowMs();
    while (nowMs() - d0 < 60_000 && refs.some((r) => !seen.has(r.rider_ref))) await new Promise((res) => setTimeout(res, 50));
    const usage = await end();
    const lat = refs.flatMap((r) => (seen.has(r.rider_ref) ? [seen.get(r.rider_ref)! - posted.get(r.rider_ref)!] : []));
    const summary = summarize(lat);
    return {
      scenario: 'Transit tap → running fare vs bare NOTIFY',
      measured: {
        what: 'POST answered → forwarded → rider-day workflow priced → view NOTIFY received',
        rate: perSecond(
          lat.length,
          lat.reduce((s, x) => s + x, 0),
        ),
        unit: 'taps/s (1 / mean latency)',
        latency: summary,
        details: { riders: refs.length, priced: lat.length },
      },
      floor: {
        what: 'pg_notify → LISTEN in the bench',
        rate: perSecond(
          floorLat.length,
          floorLat.reduce((s, x) => s + x, 0),
        ),
        unit: 'round trips/s',
        latency: summarize(floorLat),
      },
      ratioPercent: null,
      checks: [
        { name: 'every tap priced', ok: lat.length === refs.length, detail: `${lat.length} of ${refs.length}` },
        { name: 'p99 < 2 s', ok: summary.p99Ms < 2000, detail: `p99 ${Math.round(summary.p99Ms)} ms` },
      ],
      usage: { measured: usage, floor: null },
      memory: memoryLabel(usage.rss, [
        ['api', 'API'],
        ['worker', 'worker'],
      ]),
      notes: ["Paced at 20 taps a second so each latency is one tap's path, not a queue."],
    };
  } finally {
    await listener.end();
  }
}

/** R riders tap on at M1 and off at M3 within a compressed window; done when every day shows both taps priced. */
async function morningPeak(
  stack: Stack,
  say: (m: string) => void,
  tag: string,
  at: (hhmm: string) => number,
  http: InstitutionHttpClient,
  floor: Figure,
): Promise<Comparison> {
  const r = stack.options.transitPeakRiders;
  const riders = await insertRiders(stack, FARES_OPERATOR, r, `p${tag}`);
  const taps = riders.pseudonyms.flatMap((p, i) => [
    tap(`p${tag}-${i}-on`, p, 'M1', 'on', at('08:00') + i * 10),
    tap(`p${tag}-${i}-off`, p, 'M3', 'off', at('08:30') + i * 10),
  ]);
  // The AFC uploads as the gates report: tap-ons first, then tap-offs.
  const ordered = [...taps.filter((t) => t.tapType === 'on'), ...taps.filter((t) => t.tapType === 'off')];
  say(`transit peak: ${r} riders × 2 taps…`);
  const end = await stack.usage.window();
  const t0 = nowMs();
  const posted = await postBatches(http, FARES_OPERATOR, chunk(ordered, 200), 4);
  const ingestMs = nowMs() - t0;
  const pattern = `r_p${tag}_%`;
  let done = { views: 0, taps: 0, priced: 0 };
  while (nowMs() - t0 < 600_000) {
    const rows: Array<{ views: number; taps: number; priced: number }> = await stack.db.query(
      `SELECT count(*)::int AS views, coalesce(sum((view->'taps'->>'total')::int), 0)::int AS taps,
              count(*) FILTER (WHERE (view->'trace'->>'charge')::int = 500 AND (view->'taps'->>'total')::int = 2)::int AS priced
         FROM rider_day_views WHERE operator_id = $1 AND rider_ref LIKE $2`,
      [FARES_OPERATOR, pattern],
    );
    done = rows[0] ?? done;
    if (done.priced === r) break;
    await new Promise((res) => setTimeout(res, 500));
  }
  const allMs = nowMs() - t0;
  const usage = await end();
  return {
    scenario: `Transit morning peak (${r} riders × 2 taps) vs bare INSERT`,
    measured: {
      what: 'posted as the AFC would, until every rider-day view shows both taps priced (5.00 M1 → M3)',
      rate: perSecond(2 * r, allMs),
      unit: 'taps/s priced',
      latency: summarize(posted.latencies),
      details: {
        riders: r,
        ingestSeconds: Math.round(ingestMs / 100) / 10,
        pricedAllSeconds: Math.round(allMs / 100) / 10,
        accepted: posted.accepted,
      },
    },
    floor,
    ratioPercent: ratioPercent(perSecond(2 * r, allMs), floor.rate),
    checks: [
      { name: 'every tap stored', ok: posted.accepted === 2 * r, detail: `${posted.accepted} of ${2 * r}` },
      {
        name: 'every tap priced once',
        ok: done.views === r && done.taps === 2 * r && done.priced === r,
        detail: `${done.views} views, ${done.taps} taps, ${done.priced} priced 5.00`,
      },
    ],
    usage: { measured: usage, floor: null },
    memory: memoryLabel(usage.rss, [
      ['api', 'API'],
      ['worker', 'worker'],
    ]),
    notes: [
      `Ingested in ${Math.round(ingestMs / 100) / 10} s; every day priced ${Math.round(allMs / 100) / 10} s after the first batch. Floor: the ingestion floor above.`,
    ],
  };
}
