import type { Logger } from 'pino';
import { DomainError, ErrorCode } from '../../../domain/errors';
import {
  buildAdt,
  buildOrderMessage,
  buildOru,
  newControlId,
  peekHeader,
  type FinancialTransaction,
  type HeaderInput,
  type Observation,
  type Order,
  type VisitInput,
} from '../hl7';
import { isNumeric } from '../hl7/datatypes';
import { MllpClient } from '../mllp';
import { SimObservation, type SentMessage, type SimBooking, type SimObservation as SimObservationInput, type SimOrder } from './types';

/** What the HIS sends to Causeway (call-in, orders, results) and how: MLLP with retries. */

export interface Identity {
  application: string;
  facility: string;
  localOffsetMinutes: number;
}

function header(id: Identity): HeaderInput {
  return {
    sendingApplication: id.application,
    sendingFacility: id.facility,
    receivingApplication: 'CAUSEWAY',
    receivingFacility: 'CAUSEWAY',
    controlId: newControlId(),
    localOffsetMinutes: id.localOffsetMinutes,
  };
}

function visit(b: SimBooking): VisitInput {
  return {
    bookingRef: b.bookingRef,
    visitNumber: b.visitNumber,
    patientClass: 'O',
    department: b.departmentId === undefined ? undefined : { code: b.departmentId },
    doctor: b.doctorId === undefined ? undefined : { id: b.doctorId },
  };
}

/**
 * The doctor calls the patient in: ADT^A08 (visit updated) with PV1-44 set to the call time and
 * the consulting room in PV1-3. HL7 v2 has no "called" event; A08 with an admit time is how many
 * HIS tell a queueing system that the consultation started.
 */
export function buildCallIn(id: Identity, b: SimBooking, room: string): string {
  const v = visit(b);
  return buildAdt('A08', {
    ...header(id),
    ...v,
    department: { ...v.department, room },
    admittedAt: b.calledAt,
    patient: b.patient,
  });
}

export function buildOrders(id: Identity, b: SimBooking, order: SimOrder, type: 'ORM' | 'OML'): string {
  const now = new Date().toISOString();
  const charges: FinancialTransaction[] = order.items.map((item) => ({
    transactionDate: now,
    // HL7 table 0017: CG = charge.
    type: 'CG',
    code: { code: item.code, text: item.text },
    quantity: item.quantity,
    unitAmount: { amountMinor: item.priceMinor, currency: order.currency },
    extendedAmount: { amountMinor: item.priceMinor * item.quantity, currency: order.currency },
    fillerOrderId: order.orderId,
  }));
  const hl7Order: Order = {
    orderControl: 'NW',
    placerOrderId: order.orderId,
    orderingProvider: b.doctorId === undefined ? undefined : { id: b.doctorId },
    items: order.items.map((item) => ({ service: { code: item.code, text: item.text } })),
    charges,
  };
  return buildOrderMessage(type, { ...header(id), ...visit(b), patient: b.patient, orders: [hl7Order] });
}

function observation(input: SimObservationInput, index: number, at: string): Observation {
  const o = SimObservation.parse(input);
  const raw = String(o.value).trim();
  const numeric = isNumeric(raw);
  return {
    setId: String(index + 1),
    valueType: numeric ? 'NM' : 'ST',
    identifier: { code: o.code, text: o.text },
    value: numeric ? { type: 'numeric', raw, number: Number(raw) } : { type: 'text', text: raw },
    units: o.units === undefined ? undefined : { code: o.units },
    referenceRange: o.referenceRange,
    abnormalFlags: o.abnormalFlag === undefined ? [] : [o.abnormalFlag],
    status: o.status,
    observedAt: at,
    notes: [],
  };
}

export function buildResults(id: Identity, b: SimBooking, order: SimOrder, observations: SimObservationInput[]): string {
  const at = new Date().toISOString();
  const first = order.items[0];
  return buildOru({
    ...header(id),
    ...visit(b),
    patient: b.patient,
    reports: [
      {
        placerOrderId: order.orderId,
        service: { code: first?.code ?? order.orderId, text: first?.text },
        observedAt: at,
        resultStatus: 'F',
        observations: observations.map((o, i) => observation(o, i, at)),
        notes: [],
      },
    ],
  });
}

/** Automatic mode's results: one plausible value per ordered item. */
export function cannedObservations(order: SimOrder): SimObservationInput[] {
  return order.items.map((item) => ({ code: `${item.code}-R`, text: item.text, value: '5.4', units: 'mmol/L', referenceRange: '3.9-6.1' }));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface SenderOptions {
  /** Causeway's MLLP listeners: one, or several replicas behind what a TCP load balancer would do. */
  endpoints: Array<{ host: string; port: number }>;
  timeoutMs: number;
  attempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  logger?: Logger;
}

/**
 * Sends to Causeway like an interface engine: the same message (same MSH-10) again after a
 * connection failure or a missing ACK, with growing pauses; an AE/AR is an answer and ends it.
 * With several endpoints each attempt goes to the next one, so one booking's messages (and the
 * resend of one message) reach different replicas, as they do behind a load balancer.
 */
export class CausewaySender {
  private readonly clients: MllpClient[];
  private next = 0;
  private cancelled = false;
  readonly sent: SentMessage[] = [];

  constructor(private readonly opts: SenderOptions) {
    if (opts.endpoints.length === 0) throw new DomainError(ErrorCode.ValidationFailed, 'the HIS simulator needs a Causeway endpoint');
    this.clients = opts.endpoints.map(
      (e) => new MllpClient({ host: e.host, port: e.port, timeoutMs: opts.timeoutMs, logger: opts.logger }),
    );
  }

  private client(): MllpClient {
    const c = this.clients[this.next % this.clients.length] as MllpClient;
    this.next += 1;
    return c;
  }

  async send(message: string, bookingRef: string): Promise<SentMessage> {
    const h = peekHeader(message);
    const record: SentMessage = {
      controlId: h.controlId ?? '',
      type: `${h.messageType ?? ''}^${h.triggerEvent ?? ''}`,
      bookingRef,
      outcome: 'unavailable',
      attempts: 0,
      at: new Date(),
    };
    let delay = this.opts.initialDelayMs;
    while (record.attempts < this.opts.attempts) {
      record.attempts += 1;
      try {
        const ack = await this.client().sendChecked(message);
        record.outcome = ack.ackCode;
        break;
      } catch (err) {
        if (err instanceof DomainError && err.code === ErrorCode.Hl7Rejected) {
          record.outcome = typeof err.details.ackCode === 'string' ? err.details.ackCode : 'AE';
          break;
        }
        if (record.attempts >= this.opts.attempts || this.cancelled) break;
        this.opts.logger?.debug({ controlId: record.controlId, attempt: record.attempts }, 'his sim: resending to causeway');
        await sleep(delay);
        delay = Math.min(delay * 2, this.opts.maxDelayMs);
      }
    }
    record.at = new Date();
    this.sent.push(record);
    this.opts.logger?.info(
      { controlId: record.controlId, type: record.type, outcome: record.outcome, attempts: record.attempts },
      'his sim: sent to causeway',
    );
    return record;
  }

  /** Stops retrying (shutdown): sends in progress end after their current attempt. */
  cancelRetries(): void {
    this.cancelled = true;
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}
