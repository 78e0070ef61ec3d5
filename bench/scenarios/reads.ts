import autocannon from 'autocannon';
import { JsonHttp, partnerHeaders } from '../lib/http';
import type { Comparison, Figure } from '../lib/report';
import type { Usage } from '../lib/usage';
import { insertHospital, insertVerifiedUsers, seedSlots } from '../lib/seed';
import type { Stack } from '../lib/stack';
import { pool, ratioPercent, round } from '../lib/stats';
import { VisitDriver, type VisitRef } from '../lib/visitDriver';
import { Watcher } from '../lib/watch';

/**
 * 4. API reads under load (autocannon): a patient's queue position and visit status while several
 * patients wait in one doctor's queue. Each read authenticates the partner and the user, checks the
 * visit is theirs in PostgreSQL and queries a live workflow through Temporal. The floor is a bare
 * express route in the same API process.
 */
const HOSPITAL = 'bread';
const DOCTOR = 'QD001';

interface CannonRun {
  figure: Figure;
  ok: boolean;
  detail: string;
  usage: Usage;
}

export async function readsScenario(stack: Stack, say: (m: string) => void): Promise<Comparison[]> {
  const { readsVisits: r, readsConnections: connections, readsSeconds: duration } = stack.options;
  const his = await stack.startHis(HOSPITAL, [DOCTOR]);
  await insertHospital(stack.db, stack.pii, { id: HOSPITAL, secret: stack.keys.hospitalSecret, hisPort: his.port, policy: {} });
  const users = await insertVerifiedUsers(stack.db, stack.pii, stack.partner.id, r, 'Q');
  const slots = (await seedSlots(stack.db, { institutionId: HOSPITAL, doctorIds: [DOCTOR], perDoctor: r })).all;
  const http = new JsonHttp(stack.api.apiUrl, { maxSockets: r * 2 });
  const watcher = new Watcher(stack.db);
  const driver = new VisitDriver(http, watcher, stack.payment.sim, his, HOSPITAL, stack.partner.apiKey);
  const visits: VisitRef[] = [];
  try {
    say(`reads: ${r} patients booked, paid and waiting in one doctor's queue…`);
    await pool(r, r, async (i) => {
      visits.push(await driver.bookPayCheckIn(users[i] ?? '', slots[i] ?? ''));
    });
    const probe = await http.request<{ status?: string; position?: number }>('GET', `/v1/visits/${visits[0]?.bookingRef ?? ''}/queue`, {
      headers: partnerHeaders(stack.partner.apiKey, visits[0]?.userId),
    });
    if (probe.status !== 200 || probe.body.status !== 'waiting')
      throw new Error(`queue position answered ${probe.status} ${probe.body.status ?? ''}`);

    const requestsFor = (suffix: string) =>
      visits.map((v) => ({
        method: 'GET' as const,
        path: `/v1/visits/${v.bookingRef}${suffix}`,
        headers: partnerHeaders(stack.partner.apiKey, v.userId),
      }));
    say(`reads floor: bare express route, ${connections} connections for ${duration} s…`);
    const bare = await cannon(
      stack,
      { url: stack.api.bareUrl, requests: [{ method: 'GET', path: '/bare' }], connections, duration },
      'bare express route, same process',
    );
    say(`reads: GET queue position, ${connections} connections for ${duration} s…`);
    const queue = await cannon(
      stack,
      { url: stack.api.apiUrl, requests: requestsFor('/queue'), connections, duration },
      'GET /v1/visits/:ref/queue (doctor-queue workflow query)',
    );
    say(`reads: GET visit status, ${connections} connections for ${duration} s…`);
    const status = await cannon(
      stack,
      { url: stack.api.apiUrl, requests: requestsFor(''), connections, duration },
      'GET /v1/visits/:ref (visit workflow query)',
    );

    const row = (scenario: string, run: CannonRun): Comparison => ({
      scenario,
      measured: run.figure,
      floor: bare.figure,
      ratioPercent: ratioPercent(run.figure.rate, bare.figure.rate),
      checks: [{ name: 'all 2xx', ok: run.ok && bare.ok, detail: `${run.detail}; floor: ${bare.detail}` }],
      usage: { measured: run.usage, floor: bare.usage },
      memory: `API ${run.usage.rss.api ?? '?'} · worker ${run.usage.rss.worker ?? '?'} (bare: API ${bare.usage.rss.api ?? '?'})`,
      notes: [],
    });
    const rows = [row('API read: queue position', queue), row('API read: visit status', status)];
    rows[0]?.notes.push(
      `autocannon, ${connections} connections, ${duration} s each, rotating over ${r} waiting patients (each request as that patient).`,
    );
    return rows;
  } finally {
    watcher.stop();
    http.close();
    // The waiting visits would otherwise sit in the queue (and the worker) for whatever runs next.
    await Promise.all(
      visits.map((v) =>
        stack.temporal.workflow
          .getHandle(v.journeyId)
          .terminate('bench: reads measured')
          .catch(() => undefined),
      ),
    );
  }
}

async function cannon(
  stack: Stack,
  opts: { url: string; requests: autocannon.Request[]; connections: number; duration: number },
  what: string,
): Promise<CannonRun> {
  const end = await stack.usage.window();
  const result = await autocannon({ ...opts, timeout: 30 });
  const usage = await end();
  const total = result.requests.total;
  const bad = result.non2xx + result.errors;
  return {
    figure: {
      what,
      rate: round(total / result.duration),
      unit: 'req/s',
      latency: {
        count: total,
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        maxMs: result.latency.max,
        meanMs: result.latency.mean,
      },
      details: {
        requests: total,
        seconds: result.duration,
        non2xx: result.non2xx,
        errors: result.errors,
        timeouts: result.timeouts,
        connections: opts.connections,
      },
    },
    ok: bad === 0 && total > 0,
    detail: `${total} requests, ${result.non2xx} non-2xx, ${result.errors} errors`,
    usage,
  };
}
