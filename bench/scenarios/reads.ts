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
 * 4. API reads under load (autocannon): a patient's queue position and visit status while many
 * patients wait in one doctor's queue. Each read authenticates the partner and the user, checks the
 * visit is theirs and answers from the PostgreSQL read model (visit_views, doctor_queue_views). The
 * floor is a bare express route in the same API process(es). With several API processes the load is
 * split evenly over them (one autocannon per process, connections divided), floor included.
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
  const http = new JsonHttp(
    stack.apis.map((a) => a.apiUrl),
    { maxSockets: r * 2 },
  );
  const watcher = new Watcher(stack.db);
  const driver = new VisitDriver(http, watcher, stack.payment.sim, his, HOSPITAL, stack.partner.apiKey);
  const visits: VisitRef[] = [];
  try {
    say(`reads: ${r} patients booked, paid and waiting in one doctor's queue…`);
    // Eight at a time: a doctor-queue workflow takes at most 10 updates in flight (Temporal's limit), and
    // each check-in is one; more at once are refused by the server (a finding of its own, see bench/README.md).
    await pool(r, 8, async (i) => {
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
      { urls: stack.apis.map((a) => a.bareUrl), requests: [{ method: 'GET', path: '/bare' }], connections, duration },
      stack.replicas > 1 ? `bare express route, same ${stack.replicas} processes` : 'bare express route, same process',
    );
    say(`reads: GET queue position, ${connections} connections for ${duration} s…`);
    const queue = await cannon(
      stack,
      { urls: stack.apis.map((a) => a.apiUrl), requests: requestsFor('/queue'), connections, duration },
      'GET /v1/visits/:ref/queue (doctor-queue read model)',
    );
    say(`reads: GET visit status, ${connections} connections for ${duration} s…`);
    const status = await cannon(
      stack,
      { urls: stack.apis.map((a) => a.apiUrl), requests: requestsFor(''), connections, duration },
      'GET /v1/visits/:ref (visit read model)',
    );

    const row = (scenario: string, run: CannonRun): Comparison => ({
      scenario,
      measured: run.figure,
      floor: bare.figure,
      ratioPercent: ratioPercent(run.figure.rate, bare.figure.rate),
      goalPercent: 50,
      checks: [
        { name: 'all 2xx', ok: run.ok && bare.ok, detail: `${run.detail}; floor: ${bare.detail}` },
        {
          name: 'p99 < 20 ms',
          ok: (run.figure.latency?.p99Ms ?? Infinity) < 20,
          detail: `p99 ${run.figure.latency?.p99Ms ?? '?'} ms (goal < 20 ms)`,
        },
      ],
      usage: { measured: run.usage, floor: bare.usage },
      memory: `API ${run.usage.rss.api ?? '?'} · worker ${run.usage.rss.worker ?? '?'} (bare: API ${bare.usage.rss.api ?? '?'})`,
      notes: [],
    });
    const rows = [row('API read: queue position', queue), row('API read: visit status', status)];
    rows[0]?.notes.push(
      `autocannon, ${connections} connections, ${duration} s each, rotating over ${r} waiting patients (each request as that patient)` +
        (stack.replicas > 1 ? `, split evenly over ${stack.replicas} API processes.` : '.') +
        ` API CPU per read: queue ${cpuMsPerRequest(queue)} ms, status ${cpuMsPerRequest(status)} ms (bare route ${cpuMsPerRequest(bare)} ms).`,
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

/** API CPU-milliseconds per request in a run (every API process of the stack), for the capacity model. */
export function cpuMsPerRequest(run: CannonRun): number | null {
  const cpu = run.usage.cpu.api;
  const n = run.figure.latency?.count ?? 0;
  return cpu === null || cpu === undefined || n === 0 ? null : round((cpu * 1000) / n, 3);
}

async function cannon(
  stack: Stack,
  opts: { urls: string[]; requests: autocannon.Request[]; connections: number; duration: number },
  what: string,
): Promise<CannonRun> {
  const end = await stack.usage.window();
  // One autocannon per API process, the connections divided between them, all at once.
  const per = Math.max(1, Math.floor(opts.connections / opts.urls.length));
  const results = await Promise.all(
    opts.urls.map((url) => autocannon({ url, requests: opts.requests, connections: per, duration: opts.duration, timeout: 30 })),
  );
  const usage = await end();
  const sum = (f: (r: autocannon.Result) => number): number => results.reduce((a, r) => a + f(r), 0);
  const total = sum((r) => r.requests.total);
  const non2xx = sum((r) => r.non2xx);
  const errors = sum((r) => r.errors);
  const seconds = Math.max(...results.map((r) => r.duration));
  // Several runs: the worst process's percentiles (a merge of histograms is not available), the mean weighted.
  const worst = (f: (r: autocannon.Result) => number): number => Math.max(...results.map(f));
  const bad = non2xx + errors;
  return {
    figure: {
      what,
      rate: round(total / seconds),
      unit: 'req/s',
      latency: {
        count: total,
        p50Ms: worst((r) => r.latency.p50),
        p99Ms: worst((r) => r.latency.p99),
        maxMs: worst((r) => r.latency.max),
        meanMs: round(sum((r) => r.latency.mean * r.requests.total) / Math.max(1, total)),
      },
      details: {
        requests: total,
        seconds,
        non2xx,
        errors,
        timeouts: sum((r) => r.timeouts),
        connections: per * opts.urls.length,
        processes: opts.urls.length,
        apiCpuMsPerRequest:
          usage.cpu.api === null || usage.cpu.api === undefined || total === 0 ? null : round((usage.cpu.api * 1000) / total, 3),
      },
    },
    ok: bad === 0 && total > 0,
    detail: `${total} requests, ${non2xx} non-2xx, ${errors} errors`,
    usage,
  };
}
