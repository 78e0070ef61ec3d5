import { buildOru, parseAck } from '../../integrations/hospital/hl7';
import { MllpClient } from '../../integrations/hospital/mllp';
import { recordHistory } from '../helpers/histories';
import { startHospitalDriver, type HospitalDriver } from '../helpers/hospitalDriver';
import { until } from '../helpers/poll';
import { readQueueStream, type QueueEvent } from '../helpers/queueStream';

/**
 * The visit's unhappy and unusual paths through the real API, MLLP listener, HIS simulator and
 * payment simulator: deadline missed, no-show, results before check-in, duplicate and malformed
 * HL7 from the hospital, and the queue's server-sent events.
 */
let d: HospitalDriver;
let user: string;
let mllp: MllpClient;

beforeAll(async () => {
  d = await startHospitalDriver({
    policy: {
      holdMinutes: 1,
      fullRefundCutoffMinutes: 60,
      noShowGraceMinutes: 0,
      reminderLeadMinutes: 4 * 24 * 60,
      visitQuietCloseSeconds: 3,
    },
    // Streams re-read only when PostgreSQL announces a change: with a minute between polls, any event
    // this file's stream test sees after the first one was pushed.
    env: { QUEUE_STREAM_POLL_MS: '60000' },
  });
  user = await d.verifiedUser();
  mllp = new MllpClient({ host: '127.0.0.1', port: d.p.api.mllpPort ?? 0, timeoutMs: 5_000 });
});
afterAll(async () => {
  await mllp?.close();
  await d?.stop();
});

async function book(slotIndex: number): Promise<string> {
  const res = await d.api<{ bookingRef: string }>('POST', '/v1/visits', user, { institutionId: d.hospital, slotId: d.slotIds[slotIndex] });
  expect(res.status).toBe(201);
  return res.body.bookingRef;
}

async function bookAndPay(slotIndex: number): Promise<string> {
  const ref = await book(slotIndex);
  await d.payOpen(ref, user, 'registration');
  await d.waitStage(ref, user, 'booked');
  return ref;
}

const slotStatus = async (slotIndex: number): Promise<string> =>
  (await d.p.services.db.query<Array<{ status: string }>>('SELECT status FROM slots WHERE id = $1', [d.slotIds[slotIndex]]))[0]?.status ??
  'missing';

function results(controlId: string, bookingRef: string, orderId: string, value: string): string {
  return buildOru({
    sendingApplication: 'LIS',
    sendingFacility: d.hospital,
    controlId,
    bookingRef,
    patientClass: 'O',
    patient: { id: 'P-1' },
    reports: [
      {
        placerOrderId: orderId,
        service: { code: 'GLU', text: 'Glucose' },
        observedAt: new Date().toISOString(),
        resultStatus: 'F',
        notes: [],
        observations: [
          {
            setId: '1',
            valueType: 'NM',
            identifier: { code: 'GLU', text: 'Glucose' },
            value: { type: 'numeric', raw: value, number: Number(value) },
            units: { code: 'mmol/L' },
            referenceRange: '3.9-6.1',
            abnormalFlags: [],
            status: 'F',
            observedAt: new Date().toISOString(),
            notes: [],
          },
        ],
      },
    ],
  });
}

