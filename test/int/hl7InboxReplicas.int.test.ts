import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { hospitalDispatch } from '../../api/hospital/dispatch';
import { workflowIds } from '../../domain/ids';
import { buildOru, buildSiu } from '../../integrations/hospital/hl7';
import { createInboundHl7Handler, type InboundHl7Handler, type InboxSecrets } from '../../integrations/hospital/inbound';
import { PiiCipher } from '../../platform/pii';
import { openTestDb } from '../helpers/db';

/**
 * Two inbound handlers, each over its own connection pool: what two API processes behind one MLLP
 * address are. Only PostgreSQL is shared between them, as between processes.
 */

const FACILITY = `R${randomBytes(4).toString('hex').toUpperCase()}`;
const META = { remoteAddress: '127.0.0.1' };
const secrets: InboxSecrets = {
  encrypt: (s) => Buffer.from(s, 'utf8').toString('base64'),
  decrypt: (s) => Buffer.from(s, 'base64').toString('utf8'),
};
let seq = 0;
const uid = (p: string) => `${p}${Date.now().toString(36).toUpperCase()}${++seq}`;
/** Jitter inside dispatch, so the two processes' drains overlap; nothing is asserted about time. */
const jitter = () => new Promise((r) => setTimeout(r, Math.floor(Math.random() * 4)));

function siu(controlId: string, bookingRef: string): string {
  return buildSiu('S14', {
    sendingApplication: 'HIS',
    sendingFacility: FACILITY,
    controlId,
    bookingRef,
    fillerAppointmentId: 'SLOT-1',
    slotStart: '2025-03-03T01:00:00.000Z',
    durationMinutes: 15,
    patient: { id: 'P-1' },
  });
}

interface Delivery {
  booking: string;
  controlId: string;
  inboxId: string;
  by: 'A' | 'B';
}

