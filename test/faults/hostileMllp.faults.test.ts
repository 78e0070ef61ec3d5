import { randomInt, randomUUID } from 'node:crypto';
import net from 'node:net';
import { parseAck } from '../../integrations/hospital/hl7';
import { fixture, withField } from '../fixtures/hl7';
import { ackFor, connectPeer, type MllpPeer } from '../helpers/mllpPeer';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/poll';
import { openHospital, type DrillHospital } from './helpers/hospital';
import { framed } from './helpers/mllpRaw';

/**
 * Drill: a hostile peer against the real API process's MLLP listener. Escape bombs, oversized and
 * endless frames, floods of idle connections and spoofed MSH-4 forms, while a prober asks /readyz
 * every 200 ms and each answer must be a 200 within 1 s; a genuine hospital's message sent in the
 * middle of it gets AA. All traffic stays on loopback (127/8), the flood is bounded.
 */
const READ_TIMEOUT_MS = 1_500;
const IDLE_TIMEOUT_MS = 3_000;
const PER_PEER = 4;
/** Registered for a second hospital, so the flood from it passes the accept-time check and meets the caps. */
const FLOODER = '127.0.0.5';
/** Registered for no one. */
const STRANGER = '127.0.0.6';
/**
 * The drill hospital's own source address. Every simulated hospital of the run is also reachable at
 * 127.0.0.1, so an unreadable MSH-4 sent from there would not identify this drill's hospital alone.
 */
const DRILL_FROM = `127.${1 + randomInt(250)}.${1 + randomInt(250)}.7`;

let p: TestPlatform;
let hospital: DrillHospital;
let otherHospital: string;
let port: number;
const RUN = randomUUID().slice(0, 6).toUpperCase();
let seq = 0;
const controlId = (): string => `HX${RUN}${String(++seq).padStart(5, '0')}Q`;
const peers: MllpPeer[] = [];

/** A valid SIU^S14 (the HIS echoing a booking change), from this drill's hospital unless MSH-4 is given. */
function message(cid: string, msh4?: string): string {
  return withField(
    withField(withField(fixture('siu_s12_v251.hl7'), 'MSH', 4, msh4 ?? hospital.id), 'MSH', 10, cid),
    'MSH',
    9,
    'SIU^S14^SIU_S12',
  );
}

async function peer(from = DRILL_FROM): Promise<MllpPeer> {
  const pr = await connectPeer(port, from);
  peers.push(pr);
  return pr;
}

async function sendOnce(raw: string, from = DRILL_FROM) {
  const pr = await peer(from);
  try {
    const ack = await ackFor(pr, raw);
    return ack === undefined ? undefined : parseAck(ack);
  } finally {
    pr.socket.destroy();
  }
}

async function inboxRows(messageId: string): Promise<Array<{ institution_id: string; status: string }>> {
  return p.services.db.query(`SELECT institution_id, status FROM inbox_messages WHERE channel = 'hl7' AND message_id = $1`, [messageId]);
}

/** /readyz every 200 ms for as long as the drill runs; every answer must be a 200 within 1 s. */
function startProber(url: string) {
  const failures: string[] = [];
  let probes = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      try {
        const res = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
        await res.arrayBuffer();
        if (res.status !== 200) failures.push(`status ${res.status}`);
      } catch (err) {
        failures.push(err instanceof Error ? err.name : 'error');
      }
      probes += 1;
      await new Promise((r) => setTimeout(r, Math.max(0, 200 - (Date.now() - started))));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return { failures, probes };
    },
  };
}

