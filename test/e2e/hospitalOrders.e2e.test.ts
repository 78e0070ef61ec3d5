import { buildOrderMessage, buildOru, parseAck, type Order } from '../../integrations/hospital/hl7';
import { MllpClient } from '../../integrations/hospital/mllp';
import { ordersPlacedSignal } from '../../workflows/hospital/visit/definitions';
import { recordHistory } from '../helpers/histories';
import { startHospitalDriver, type HospitalDriver } from '../helpers/hospitalDriver';
import { until } from '../helpers/poll';

/**
 * Orders as a hospital really sends them, over MLLP to the platform's listener: results before
 * their order, ORC-1 cancels and changes, unit-priced charges, long and punctuation-only-different
 * order ids, and what the inbox must refuse with AE. Booking and the HIS side run on the simulator.
 */
let d: HospitalDriver;
let user: string;
let mllp: MllpClient;
let seq = 0;

beforeAll(async () => {
  d = await startHospitalDriver({
    policy: {
      holdMinutes: 1,
      fullRefundCutoffMinutes: 60,
      noShowGraceMinutes: 0,
      reminderLeadMinutes: 4 * 24 * 60,
      visitQuietCloseSeconds: 2,
    },
  });
  user = await d.verifiedUser();
  mllp = new MllpClient({ host: '127.0.0.1', port: d.p.api.mllpPort ?? 0, timeoutMs: 5_000 });
});
afterAll(async () => {
  await mllp?.close();
  await d?.stop();
});

async function bookAndPay(slotIndex: number): Promise<string> {
  const res = await d.api<{ bookingRef: string }>('POST', '/v1/visits', user, { institutionId: d.hospital, slotId: d.slotIds[slotIndex] });
  expect(res.status).toBe(201);
  const ref = res.body.bookingRef;
  await d.payOpen(ref, user, 'registration');
  await d.waitStage(ref, user, 'booked');
  return ref;
}

const charge = (code: string, amount: string, opts: { quantity?: number; unitOnly?: boolean; currency?: string } = {}) => {
  const money = { amountMinor: Math.round(Number(amount) * 100), currency: opts.currency ?? 'CNY' };
  return {
    type: 'CG',
    code: { code, text: code },
    quantity: opts.quantity ?? 1,
    ...(opts.unitOnly ? {} : { extendedAmount: money }),
    unitAmount: opts.unitOnly ? money : undefined,
  };
};

function order(control: string, id: string, charges: Array<ReturnType<typeof charge>>): Order {
  return { orderControl: control, placerOrderId: id, items: [{ service: { code: 'LAB', text: 'Lab' } }], charges };
}

async function sendOrders(ref: string, orders: Order[]): Promise<{ ack: ReturnType<typeof parseAck>; controlId: string }> {
  const controlId = `ORM${++seq}-${ref}`.slice(0, 20);
  const raw = buildOrderMessage('ORM', {
    sendingApplication: 'HIS',
    sendingFacility: d.hospital,
    controlId,
    bookingRef: ref,
    patientClass: 'O',
    patient: { id: 'P-1' },
    orders,
  });
  return { ack: parseAck(await mllp.send(raw)), controlId };
}

async function sendResults(ref: string, orderId: string): Promise<void> {
  const raw = buildOru({
    sendingApplication: 'LIS',
    sendingFacility: d.hospital,
    controlId: `ORU${++seq}-${ref}`.slice(0, 20),
    bookingRef: ref,
    patientClass: 'O',
    patient: { id: 'P-1' },
    reports: [{ placerOrderId: orderId, service: { code: 'GLU', text: 'Glucose' }, resultStatus: 'F', notes: [], observations: [] }],
  });
  expect(parseAck(await mllp.send(raw)).ackCode).toBe('AA');
}

type Row = { out_trade_no: string; step: string; status: string; amount_minor: string; refunded_minor: string };
const paymentsOf = async (ref: string): Promise<Row[]> =>
  d.p.services.db.query(
    'SELECT out_trade_no, step, status, amount_minor, refunded_minor FROM payments WHERE journey_id = $1 ORDER BY created_at',
    [`hospital-visit/${d.hospital}/${ref}`],
  );
const orderOf = async (ref: string, id: string) => (await d.stage(ref, user)).orders.find((o) => o.orderId === id);
const waitOrder = (ref: string, id: string, status: string) =>
  until(`order ${id.slice(0, 20)} ${status}`, async () => (await orderOf(ref, id))?.status === status, { timeoutMs: 30_000 });

