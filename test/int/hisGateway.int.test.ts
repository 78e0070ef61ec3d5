import { DomainError, ErrorCode } from '../../domain/errors';
import { HisStep, MllpHisGateway, hisControlId, type HisBooking } from '../../integrations/hospital/gateway';
import { startHisSimulator, type HisSimulator } from '../../integrations/hospital/simulator';

const HOST = '127.0.0.1';
const FACILITY = 'GW-HOSP';
let seq = 0;
const uid = (p: string) => `${p}${Date.now().toString(36).toUpperCase()}${++seq}`;

function booking(over: Partial<HisBooking> = {}): HisBooking {
  return {
    bookingRef: uid('BK'),
    slotId: uid('SLOT'),
    doctorId: 'D1',
    departmentId: 'CARD',
    slotStart: '2025-03-03T01:00:00.000Z',
    durationMinutes: 15,
    patientRef: uid('PR'),
    ...over,
  };
}

async function failure(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a DomainError');
}

describe('MllpHisGateway ↔ HIS simulator', () => {
  let sim: HisSimulator;
  let his: MllpHisGateway;

  beforeAll(async () => {
    sim = await startHisSimulator({
      host: HOST,
      port: 0,
      // Nothing is sent to Causeway in this file.
      causeway: { host: HOST, port: 9 },
      facility: FACILITY,
      departments: [{ id: 'CARD', name: 'Cardiology' }],
      doctors: [
        { id: 'D1', name: 'Dr Li', departmentId: 'CARD' },
        { id: 'D2', name: 'Dr Wang', departmentId: 'CARD' },
      ],
      slots: [{ id: 'SLOT-D2-0900', doctorId: 'D2', start: '2025-03-03T01:00:00.000Z', durationMinutes: 15 }],
    });
    his = new MllpHisGateway({
      mllp: { host: HOST, port: sim.port, timeoutMs: 400 },
      hospital: { application: 'HIS', facility: FACILITY },
      connections: 2,
    });
  });

  afterAll(async () => {
    await his.close();
    await sim.stop();
  });

  afterEach(async () => {
    await sim.restore();
    sim.setBehaviour({ ackDelayMs: 0, rejectAll: null, rejectHoldsForSlots: [], rejectMessageTypes: [] });
  });

  it('holds a slot; the control id is derived from booking ref and step', async () => {
    const b = booking();
    const receipt = await his.requestHold(b);
    expect(receipt.controlId).toBe(hisControlId(b.bookingRef, HisStep.hold(b.slotId)));
    expect(receipt.controlId).toMatch(/^CD[0-9A-F]{18}$/);
    expect(sim.state.slotHolder(b.slotId)).toBe(b.bookingRef);
    expect(sim.state.booking(b.bookingRef)).toMatchObject({
      status: 'held',
      doctorId: 'D1',
      patient: { id: b.patientRef, assigningAuthority: 'CAUSEWAY' },
    });
    expect(sim.received.at(-1)).toMatchObject({ controlId: receipt.controlId, type: 'SIU^S12', kind: 'appointment-booked', ackCode: 'AA' });
  });

  it('refuses a hold on a slot the HIS considers taken with SlotRejectedByHis (not retryable)', async () => {
    const first = booking();
    await his.requestHold(first);
    const err = await failure(his.requestHold(booking({ slotId: first.slotId })));
    expect(err.code).toBe(ErrorCode.SlotRejectedByHis);
    expect(err.retryable).toBe(false);
    expect(err.details).toMatchObject({ ackCode: 'AE' });
    expect(err.message).toMatch(/slot is taken/);
    expect(sim.state.slotHolder(first.slotId)).toBe(first.bookingRef);
  });

  it('refuses holds by rule, and holds for another doctor’s scheduled slot', async () => {
    const b = booking();
    sim.setBehaviour({ rejectHoldsForSlots: [b.slotId] });
    expect((await failure(his.requestHold(b))).code).toBe(ErrorCode.SlotRejectedByHis);
    expect((await failure(his.requestHold(booking({ slotId: 'SLOT-D2-0900', doctorId: 'D1' })))).code).toBe(ErrorCode.SlotRejectedByHis);
    // A second hold on another slot is a new message (another control id), not a resend of the refused one.
    sim.setBehaviour({ rejectHoldsForSlots: [] });
    await expect(his.requestHold({ ...b, slotId: uid('SLOT') })).resolves.toBeDefined();
  });

  it('runs a booking through confirm, arrival and payment', async () => {
    const b = booking();
    await his.requestHold(b);
    await his.confirmBooking(b);
    await his.registerArrival({ bookingRef: b.bookingRef, patientRef: b.patientRef, doctorId: b.doctorId, departmentId: b.departmentId });
    await his.postPayment({
      bookingRef: b.bookingRef,
      patientRef: b.patientRef,
      orderId: 'REG',
      amountMinor: 1500,
      currency: 'CNY',
      paymentRef: 'T2025',
    });
    expect(sim.state.booking(b.bookingRef)).toMatchObject({ status: 'booked', paid: { REG: 1500 } });
    expect(sim.state.booking(b.bookingRef).visitNumber).toMatch(/^V\d+$/);
    expect(sim.state.queues.get('D1')).toContain(b.bookingRef);
    expect(sim.received.slice(-4).map((r) => r.type)).toEqual(['SIU^S12', 'SIU^S14', 'ADT^A04', 'DFT^P03']);
  });

  it('answers a resent control id with the same ACK and does not apply it twice', async () => {
    const b = booking();
    await his.requestHold(b);
    const first = await his.confirmBooking(b);
    const again = await his.confirmBooking(b);
    expect(again.controlId).toBe(first.controlId);
    const forId = sim.received.filter((r) => r.controlId === first.controlId);
    expect(forId.map((r) => r.duplicate)).toEqual([false, true]);
    // Cancelled later: the no-show resend below must not resurrect anything.
    await his.cancelBooking({ ...b, reasonCode: 'patient-request' });
    expect(sim.state.booking(b.bookingRef).status).toBe('cancelled');
    expect(sim.state.slotHolder(b.slotId)).toBeUndefined();
    await his.cancelBooking({ ...b, reasonCode: 'patient-request' });
    const cancelId = hisControlId(b.bookingRef, HisStep.cancel(b.slotId));
    expect(sim.received.filter((r) => r.controlId === cancelId).map((r) => r.duplicate)).toEqual([false, true]);
  });

  it('maps AE/AR on other calls to Hl7Rejected', async () => {
    // No hold. The refusal is final for that MSH-10: the HIS would answer a resend with the same AE.
    expect((await failure(his.confirmBooking(booking()))).code).toBe(ErrorCode.Hl7Rejected);
    const b = booking();
    await his.requestHold(b);
    await his.confirmBooking(b);
    sim.setBehaviour({ rejectMessageTypes: ['DFT^P03'] });
    const err = await failure(
      his.postPayment({ bookingRef: b.bookingRef, patientRef: b.patientRef, orderId: 'REG', amountMinor: 100, currency: 'CNY' }),
    );
    expect(err).toMatchObject({ code: ErrorCode.Hl7Rejected, details: { ackCode: 'AR' } });
    sim.setBehaviour({ rejectMessageTypes: [], rejectAll: 'AR' });
    expect((await failure(his.reportNoShow(b))).code).toBe(ErrorCode.Hl7Rejected);
    expect((await failure(his.requestHold(booking()))).code).toBe(ErrorCode.SlotRejectedByHis);
  });

  it('reports a refused connection as CounterpartUnavailable (retryable), and recovers', async () => {
    const b = booking();
    await sim.outage({ mode: 'refuse' });
    const err = await failure(his.requestHold(b));
    expect(err.code).toBe(ErrorCode.CounterpartUnavailable);
    expect(err.retryable).toBe(true);
    await sim.restore();
    await expect(his.requestHold(b)).resolves.toBeDefined();
  });

  it('times out on a hanging HIS; the retry carries the same control id and is deduped', async () => {
    const b = booking();
    await sim.outage({ mode: 'hang', forMs: 600 });
    expect((await failure(his.requestHold(b))).code).toBe(ErrorCode.CounterpartUnavailable);
    await new Promise((r) => setTimeout(r, 700));
    // The HIS processed the first copy when it woke up; the retry is answered from its ACK cache.
    const receipt = await his.requestHold(b);
    const forId = sim.received.filter((r) => r.controlId === receipt.controlId);
    expect(forId.map((r) => [r.ackCode, r.duplicate])).toEqual([
      ['AA', false],
      ['resent', true],
    ]);
    expect(sim.state.slotHolder(b.slotId)).toBe(b.bookingRef);
  });

  it('treats an ACK slower than the timeout as unavailable', async () => {
    sim.setBehaviour({ ackDelayMs: 600 });
    expect((await failure(his.requestHold(booking()))).code).toBe(ErrorCode.CounterpartUnavailable);
  });

  it('validates inputs before anything is sent', async () => {
    const err = await failure(his.requestHold(booking({ slotStart: 'tomorrow' })));
    expect(err.code).toBe(ErrorCode.ValidationFailed);
    expect(err.details.fields).toEqual([expect.objectContaining({ field: 'slotStart' })]);
    const pay = await failure(his.postPayment({ bookingRef: 'B', patientRef: 'P', orderId: 'O', amountMinor: 12.5, currency: 'CNY' }));
    expect(pay.code).toBe(ErrorCode.ValidationFailed);
  });
});
