import fc from 'fast-check';
import {
  buildAdt,
  buildDft,
  buildOrderMessage,
  buildOru,
  buildSiu,
  parseHl7,
  type Hl7Event,
  type Hl7Version,
  type Order,
  type PatientInput,
  type ResultReport,
  type FinancialTransaction,
} from '../../integrations/hospital/hl7';

const VERSIONS: Hl7Version[] = ['2.3.1', '2.4', '2.5', '2.5.1'];

const envelope = {
  sendingApplication: 'CAUSEWAY',
  sendingFacility: 'CAUSEWAY',
  receivingApplication: 'HIS',
  receivingFacility: 'BJPUMC',
  controlId: 'CW0000000001',
  sentAt: '2024-05-01T00:30:00.000Z',
};

const patient: PatientInput = {
  id: 'P000123',
  assigningAuthority: 'BJPUMC',
  typeCode: 'MR',
  familyName: '张',
  givenName: '三',
  birthDate: '1980-01-01',
  sex: 'M',
  phone: '13800000000',
};
const patientId = { id: 'P000123', assigningAuthority: 'BJPUMC', typeCode: 'MR' };

function expectedHeader(type: string, trigger: string, structure: string, version: Hl7Version) {
  return { ...envelope, messageType: type, triggerEvent: trigger, messageStructure: structure, version, processingId: 'P' };
}

function segmentsOf(raw: string): string[] {
  expect(raw.endsWith('\r')).toBe(true);
  return raw.split('\r').filter((s) => s !== '');
}

const doctor = { id: 'D1024', name: 'Li|Wei^Jr & co~\\' };
const department = { code: 'CARD', room: '305', facility: 'BJPUMC', description: 'Cardiology clinic' };

describe('SIU builders round-trip', () => {
  const cases = VERSIONS.flatMap((v) =>
    (
      [
        ['S12', 'appointment-booked', 'Booked'],
        ['S14', 'appointment-modified', 'Booked'],
        ['S15', 'appointment-cancelled', 'Cancelled'],
        ['S26', 'appointment-no-show', 'Noshow'],
      ] as const
    ).map(([trigger, kind, status]) => [v, trigger, kind, status] as const),
  );

  it.each(cases)('%s %s', (version, trigger, kind, status) => {
    const raw = buildSiu(trigger, {
      ...envelope,
      version,
      bookingRef: 'BK-7F3A2C',
      fillerAppointmentId: 'APT-1',
      slotStart: '2024-05-03T01:00:00.000Z',
      durationMinutes: 15,
      doctor,
      department,
      patient,
      appointmentReason: { code: 'FU', text: 'Follow-up: chest pain\nsince Monday', system: 'HIS' },
      eventReason: trigger === 'S15' ? { code: 'PATREQ', text: 'Patient request' } : undefined,
    });
    expect(parseHl7(raw)).toEqual({
      kind,
      header: expectedHeader('SIU', trigger, 'SIU_S12', version),
      bookingRef: 'BK-7F3A2C',
      fillerAppointmentId: 'APT-1',
      slotStart: '2024-05-03T01:00:00.000Z',
      durationMinutes: 15,
      doctor,
      department,
      patientId,
      appointmentReason: { code: 'FU', text: 'Follow-up: chest pain\nsince Monday', system: 'HIS' },
      eventReason: trigger === 'S15' ? { code: 'PATREQ', text: 'Patient request' } : undefined,
      fillerStatus: status,
    });
  });

  it('writes the slot where each version expects it (SCH-11 before v2.5, TQ1 from v2.5)', () => {
    const input = { ...envelope, bookingRef: 'BK-1', slotStart: '2024-05-03T01:00:00.000Z', durationMinutes: 20, patient };
    const old = segmentsOf(buildSiu('S12', { ...input, version: '2.3.1' }));
    expect(old.find((s) => s.startsWith('SCH|'))?.split('|')[11]).toBe('^^^20240503090000+0800');
    expect(old.some((s) => s.startsWith('TQ1|'))).toBe(false);
    const v25 = segmentsOf(buildSiu('S12', { ...input, version: '2.5.1' }));
    expect(v25.find((s) => s.startsWith('SCH|'))?.split('|')[11]).toBe('');
    expect(v25.find((s) => s.startsWith('TQ1|'))).toBe('TQ1|1|||||20^MIN|20240503090000+0800');
  });

  it('escapes delimiters so a hostile value cannot add fields or segments', () => {
    const raw = buildSiu('S12', {
      ...envelope,
      bookingRef: 'BK-1',
      slotStart: '2024-05-03T01:00:00.000Z',
      patient: { id: 'P1' },
      doctor: { id: 'D1', name: 'x|y\rMSH|^~\\&|EVIL' },
    });
    const segments = segmentsOf(raw);
    expect(segments.map((s) => s.slice(0, 3))).toEqual(['MSH', 'SCH', 'TQ1', 'PID', 'RGS', 'AIP']);
    expect(segments[5]).toBe('AIP|1||D1^x\\F\\y\\.br\\MSH\\F\\\\S\\\\R\\\\E\\\\T\\\\F\\EVIL');
  });

  it('round-trips arbitrary text in names, reasons and ids', () => {
    // A whitespace-only field is absent in HL7 (so is `""`, the explicit null): not round-trippable text.
    const text = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 30 })
      .filter((s) => !s.includes('\r') && s !== '""' && s.trim() !== '');
    fc.assert(
      fc.property(text, text, text, (name, reason, ref) => {
        const raw = buildSiu('S15', {
          ...envelope,
          bookingRef: ref,
          patient: { id: 'P1' },
          doctor: { name },
          appointmentReason: { text: reason },
        });
        const event = parseHl7(raw);
        expect(event).toMatchObject({ bookingRef: ref, doctor: { name }, appointmentReason: { text: reason } });
      }),
    );
  });
});

