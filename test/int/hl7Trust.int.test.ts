import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { createSenderCheck, createSourceAllowList } from '../../api/hospital/senderCheck';
import { institutionTimeZone, visitInstitution } from '../../api/hospital/dispatch';
import { buildOrderMessage, buildSiu, parseAck } from '../../integrations/hospital/hl7';
import {
  createInboundHl7Handler,
  type DispatchMeta,
  type InboundHl7Event,
  type InboundHl7Handler,
  type InboxSecrets,
} from '../../integrations/hospital/inbound';
import { MllpServer } from '../../integrations/hospital/mllp';
import { openTestDb } from '../helpers/db';
import { ackFor, connectPeer, type MllpPeer } from '../helpers/mllpPeer';
import { until } from '../helpers/poll';

/**
 * One hospital must never act as another: the real sender check, accept-time allow list and inbox
 * over real sockets and PostgreSQL. Each hospital sends from a loopback address of its own (the run's
 * simulated hospitals all share 127.0.0.1); C and D share one, as hospitals behind one NAT do.
 */
const tag = randomBytes(3).toString('hex').toUpperCase();
const A = `HA${tag}`;
const B = `HB${tag}`;
const NET = `127.${1 + randomInt(250)}.${1 + randomInt(250)}`;
const FROM_A = `${NET}.1`;
const FROM_B = `${NET}.2`;
const STRANGER = `${NET}.3`;
const SHARED = `${NET}.4`;
const C = `HC${tag}`;
const D = `HD${tag}`;

const secrets: InboxSecrets = {
  encrypt: (s) => `enc:${Buffer.from(s, 'utf8').toString('base64')}`,
  decrypt: (s) => Buffer.from(s.slice(4), 'base64').toString('utf8'),
};

let seq = 0;
const cid = (p: string) => `${p}${tag}${++seq}`;

function siu(controlId: string, msh4: string, bookingRef = `BK-${controlId}`): string {
  const msg = buildSiu('S12', {
    sendingApplication: 'HIS',
    sendingFacility: 'PLACEHOLDER',
    controlId,
    bookingRef,
    slotStart: '2025-03-03T01:00:00.000Z',
    patient: { id: 'P1' },
  });
  return msg.replace('|PLACEHOLDER|', `|${msh4}|`);
}

function orders(controlId: string, facility: string, bookingRef: string): string {
  return buildOrderMessage('OML', {
    sendingApplication: 'HIS',
    sendingFacility: facility,
    controlId,
    bookingRef,
    patient: { id: 'P1' },
    orders: [{ orderControl: 'NW', placerOrderId: `O-${controlId}`, items: [{ service: { code: 'GLU', text: 'Glucose' } }], charges: [] }],
  });
}

