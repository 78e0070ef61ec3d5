import { parseHl7 } from '../../integrations/hospital/hl7';
import { MllpClient } from '../../integrations/hospital/mllp';
import { buildHl7Mix, HL7_FACILITY } from '../lib/hl7Mix';
import { insertHospital } from '../lib/seed';
import { memoryLabel, type Comparison, type Figure } from '../lib/report';
import type { Usage } from '../lib/usage';
import type { Stack } from '../lib/stack';
import { nowMs, perSecond, ratioPercent, summarize } from '../lib/stats';

/**
 * 3. HL7 over MLLP: a mixed SIU/ORM/OML/ORU stream over a few connections (one message in flight per
 * connection, as MLLP requires) into the API's real listener and inbound pipeline (parse, encrypt,
 * INSERT into inbox_messages, ACK; dispatch continues in the background). Floors: the same
 * MllpServer/MllpClient code echoing each frame, in the same API process; and parsing alone.
 */
interface MllpRun {
  figure: Figure;
  acked: number;
  usage: Usage;
}

export async function hl7Scenario(stack: Stack, say: (m: string) => void): Promise<Comparison[]> {
  const { hl7Messages: n, hl7Connections: k } = stack.options;
  // The sending hospital must be registered, and the loopback its source, or the listener refuses (AR) without storing.
  await insertHospital(stack.db, stack.pii, { id: HL7_FACILITY, secret: stack.keys.hospitalSecret, hisPort: null, policy: {} });
  const warmup = Math.min(200, Math.max(20, Math.floor(n / 20)));
  const tag = Date.now().toString(36).slice(-5).toUpperCase();
  const messages = buildHl7Mix(n + warmup, tag);
  const timed = messages.slice(warmup);

  say(`hl7 floor: parsing ${n} messages…`);
  for (const m of messages.slice(0, warmup)) parseHl7(m);
  const endParse = await stack.usage.window();
  const p0 = nowMs();
  for (const m of timed) parseHl7(m);
  const parseMs = nowMs() - p0;
  const parseUsage = await endParse();
  const parse: Figure = {
    what: 'parsing alone (hl7 codec on hl7-standard), one thread',
    rate: perSecond(n, parseMs),
    unit: 'msg/s',
    details: { messages: n, elapsedMs: Math.round(parseMs) },
  };

  say(`hl7 floor: ${n} messages over ${k} connections to an MLLP echo…`);
  await stream(stack, stack.api.echoPort, messages.slice(0, warmup), k);
  const echo = await stream(stack, stack.api.echoPort, timed, k, 'MLLP echo, same MllpServer/MllpClient, same process');

  say(`hl7: ${n} messages over ${k} connections into the inbound pipeline…`);
  await stream(stack, stack.api.mllpPort, messages.slice(0, warmup), k);
  const real = await stream(stack, stack.api.mllpPort, timed, k, 'SIU/ORM/OML/ORU → inbound pipeline → inbox_messages → ACK');

  // Every message must be in the inbox, and the background dispatch must finish before the next scenario.
  const sender = `HIS^${HL7_FACILITY}`;
  const d0 = nowMs();
  let pending = -1;
  while (nowMs() - d0 < 120_000) {
    const rows: Array<{ pending: number }> = await stack.db.query(
      `SELECT count(*) FILTER (WHERE status = 'received')::int AS pending FROM inbox_messages WHERE sender = $1`,
      [sender],
    );
    pending = rows[0]?.pending ?? -1;
    if (pending === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const drainMs = Math.round(nowMs() - d0);
  const byStatus: Array<{ status: string; n: number }> = await stack.db.query(
    'SELECT status, count(*)::int AS n FROM inbox_messages WHERE sender = $1 GROUP BY status',
    [sender],
  );
  const stored = { n: byStatus.reduce((sum, r) => sum + r.n, 0) };
  const expected = n + warmup;
  const checks = [
    { name: `all ${n} ACKed AA`, ok: real.acked === n, detail: `${real.acked} of ${n} answered AA` },
    {
      name: 'all stored in inbox',
      ok: stored.n === expected,
      detail: `${stored.n} inbox rows for ${expected} messages sent (warm-up included)`,
    },
  ];
  real.figure.details = {
    ...real.figure.details,
    dispatchDrainedAfterMs: pending === 0 ? drainMs : null,
    inboxRowsByStatus: Object.fromEntries(byStatus.map((r) => [r.status, r.n])),
  };
  const notes = [
    `${k} connections, one message in flight each; mix SIU^S14 : ORM^O01 : OML^O21 : ORU^R01 = 1:1:1:1. ` +
      `Dispatch runs after the ACK (orders and results name unknown bookings, so they stop at the visit lookup); it had drained ${drainMs} ms after the last ACK.`,
  ];
  return [
    {
      scenario: 'HL7 inbound vs MLLP echo',
      measured: real.figure,
      floor: echo.figure,
      ratioPercent: ratioPercent(real.figure.rate, echo.figure.rate),
      checks,
      usage: { measured: real.usage, floor: echo.usage },
      memory: `API ${real.usage.rss.api ?? '?'} (echo: API ${echo.usage.rss.api ?? '?'})`,
      notes,
    },
    {
      scenario: 'HL7 inbound vs parsing alone',
      measured: real.figure,
      floor: parse,
      ratioPercent: ratioPercent(real.figure.rate, parse.rate),
      checks: [],
      usage: { measured: real.usage, floor: parseUsage },
      memory: memoryLabel(real.usage.rss, [['api', 'API']]),
      notes: [],
    },
  ];
}

/** Splits the messages over `connections` senders; each sends its share one after another. */
async function stream(stack: Stack, port: number, messages: string[], connections: number, what = 'warm-up'): Promise<MllpRun> {
  const clients = Array.from({ length: connections }, () => new MllpClient({ host: '127.0.0.1', port, timeoutMs: 30_000 }));
  const latencies: number[] = [];
  let acked = 0;
  const end = await stack.usage.window();
  const t0 = nowMs();
  try {
    await Promise.all(
      clients.map(async (client, c) => {
        for (let i = c; i < messages.length; i += connections) {
          const s0 = nowMs();
          const answer = await client.send(messages[i] ?? '');
          latencies.push(nowMs() - s0);
          // The echo answers with the message itself; the pipeline with an ACK whose MSA-1 says AA.
          if (/\rMSA\|AA\|/.test(answer)) acked++;
        }
      }),
    );
  } finally {
    await Promise.all(clients.map((c) => c.close()));
  }
  const elapsedMs = nowMs() - t0;
  return {
    figure: {
      what,
      rate: perSecond(messages.length, elapsedMs),
      unit: 'msg/s',
      latency: summarize(latencies),
      details: { messages: messages.length, connections, elapsedMs: Math.round(elapsedMs) },
    },
    acked,
    usage: await end(),
  };
}
