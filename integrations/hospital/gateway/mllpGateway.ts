import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { DomainError, ErrorCode } from '../../../domain/errors';
import { buildAdt, buildDft, buildSiu, peekHeader, type HeaderInput, type Hl7Version, type PatientInput, type SiuInput } from '../hl7';
import { MllpClient, type MllpClientOptions } from '../mllp';
import { HisStep, hisControlId } from './controlId';
import { HisArrival, HisBooking, HisCancellation, HisPayment, type HisGateway, type HisReceipt } from './types';

export interface MllpHisGatewayOptions {
  /** The HIS's MLLP listener: host, port, timeoutMs (per send), tls. */
  mllp: Omit<MllpClientOptions, 'logger'>;
  /**
   * MLLP allows one message in flight per connection; during a registration rush one connection
   * is the bottleneck. Each booking sticks to one connection so its own messages keep their order.
   * Default 1.
   */
  connections?: number;
  /** MSH-5/MSH-6: the HIS application and the hospital id. */
  hospital: { application?: string; facility: string };
  /** MSH-3/MSH-4. Default CAUSEWAY/CAUSEWAY. */
  sender?: { application?: string; facility?: string };
  /** Default 2.5.1. */
  version?: Hl7Version;
  /** Offset of the hospital's local time, minutes east of UTC. Default +480. */
  localOffsetMinutes?: number;
  /** Authority written with the booking ref (SCH-1.2, PV1-50.4) and the patient ref (PID-3.4). Default CAUSEWAY. */
  authority?: string;
  logger?: Logger;
}

function parseInput<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields = result.error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message }));
  throw new DomainError(ErrorCode.ValidationFailed, `invalid ${what} for the HIS`, { fields });
}

/** Causeway → HIS over MLLP. See HisGateway for the messages and the error contract. */
export class MllpHisGateway implements HisGateway {
  private readonly clients: MllpClient[];
  private readonly authority: string;

  constructor(private readonly opts: MllpHisGatewayOptions) {
    const n = Math.max(1, Math.floor(opts.connections ?? 1));
    this.clients = Array.from({ length: n }, () => new MllpClient({ ...opts.mllp, logger: opts.logger }));
    this.authority = opts.authority ?? 'CAUSEWAY';
  }

  async requestHold(input: HisBooking): Promise<HisReceipt> {
    const b = parseInput(HisBooking, input, 'hold');
    const controlId = hisControlId(b.bookingRef, HisStep.hold(b.slotId));
    return this.send(
      b.bookingRef,
      'hold',
      buildSiu('S12', { ...this.siu(b, controlId), fillerStatus: 'Pending' }),
      ErrorCode.SlotRejectedByHis,
    );
  }

  async confirmBooking(input: HisBooking): Promise<HisReceipt> {
    const b = parseInput(HisBooking, input, 'booking');
    const controlId = hisControlId(b.bookingRef, HisStep.confirm(b.slotId));
    return this.send(b.bookingRef, 'confirm', buildSiu('S14', { ...this.siu(b, controlId), fillerStatus: 'Booked' }));
  }

  async cancelBooking(input: HisCancellation): Promise<HisReceipt> {
    const b = parseInput(HisCancellation, input, 'cancellation');
    const controlId = hisControlId(b.bookingRef, HisStep.cancel(b.slotId));
    const eventReason = b.reasonCode === undefined ? undefined : { code: b.reasonCode, system: this.authority };
    return this.send(b.bookingRef, 'cancel', buildSiu('S15', { ...this.siu(b, controlId), eventReason }));
  }

  async reportNoShow(input: HisBooking): Promise<HisReceipt> {
    const b = parseInput(HisBooking, input, 'no-show');
    const controlId = hisControlId(b.bookingRef, HisStep.noShow(b.slotId));
    return this.send(b.bookingRef, 'no-show', buildSiu('S26', this.siu(b, controlId)));
  }

  async registerArrival(input: HisArrival): Promise<HisReceipt> {
    const a = parseInput(HisArrival, input, 'arrival');
    const controlId = hisControlId(a.bookingRef, HisStep.arrival());
    const message = buildAdt('A04', {
      ...this.header(controlId),
      patient: this.patient(a.patientRef),
      bookingRef: a.bookingRef,
      bookingRefAuthority: this.authority,
      patientClass: 'O',
      department: { code: a.departmentId },
      doctor: { id: a.doctorId },
      admittedAt: a.arrivedAt ?? new Date().toISOString(),
    });
    return this.send(a.bookingRef, 'arrival', message);
  }