describe('HL7 sender identity (MSH-4) and institution scope', () => {
  let db: DataSource;
  let server: MllpServer;
  let handler: InboundHl7Handler;
  let port: number;
  const dispatched: Array<{ event: InboundHl7Event; meta: DispatchMeta }> = [];
  const peers: MllpPeer[] = [];
  const peer = async (from: string) => {
    const p = await connectPeer(port, from);
    peers.push(p);
    return p;
  };
  /** One message on its own connection (closed afterwards: the listener caps connections per address). */
  const send = async (from: string, message: string) => {
    const p = await peer(from);
    try {
      return parseAck((await ackFor(p, message)) ?? '');
    } finally {
      p.socket.destroy();
    }
  };
  const rowsOf = (messageId: string): Promise<Array<{ institution_id: string; sender: string; status: string; error: string | null }>> =>
    db.query(`SELECT institution_id, sender, status, error FROM inbox_messages WHERE channel = 'hl7' AND message_id = $1 ORDER BY id`, [
      messageId,
    ]);

  beforeAll(async () => {
    db = await openTestDb();
    for (const [id, from, zone] of [
      [A, FROM_A, 'Asia/Shanghai'],
      [B, FROM_B, 'America/New_York'],
      [C, SHARED, 'Asia/Shanghai'],
      [D, SHARED, 'Asia/Shanghai'],
    ] as const) {
      await db.query(
        `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, mllp_host, mllp_port, settings)
         VALUES ($1, 'hospital', $1, $3, 'x', NULL, NULL, $2)`,
        [id, JSON.stringify({ mllpAllowedSources: [from] }), zone],
      );
    }
    handler = createInboundHl7Handler({
      db,
      secrets,
      dispatch: async (event, meta) => void dispatched.push({ event, meta }),
      authorizeSender: createSenderCheck(db),
      visitInstitution: visitInstitution(db),
      timeZoneOf: institutionTimeZone(db),
    });
    server = new MllpServer({ host: '127.0.0.1', port: 0, handler, allowSource: createSourceAllowList(db), drainTimeoutMs: 500 });
    ({ port } = await server.start());
  });

  afterAll(async () => {
    for (const p of peers) p.socket.destroy();
    await server?.stop();
    await handler?.idle();
    await db?.destroy();
  });

  it('a genuine message from each hospital is accepted and stored under its own institution', async () => {
    const id = cid('OK');
    expect((await send(FROM_A, siu(id, A))).ackCode).toBe('AA');
    const idB = cid('OK');
    expect((await send(FROM_B, siu(idB, B))).ackCode).toBe('AA');
    await handler.idle();
    expect(await rowsOf(id)).toEqual([{ institution_id: A, sender: `HIS^${A}`, status: 'applied', error: null }]);
    expect(await rowsOf(idB)).toEqual([{ institution_id: B, sender: `HIS^${B}`, status: 'applied', error: null }]);
    expect(dispatched.find((d) => d.meta.messageId === id)?.meta.institutionId).toBe(A);
  });

  it.each([
    ['second component', (b: string) => `^${b}`],
    ['first and second component', (b: string) => `${b}^${b}`],
    ['case variant', (b: string) => b.toLowerCase()],
  ])('hospital A naming B in MSH-4 (%s) is refused AR and nothing is stored', async (_form, spoof) => {
    const id = cid('SP');
    const ack = await send(FROM_A, siu(id, spoof(B)));
    expect(ack.ackCode).toBe('AR');
    expect(await rowsOf(id)).toEqual([]);
  });

  it.each([
    ['sub-components', (b: string) => `${A}&${b}`],
    ['empty namespace, sub-components', (b: string) => `&${b}`],
    ['subcomponent escape', (b: string) => `${A}\\T\\${b}`],
    ['component escape', (b: string) => `\\S\\${b}`],
    ['leading whitespace', (b: string) => ` ${b}`],
    ['trailing whitespace', (b: string) => `${b} `],
  ])('an unreadable MSH-4 (%s) from A is stored failed under A (AE/AR), never under B', async (_form, spoof) => {
    const id = cid('UR');
    const ack = await send(FROM_A, siu(id, spoof(B)));
    expect(ack.ackCode).toMatch(/^A[ER]$/);
    const rows = await rowsOf(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ institution_id: A, status: 'failed' });
  });

  it('an unreadable MSH-4 from an address two hospitals share is refused AR and stored under neither', async () => {
    const id = cid('SH');
    const ack = await send(SHARED, siu(id, `${C}&${D}`));
    expect(ack.ackCode).toBe('AR');
    expect(await rowsOf(id)).toEqual([]);
    // Named, each is still its own hospital's message.
    const named = cid('SH');
    expect((await send(SHARED, siu(named, D))).ackCode).toBe('AA');
    expect(await rowsOf(named)).toEqual([expect.objectContaining({ institution_id: D })]);
  });

  it('control-id de-duplication is per authenticated institution: A cannot pre-claim B’s MSH-10', async () => {
    const id = cid('DUP');
    // A sends first with this MSH-10, under its own name: stored under A.
    expect((await send(FROM_A, siu(id, A))).ackCode).toBe('AA');
    // B's genuine message with the same MSH-10 is new to B: accepted, stored and dispatched.
    const before = dispatched.length;
    expect((await send(FROM_B, siu(id, B))).ackCode).toBe('AA');
    expect((await rowsOf(id)).map((r) => r.institution_id).sort()).toEqual([A, B].sort());
    await handler.idle();
    expect(dispatched.slice(before).map((d) => d.meta.institutionId)).toContain(B);
  });

  it('a booking ref of another institution’s visit is answered AE and stored failed, not dispatched', async () => {
    const bookingRef = `BK-B-${tag}`;
    await db.query(
      `INSERT INTO visits (booking_ref, institution_id, user_id, partner_id, slot_id, doctor_id, workflow_id, stage)
       VALUES ($1, $2, $3, 'p', 's', 'd', 'w', 'booked')`,
      [bookingRef, B, randomUUID()],
    );
    const id = cid('FX');
    const before = dispatched.length;
    const ack = await send(FROM_A, orders(id, A, bookingRef));
    expect(ack.ackCode).toBe('AE');
    expect(ack.errors[0]?.code).toBe('204');
    const rows = await rowsOf(id);
    expect(rows).toEqual([expect.objectContaining({ institution_id: A, status: 'failed' })]);
    await handler.idle();
    expect(dispatched.length).toBe(before);
    // B's own message for the same visit goes through.
    const own = cid('FX');
    expect((await send(FROM_B, orders(own, B, bookingRef))).ackCode).toBe('AA');
  });

  it('a corrected resend under a padded MSH-10 replaces the rejected row; MSA-2 echoes MSH-10 exactly', async () => {
    const id = ` ${cid('PAD')} `;
    const broken = siu(id, A).replace(/^(MSH(?:\|[^|]*){5})\|[^|]*/, '$1|yesterday');
    const first = await send(FROM_A, broken);
    expect(first).toMatchObject({ ackCode: 'AE', ackedControlId: id });
    const again = await send(FROM_A, siu(id, A));
    expect(again).toMatchObject({ ackCode: 'AA', ackedControlId: id });
    await handler.idle();
    expect(await rowsOf(id)).toEqual([expect.objectContaining({ institution_id: A, status: 'applied' })]);
  });

  it('reads a timestamp without an offset in the sending hospital’s own time zone', async () => {
    const local = (id: string, facility: string) => siu(id, facility).replace(/^(MSH(?:\|[^|]*){5})\|[^|]*/, '$1|20250115093000');
    const [idA, idB] = [cid('TZ'), cid('TZ')];
    expect((await send(FROM_A, local(idA, A))).ackCode).toBe('AA');
    expect((await send(FROM_B, local(idB, B))).ackCode).toBe('AA');
    await handler.idle();
    const sentAt = (id: string) => dispatched.find((d) => d.meta.messageId === id)?.event.header.sentAt;
    expect(sentAt(idA)).toBe('2025-01-15T01:30:00.000Z'); // Shanghai, UTC+8
    expect(sentAt(idB)).toBe('2025-01-15T14:30:00.000Z'); // New York in winter, UTC-5
  });

  it('refuses a source address no hospital registered, at accept', async () => {
    const stranger = await peer(STRANGER);
    stranger.socket.write(Buffer.from('\u000bMSH|^~\\&|X|Y\r\u001c\r'));
    await until('the stranger is disconnected', async () => stranger.closed(), { timeoutMs: 5_000, intervalMs: 20 });
    expect(stranger.acks).toEqual([]);
  });
});
