import { DomainError, ErrorCode } from '../../../domain/errors';
import { at, codedAt } from './datatypes';
import { Hl7ErrorCode, malformed, requiredMissing, type ErrorLocation } from './errors';
import { AckCode, Acknowledgement, type AckError, type AckHeader } from './events';
import type { Hl7Message, Segment } from './message';
import { requireSegment, validated } from './parse-common';

/** ACK: MSA plus ERR, whose layout changed in v2.5 (ERR-1 ELD before; ERR-2…ERR-8 after). */

function positive(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) && Number(text) > 0 ? Number(text) : undefined;
}

function location(err: Segment, field: number, repetition = 0): ErrorLocation | undefined {
  const segment = err.value(field, 1, 1, repetition);
  if (segment === undefined) return undefined;
  const loc: ErrorLocation = { segment };
  const parts = ['sequence', 'field', 'fieldRepetition', 'component', 'subcomponent'] as const;
  // ELD (v2.3.1/v2.4) has only segment^sequence^field; component 4 is the error code there.
  const count = field === 1 ? 2 : parts.length;
  parts.slice(0, count).forEach((key, i) => {
    const n = positive(err.value(field, i + 2, 1, repetition));
    if (n !== undefined) loc[key] = n;
  });
  return loc;
}

function errorsFrom(err: Segment): AckError[] {
  if (!err.isEmpty(3) || !err.isEmpty(4)) {
    return [
      {
        code: err.value(3, 1),
        text: err.value(3, 2),
        severity: err.value(4),
        location: location(err, 2) ?? location(err, 1),
        diagnostic: err.text(7) || undefined,
        userMessage: err.text(8) || undefined,
      },
    ];
  }
  return err.repetitions(1).map((r) => ({
    code: err.value(1, 4, 1, r),
    text: err.value(1, 4, 2, r),
    location: location(err, 1, r),
  }));
}

export function parseAckBody(msg: Hl7Message, header: AckHeader): Acknowledgement {
  const msa = requireSegment(msg, 'MSA', 'message acknowledgment');
  const codeText = msa.value(1);
  if (codeText === undefined) throw requiredMissing(at(msa, 1), 'acknowledgment code');
  const ackCode = AckCode.safeParse(codeText);
  if (!ackCode.success) {
    throw malformed(Hl7ErrorCode.TableValueNotFound, at(msa, 1), 'MSA-1 must be one of AA, AE, AR, CA, CE, CR');
  }
  const errors = msg.segments.filter((s) => s.name === 'ERR').flatMap(errorsFrom);
  // v2.3.1 senders sometimes put the condition in MSA-6 instead of an ERR segment.
  const condition = codedAt(msa, 6);
  if (errors.length === 0 && condition !== undefined) errors.push({ code: condition.code, text: condition.text });
  return validated(Acknowledgement, {
    kind: 'ack',
    header,
    ackCode: ackCode.data,
    ackedControlId: msa.value(2) ?? '',
    text: msa.value(3),
    errors,
  });
}

/** Throws Hl7Rejected unless the ACK accepts (AA, or CA in enhanced mode). */
export function assertAccepted(ack: Acknowledgement): Acknowledgement {
  if (ack.ackCode === 'AA' || ack.ackCode === 'CA') return ack;
  const first = ack.errors[0];
  const why = first?.userMessage ?? first?.text ?? ack.text ?? 'no reason given';
  throw new DomainError(ErrorCode.Hl7Rejected, `HIS answered ${ack.ackCode} to ${ack.ackedControlId || 'a message'}: ${why}`, {
    ackCode: ack.ackCode,
    ackedControlId: ack.ackedControlId,
    errors: ack.errors,
  });
}