beforeAll(async () => {
  p = await startTestPlatform({
    env: {
      MLLP_READ_TIMEOUT_MS: String(READ_TIMEOUT_MS),
      MLLP_IDLE_TIMEOUT_MS: String(IDLE_TIMEOUT_MS),
      MLLP_MAX_CONNECTIONS_PER_PEER: String(PER_PEER),
      MLLP_MAX_CONNECTIONS: '32',
    },
  });
  hospital = await openHospital(p, { doctors: 1 });
  otherHospital = `fo${RUN.toLowerCase()}`;
  await p.services.db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, settings) VALUES ($1, 'hospital', 'Other', 'Asia/Shanghai', 'x', $2)`,
    [otherHospital, JSON.stringify({ mllpAllowedSources: [FLOODER] })],
  );
  port = p.api.mllpPort ?? 0;
  await p.services.db.query(
    `UPDATE institutions SET settings = settings || jsonb_build_object('mllpAllowedSources', jsonb_build_array($2::text)) WHERE id = $1`,
    [hospital.id, DRILL_FROM],
  );
  // The listener's allow list reloads on a miss at most once a second (and the sender check's cache
  // within a minute): wait until a genuine message from the address is accepted.
  await until('the drill address admitted', async () => (await sendOnce(message(controlId())))?.ackCode === 'AA', { timeoutMs: 70_000 });
}, 120_000);

afterAll(async () => {
  for (const pr of peers) pr.socket.destroy();
  await hospital?.stop();
  await p?.stop();
}, 30_000);

it('survives escape bombs, oversized and endless frames, idle floods and spoofed MSH-4 while /readyz stays fast and a genuine message gets AA', async () => {
  const prober = startProber(p.api.url);

  // 1. Escape bombs in the header and in fields the parser reads: AE/AR, stored failed for the hospital.
  for (const [segment, field] of [
    ['MSH', 10],
    ['PID', 3],
    ['SCH', 1],
  ] as const) {
    const cid = controlId();
    const raw = withField(message(cid), segment, field, '\\.sp999999999\\');
    const ack = await sendOnce(raw);
    expect({ segment, field, code: ack?.ackCode }).toEqual({ segment, field, code: expect.stringMatching(/^A[ER]$/) });
  }

  // 2. An oversized frame (over the 8 MiB default) closes only its own connection.
  const big = await peer();
  big.socket.write(framed(Buffer.alloc(9 * 1024 * 1024, 0x41)));
  await until('the oversized frame is cut', async () => big.closed(), { timeoutMs: 10_000, intervalMs: 50 });
  expect(big.acks).toEqual([]);

  // 3. Endless frames: a start block and never an end.
  const endless = await Promise.all([peer(), peer()]);
  for (const e of endless) e.socket.write(Buffer.from('\u000bMSH|^~\\&|HIS|'));

  // 4. Floods: strangers are refused at accept; a registered peer is capped per address.
  const strangers = await Promise.all(Array.from({ length: 20 }, () => peer(STRANGER).catch(() => undefined)));
  const flood = await Promise.all(Array.from({ length: PER_PEER + 6 }, () => peer(FLOODER).catch(() => undefined)));
  await until('every stranger is refused', async () => strangers.every((s) => s === undefined || s.closed()), { timeoutMs: 5_000 });
  await until(
    'the flood beyond the per-address cap is refused',
    async () => flood.filter((f) => f !== undefined && !f.closed()).length <= PER_PEER,
    {
      timeoutMs: 5_000,
    },
  );

  // 5. A genuine message in the middle of it all.
  const genuine = controlId();
  const genuineAck = await sendOnce(message(genuine));
  expect(genuineAck).toMatchObject({ ackCode: 'AA', ackedControlId: genuine });

  // 6. Spoofed MSH-4 forms naming the other hospital: never stored or accepted under it.
  const forms = [
    `^${otherHospital}`,
    `${hospital.id}&${otherHospital}`,
    `&${otherHospital}`,
    `${hospital.id}\\T\\${otherHospital}`,
    `\\S\\${otherHospital}`,
    otherHospital.toUpperCase(),
    ` ${otherHospital}`,
    `${otherHospital} `,
  ];
  for (const form of forms) {
    const cid = controlId();
    const ack = await sendOnce(message(cid, form));
    expect({ form, code: ack?.ackCode }).toEqual({ form, code: expect.stringMatching(/^A[ER]$/) });
    const rows = await inboxRows(cid);
    // Every row (none for AR) is a failed one under the authenticated hospital; the form is named on failure.
    expect({ form, rows }).toEqual({ form, rows: rows.map(() => ({ institution_id: hospital.id, status: 'failed' })) });
  }

  // The endless frames and idle flood are closed by the listener's own timers.
  await until('endless frames are cut by the read timeout', async () => endless.every((e) => e.closed()), {
    timeoutMs: READ_TIMEOUT_MS + 5_000,
  });
  await until('idle connections are closed', async () => flood.every((f) => f === undefined || f.closed()), {
    timeoutMs: IDLE_TIMEOUT_MS + 5_000,
  });

  const { failures, probes } = await prober.stop();
  expect(failures).toEqual([]);
  expect(probes).toBeGreaterThan(5);
  await until(`genuine message ${genuine} applied`, async () => (await inboxRows(genuine))[0]?.status === 'applied');
  expect(await inboxRows(genuine)).toEqual([{ institution_id: hospital.id, status: 'applied' }]);
  // Still serving afterwards.
  expect((await sendOnce(message(controlId())))?.ackCode).toBe('AA');
  expect(net.isIP(FLOODER)).toBe(4);
});
