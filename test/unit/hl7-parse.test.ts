import { parseHl7, type Hl7Event as Event } from '../../integrations/hospital/hl7';
import { fixture, withField, withoutSegment } from '../fixtures/hl7';

function isKind<K extends Event['kind']>(event: Event, kind: K): event is Extract<Event, { kind: K }> {
  return event.kind === kind;
}

/** Narrows a parsed event to one kind, failing the test otherwise. */
function as<K extends Event['kind']>(event: Event, kind: K): Extract<Event, { kind: K }> {
  expect(event.kind).toBe(kind);
  if (!isKind(event, kind)) throw new Error(`expected ${kind}`);
  return event;
}

const HOSPITAL_PATIENT = { id: 'P000123', assigningAuthority: 'BJPUMC', typeCode: 'MR' };

describe('header', () => {
  it('reads MSH into a typed header, converting MSH-7 to UTC with its offset', () => {
    const { header } = parseHl7(fixture('siu_s12_v251.hl7'));
    expect(header).toEqual({
      messageType: 'SIU',
      triggerEvent: 'S12',
      messageStructure: 'SIU_S12',
      controlId: 'HIS0000124',
      sendingApplication: 'HIS',
      sendingFacility: 'BJPUMC',
      receivingApplication: 'CAUSEWAY',
      receivingFacility: 'CAUSEWAY',
      sentAt: '2024-05-01T00:30:00.000Z',
      version: '2.5.1',
      processingId: 'P',
    });
  });

  it('accepts \\r, \\n and \\r\\n segment endings alike', () => {
    const byCr = parseHl7(fixture('oru_r01_v231.hl7', '\r'));
    expect(parseHl7(fixture('oru_r01_v231.hl7', '\n'))).toEqual(byCr);
    expect(parseHl7(fixture('oru_r01_v231.hl7', '\r\n'))).toEqual(byCr);
  });

  it('reads local timestamps in the configured hospital offset', () => {
    const utc = as(parseHl7(fixture('siu_s12_v231.hl7'), { localOffsetMinutes: 0 }), 'appointment-booked');
    expect(utc.slotStart).toBe('2024-05-03T09:00:00.000Z');
    const china = as(parseHl7(fixture('siu_s12_v231.hl7')), 'appointment-booked');
    expect(china.slotStart).toBe('2024-05-03T01:00:00.000Z');
  });
});