  async postPayment(input: HisPayment): Promise<HisReceipt> {
    const p = parseInput(HisPayment, input, 'payment');
    const controlId = hisControlId(p.bookingRef, HisStep.payment(p.orderId));
    const message = buildDft({
      ...this.header(controlId),
      patient: this.patient(p.patientRef),
      bookingRef: p.bookingRef,
      bookingRefAuthority: this.authority,
      transactions: [
        {
          transactionId: p.paymentRef,
          transactionDate: p.paidAt,
          // HL7 table 0017: PY = payment.
          type: 'PY',
          code: { code: 'CWPAY', text: 'Causeway mobile payment', system: this.authority },
          quantity: 1,
          extendedAmount: { amountMinor: p.amountMinor, currency: p.currency },
          fillerOrderId: p.orderId,
        },
      ],
    });
    return this.send(p.bookingRef, 'payment', message);
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }

  private header(controlId: string): HeaderInput {
    return {
      sendingApplication: this.opts.sender?.application ?? 'CAUSEWAY',
      sendingFacility: this.opts.sender?.facility ?? 'CAUSEWAY',
      receivingApplication: this.opts.hospital.application,
      receivingFacility: this.opts.hospital.facility,
      controlId,
      version: this.opts.version,
      localOffsetMinutes: this.opts.localOffsetMinutes,
    };
  }

  private patient(patientRef: string): PatientInput {
    return { id: patientRef, assigningAuthority: this.authority };
  }

  private siu(b: HisBooking, controlId: string): SiuInput {
    return {
      ...this.header(controlId),
      bookingRef: b.bookingRef,
      bookingRefAuthority: this.authority,
      fillerAppointmentId: b.slotId,
      slotStart: b.slotStart,
      durationMinutes: b.durationMinutes,
      doctor: { id: b.doctorId },
      department: { code: b.departmentId },
      patient: this.patient(b.patientRef),
    };
  }

  private clientFor(bookingRef: string): MllpClient {
    const index = createHash('sha1').update(bookingRef).digest().readUInt32BE(0) % this.clients.length;
    const client = this.clients[index];
    if (client === undefined) throw new Error('no MLLP client');
    return client;
  }

  private async send(bookingRef: string, step: string, message: string, refusal: ErrorCode = ErrorCode.Hl7Rejected): Promise<HisReceipt> {
    const { controlId = '', messageType, triggerEvent } = peekHeader(message);
    const log = { controlId, type: `${messageType ?? ''}^${triggerEvent ?? ''}`, step, bytes: Buffer.byteLength(message) };
    const started = Date.now();
    try {
      await this.clientFor(bookingRef).sendChecked(message, { localOffsetMinutes: this.opts.localOffsetMinutes });
    } catch (err) {
      throw this.mapFailure(err, refusal, log);
    }
    this.opts.logger?.info({ ...log, ms: Date.now() - started }, 'his accepted message');
    return { controlId };
  }

  private mapFailure(err: unknown, refusal: ErrorCode, log: Record<string, unknown>): unknown {
    if (!(err instanceof DomainError)) return err;
    if (err.code === ErrorCode.Hl7Rejected) {
      this.opts.logger?.warn({ ...log, ackCode: err.details.ackCode }, 'his refused message');
      return refusal === err.code ? err : new DomainError(refusal, err.message, err.details);
    }
    // An unreadable or mismatched ACK leaves the outcome unknown: retrying (same MSH-10) is safe.
    if (err.code === ErrorCode.Hl7Malformed) {
      this.opts.logger?.warn({ ...log, reason: err.message }, 'his answered an unusable ACK');
      return new DomainError(ErrorCode.CounterpartUnavailable, `HIS answered an unusable ACK: ${err.message}`, { cause: err.code });
    }
    if (err.code === ErrorCode.CounterpartUnavailable) this.opts.logger?.warn({ ...log, reason: err.message }, 'his unreachable');
    return err;
  }
}