describe('HL7 inbox with two API processes', () => {
  let dbA: DataSource;
  let dbB: DataSource;
  let a: InboundHl7Handler;
  let b: InboundHl7Handler;
  const deliveries: Delivery[] = [];
  /** Bookings being dispatched right now, by anyone: a second concurrent dispatch of one booking is a violation. */
  const inFlight = new Set<string>();
  const overlaps: string[] = [];
  /** Bookings this test owns: resumePending also sees rows other test files left. */
  const ours = new Set<string>();

  const recorder =
    (by: 'A' | 'B') =>
    async (event: { bookingRef: string; header: { controlId: string } }, meta: { inboxId: string }): Promise<void> => {
      if (!ours.has(event.bookingRef)) return;
      if (inFlight.has(event.bookingRef)) overlaps.push(`${event.bookingRef} ${event.header.controlId}`);
      inFlight.add(event.bookingRef);
      await jitter();
      deliveries.push({ booking: event.bookingRef, controlId: event.header.controlId, inboxId: meta.inboxId, by });
      inFlight.delete(event.bookingRef);
    };

  const storedRows = async (bookings: string[]) =>
    dbA.query<Array<{ id: string; correlation: string; message_id: string; status: string }>>(
      `SELECT id, correlation, message_id, status FROM inbox_messages WHERE channel = 'hl7' AND correlation = ANY($1) ORDER BY id`,
      [bookings],
    );

  beforeAll(async () => {
    dbA = await openTestDb(4);
    dbB = await openTestDb(4);
    a = createInboundHl7Handler({ db: dbA, secrets, dispatch: recorder('A'), maxConcurrentClaims: 2 });
    b = createInboundHl7Handler({ db: dbB, secrets, dispatch: recorder('B'), maxConcurrentClaims: 2 });
  });

  afterAll(async () => {
    await Promise.all([a.idle(), b.idle()]);
    await Promise.all([dbA.destroy(), dbB.destroy()]);
  });

  beforeEach(() => {
    deliveries.length = 0;
    overlaps.length = 0;
  });

  /** Every stored row of `bookings` delivered exactly once, each booking's in the order its rows were stored. */
  async function expectOnceInOrder(bookings: string[]): Promise<void> {
    const rows = await storedRows(bookings);
    expect(rows.every((r) => r.status === 'applied')).toBe(true);
    expect(deliveries.map((d) => d.inboxId).sort()).toEqual(rows.map((r) => r.id).sort());
    for (const booking of bookings) {
      expect(deliveries.filter((d) => d.booking === booking).map((d) => d.inboxId)).toEqual(
        rows.filter((r) => r.correlation === booking).map((r) => r.id),
      );
    }
    expect(overlaps).toEqual([]);
  }

  it('dispatches each message once and in order when the messages of a booking reach both processes', async () => {
    const bookings = Array.from({ length: 6 }, () => uid('BK'));
    bookings.forEach((x) => ours.add(x));
    const perBooking = 8;
    // Each booking's sender waits for the ACK before its next message (MLLP), alternating processes;
    // the bookings send at the same time.
    await Promise.all(
      bookings.map(async (booking, n) => {
        for (let i = 0; i < perBooking; i++) {
          const via = (i + n) % 2 === 0 ? a : b;
          expect(await via(siu(`${booking}-${i}`, booking), META)).toContain('MSA|AA|');
        }
      }),
    );
    await Promise.all([a.idle(), b.idle()]);

    await expectOnceInOrder(bookings);
    for (const booking of bookings) {
      expect(deliveries.filter((d) => d.booking === booking).map((d) => d.controlId)).toEqual(
        Array.from({ length: perBooking }, (_, i) => `${booking}-${i}`),
      );
    }
    // Both processes did some of the work: the claim moved between them, it was not one process doing all.
    expect(new Set(deliveries.map((d) => d.by))).toEqual(new Set(['A', 'B']));
  });

  it('applies each row once when two replicas resume the same leftovers at start', async () => {
    const bookings = Array.from({ length: 5 }, () => uid('BK'));
    bookings.forEach((x) => ours.add(x));
    // Rows a crash left `received`, several per booking.
    for (let i = 0; i < 4; i++) {
      for (const booking of bookings) {
        await dbA.query(
          `INSERT INTO inbox_messages (channel, sender, institution_id, message_id, message_type, correlation, body_enc, status, attempts)
           VALUES ('hl7', $1, $2, $3, 'SIU^S14', $4, $5, 'received', 0)`,
          [`HIS^${FACILITY}`, FACILITY, `${booking}-L${i}`, booking, secrets.encrypt(siu(`${booking}-L${i}`, booking))],
        );
      }
    }
    // Scoped to this file's institution: other test files share the database.
    const [queuedA, queuedB] = await Promise.all([a.resumePending(1000, FACILITY), b.resumePending(1000, FACILITY)]);
    // Whichever looked first saw every booking (no drain starts before a look returns); the other may see fewer.
    expect(Math.max(queuedA, queuedB)).toBe(bookings.length);
    await Promise.all([a.idle(), b.idle()]);

    await expectOnceInOrder(bookings);
  });
});