describe('SIU', () => {
  it('S12 v2.3.1: slot from SCH-11.4, duration from SCH-9/10, doctor from AIP, department from AIL', () => {
    const e = as(parseHl7(fixture('siu_s12_v231.hl7')), 'appointment-booked');
    expect(e).toMatchObject({
      bookingRef: 'BK-7F3A2C',
      fillerAppointmentId: 'APT-889912',
      slotStart: '2024-05-03T01:00:00.000Z',
      durationMinutes: 15,
      doctor: { id: 'D1024', name: '李医生' },
      department: { code: 'CARD', room: '305', facility: 'BJPUMC' },
      patientId: HOSPITAL_PATIENT,
      appointmentReason: { code: 'FOLLOWUP', text: 'Follow-up visit', system: 'HIS' },
      eventReason: { code: 'NEW', text: 'New booking', system: 'HL70276' },
      fillerStatus: 'Booked',
    });
  });

  it('S12 v2.5.1: slot and duration from TQ1 (hours converted), escapes decoded in the reason', () => {
    const e = as(parseHl7(fixture('siu_s12_v251.hl7')), 'appointment-booked');
    expect(e.slotStart).toBe('2024-05-03T06:30:00.000Z');
    expect(e.durationMinutes).toBe(30);
    expect(e.doctor).toEqual({ id: 'D2048', name: '王 芳' });
    expect(e.department?.description).toBe('Cardiology clinic');
    expect(e.appointmentReason).toEqual({ text: '胸闷&心悸' });
  });

  it('prefers the field each version defines when SCH-11 and TQ1 disagree', () => {
    const raw = (version: string) =>
      withField(withField(fixture('siu_s12_v251.hl7'), 'MSH', 12, version), 'SCH', 11, '^^^20240601090000+0800');
    expect(as(parseHl7(raw('2.5.1')), 'appointment-booked').slotStart).toBe('2024-05-03T06:30:00.000Z');
    expect(as(parseHl7(raw('2.5')), 'appointment-booked').slotStart).toBe('2024-05-03T06:30:00.000Z');
    expect(as(parseHl7(raw('2.4')), 'appointment-booked').slotStart).toBe('2024-06-01T01:00:00.000Z');
    expect(as(parseHl7(raw('2.3.1')), 'appointment-booked').slotStart).toBe('2024-06-01T01:00:00.000Z');
  });

  it('falls back to the resource segments (AIS-4, AIL-6, AIP-6) for the slot time', () => {
    const v231 = withoutSegment(withField(fixture('siu_s12_v231.hl7'), 'SCH', 11, ''), 'AIL');
    const fromAis = as(parseHl7(v231), 'appointment-booked');
    expect(fromAis.slotStart).toBe('2024-05-03T01:00:00.000Z');
    const fromAip = as(parseHl7(withoutSegment(withoutSegment(fixture('siu_s12_v251.hl7'), 'TQ1'), 'AIL')), 'appointment-booked');
    expect(fromAip).toMatchObject({ slotStart: '2024-05-03T06:30:00.000Z', durationMinutes: 30 });
  });

  it('S15 cancellation carries the reason in SCH-6 and needs no slot time', () => {
    const e = as(parseHl7(fixture('siu_s15_v251.hl7')), 'appointment-cancelled');
    expect(e.bookingRef).toBe('BK-7F3A2C');
    expect(e.slotStart).toBeUndefined();
    expect(e.eventReason).toEqual({ code: 'DOCLEAVE', text: 'Doctor on leave', system: 'HIS' });
    expect(e.fillerStatus).toBe('Cancelled');
  });

  it('S26 no-show', () => {
    const e = as(parseHl7(fixture('siu_s26_v231.hl7')), 'appointment-no-show');
    expect(e).toMatchObject({ bookingRef: 'BK-7F3A2C', slotStart: '2024-05-03T01:00:00.000Z', fillerStatus: 'Noshow' });
  });

  it('reads a message with non-default encoding characters', () => {
    const e = as(parseHl7(fixture('siu_s12_custom_delims.hl7')), 'appointment-booked');
    expect(e.header.version).toBe('2.4');
    expect(e.bookingRef).toBe('BK-CUSTOM1');
    expect(e.slotStart).toBe('2024-05-03T01:00:00.000Z');
    expect(e.patientId).toEqual({ id: 'P000777', assigningAuthority: 'BJPUMC', typeCode: 'MR' });
    expect(e.doctor).toEqual({ id: 'D7', name: 'Dr. Ng' });
    expect(e.appointmentReason?.text).toBe('Pain # swelling!left | right ^ knee\nA');
  });
});

describe('ADT', () => {
  it('A04 v2.3.1: visit number from PV1-19, booking ref from PV1-50', () => {
    const e = as(parseHl7(fixture('adt_a04_v231.hl7')), 'patient-registered');
    expect(e).toMatchObject({
      bookingRef: 'BK-7F3A2C',
      visitNumber: 'V20240503-0042',
      patientId: HOSPITAL_PATIENT,
      patientClass: 'O',
      department: { code: 'CARD', room: '305' },
      hospitalService: 'CAR',
      doctor: { id: 'D1024', name: '李医生' },
      admittedAt: '2024-05-03T00:55:00.000Z',
    });
  });

  it('A01 (admit) on HL7 2.3 is read as the patient’s arrival, like A04', () => {
    const a01 = withField(withField(withField(fixture('adt_a04_v231.hl7'), 'MSH', 9, 'ADT^A01'), 'MSH', 12, '2.3'), 'EVN', 1, 'A01');
    const e = as(parseHl7(a01), 'patient-registered');
    expect(e.header).toMatchObject({ messageType: 'ADT', triggerEvent: 'A01', version: '2.3' });
    expect(e).toMatchObject({ bookingRef: 'BK-7F3A2C', visitNumber: 'V20240503-0042', admittedAt: '2024-05-03T00:55:00.000Z' });
  });

  it('A08 v2.5.1 picks the CAUSEWAY repetition of PV1-50 over the hospital’s own', () => {
    const e = as(parseHl7(fixture('adt_a08_v251.hl7')), 'patient-updated');
    expect(e.bookingRef).toBe('BK-7F3A2C');
    expect(e.visitNumber).toBe('V20240503-0042');
  });

  it('honours a configured booking-ref authority', () => {
    const e = as(parseHl7(fixture('adt_a08_v251.hl7'), { bookingRefAuthority: 'BJPUMC' }), 'patient-updated');
    expect(e.bookingRef).toBe('HISALT-1');
  });
});