describe('ADT builders round-trip', () => {
  it.each(VERSIONS.flatMap((v) => [[v, 'A04', 'patient-registered'] as const, [v, 'A08', 'patient-updated'] as const]))(
    '%s %s',
    (version, trigger, kind) => {
      const raw = buildAdt(trigger, {
        ...envelope,
        version,
        patient,
        bookingRef: 'BK-7F3A2C',
        visitNumber: 'V-42',
        department,
        hospitalService: 'CAR',
        doctor,
        admittedAt: '2024-05-03T00:55:00.000Z',
      });
      expect(parseHl7(raw)).toEqual({
        kind,
        header: expectedHeader('ADT', trigger, 'ADT_A01', version),
        patientId,
        bookingRef: 'BK-7F3A2C',
        visitNumber: 'V-42',
        patientClass: 'O',
        department,
        hospitalService: 'CAR',
        doctor,
        admittedAt: '2024-05-03T00:55:00.000Z',
      });
      expect(
        segmentsOf(raw)
          .find((s) => s.startsWith('PV1|'))
          ?.split('|')[50],
      ).toBe('BK-7F3A2C^^^CAUSEWAY');
    },
  );
});

const charge = (setId: string, code: string, unit: number, quantity: number): FinancialTransaction => ({
  setId,
  transactionId: `TX-${code}`,
  transactionDate: '2024-05-03T01:30:00.000Z',
  type: 'CG',
  code: { code, text: `${code} test`, system: 'HIS' },
  description: undefined,
  quantity,
  extendedAmount: { amountMinor: unit * quantity, currency: 'CNY' },
  unitAmount: { amountMinor: unit, currency: 'CNY' },
  fillerOrderId: undefined,
});

describe('order builders round-trip', () => {
  const orders: Order[] = [
    {
      orderControl: 'NW',
      placerOrderId: 'ORD-1',
      fillerOrderId: 'LAB-1',
      orderingProvider: { id: 'D1024', name: '李医生' },
      items: [{ service: { code: 'CBC', text: '血常规', system: 'HIS' } }, { service: { code: 'CRP', text: 'C反应蛋白', system: 'HIS' } }],
      charges: [charge('1', 'CBC', 2500, 1), charge('2', 'CRP', 1005, 3)],
    },
    { orderControl: 'CA', placerOrderId: 'ORD-2', fillerOrderId: undefined, orderingProvider: undefined, items: [], charges: [] },
  ];

  it.each(VERSIONS.flatMap((v) => [[v, 'ORM', 'O01'] as const, [v, 'OML', 'O21'] as const]))('%s %s', (version, type, trigger) => {
    const raw = buildOrderMessage(type, { ...envelope, version, patient, bookingRef: 'BK-7F3A2C', orders });
    expect(parseHl7(raw)).toEqual({
      kind: 'orders-placed',
      header: expectedHeader(type, trigger, `${type}_${trigger}`, version),
      bookingRef: 'BK-7F3A2C',
      patientId,
      orders,
    });
  });
});

