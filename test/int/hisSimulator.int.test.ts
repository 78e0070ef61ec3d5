import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { ErrorCode } from '../../domain/errors';
import { MllpHisGateway, type HisBooking } from '../../integrations/hospital/gateway';
import { createInboundHl7Handler, type DispatchMeta, type InboundHl7Event, type InboxSecrets } from '../../integrations/hospital/inbound';
import { MllpServer } from '../../integrations/hospital/mllp';
import { startHisSimulator, type HisSimulator } from '../../integrations/hospital/simulator';
import { openTestDb } from '../helpers/db';

const HOST = '127.0.0.1';
const FACILITY = `S${randomBytes(4).toString('hex').toUpperCase()}`;
const secrets: InboxSecrets = {
  encrypt: (s) => Buffer.from(s, 'utf8').toString('base64'),
  decrypt: (s) => Buffer.from(s, 'base64').toString('utf8'),
};
let seq = 0;
const uid = (p: string) => `${p}${Date.now().toString(36).toUpperCase()}${++seq}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function booking(doctorId = 'D1'): HisBooking {
  return {
    bookingRef: uid('BK'),
    slotId: uid('SLOT'),
    doctorId,
    departmentId: 'LAB',
    slotStart: '2025-03-03T01:00:00.000Z',
    durationMinutes: 10,
    patientRef: uid('PR'),
  };
}

describe('HIS simulator → Causeway inbound pipeline over MLLP', () => {
  let db: DataSource;
  let causeway: MllpServer;
  let causewayPort: number;
  let sim: HisSimulator;
  let his: MllpHisGateway;
  const events: Array<{ event: InboundHl7Event; meta: DispatchMeta }> = [];
  /** Delays Causeway's answer to the next message (to make the simulator time out and resend). */
  let slowNext = 0;
  const handler = (raw: string, meta: { remoteAddress: string }) => inbound(raw, meta);
  let inbound: ReturnType<typeof createInboundHl7Handler>;

  const causewayServer = (port: number) =>
    new MllpServer({
      host: HOST,
      port,
      drainTimeoutMs: 500,
      handler: async (raw, meta) => {
        const ack = await handler(raw, meta);
        const delay = slowNext;
        slowNext = 0;
        await sleep(delay);
        return ack;
      },
    });

  async function eventFor<K extends InboundHl7Event['kind']>(kind: K, bookingRef: string, timeoutMs = 3_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await inbound.idle();
      const found = events.find((e) => e.event.kind === kind && e.event.bookingRef === bookingRef)?.event;
      if (found !== undefined && found.kind === kind) return found as Extract<InboundHl7Event, { kind: K }>;
      if (Date.now() > deadline) throw new Error(`no ${kind} for ${bookingRef}`);
      await sleep(20);
    }
  }

  async function arrived(doctorId = 'D1'): Promise<HisBooking> {
    const b = booking(doctorId);
    await his.requestHold(b);
    await his.confirmBooking(b);
    await his.registerArrival({ bookingRef: b.bookingRef, patientRef: b.patientRef, doctorId: b.doctorId, departmentId: b.departmentId });
    return b;
  }

  beforeAll(async () => {
    db = await openTestDb();
    inbound = createInboundHl7Handler({
      db,
      secrets,
      dispatch: async (event, meta) => {
        events.push({ event, meta });
      },
    });
    causeway = causewayServer(0);
    ({ port: causewayPort } = await causeway.start());
    sim = await startHisSimulator({
      host: HOST,
      port: 0,
      causeway: { host: HOST, port: causewayPort, timeoutMs: 400 },
      facility: FACILITY,
      departments: [{ id: 'LAB', name: 'Laboratory' }],
      doctors: [
        { id: 'D1', name: 'Dr Zhou', departmentId: 'LAB' },
        { id: 'D2', name: 'Dr Qian', departmentId: 'LAB' },
        { id: 'D9', name: 'Dr Idle', departmentId: 'LAB' },
      ],
      behaviour: { autoResultsAfterMs: 100, orderMessageType: 'ORM' },
      control: { port: 0 },
      retry: { attempts: 8, initialDelayMs: 100, maxDelayMs: 300 },
    });
    his = new MllpHisGateway({ mllp: { host: HOST, port: sim.port, timeoutMs: 2_000 }, hospital: { facility: FACILITY } });
  });

  afterAll(async () => {
    await his.close();
    await sim.stop();
    await causeway.stop();
    await inbound.idle();
    await db.destroy();
  });

  it('delivers the call-in, priced orders and automatic results as typed events', async () => {
    const b = await arrived();
    const called = await sim.callNext('D1');
    expect(called).toMatchObject({ bookingRef: b.bookingRef, sent: { outcome: 'AA', type: 'ADT^A08' } });
    const callIn = await eventFor('patient-updated', b.bookingRef);
    expect(callIn).toMatchObject({ visitNumber: called?.visitNumber, department: { code: 'LAB', room: 'R1' }, doctor: { id: 'D1' } });
    expect(callIn.admittedAt).toBeDefined();

    const { order, sent } = await sim.placeOrders(b.bookingRef, {
      items: [
        { code: 'GLU', text: 'Glucose', priceMinor: 2500 },
        { code: 'HBA1C', text: 'HbA1c', priceMinor: 4000, quantity: 2 },
      ],
    });
    expect(sent).toMatchObject({ outcome: 'AA', type: 'ORM^O01', attempts: 1 });
    expect(order.totalMinor).toBe(10_500);
    const placed = await eventFor('orders-placed', b.bookingRef);
    expect(placed.header.messageType).toBe('ORM');
    expect(placed.patientId).toEqual({ id: b.patientRef, assigningAuthority: 'CAUSEWAY' });
    expect(placed.orders).toEqual([
      expect.objectContaining({
        orderControl: 'NW',
        placerOrderId: order.orderId,
        items: [{ service: { code: 'GLU', text: 'Glucose' } }, { service: { code: 'HBA1C', text: 'HbA1c' } }],
        charges: [
          expect.objectContaining({ type: 'CG', extendedAmount: { amountMinor: 2500, currency: 'CNY' }, fillerOrderId: order.orderId }),
          expect.objectContaining({
            quantity: 2,
            unitAmount: { amountMinor: 4000, currency: 'CNY' },
            extendedAmount: { amountMinor: 8000, currency: 'CNY' },
          }),
        ],
      }),
    ]);

    // Paying the order (DFT^P03 to the HIS) sets off the automatic results.
    await his.postPayment({
      bookingRef: b.bookingRef,
      patientRef: b.patientRef,
      orderId: order.orderId,
      amountMinor: 10_500,
      currency: 'CNY',
    });
    const results = await eventFor('results-reported', b.bookingRef);
    expect(results.reports).toEqual([
      expect.objectContaining({
        placerOrderId: order.orderId,
        resultStatus: 'F',
        observations: [
          expect.objectContaining({
            identifier: { code: 'GLU-R', text: 'Glucose' },
            value: { type: 'numeric', raw: '5.4', number: 5.4 },
            status: 'F',
          }),
          expect.objectContaining({ identifier: { code: 'HBA1C-R', text: 'HbA1c' }, referenceRange: '3.9-6.1' }),
        ],
      }),
    ]);
    const rows: Array<{ message_type: string; status: string }> = await db.query(
      "SELECT message_type, status FROM inbox_messages WHERE channel = 'hl7' AND correlation = $1 ORDER BY id",
      [b.bookingRef],
    );
    expect(rows).toEqual([
      { message_type: 'ADT^A08', status: 'applied' },
      { message_type: 'ORM^O01', status: 'applied' },
      { message_type: 'ORU^R01', status: 'applied' },
    ]);
  });

  it('sends OML orders and manual results after a delay, numbers kept as written', async () => {
    const b = await arrived();
    const { order } = await sim.placeOrders(b.bookingRef, {
      items: [{ code: 'CBC', priceMinor: 3000 }],
      messageType: 'OML',
      orderId: uid('ORD'),
    });
    expect((await eventFor('orders-placed', b.bookingRef)).header).toMatchObject({ messageType: 'OML', triggerEvent: 'O21' });
    const sending = sim.sendResults(
      b.bookingRef,
      order.orderId,
      [
        { code: 'WBC', value: '6.80', units: '10*9/L', abnormalFlag: 'N' },
        { code: 'COMMENT', value: 'no abnormality seen' },
      ],
      { delayMs: 200 },
    );
    await sleep(100);
    expect(events.some((e) => e.event.kind === 'results-reported' && e.event.bookingRef === b.bookingRef)).toBe(false);
    expect((await sending).outcome).toBe('AA');
    const results = await eventFor('results-reported', b.bookingRef);
    expect(results.reports[0]?.observations.map((o) => o.value)).toEqual([
      { type: 'numeric', raw: '6.80', number: 6.8 },
      { type: 'text', text: 'no abnormality seen' },
    ]);
    expect(results.reports[0]?.observations[0]?.abnormalFlags).toEqual(['N']);
  });

  it('resends while Causeway is down or slow; Causeway keeps one copy', async () => {
    const b = await arrived('D2');
    await causeway.stop();
    const placing = sim.placeOrders(b.bookingRef, { items: [{ code: 'XR', priceMinor: 12_000 }] });
    await sleep(300);
    causeway = causewayServer(causewayPort);
    await causeway.start();
    const { sent } = await placing;
    expect(sent.outcome).toBe('AA');
    expect(sent.attempts).toBeGreaterThan(1);

    // Slow: the first copy is stored but its ACK comes after the simulator gave up; the resend is a duplicate.
    slowNext = 600;
    const called = await sim.callNext('D2');
    expect(called?.sent).toMatchObject({ outcome: 'AA' });
    expect(called?.sent.attempts).toBeGreaterThan(1);
    await inbound.idle();
    const mine = events.filter((e) => e.event.bookingRef === b.bookingRef);
    expect(mine.map((e) => e.event.kind)).toEqual(['orders-placed', 'patient-updated']);
  });

  it('refuses to order for a patient who has not arrived', async () => {
    const b = booking();
    await his.requestHold(b);
    await expect(sim.placeOrders(b.bookingRef, { items: [{ code: 'X', priceMinor: 1 }] })).rejects.toMatchObject({
      code: ErrorCode.InvalidState,
    });
    await expect(sim.placeOrders('nope', { items: [{ code: 'X', priceMinor: 1 }] })).rejects.toMatchObject({ code: ErrorCode.NotFound });
    await expect(sim.placeOrders(b.bookingRef, { items: [] })).rejects.toMatchObject({ code: ErrorCode.ValidationFailed });
    expect(await sim.callNext('D9')).toBeUndefined();
  });

  it('can be driven over its HTTP control API', async () => {
    const url = sim.controlUrl ?? '';
    const json = { 'content-type': 'application/json' };
    const state = await (await fetch(`${url}/sim/state`)).json();
    expect(state).toMatchObject({ doctors: [{ id: 'D1' }, { id: 'D2' }, { id: 'D9' }], behaviour: { orderMessageType: 'ORM' } });
    expect(JSON.stringify(state)).not.toContain('"patient"');

    expect((await fetch(`${url}/sim/doctors/D9/call-next`, { method: 'POST' })).status).toBe(204);
    const unknown = await fetch(`${url}/sim/bookings/NOPE/orders`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ items: [{ code: 'X', priceMinor: 1 }] }),
    });
    expect(unknown.status).toBe(404);
    const invalid = await fetch(`${url}/sim/bookings/NOPE/orders`, { method: 'POST', headers: json, body: JSON.stringify({ items: 'x' }) });
    expect(invalid.status).toBe(400);

    const b = await arrived();
    const placed = await fetch(`${url}/sim/bookings/${b.bookingRef}/orders`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ items: [{ code: 'UA', text: 'Urinalysis', priceMinor: 1800 }], messageType: 'OML' }),
    });
    expect(placed.status).toBe(201);
    const { order } = z.object({ order: z.object({ orderId: z.string() }) }).parse(await placed.json());
    const results = await fetch(`${url}/sim/bookings/${b.bookingRef}/orders/${order.orderId}/results`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ observations: [{ code: 'PH', value: 6.5 }] }),
    });
    expect(results.status).toBe(200);
    expect(await results.json()).toMatchObject({ outcome: 'AA', type: 'ORU^R01' });
    expect((await eventFor('results-reported', b.bookingRef)).reports[0]?.observations[0]?.value).toEqual({
      type: 'numeric',
      raw: '6.5',
      number: 6.5,
    });

    const behaviour = await fetch(`${url}/sim/behaviour`, { method: 'PUT', headers: json, body: JSON.stringify({ rejectAll: 'AR' }) });
    expect(await behaviour.json()).toMatchObject({ rejectAll: 'AR' });
    await expect(his.requestHold(booking())).rejects.toMatchObject({ code: ErrorCode.SlotRejectedByHis });
    await fetch(`${url}/sim/behaviour`, { method: 'PUT', headers: json, body: JSON.stringify({ rejectAll: null }) });
    expect((await fetch(`${url}/sim/outage`, { method: 'POST', headers: json, body: JSON.stringify({ mode: 'refuse' }) })).status).toBe(
      204,
    );
    await expect(his.requestHold(booking())).rejects.toMatchObject({ code: ErrorCode.CounterpartUnavailable });
    expect((await fetch(`${url}/sim/outage`, { method: 'DELETE' })).status).toBe(204);
    await expect(his.requestHold(booking())).resolves.toBeDefined();
  });
});
