import { at, codedAt, isNumeric, parseTimestamp, timestampAt, type Coded, type LocalZone } from './datatypes';
import { Hl7ErrorCode, malformed, requiredMissing } from './errors';
import { ResultsReported, type Hl7Header, type Observation, type ObservationValue, type ResultReport } from './events';
import type { ResolvedParseOptions } from './header';
import type { Hl7Message, Segment } from './message';
import { bookingRefOf, missingSegment, patientIdOf, validated } from './parse-common';
import { ORDER_ID_MAX } from '../../../domain/hospital/orders';

/** An order id (EI.1) longer than HL7 allows is refused at the inbox, as in ORM/OML. */
function orderIdAt(seg: Segment | undefined, field: number): string | undefined {
  const id = seg?.value(field, 1);
  if (seg !== undefined && id !== undefined && id.length > ORDER_ID_MAX) {
    throw malformed(Hl7ErrorCode.DataTypeError, at(seg, field, 1), `${seg.name}-${field}.1 is longer than ${ORDER_ID_MAX} characters`);
  }
  return id;
}

/** ORU^R01: each OBR is a report, the OBX after it its observations, NTE notes on either. */

function numeric(obx: Segment, text: string | undefined): { raw: string; number: number } | undefined {
  if (text === undefined) return undefined;
  const raw = text.trim();
  if (!isNumeric(raw)) throw malformed(Hl7ErrorCode.DataTypeError, at(obx, 5), 'OBX-5 is not a valid numeric value');
  return { raw, number: Number(raw) };
}

function valueOf(obx: Segment, valueType: string, localZone: LocalZone): ObservationValue {
  const reps = obx.repetitions(5);
  switch (valueType) {
    case 'NM': {
      const n = numeric(obx, obx.value(5));
      if (n === undefined) throw malformed(Hl7ErrorCode.DataTypeError, at(obx, 5), 'OBX-5 NM value must be in the first component');
      return { type: 'numeric', ...n };
    }
    case 'SN':
      return {
        type: 'structured-numeric',
        comparator: obx.value(5, 1),
        value: numeric(obx, obx.value(5, 2)),
        separator: obx.value(5, 3),
        value2: numeric(obx, obx.value(5, 4)),
      };
    case 'CE':
    case 'CWE':
    case 'CNE': {
      const codes = reps.map((r) => codedAt(obx, 5, r)).filter((c): c is Coded => c !== undefined);
      if (codes.length === 0) throw malformed(Hl7ErrorCode.DataTypeError, at(obx, 5), `OBX-5 ${valueType} value has neither code nor text`);
      return { type: 'coded', codes };
    }
    case 'ST':
    case 'TX':
    case 'FT':
      // Repetitions of TX/FT are lines; escapes (\.br\ included) are decoded by Segment.
      return { type: 'text', text: reps.map((r) => obx.text(5, r)).join('\n') };
    case 'DT':
    case 'TS':
    case 'DTM': {
      const raw = obx.value(5) ?? '';
      return { type: 'datetime', raw, at: parseTimestamp(raw, localZone) };
    }
    default:
      return { type: 'other', repetitions: reps.map((r) => obx.components(5, r)) };
  }
}

function observationFrom(obx: Segment, opts: ResolvedParseOptions): Observation {
  const identifier = codedAt(obx, 3);
  if (identifier === undefined) throw requiredMissing(at(obx, 3), 'observation identifier');
  const status = obx.value(11);
  if (status === undefined) throw requiredMissing(at(obx, 11), 'observation result status');
  const valueType = obx.value(2);
  let value: ObservationValue | undefined;
  if (!obx.isEmpty(5)) {
    if (valueType === undefined) throw requiredMissing(at(obx, 2), 'value type, required when OBX-5 is valued');
    value = valueOf(obx, valueType, opts.localZone);
  }
  return {
    setId: obx.value(1),
    valueType,
    identifier,
    subId: obx.value(4),
    value,
    units: codedAt(obx, 6),
    referenceRange: obx.text(7) || undefined,
    abnormalFlags: obx.repetitions(8).flatMap((r) => obx.value(8, 1, 1, r) ?? []),
    status,
    observedAt: timestampAt(obx, 14, opts.localZone),
    notes: [],
  };
}

export function parseResults(msg: Hl7Message, header: Hl7Header, opts: ResolvedParseOptions) {
  const reports: ResultReport[] = [];
  let orc: Segment | undefined;
  let report: ResultReport | undefined;
  let observation: Observation | undefined;
  for (const seg of msg.segments) {
    if (seg.name === 'ORC') {
      orc = seg;
      report = undefined;
      observation = undefined;
    } else if (seg.name === 'OBR') {
      const service = codedAt(seg, 4);
      if (service === undefined) throw requiredMissing(at(seg, 4), 'universal service identifier');
      report = {
        placerOrderId: orderIdAt(seg, 2) ?? orderIdAt(orc, 2),
        fillerOrderId: orderIdAt(seg, 3) ?? orderIdAt(orc, 3),
        service,
        observedAt: timestampAt(seg, 7, opts.localZone),
        resultStatus: seg.value(25),
        observations: [],
        notes: [],
      };
      reports.push(report);
      observation = undefined;
    } else if (seg.name === 'OBX') {
      if (report === undefined) {
        throw malformed(Hl7ErrorCode.SegmentSequenceError, { segment: 'OBX', sequence: seg.sequence }, 'OBX must follow an OBR segment');
      }
      observation = observationFrom(seg, opts);
      report.observations.push(observation);
    } else if (seg.name === 'NTE') {
      const note = seg
        .repetitions(3)
        .map((r) => seg.text(3, r))
        .join('\n');
      if (note !== '') (observation ?? report)?.notes.push(note);
    }
  }
  if (reports.length === 0) {
    throw missingSegment('OBR', 'observation request');
  }
  return validated(ResultsReported, {
    kind: 'results-reported',
    header,
    bookingRef: bookingRefOf(msg, opts.bookingRefAuthority),
    patientId: patientIdOf(msg),
    reports,
  });
}