describe('hospital orders over MLLP', () => {
  it('closes the visit after the quiet period when the results arrived before their order (ORU before ORM)', async () => {
    const ref = await bookAndPay(0);
    expect((await d.api('POST', `/v1/visits/${ref}/check-in`, user, {})).status).toBe(200);
    await until('HIS call', async () => d.his.callNext(d.doctor), { timeoutMs: 30_000 });
    await d.waitStage(ref, user, 'called');
    await sendResults(ref, 'LAB-FIRST');
    await until('early results delivered', async () => (await d.stage(ref, user)).resultOrderIds.includes('LAB-FIRST'), {
      timeoutMs: 30_000,
    });
    expect((await sendOrders(ref, [order('NW', 'LAB-FIRST', [charge('GLU', '45.00')])])).ack.ackCode).toBe('AA');
    await d.payOpen(ref, user, 'order-LAB-FIRST');
    await waitOrder(ref, 'LAB-FIRST', 'paid');
    await d.waitStage(ref, user, 'closed'); // before the fix it stayed `called` until 12 h after the slot
    await recordHistory(d.p.services.temporal.workflow.getHandle(`hospital-visit/${d.hospital}/${ref}`), 'closed-results-before-orders');
  }, 90_000);

  it('applies ORC-1: CA cancels an unpaid order and refunds a paid one, XO rebills the changed order', async () => {
    const ref = await bookAndPay(1);
    const placed = await sendOrders(ref, [
      order('NW', 'ORD-UNPAID', [charge('A', '10.00')]),
      order('NW', 'ORD-PAID', [charge('B', '20.00')]),
      order('NW', 'ORD-CHANGE', [charge('C', '30.00')]),
    ]);
    expect(placed.ack.ackCode).toBe('AA');
    await d.payOpen(ref, user, 'order-ORD-PAID');
    await waitOrder(ref, 'ORD-PAID', 'paid');
    await until('order payments open', async () => (await paymentsOf(ref)).filter((p) => p.step.startsWith('order-')).length === 3, {
      timeoutMs: 30_000,
    });

    const changed = await sendOrders(ref, [
      order('CA', 'ORD-UNPAID', []),
      order('DC', 'ORD-PAID', []),
      order('XO', 'ORD-CHANGE', [charge('C', '35.00')]),
    ]);
    expect(changed.ack.ackCode).toBe('AA');
    await waitOrder(ref, 'ORD-UNPAID', 'cancelled');
    await waitOrder(ref, 'ORD-PAID', 'refunded');
    await until('changed order rebilled', async () => (await orderOf(ref, 'ORD-CHANGE'))?.amountMinor === 3500, { timeoutMs: 30_000 });

    const rows = await paymentsOf(ref);
    const byStep = (step: string) => rows.filter((r) => r.step === step);
    expect(byStep('order-ORD-UNPAID').map((r) => r.status)).toEqual(['closed']);
    expect(byStep('order-ORD-PAID').map((r) => [r.status, Number(r.refunded_minor)])).toEqual([['refunded', 2000]]);
    await until(
      'old revision closed, new one open',
      async () => {
        const change = (await paymentsOf(ref)).filter((r) => r.step === 'order-ORD-CHANGE');
        return (
          change.length === 2 &&
          change[0]?.status === 'closed' &&
          change[1]?.status === 'created' &&
          Number(change[1].amount_minor) === 3500
        );
      },
      { timeoutMs: 30_000 },
    );
    const view = await orderOf(ref, 'ORD-CHANGE');
    expect(view?.status).toBe('awaiting_payment');
    await recordHistory(d.p.services.temporal.workflow.getHandle(`hospital-visit/${d.hospital}/${ref}`), 'order-control-running');
  }, 90_000);

  it('applies a redelivered order message (same inbox id) once, and a new message with the same content again', async () => {
    const ref = await bookAndPay(4);
    expect((await sendOrders(ref, [order('NW', 'ORD-REDO', [charge('R', '12.00')])])).ack.ackCode).toBe('AA');
    await waitOrder(ref, 'ORD-REDO', 'awaiting_payment');
    // What a crash between dispatch and marking the row applied, or two processes, would deliver twice.
    const visit = d.p.services.temporal.workflow.getHandle(`hospital-visit/${d.hospital}/${ref}`);
    const change = (inboxId: string, amountMinor: number) =>
      visit.signal(ordersPlacedSignal, {
        version: 1,
        inboxId,
        orderId: 'ORD-REDO',
        action: 'change',
        currency: 'CNY',
        items: [{ code: 'R', text: 'R', amountMinor }],
      });
    await change('900000001', 1300);
    await change('900000001', 1300);
    await until('changed order rebilled', async () => (await orderOf(ref, 'ORD-REDO'))?.amountMinor === 1300, { timeoutMs: 30_000 });
    // A change under another inbox id is a new message: it is applied.
    await change('900000002', 1400);
    await until('changed again', async () => (await orderOf(ref, 'ORD-REDO'))?.amountMinor === 1400, { timeoutMs: 30_000 });
    const settled = async () => {
      const rows = (await paymentsOf(ref)).filter((r) => r.step === 'order-ORD-REDO');
      return (
        rows.some((r) => Number(r.amount_minor) === 1400) &&
        rows.every((r) => r.status === (Number(r.amount_minor) === 1400 ? 'created' : 'closed'))
      );
    };
    await until('earlier revisions closed, the last one open', settled, { timeoutMs: 30_000 });
    // The redelivery started no revision of its own: the NW, the first change and the second change.
    const revisions = (await paymentsOf(ref)).filter((r) => r.step === 'order-ORD-REDO');
    expect(revisions.map((r) => Number(r.amount_minor))).toEqual([1200, 1300, 1400]);
    expect(revisions.map((r) => r.status)).toEqual(['closed', 'closed', 'created']);
  }, 90_000);

  it('bills unit-priced charges as quantity × unit price, keeps punctuation-different ids apart and bounds long ids', async () => {
    const ref = await bookAndPay(2);
    const longId = `L${'9'.repeat(149)}`; // within HL7's limit, beyond the 64 characters a merchant order number may have
    const { ack } = await sendOrders(ref, [
      order('NW', 'ORD-UNIT', [charge('U', '8.80', { quantity: 3, unitOnly: true })]),
      order('NW', 'ORD-1', [charge('P', '1.00')]),
      order('NW', 'ORD_1', [charge('P', '2.00')]),
      order('NW', longId, [charge('P', '3.00', { currency: 'CNY' })]),
    ]);
    expect(ack.ackCode).toBe('AA');
    await until('four order payments', async () => (await paymentsOf(ref)).filter((r) => r.step.startsWith('order-')).length === 4, {
      timeoutMs: 30_000,
    });
    const rows = await paymentsOf(ref);
    const amountOf = (step: string) => Number(rows.find((r) => r.step === step)?.amount_minor);
    expect(amountOf('order-ORD-UNIT')).toBe(2640); // billed 0 before the fix
    expect(amountOf('order-ORD-1')).toBe(100);
    expect(amountOf('order-ORD_1')).toBe(200); // collided with ORD-1 before the fix
    expect(amountOf(`order-${longId}`)).toBe(300); // wedged the visit before the fix
    for (const r of rows) expect(r.out_trade_no).toMatch(/^[A-Za-z0-9_]{1,64}$/);
    expect(new Set(rows.map((r) => r.out_trade_no)).size).toBe(rows.length);
  }, 90_000);

  it('refuses with AE, and stores as failed, an order id beyond the HL7 limit and an order in two currencies', async () => {
    const ref = await bookAndPay(3);
    const cases = [
      { orders: [order('NW', 'X'.repeat(200), [charge('P', '1.00')])], field: 'ORC', fieldNo: 2 },
      { orders: [order('NW', 'ORD-MIXED', [charge('P', '1.00'), charge('Q', '1.00', { currency: 'USD' })])], field: 'FT1', fieldNo: 11 },
    ];
    for (const c of cases) {
      const { ack, controlId } = await sendOrders(ref, c.orders);
      expect(ack.ackCode).toBe('AE');
      expect(ack.errors[0]?.location).toMatchObject({ segment: c.field, field: c.fieldNo });
      const stored: Array<{ status: string }> = await d.p.services.db.query('SELECT status FROM inbox_messages WHERE message_id = $1', [
        controlId,
      ]);
      expect(stored.map((s) => s.status)).toEqual(['failed']);
    }
    expect((await d.stage(ref, user)).orders).toEqual([]);
  }, 60_000);
});
