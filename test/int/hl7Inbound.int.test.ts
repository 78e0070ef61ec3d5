import { randomBytes } from 'node:crypto';
import pino from 'pino';
import type { DataSource } from 'typeorm';
import { DomainError, ErrorCode } from '../../domain/errors';
import { buildOrderMessage, buildSiu, parseAck, type Acknowledgement } from '../../integrations/hospital/hl7';
import {
  createInboundHl7Handler,
  listFailedInbox,
  reprocessInboxMessage,
  type DispatchMeta,
  type InboundDispatch,
  type InboundHl7Event,
  type InboxSecrets,
} from '../../integrations/hospital/inbound';
import { MllpClient, MllpServer } from '../../integrations/hospital/mllp';
import { openTestDb } from '../helpers/db';
import { LogCapture } from '../helpers/logCapture';

const HOST = '127.0.0.1';
const FACILITY = `H${randomBytes(4).toString('hex').toUpperCase()}`;
const SENDER = `HIS^${FACILITY}`;
const PATIENT_NAME = '张三丰';

/** A visible, reversible stand-in for the PII cipher: the test can tell ciphertext from plaintext. */
const secrets: InboxSecrets = {
  encrypt: (s) => `enc:${Buffer.from(s, 'utf8').toString('base64')}`,
  decrypt: (s) => Buffer.from(s.slice(4), 'base64').toString('utf8'),
};