describe('hospital visit: unusual paths', () => {
  it('ends the visit as expired and frees the slot when the registration fee is not paid by the deadline', async () => {
    await d.moveSlotStart(d.slotIds[0] ?? '', new Date(Date.now() + 5_000)); // the deadline is the slot start when that comes first
    const ref = await book(0);
    await d.waitStage(ref, user, 'expired');
    expect(await slotStatus(0)).toBe('free');
    expect(d.his.received.filter((m) => m.bookingRef === ref).map((m) => m.type)).toEqual(expect.arrayContaining(['SIU^S12', 'SIU^S15']));
    const ledger: Array<{ kind: string }> = await d.p.services.db.query(
      `SELECT l.kind FROM ledger_entries l JOIN payments p USING (out_trade_no) WHERE p.journey_id = $1`,
      [`hospital-visit/${d.hospital}/${ref}`],
    );
    expect(ledger.map((l) => l.kind)).not.toContain('paid');
    await recordHistory(d.p.services.temporal.workflow.getHandle(`hospital-visit/${d.hospital}/${ref}`), 'expired-unpaid');
  }, 60_000);

  it('records a no-show (SIU^S26 to the HIS) when a paid patient never checks in, and keeps the fee', async () => {
    await d.moveSlotStart(d.slotIds[1] ?? '', new Date(Date.now() + 12_000));
    const ref = await bookAndPay(1);
    await d.waitStage(ref, user, 'no_show');
    expect(d.his.received.filter((m) => m.bookingRef === ref).map((m) => m.type)).toContain('SIU^S26');
    const status = await d.stage(ref, user);
    expect(status.registration.refundedMinor).toBe(0);
    expect(status.notices.map((n) => n.kind)).toContain('no_show');
    const late = await d.api<{ code: string; detail: string }>('POST', `/v1/visits/${ref}/check-in`, user, {});
    expect(late.status).toBe(409);
    expect(late.body.code).toBe('invalid_state');
    await recordHistory(d.p.services.temporal.workflow.getHandle(`hospital-visit/${d.hospital}/${ref}`), 'no-show');
  }, 60_000);

  it('holds results that arrive before check-in and delivers them once the patient has arrived', async () => {
    const ref = await bookAndPay(2);
    const ack = parseAck(await mllp.send(results(`EARLY-${ref}`, ref, 'LAB-EARLY', '5.2')));
    expect(ack.ackCode).toBe('AA');
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await d.stage(ref, user)).resultOrderIds).toEqual([]); // not before the patient is there
    expect((await d.api('POST', `/v1/visits/${ref}/check-in`, user, {})).status).toBe(200);
    await until('early results delivered', async () => (await d.stage(ref, user)).resultOrderIds.includes('LAB-EARLY'), {
      timeoutMs: 30_000,
    });
    const read = await d.api<{ results: Array<{ orderId: string }> }>('GET', `/v1/visits/${ref}/results`, user);
    expect(read.body.results.map((r) => r.orderId)).toEqual(['LAB-EARLY']);
  }, 60_000);

  it('acknowledges a repeated HL7 control id again but applies it once, and rejects a malformed message with AE while keeping it', async () => {
    const ref = await bookAndPay(3);
    expect((await d.api('POST', `/v1/visits/${ref}/check-in`, user, {})).status).toBe(200);
    const controlId = `DUP-${ref}`;
    const message = results(controlId, ref, 'LAB-DUP', '7.9');
    expect(parseAck(await mllp.send(message)).ackCode).toBe('AA');
    expect(parseAck(await mllp.send(message)).ackCode).toBe('AA');
    await until('results delivered', async () => (await d.stage(ref, user)).resultOrderIds.includes('LAB-DUP'), { timeoutMs: 30_000 });
    const rows: Array<{ n: string }> = await d.p.services.db.query(`SELECT count(*) AS n FROM inbox_messages WHERE message_id = $1`, [
      controlId,
    ]);
    expect(Number(rows[0]?.n)).toBe(1);
    const notices: Array<{ kind: string }> = await d.p.services.db.query(
      `SELECT kind FROM notifications WHERE journey_id = $1 AND kind = 'results_ready'`,
      [`hospital-visit/${d.hospital}/${ref}`],
    );
    expect(notices).toHaveLength(1);

    // OBX-5 declared numeric (NM) but not a number: a data type error the hospital must hear about.
    const malformedId = `BAD-${ref}`;
    const malformed = results(malformedId, ref, 'LAB-BAD', '7.9').replace('|7.9|', '|seven|');
    const nack = parseAck(await mllp.send(malformed));
    expect(nack.ackCode).toBe('AE');
    expect(JSON.stringify(nack.errors)).toMatch(/OBX-5|numeric/);
    // Kept for reprocessing: a failed row, which the operator can replay (it fails again, with the same reason).
    const kept: Array<{ id: string; status: string; error: string }> = await d.p.services.db.query(
      `SELECT id, status, error FROM inbox_messages WHERE channel = 'hl7' AND message_id = $1`,
      [malformedId],
    );
    expect(kept).toEqual([expect.objectContaining({ status: 'failed', error: expect.stringMatching(/OBX-5|numeric/) })]);
    const operator = { authorization: `Bearer test-operator-token` };
    expect((await fetch(`${d.p.api.url}/v1/operator/inbox/failed?limit=500`, { headers: operator })).status).toBe(200);
    const replay = await fetch(`${d.p.api.url}/v1/operator/inbox/${kept[0]?.id}/reprocess`, { method: 'POST', headers: operator });
    expect(await replay.json()).toMatchObject({ id: kept[0]?.id, status: 'failed' });
    // The listener keeps serving after the rejection.
    expect(parseAck(await mllp.send(results(`AFTER-${ref}`, ref, 'LAB-AFTER', '5.0'))).ackCode).toBe('AA');
  }, 60_000);

  it('refuses HL7 from an unknown facility or an unregistered source with AR and stores nothing of it', async () => {
    const ref = await bookAndPay(5);
    const stranger = results(`STRANGER-${ref}`, ref, 'LAB-X', '5.0').replace(`|${d.hospital}|`, '|NOT-A-HOSPITAL|');
    const refused = parseAck(await mllp.send(stranger));
    expect(refused.ackCode).toBe('AR');
    expect(refused.text).toContain('unknown sending facility NOT-A-HOSPITAL');
    // A hospital whose HIS is registered elsewhere: this connection (127.0.0.1) may not speak for it.
    await d.p.services.db.query(
      `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, mllp_host, mllp_port) VALUES ($1, 'hospital', 'Elsewhere', 'Asia/Shanghai', $2, '192.0.2.10', 2575)`,
      [`${d.hospital}-far`, d.p.services.pii.encrypt('far-secret')],
    );
    const spoofed = results(`SPOOF-${ref}`, ref, 'LAB-Y', '5.0').replace(`|${d.hospital}|`, `|${d.hospital}-far|`);
    const refusedToo = parseAck(await mllp.send(spoofed));
    expect(refusedToo.ackCode).toBe('AR');
    expect(refusedToo.text).toMatch(/source address .* is not registered/);
    const stored: Array<{ n: string }> = await d.p.services.db.query(
      `SELECT count(*) AS n FROM inbox_messages WHERE message_id IN ($1, $2)`,
      [`STRANGER-${ref}`, `SPOOF-${ref}`],
    );
    expect(Number(stored[0]?.n)).toBe(0);
    expect((await d.stage(ref, user)).resultOrderIds).toEqual([]);
  }, 60_000);

  it('streams queue position as server-sent events until the patient is called', async () => {
    const ref = await bookAndPay(6);
    expect((await d.api('POST', `/v1/visits/${ref}/check-in`, user, {})).status).toBe(200);
    const events: QueueEvent[] = [];
    const ended = readQueueStream(`${d.p.api.url}/v1/visits/${ref}/queue/stream`, d.partnerHeaders(user), events);
    await until('first queue event', async () => events.length > 0, { timeoutMs: 30_000 });
    expect(events[0]).toMatchObject({ stage: 'queued', status: 'waiting' });
    // Earlier tests left patients in this doctor's queue: the doctor calls until it is this one's turn.
    await until('HIS calls this patient', async () => (await d.his.callNext(d.doctor))?.bookingRef === ref, { timeoutMs: 30_000 });
    expect(await ended).toBe('ended');
    expect(events.at(-1)?.stage).toBe('called');
  }, 60_000);
});
