import { createEndpoint, deleteEndpoint, listEndpoints } from '../../db/repositories/webhookEndpoints';
import { signatureHeader } from '../../domain/webhooks/signature';
import { startReceiverSimulator, type ReceivedEvent } from '../../integrations/webhooks/receiverSimulator';
import { insertVerifiedUsers } from '../lib/seed';
import { memoryLabel, type Comparison } from '../lib/report';
import type { Stack } from '../lib/stack';
import { nowMs, perSecond, pool, ratioPercent, summarize } from '../lib/stats';

/**
 * Partner webhooks (issue 14), each figure beside a floor measured in the same run:
 *  - delivery throughput: N deliveries queued while the endpoint is paused, then resumed; the API
 *    process's dispatcher claims, signs, POSTs and records them all (until every row is delivered),
 *    against a bare loop of signed POSTs of the same bodies from the bench to the same receiver over
 *    the same number of connections (goal ≥ 50% of the floor);
 *  - notice → delivery latency with a healthy receiver: a notice INSERT committed (the trigger writes
 *    the outbox in the same transaction) → the event applied at the receiver (goal p99 < 1 s).
 * The receiver verifies every signature and de-duplicates by event id, as partners are told to.
 */
const CONCURRENCY = 32; // WEBHOOK_CONCURRENCY's default: the dispatcher's attempts in flight