let seq = 0;
const uid = (p: string) => `${p}${Date.now().toString(36).toUpperCase()}${++seq}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function siu(controlId: string, bookingRef: string, patientId = 'P-100'): string {
  return buildSiu('S14', {
    sendingApplication: 'HIS',
    sendingFacility: FACILITY,
    receivingApplication: 'CAUSEWAY',
    receivingFacility: 'CAUSEWAY',
    controlId,
    bookingRef,
    fillerAppointmentId: 'SLOT-1',
    slotStart: '2025-03-03T01:00:00.000Z',
    durationMinutes: 15,
    patient: { id: patientId, familyName: PATIENT_NAME, phone: '13800138000' },
  });
}

function orders(controlId: string, bookingRef: string, orderId: string, authority?: string): string {
  return buildOrderMessage('OML', {
    sendingApplication: 'HIS',
    sendingFacility: FACILITY,
    controlId,
    bookingRef,
    bookingRefAuthority: authority,
    patient: { id: 'P-100', familyName: PATIENT_NAME },
    orders: [
      {
        orderControl: 'NW',
        placerOrderId: orderId,
        items: [{ service: { code: 'GLU', text: 'Glucose' } }],
        charges: [{ type: 'CG', code: { code: 'GLU' }, extendedAmount: { amountMinor: 2500, currency: 'CNY' } }],
      },
    ],
  });
}

interface Row {
  id: string;
  message_id: string;
  message_type: string | null;
  correlation: string | null;
  body_enc: string;
  status: string;
  error: string | null;
  attempts: number;
}

describe('inbound HL7 pipeline (MLLP → inbox_messages → dispatch)', () => {
  let db: DataSource;
  let server: MllpServer;
  let client: MllpClient;
  let port: number;
  const logs = new LogCapture();
  const logger = pino({ level: 'debug' }, logs.stream);
  const dispatched: Array<{ event: InboundHl7Event; meta: DispatchMeta }> = [];
  /** What the next dispatches do; default: succeed. */
  let dispatchImpl: InboundDispatch = async () => undefined;
  const dispatch: InboundDispatch = async (event, meta) => {
    dispatched.push({ event, meta });
    await dispatchImpl(event, meta);
  };
  let handler: ReturnType<typeof createInboundHl7Handler>;

  const rows = async (where: string, params: unknown[]): Promise<Row[]> =>
    db.query(
      `SELECT id, message_id, message_type, correlation, body_enc, status, error, attempts FROM inbox_messages WHERE channel = 'hl7' AND ${where} ORDER BY id`,
      params,
    );
  const send = async (raw: string): Promise<Acknowledgement> => parseAck(await client.send(raw));

  beforeAll(async () => {
    db = await openTestDb();
    handler = createInboundHl7Handler({ db, secrets, dispatch, logger });
    server = new MllpServer({ host: HOST, port: 0, handler, logger });
    ({ port } = await server.start());
    client = new MllpClient({ host: HOST, port, timeoutMs: 5_000 });
  });

  afterAll(async () => {
    await client.close();
    await server.stop();
    await handler.idle();
    await db.destroy();
  });

  beforeEach(() => {
    dispatched.length = 0;
    dispatchImpl = async () => undefined;
  });

  it('stores a valid message (encrypted) before answering AA, then applies it', async () => {
    const ref = uid('BK');
    const ack = await send(siu('C-VALID-1', ref));
    expect(ack).toMatchObject({ ackCode: 'AA', ackedControlId: 'C-VALID-1' });
    // The row exists the moment the ACK is out, whatever dispatch is doing.
    const [row] = await rows('sender = $1 AND message_id = $2', [SENDER, 'C-VALID-1']);
    expect(row).toMatchObject({ message_type: 'SIU^S14', correlation: ref });
    expect(row?.body_enc).not.toContain(PATIENT_NAME);
    expect(secrets.decrypt(row?.body_enc ?? '')).toContain(PATIENT_NAME);

    await handler.idle();
    expect(await rows('id = $1', [row?.id])).toEqual([expect.objectContaining({ status: 'applied', attempts: 1, error: null })]);
    expect(dispatched).toHaveLength(1);
    expect(dispatched[0]?.event).toMatchObject({ kind: 'appointment-modified', bookingRef: ref, fillerAppointmentId: 'SLOT-1' });
    expect(dispatched[0]?.meta).toEqual({
      inboxId: row?.id,
      sender: SENDER,
      institutionId: FACILITY,
      messageId: 'C-VALID-1',
      correlation: ref,
      attempt: 1,
    });
  });

  it('acknowledges a repeated control id again, keeps one row and dispatches once', async () => {
    const ref = uid('BK');
    const raw = siu('C-DUP-1', ref);
    expect((await send(raw)).ackCode).toBe('AA');
    expect((await send(raw)).ackCode).toBe('AA');
    await handler.idle();
    expect((await send(raw)).ackCode).toBe('AA');
    await handler.idle();
    expect(await rows('sender = $1 AND message_id = $2', [SENDER, 'C-DUP-1'])).toHaveLength(1);
    expect(dispatched.filter((d) => d.meta.messageId === 'C-DUP-1')).toHaveLength(1);
  });

  it('never answers AA when the message could not be stored', async () => {
    const broken = await openTestDb(1);
    await broken.destroy();
    const h = createInboundHl7Handler({ db: broken, secrets, dispatch, logger });
    const ack = parseAck(await h(siu('C-NODB-1', uid('BK')), { remoteAddress: 'test' }));
    expect(ack.ackCode).toBe('AR');
    expect(ack.errors[0]).toMatchObject({ code: '207' });
    expect(dispatched).toHaveLength(0);
  });

  it('rejects a malformed message with AE and the reason, and keeps it as a failed row', async () => {
    const raw = siu('C-BAD-1', uid('BK')).replace(/\rPID\|[^\r]*/, '');
    const ack = await send(raw);
    expect(ack.ackCode).toBe('AE');
    expect(ack.errors[0]?.userMessage ?? ack.text).toMatch(/PID segment .* is missing/);
    const [row] = await rows('sender = $1 AND message_id = $2', [SENDER, 'C-BAD-1']);
    expect(row).toMatchObject({ status: 'failed', attempts: 0, correlation: null, message_type: 'SIU^S14' });
    expect(row?.error).toMatch(/^hl7_malformed: PID segment/);
    await handler.idle();
    expect(dispatched).toHaveLength(0);
  });

  it('rejects an unsupported trigger with AR, and keeps a message without MSH-10 under a body hash', async () => {
    const ack = await send(siu('C-S99', uid('BK')).replace('SIU^S14^SIU_S12', 'SIU^S99^SIU_S12'));
    expect(ack.ackCode).toBe('AR');
    expect(ack.errors[0]?.code).toBe('201');

    const noId = siu('C-NOID', uid('BK')).replace('|C-NOID|', '||');
    const second = await send(noId);
    expect(second.ackCode).toBe('AE');
    expect(second.ackedControlId).toBe('');
    expect(second.errors[0]?.userMessage).toMatch(/MSH-10/);
    const [row] = await rows("sender = $1 AND message_id LIKE 'sha256:%'", [SENDER]);
    expect(row).toMatchObject({ status: 'failed', attempts: 0 });
    expect(secrets.decrypt(row?.body_enc ?? '')).toBe(noId);
  });

  it('takes a corrected resend under the rejected control id, and dispatches it', async () => {
    const ref = uid('BK');
    const good = siu('C-FIX-1', ref);
    expect((await send(good.replace(/\rPID\|[^\r]*/, ''))).ackCode).toBe('AE');
    expect((await send(good)).ackCode).toBe('AA');
    await handler.idle();
    expect(await rows('sender = $1 AND message_id = $2', [SENDER, 'C-FIX-1'])).toEqual([
      expect.objectContaining({ status: 'applied', correlation: ref, error: null }),
    ]);
    expect(dispatched.map((d) => d.meta.messageId)).toEqual(['C-FIX-1']);
  });

  it('marks a row failed when dispatch fails (ACK already AA), then reprocessing applies it', async () => {
    const ref = uid('BK');
    dispatchImpl = async () => {
      throw new DomainError(ErrorCode.NotFound, `no journey for ${ref}`);
    };
    expect((await send(orders('C-DISP-1', ref, 'ORD-1'))).ackCode).toBe('AA');
    await handler.idle();
    const [row] = await rows('sender = $1 AND message_id = $2', [SENDER, 'C-DISP-1']);
    expect(row).toMatchObject({ status: 'failed', attempts: 1, message_type: 'OML^O21' });
    expect(row?.error).toBe(`not_found: no journey for ${ref}`);
    const failed = await listFailedInbox(db, { limit: 1000 });
    expect(failed.find((f) => f.id === row?.id)).toMatchObject({ messageId: 'C-DISP-1', correlation: ref, attempts: 1 });
    expect(JSON.stringify(failed)).not.toContain(PATIENT_NAME);

    // A resend of a message we accepted is ours already: AA, no second dispatch.
    expect((await send(orders('C-DISP-1', ref, 'ORD-1'))).ackCode).toBe('AA');
    await handler.idle();
    expect(dispatched).toHaveLength(1);

    dispatchImpl = async () => undefined; // the journey exists now
    const result = await reprocessInboxMessage(db, secrets, dispatch, row?.id ?? '', { logger });
    expect(result).toEqual({ id: row?.id, status: 'applied', attempts: 2 });
    expect(dispatched[1]?.event).toMatchObject({ kind: 'orders-placed', bookingRef: ref, orders: [{ placerOrderId: 'ORD-1' }] });
    expect(dispatched[1]?.meta.attempt).toBe(2);
    await expect(reprocessInboxMessage(db, secrets, dispatch, row?.id ?? '')).rejects.toMatchObject({ code: ErrorCode.InvalidState });
    await expect(reprocessInboxMessage(db, secrets, dispatch, '999999999')).rejects.toMatchObject({ code: ErrorCode.NotFound });
  });

  it('reprocesses a message rejected at intake once the parser is configured for it', async () => {
    const ref = uid('BK');
    // The hospital marks our ref with its own authority: unreadable until bookingRefAuthority says so.
    expect((await send(orders('C-AUTH-1', ref, 'ORD-2', 'XHOSP'))).ackCode).toBe('AE');
    const [row] = await rows('sender = $1 AND message_id = $2', [SENDER, 'C-AUTH-1']);
    expect(row?.error).toMatch(/PV1-50/);
    const still = await reprocessInboxMessage(db, secrets, dispatch, row?.id ?? '');
    expect(still).toMatchObject({ status: 'failed', attempts: 0 });
    const fixed = await reprocessInboxMessage(db, secrets, dispatch, row?.id ?? '', { parseOptions: { bookingRefAuthority: 'XHOSP' } });
    expect(fixed).toMatchObject({ status: 'applied', attempts: 1 });
    expect(await rows('id = $1', [row?.id])).toEqual([
      expect.objectContaining({ correlation: ref, message_type: 'OML^O21', status: 'applied' }),
    ]);
  });

  it('applies the messages of one booking in order, without holding up other bookings', async () => {
    const a = uid('BKA');
    const b = uid('BKB');
    const log: string[] = [];
    dispatchImpl = async (event, meta) => {
      log.push(`start ${meta.messageId}`);
      if (meta.messageId === 'C-ORD-A1') await sleep(300);
      if (meta.messageId === 'C-ORD-A2') await sleep(50);
      log.push(`end ${meta.messageId}`);
      expect(event.bookingRef).toBe(meta.correlation);
    };
    // A second connection, so B does not queue behind A at the MLLP level either.
    const other = new MllpClient({ host: HOST, port, timeoutMs: 5_000 });
    await send(siu('C-ORD-A1', a));
    await send(orders('C-ORD-A2', a, 'ORD-A'));
    await send(siu('C-ORD-A3', a));
    await other.send(siu('C-ORD-B1', b));
    await other.close();
    await handler.idle();
    const order = log.filter((l) => l.includes('-A'));
    expect(order).toEqual(['start C-ORD-A1', 'end C-ORD-A1', 'start C-ORD-A2', 'end C-ORD-A2', 'start C-ORD-A3', 'end C-ORD-A3']);
    expect(log.indexOf('end C-ORD-B1')).toBeLessThan(log.indexOf('end C-ORD-A1'));
  });

  it('applies an earlier row left `received` (a crash) before the new one, and resumes leftovers at start', async () => {
    const ref = uid('BK');
    await db.query(
      `INSERT INTO inbox_messages (channel, sender, message_id, message_type, correlation, body_enc, status, attempts)
       VALUES ('hl7', $1, 'C-LEFT-1', 'SIU^S14', $2, $3, 'received', 0)`,
      [SENDER, ref, secrets.encrypt(siu('C-LEFT-1', ref))],
    );
    expect((await send(siu('C-LEFT-2', ref))).ackCode).toBe('AA');
    await handler.idle();
    expect(dispatched.map((d) => d.meta.messageId)).toEqual(['C-LEFT-1', 'C-LEFT-2']);

    const other = uid('BK');
    await db.query(
      `INSERT INTO inbox_messages (channel, sender, message_id, message_type, correlation, body_enc, status, attempts)
       VALUES ('hl7', $1, 'C-LEFT-3', 'SIU^S14', $2, $3, 'received', 0)`,
      [SENDER, other, secrets.encrypt(siu('C-LEFT-3', other))],
    );
    // Only this file's institution: other test files share the database and resume their own rows.
    expect(await handler.resumePending(1000, FACILITY)).toBeGreaterThanOrEqual(1);
    await handler.idle();
    expect(dispatched.map((d) => d.meta.messageId)).toContain('C-LEFT-3');
    expect(await rows('sender = $1 AND message_id = $2', [SENDER, 'C-LEFT-3'])).toEqual([expect.objectContaining({ status: 'applied' })]);
  });

  it('logs control ids and types, never message content', () => {
    const text = logs.text();
    expect(text).toContain('C-VALID-1');
    expect(text).toContain('SIU^S14');
    expect(text).not.toContain(PATIENT_NAME);
    expect(text).not.toContain('13800138000');
    expect(text).not.toContain('P-100');
  });
});