describe('result versions end to end (inbox → hospital dispatch → visit_results)', () => {
  let db: DataSource;
  let connection: Connection;
  let client: Client;
  let handler: InboundHl7Handler;
  const pii = new PiiCipher({ keys: { k1: randomBytes(32).toString('base64') }, activeKeyId: 'k1', hmacKey: 'test' });
  const ref = uid('BK');
  const institution = FACILITY;

  function oru(controlId: string, status: 'P' | 'F' | 'C', value: string): string {
    return buildOru({
      sendingApplication: 'LIS',
      sendingFacility: institution,
      controlId,
      bookingRef: ref,
      patient: { id: 'P-1' },
      reports: [
        {
          placerOrderId: 'LAB-1',
          service: { code: 'GLU', text: 'Glucose' },
          resultStatus: status,
          observations: [
            {
              identifier: { code: 'GLU' },
              value: { type: 'numeric', raw: value, number: Number(value) },
              abnormalFlags: [],
              status,
              notes: [],
            },
          ],
          notes: [],
        },
      ],
    });
  }

  const stored = async () =>
    db.query<Array<{ results_enc: string; result_status: string; inbox_id: string }>>(
      'SELECT results_enc, result_status, inbox_id FROM visit_results WHERE booking_ref = $1 AND order_id = $2',
      [ref, 'LAB-1'],
    );
  const shownValue = async () => {
    const [row] = await stored();
    const report = JSON.parse(pii.decrypt(row?.results_enc ?? '')) as { observations: Array<{ value: { raw: string } }> };
    return report.observations[0]?.value.raw;
  };
  const send = async (raw: string) => {
    expect(await handler(raw, META)).toContain('MSA|AA|');
    await handler.idle();
  };

  beforeAll(async () => {
    db = await openTestDb();
    const address = process.env.TEMPORAL_ADDRESS;
    if (!address) throw new Error('TEMPORAL_ADDRESS missing: run through jest (global set-up)');
    connection = await Connection.connect({ address });
    client = new Client({ connection, namespace: 'default' });
    const slotId = uid('SLOT');
    await db.query(
      `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc) VALUES ($1, 'hospital', 'Result test', 'Asia/Shanghai', 'x')`,
      [institution],
    );
    await db.query(
      `INSERT INTO slots (id, institution_id, department_id, doctor_id, starts_at, duration_min, fee_minor, currency, opens_at, status, booking_ref)
       VALUES ($1, $2, 'LAB', 'D1', now() + interval '1 day', 10, 1000, 'CNY', now(), 'booked', $3)`,
      [slotId, institution, ref],
    );
    await db.query(
      `INSERT INTO visits (booking_ref, institution_id, user_id, partner_id, slot_id, doctor_id, workflow_id, stage)
       VALUES ($1, $2, $3, 'p', $4, 'D1', $5, 'queued')`,
      [ref, institution, randomUUID(), slotId, workflowIds.hospitalVisit(institution, ref)],
    );
    // The visit's workflow, parked on a task queue no worker polls: it takes signals, which is all dispatch needs.
    await client.workflow.start('hospitalVisit', {
      workflowId: workflowIds.hospitalVisit(institution, ref),
      taskQueue: `parked-${randomUUID()}`,
      args: [],
    });
    handler = createInboundHl7Handler({ db, secrets, dispatch: hospitalDispatch({ db, pii, temporal: client }) });
  });

  afterAll(async () => {
    await client.workflow
      .getHandle(workflowIds.hospitalVisit(institution, ref))
      .terminate('test over')
      .catch(() => undefined);
    await handler.idle();
    await connection.close();
    await db.destroy();
  });

  it('keeps the final result when a preliminary one arrives after it, and takes a correction', async () => {
    await send(oru('R-P1', 'P', '5.1'));
    expect(await shownValue()).toBe('5.1');
    expect((await stored())[0]?.result_status).toBe('preliminary');

    await send(oru('R-F1', 'F', '5.6'));
    expect(await shownValue()).toBe('5.6');

    // A preliminary the lab sent earlier, delivered late: stored and applied, but the final result stays.
    await send(oru('R-P2', 'P', '4.0'));
    const late = await db.query<Array<{ status: string }>>(
      `SELECT status FROM inbox_messages WHERE channel = 'hl7' AND institution_id = $1 AND message_id = 'R-P2'`,
      [institution],
    );
    expect(late).toEqual([{ status: 'applied' }]);
    expect(await shownValue()).toBe('5.6');
    expect((await stored())[0]?.result_status).toBe('final');

    await send(oru('R-C1', 'C', '5.7'));
    expect(await shownValue()).toBe('5.7');
    expect((await stored())[0]?.result_status).toBe('corrected');

    // A final after the correction does not undo it.
    await send(oru('R-F2', 'F', '5.6'));
    expect(await shownValue()).toBe('5.7');

    // Every message reached the visit: the signal carries each inbox id.
    const signals = await signalsOf(client, workflowIds.hospitalVisit(institution, ref));
    expect(signals).toHaveLength(5);
    expect(new Set(signals.map((s) => s.inboxId)).size).toBe(5);
  });
});

async function signalsOf(client: Client, workflowId: string): Promise<Array<{ inboxId?: string }>> {
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  const out: Array<{ inboxId?: string }> = [];
  for (const e of history.events ?? []) {
    const s = e.workflowExecutionSignaledEventAttributes;
    if (!s || s.signalName !== 'resultsReady') continue;
    const payload = s.input?.payloads?.[0];
    out.push(JSON.parse(Buffer.from(payload?.data ?? new Uint8Array()).toString('utf8')) as { inboxId?: string });
  }
  return out;
}