describe('orders', () => {
  it('ORM^O01 v2.3.1: orders grouped by ORC with OBR items and FT1 prices in fen', () => {
    const e = as(parseHl7(fixture('orm_o01_v231.hl7')), 'orders-placed');
    expect(e.bookingRef).toBe('BK-7F3A2C');
    expect(e.orders).toHaveLength(2);
    const [first, second] = e.orders;
    expect(first).toMatchObject({ orderControl: 'NW', placerOrderId: 'ORD-1001', fillerOrderId: 'LAB-5001' });
    expect(first?.items.map((i) => i.service.code)).toEqual(['CBC', 'CRP']);
    expect(first?.charges.map((c) => c.extendedAmount)).toEqual([
      { amountMinor: 2500, currency: 'CNY' },
      { amountMinor: 4050, currency: 'CNY' },
    ]);
    expect(first?.charges[0]).toMatchObject({
      type: 'CG',
      code: { code: 'CBC', text: '血常规' },
      quantity: 1,
      transactionDate: '2024-05-03T01:30:00.000Z',
    });
    expect(second).toMatchObject({ placerOrderId: 'ORD-1002', fillerOrderId: undefined });
    expect(second?.charges[0]?.extendedAmount).toEqual({ amountMinor: 12000, currency: 'CNY' });
  });

  it('OML^O21 v2.5.1: CP with denomination, FT1-4 as a date range', () => {
    const e = as(parseHl7(fixture('oml_o21_v251.hl7')), 'orders-placed');
    const charge = e.orders[0]?.charges[0];
    expect(charge).toMatchObject({
      transactionId: 'TX-9',
      transactionDate: '2024-05-03T02:00:00.000Z',
      quantity: 2,
      extendedAmount: { amountMinor: 1760, currency: 'CNY' },
      unitAmount: { amountMinor: 880, currency: 'CNY' },
    });
    expect(e.orders[0]?.orderingProvider).toEqual({ id: 'D2048', name: '王 芳' });
  });
});

