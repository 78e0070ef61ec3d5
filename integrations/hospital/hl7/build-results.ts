import { pidSegment, pv1Segment, type PatientInput, type VisitInput } from './build-patient';
import { coded, message, messageMeta, msh, segment, skip, ts, type Field, type HeaderInput } from './encode';
import type { Observation, ObservationValue, ResultReport } from './events';

/** ORU^R01 for the HIS simulator. */

function defaultValueType(value: ObservationValue, v25: boolean): string {
  switch (value.type) {
    case 'numeric':
      return 'NM';
    case 'structured-numeric':
      return 'SN';
    case 'coded':
      return v25 ? 'CWE' : 'CE';
    case 'text':
      return 'FT';
    case 'datetime':
      return v25 ? 'DTM' : 'TS';
    case 'other':
      return 'ED';
  }
}

function valueField(value: ObservationValue | undefined, valueType: string): Field {
  if (value === undefined) return undefined;
  switch (value.type) {
    case 'numeric':
      return value.raw;
    case 'structured-numeric':
      return [value.comparator, value.value?.raw, value.separator, value.value2?.raw];
    case 'coded':
      return { repeat: value.codes.map((c) => coded(c)) };
    case 'text':
      // TX carries lines as repetitions; FT and ST keep one value and \.br\ for line breaks.
      return valueType === 'TX' ? { repeat: value.text.split('\n') } : value.text;
    case 'datetime':
      return value.raw;
    case 'other':
      return { repeat: value.repetitions };
  }
}

function noteSegments(notes: readonly string[]): string[] {
  return notes.map((n, i) => segment('NTE', [String(i + 1), 'L', n]));
}

export interface OruInput extends HeaderInput, VisitInput {
  patient: PatientInput;
  reports: ResultReport[];
}

export function buildOru(input: OruInput): string {
  const meta = messageMeta(input);
  const v25 = meta.version.startsWith('2.5');
  const segments = [msh(input, 'ORU', 'R01', 'ORU_R01', meta), pidSegment(input.patient), pv1Segment(input, meta)];
  input.reports.forEach((r, i) => {
    segments.push(
      segment('ORC', ['RE', [r.placerOrderId], [r.fillerOrderId]]),
      segment('OBR', [
        String(i + 1),
        [r.placerOrderId],
        [r.fillerOrderId],
        coded(r.service),
        undefined,
        undefined,
        ts(r.observedAt, meta),
        ...skip(17),
        r.resultStatus,
      ]),
      ...noteSegments(r.notes),
    );
    r.observations.forEach((o: Observation, j) => {
      const valueType = o.valueType ?? (o.value ? defaultValueType(o.value, v25) : undefined);
      segments.push(
        segment('OBX', [
          o.setId ?? String(j + 1),
          valueType,
          coded(o.identifier),
          o.subId,
          valueField(o.value, valueType ?? ''),
          coded(o.units),
          o.referenceRange,
          { repeat: o.abnormalFlags },
          undefined,
          undefined,
          o.status,
          undefined,
          undefined,
          ts(o.observedAt, meta),
        ]),
        ...noteSegments(o.notes),
      );
    });
  });
  return message(segments);
}