describe('DFT^P03 builder round-trips', () => {
  it.each(VERSIONS)('%s', (version) => {
    const transactions: FinancialTransaction[] = [
      {
        ...charge('1', 'REG', 5000, 1),
        type: 'PY',
        extendedAmount: { amountMinor: -5000, currency: 'CNY' },
        unitAmount: undefined,
        fillerOrderId: 'ORD-1',
        description: 'Paid by wallet',
      },
      { ...charge('2', 'JPX', 1500, 1), extendedAmount: { amountMinor: 1500, currency: 'JPY' }, unitAmount: undefined },
    ];
    const raw = buildDft({ ...envelope, version, patient, bookingRef: 'BK-7F3A2C', transactions });
    expect(parseHl7(raw)).toEqual({
      kind: 'payments-posted',
      header: expectedHeader('DFT', 'P03', 'DFT_P03', version),
      bookingRef: 'BK-7F3A2C',
      patientId,
      transactions,
    });
    expect(raw).toContain('|-50.00&CNY|');
    expect(raw).toMatch(/\|1500&JPY\r/);
  });
});

describe('ORU^R01 builder round-trips', () => {
  const base = { subId: undefined, units: undefined, referenceRange: undefined, observedAt: undefined, abnormalFlags: [], notes: [] };
  const reports: ResultReport[] = [
    {
      placerOrderId: 'ORD-1',
      fillerOrderId: 'LAB-1',
      service: { code: 'CBC', text: '血常规', system: 'HIS' },
      observedAt: '2024-05-03T02:00:00.000Z',
      resultStatus: 'F',
      notes: ['report note'],
      observations: [
        {
          ...base,
          setId: '1',
          valueType: 'NM',
          identifier: { code: 'WBC', text: 'WBC', system: 'LN' },
          value: { type: 'numeric', raw: '7.20', number: 7.2 },
          units: { code: '10*9/L', system: 'UCUM' },
          referenceRange: '3.5-9.5',
          abnormalFlags: ['N'],
          status: 'F',
          observedAt: '2024-05-03T02:05:00.000Z',
        },
        {
          ...base,
          setId: '2',
          valueType: 'SN',
          identifier: { code: 'TITER' },
          value: {
            type: 'structured-numeric',
            comparator: undefined,
            value: { raw: '1', number: 1 },
            separator: ':',
            value2: { raw: '128', number: 128 },
          },
          status: 'F',
        },
        {
          ...base,
          setId: '3',
          valueType: 'CWE',
          identifier: { code: 'ABO' },
          value: {
            type: 'coded',
            codes: [
              { code: 'A', text: 'A型', system: 'HIS' },
              { code: 'RH+', text: undefined, system: undefined },
            ],
          },
          status: 'C',
        },
        {
          ...base,
          setId: '4',
          valueType: 'FT',
          identifier: { code: 'COMMENT' },
          value: { type: 'text', text: 'Hb low\nRecheck | follow ^ up & see ~ \\ notes' },
          status: 'F',
          notes: ['note 1', 'note 2'],
        },
        {
          ...base,
          setId: '5',
          valueType: 'TX',
          identifier: { code: 'LINES' },
          value: { type: 'text', text: 'line one\nline two' },
          status: 'F',
        },
        { ...base, setId: '6', valueType: 'NM', identifier: { code: 'K' }, value: undefined, status: 'X', abnormalFlags: ['A', 'H'] },
        {
          ...base,
          setId: '7',
          valueType: 'ED',
          identifier: { code: 'PDF' },
          value: { type: 'other', repetitions: [['LIS', 'AP', 'PDF', 'Base64', 'JVBERi0=']] },
          status: 'F',
        },
      ],
    },
    {
      placerOrderId: 'ORD-2',
      fillerOrderId: undefined,
      service: { code: 'GLU' },
      observedAt: undefined,
      resultStatus: undefined,
      notes: [],
      observations: [],
    },
  ];

  it.each(VERSIONS)('%s', (version) => {
    const raw = buildOru({ ...envelope, version, patient, bookingRef: 'BK-7F3A2C', reports });
    const event: Hl7Event = parseHl7(raw);
    expect(event).toEqual({
      kind: 'results-reported',
      header: expectedHeader('ORU', 'R01', 'ORU_R01', version),
      bookingRef: 'BK-7F3A2C',
      patientId,
      reports,
    });
  });

  it('derives OBX-2 from the value when not given', () => {
    const [first] = reports;
    if (first === undefined) throw new Error('no report');
    const observations = first.observations.slice(0, 4).map((o) => ({ ...o, valueType: undefined }));
    const raw = buildOru({ ...envelope, version: '2.3.1', patient, bookingRef: 'BK-1', reports: [{ ...first, observations }] });
    const event = parseHl7(raw);
    if (event.kind !== 'results-reported') throw new Error(event.kind);
    expect(event.reports[0]?.observations.map((o) => o.valueType)).toEqual(['NM', 'SN', 'CE', 'FT']);
  });
});