describe('ORU^R01', () => {
  it('v2.3.1: numbers keep their exact text, coded and formatted values decode', () => {
    const e = as(parseHl7(fixture('oru_r01_v231.hl7')), 'results-reported');
    const [report] = e.reports;
    expect(report).toMatchObject({ placerOrderId: 'ORD-1001', fillerOrderId: 'LAB-5001', resultStatus: 'F', service: { code: 'CBC' } });
    const [wbc, hgb, abo, comment] = report?.observations ?? [];
    expect(wbc).toMatchObject({
      valueType: 'NM',
      value: { type: 'numeric', raw: '7.20', number: 7.2 },
      units: { code: '10*9/L', system: 'UCUM' },
      referenceRange: '3.5-9.5',
      abnormalFlags: ['N'],
      status: 'F',
      observedAt: '2024-05-03T02:05:00.000Z',
    });
    expect(hgb?.value).toEqual({ type: 'numeric', raw: '+098', number: 98 });
    expect(hgb?.abnormalFlags).toEqual(['L']);
    expect(abo?.value).toEqual({ type: 'coded', codes: [{ code: 'A', text: 'A型', system: 'HIS' }] });
    expect(abo?.notes).toEqual(['复核无误']);
    expect(comment?.value).toEqual({ type: 'text', text: '血红蛋白偏低\n建议复查 & 随访A' });
  });

  it('v2.5.1: SN, repeated CWE, TX lines, an empty value with status X and its note', () => {
    const e = as(parseHl7(fixture('oru_r01_v251.hl7')), 'results-reported');
    const obs = e.reports[0]?.observations ?? [];
    expect(obs.map((o) => o.valueType)).toEqual(['NM', 'SN', 'CWE', 'TX', 'NM']);
    expect(obs[1]?.value).toEqual({ type: 'structured-numeric', comparator: '<', value: { raw: '4.0', number: 4 } });
    expect(obs[1]?.abnormalFlags).toEqual(['N', 'A']);
    expect(obs[2]?.value).toEqual({
      type: 'coded',
      codes: [
        { code: 'NEG', text: '阴性', system: 'HIS' },
        { code: 'TRACE', text: '微量', system: 'HIS' },
      ],
    });
    expect(obs[3]?.value).toEqual({ type: 'text', text: '第一行\n第二行 a^b' });
    expect(obs[4]).toMatchObject({ status: 'X', value: undefined, notes: ['样本溶血，无法测定'] });
    expect(e.reports[0]?.resultStatus).toBe('P');
  });
});

describe('DFT^P03', () => {
  it('v2.5.1: a payment posted as a negative amount', () => {
    const e = as(parseHl7(fixture('dft_p03_v251.hl7')), 'payments-posted');
    expect(e.bookingRef).toBe('BK-7F3A2C');
    expect(e.transactions).toEqual([
      expect.objectContaining({
        type: 'PY',
        transactionId: 'PAY-88001',
        extendedAmount: { amountMinor: -6550, currency: 'CNY' },
        fillerOrderId: 'ORD-1001',
      }),
    ]);
  });

  it('v2.3.1: integer and leading-dot amounts, default currency configurable', () => {
    const e = as(parseHl7(fixture('dft_p03_v231.hl7')), 'payments-posted');
    expect(e.transactions.map((t) => t.extendedAmount?.amountMinor)).toEqual([5000, 50]);
    const hkd = as(parseHl7(fixture('dft_p03_v231.hl7'), { defaultCurrency: 'HKD' }), 'payments-posted');
    expect(hkd.transactions[0]?.extendedAmount?.currency).toBe('HKD');
  });
});

describe('ACK', () => {
  it('AA v2.3.1', () => {
    const e = as(parseHl7(fixture('ack_aa_v231.hl7')), 'ack');
    expect(e).toMatchObject({ ackCode: 'AA', ackedControlId: 'CW00000001', errors: [] });
  });

  it('AE v2.3.1 reads every ERR-1 repetition (ELD layout)', () => {
    const e = as(parseHl7(fixture('ack_ae_v231.hl7')), 'ack');
    expect(e.text).toBe('Slot already taken');
    expect(e.errors).toEqual([
      { code: '205', text: 'Duplicate key identifier', location: { segment: 'SCH', sequence: 1, field: 11 } },
      { code: '101', text: 'Required field missing', location: { segment: 'PID', sequence: 1, field: 3 } },
    ]);
  });

  it('AR v2.5.1 reads ERR-2 location, ERR-3 code, ERR-4 severity, ERR-7/8 texts', () => {
    const e = as(parseHl7(fixture('ack_ar_v251.hl7')), 'ack');
    expect(e.ackCode).toBe('AR');
    expect(e.errors).toEqual([
      {
        code: '204',
        text: 'Unknown key identifier',
        severity: 'E',
        location: { segment: 'PV1', sequence: 1, field: 50, fieldRepetition: 1, component: 1 },
        diagnostic: 'no booking BK-404',
        userMessage: 'Booking not found',
      },
    ]);
  });
});