export async function webhooksScenario(stack: Stack, say: (m: string) => void): Promise<Comparison[]> {
  const { webhookDeliveries: n, webhookLatencySamples: samples } = stack.options;
  const arrivals = new Map<string, number>();
  const receiver = await startReceiverSimulator({ onApplied: (e: ReceivedEvent) => arrivals.set(String(e.data['noticeId']), nowMs()) });
  try {
    // The bench stack runs as production (https only): the loopback receiver's endpoint is written directly.
    const { endpoint, secret } = await createEndpoint(stack.db, stack.pii, {
      partnerId: stack.partner.id,
      url: receiver.url,
      eventTypes: [],
    });
    receiver.secrets = [secret];
    const users = await insertVerifiedUsers(stack.db, stack.pii, stack.partner.id, Math.min(200, n), 'W');
    const refs: Array<{ user_ref: string }> = await stack.db.query('SELECT user_ref FROM users WHERE id = ANY($1::uuid[]) ORDER BY id', [
      users,
    ]);

    // Throughput: queue N while paused, then resume.
    say(`webhooks: queueing ${n} deliveries behind a paused endpoint…`);
    await stack.db.query(`UPDATE webhook_endpoints SET status = 'paused', paused_reason = 'bench' WHERE id = $1`, [endpoint.id]);
    await stack.db.query(
      `INSERT INTO notifications (user_ref, journey_id, kind, key, data)
       SELECT ($1::text[])[1 + (i % cardinality($1::text[]))], 'hospital-visit/bench-w/B' || i, 'booked', 't', jsonb_build_object('amountMinor', 2500)
         FROM generate_series(1, $2::int) AS i`,
      [refs.map((r) => r.user_ref), n],
    );
    const bodies: string[] = (
      await stack.db.query<Array<{ body: string }>>(
        `SELECT jsonb_build_object('id', 'evt_' || e.id, 'type', e.type, 'createdAt', e.created_at, 'sequence', d.user_seq, 'userId', e.user_id, 'data', e.data)::text AS body
           FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id WHERE d.endpoint_id = $1`,
        [endpoint.id],
      )
    ).map((r) => r.body);

    const endMeasured = await stack.usage.window();
    const t0 = nowMs();
    await stack.db.query(`UPDATE webhook_endpoints SET status = 'active', paused_reason = NULL WHERE id = $1`, [endpoint.id]);
    await stack.db.query(`SELECT pg_notify('webhook_deliveries', 'due')`);
    for (;;) {
      const left: Array<{ n: number }> = await stack.db.query(
        `SELECT count(*)::int AS n FROM webhook_deliveries WHERE endpoint_id = $1 AND status <> 'delivered'`,
        [endpoint.id],
      );
      if (left[0]!.n === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const elapsed = nowMs() - t0;
    const usage = await endMeasured();
    const appliedAfterBulk = receiver.applied.length;

    // Floor: the same bodies, signed, POSTed from here over as many connections, nothing recorded.
    const endFloor = await stack.usage.window();
    const f0 = nowMs();
    let floorOk = 0;
    await pool(bodies.length, CONCURRENCY, async (i) => {
      const body = bodies[i]!.replace('"evt_', '"floor_');
      const res = await fetch(receiver.url, {
        method: 'POST',
        body,
        headers: {
          'content-type': 'application/json',
          'causeway-signature': signatureHeader([secret], Math.floor(Date.now() / 1000), body),
          'causeway-event-id': (JSON.parse(body) as { id: string }).id,
        },
      });
      await res.body?.cancel();
      if (res.status === 204) floorOk++;
    });
    const floorMs = nowMs() - f0;
    const floorUsage = await endFloor();

    // Latency: one notice at a time, as journeys write them.
    say(`webhooks: ${samples} notices one by one, each timed to its arrival…`);
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      const s0 = nowMs();
      const rows: Array<{ id: string }> = await stack.db.query(
        `INSERT INTO notifications (user_ref, journey_id, kind, key, data) VALUES ($1, $2, 'booked', 'lat', '{}') RETURNING id::text AS id`,
        [refs[i % refs.length]!.user_ref, `hospital-visit/bench-w/L${i}`],
      );
      const id = rows[0]!.id;
      const deadline = s0 + 10_000;
      while (!arrivals.has(id) && nowMs() < deadline) await new Promise((r) => setTimeout(r, 2));
      if (arrivals.has(id)) latencies.push(arrivals.get(id)! - s0);
    }
    const lat = summarize(latencies);
    const rate = perSecond(n, elapsed);
    const floorRate = perSecond(bodies.length, floorMs);
    return [
      {
        scenario: 'Webhook deliveries vs bare signed POST loop',
        measured: {
          what: `outbox claim (SKIP LOCKED) → sign → POST → record, ${CONCURRENCY} in flight, one API process`,
          rate,
          unit: 'deliveries/s',
          details: { deliveries: n, elapsedMs: Math.round(elapsed), outOfOrderArrivals: receiver.outOfOrder },
        },
        floor: { what: `the same signed bodies POSTed from the bench over ${CONCURRENCY} connections`, rate: floorRate, unit: 'POSTs/s' },
        ratioPercent: ratioPercent(rate, floorRate),
        goalPercent: 50,
        checks: [
          { name: 'every delivery applied once', ok: appliedAfterBulk === n, detail: `${appliedAfterBulk} of ${n}` },
          { name: 'no signature refused', ok: receiver.refused === 0, detail: `${receiver.refused} refused` },
          { name: 'floor POSTs all accepted', ok: floorOk === bodies.length, detail: `${floorOk} of ${bodies.length}` },
        ],
        usage: { measured: usage, floor: floorUsage },
        memory: memoryLabel(usage.rss, [['api', 'API']]),
        notes: ['Deliveries to one endpoint in parallel may arrive out of order; each carries its per-user sequence number.'],
      },
      {
        scenario: 'Notice → webhook delivered',
        measured: {
          what: 'notice INSERT committed (trigger writes the outbox) → NOTIFY → dispatcher → receiver applied',
          rate: perSecond(
            latencies.length,
            latencies.reduce((s, x) => s + x, 0),
          ),
          unit: 'notices/s (1 / mean latency)',
          latency: lat,
          details: { samples, delivered: latencies.length },
        },
        floor: { what: 'see the row above (bare POST)', rate: floorRate, unit: 'POSTs/s' },
        ratioPercent: null,
        checks: [
          { name: 'every notice delivered', ok: latencies.length === samples, detail: `${latencies.length} of ${samples}` },
          { name: 'p99 < 1 s', ok: lat.p99Ms < 1000, detail: `p99 ${Math.round(lat.p99Ms)} ms` },
        ],
        usage: { measured: usage, floor: null },
        memory: memoryLabel(usage.rss, [['api', 'API']]),
        notes: [],
      },
    ];
  } finally {
    await receiver.close();
    // Later scenarios' notices must not queue deliveries to a receiver that is gone.
    for (const e of await listEndpoints(stack.db, stack.partner.id)) await deleteEndpoint(stack.db, stack.partner.id, e.id);
  }
}
