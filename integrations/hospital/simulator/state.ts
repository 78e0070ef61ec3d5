import { DomainError, ErrorCode } from '../../../domain/errors';
import { Hl7ErrorCode, type Hl7Event } from '../hl7';
import type { SimBehaviour, SimBooking, SimDoctor, SimOrder, SimOrderItem, SimSlot } from './types';

/**
 * The hospital's own books, without I/O: schedule, bookings, doctors' queues, orders. Each
 * message from Causeway is one decision (accept, or refuse with an HL7 error code and a reason),
 * the way an HIS applies it to its database.
 */

export type Decision = { ok: true; paidOrders: string[] } | { ok: false; code: Hl7ErrorCode; reason: string };

interface SlotState {
  slot: SimSlot | undefined;
  holder: string | undefined;
}

const accept = (paidOrders: string[] = []): Decision => ({ ok: true, paidOrders });
const refuse = (code: Hl7ErrorCode, reason: string): Decision => ({ ok: false, code, reason });

export class HisState {
  readonly slots = new Map<string, SlotState>();
  readonly bookings = new Map<string, SimBooking>();
  readonly orders = new Map<string, SimOrder>();
  /** Arrived, not yet called, per doctor, in arrival order. */
  readonly queues = new Map<string, string[]>();
  private readonly doctors: Map<string, SimDoctor>;
  private visitSeq = 0;
  private orderSeq = 0;

  constructor(doctors: readonly SimDoctor[], slots: readonly SimSlot[] = []) {
    this.doctors = new Map(doctors.map((d) => [d.id, d]));
    for (const slot of slots) this.slots.set(slot.id, { slot, holder: undefined });
  }

  apply(event: Hl7Event, behaviour: SimBehaviour): Decision {
    switch (event.kind) {
      case 'appointment-booked':
        return this.hold(event.bookingRef, event.fillerAppointmentId, event.patientId, event.doctor?.id, event.department?.code, behaviour);
      case 'appointment-modified':
        return this.confirm(event.bookingRef, event.fillerAppointmentId);
      case 'appointment-cancelled':
        return this.release(event.bookingRef, 'cancelled');
      case 'appointment-no-show':
        return this.bookings.has(event.bookingRef)
          ? this.release(event.bookingRef, 'no-show')
          : refuse(Hl7ErrorCode.UnknownKeyIdentifier, 'no such booking');
      case 'patient-registered':
        return this.arrive(event.bookingRef, event.doctor?.id, event.admittedAt);
      case 'patient-updated':
        return accept();
      case 'payments-posted':
        return this.pay(event.bookingRef, event.transactions);
      case 'orders-placed':
      case 'results-reported':
      case 'ack':
        return refuse(Hl7ErrorCode.UnsupportedMessageType, `the HIS does not accept ${event.kind} from Causeway`);
    }
  }

  private hold(
    bookingRef: string,
    slotId: string | undefined,
    patient: SimBooking['patient'],
    doctorId: string | undefined,
    departmentId: string | undefined,
    b: SimBehaviour,
  ): Decision {
    if (slotId === undefined) return refuse(Hl7ErrorCode.RequiredFieldMissing, 'SCH-2 (slot id) is required');
    if (doctorId !== undefined && !this.doctors.has(doctorId)) return refuse(Hl7ErrorCode.UnknownKeyIdentifier, 'unknown doctor');
    const existing = this.bookings.get(bookingRef);
    if (existing?.slotId === slotId && (existing.status === 'held' || existing.status === 'booked')) return accept();
    if (b.rejectHoldsForSlots.includes(slotId)) return refuse(Hl7ErrorCode.ApplicationRecordLocked, 'slot is not available');
    let state = this.slots.get(slotId);
    if (state === undefined) {
      if (!b.acceptUnknownSlots) return refuse(Hl7ErrorCode.UnknownKeyIdentifier, 'unknown slot');
      state = { slot: undefined, holder: undefined };
      this.slots.set(slotId, state);
    }
    if (state.slot !== undefined && doctorId !== undefined && state.slot.doctorId !== doctorId) {
      return refuse(Hl7ErrorCode.TableValueNotFound, 'slot belongs to another doctor');
    }
    if (state.holder !== undefined && state.holder !== bookingRef) return refuse(Hl7ErrorCode.ApplicationRecordLocked, 'slot is taken');
    // A booking that moves to another slot (after a refusal, say) lets go of the one it held.
    if (existing !== undefined && existing.slotId !== slotId) this.freeSlot(existing);
    state.holder = bookingRef;
    this.bookings.set(bookingRef, {
      bookingRef,
      slotId,
      patient,
      doctorId: doctorId ?? state.slot?.doctorId,
      departmentId: departmentId ?? (doctorId === undefined ? undefined : this.doctors.get(doctorId)?.departmentId),
      status: 'held',
      visitNumber: undefined,
      arrivedAt: undefined,
      calledAt: undefined,
      paid: {},
    });
    return accept();
  }

  private confirm(bookingRef: string, slotId: string | undefined): Decision {
    const booking = this.bookings.get(bookingRef);
    if (booking === undefined) return refuse(Hl7ErrorCode.UnknownKeyIdentifier, 'no hold for this booking');
    if (slotId !== undefined && slotId !== booking.slotId)
      return refuse(Hl7ErrorCode.ApplicationRecordLocked, 'booking holds another slot');
    if (booking.status === 'booked') return accept();
    if (booking.status !== 'held') return refuse(Hl7ErrorCode.ApplicationRecordLocked, `booking is ${booking.status}`);
    booking.status = 'booked';
    return accept();
  }

  /** Cancel and no-show both give the slot back. Cancelling an unknown booking is a no-op: there is nothing to release. */
  private release(bookingRef: string, status: 'cancelled' | 'no-show'): Decision {
    const booking = this.bookings.get(bookingRef);
    if (booking === undefined) return accept();
    this.freeSlot(booking);
    booking.status = status;
    if (booking.doctorId !== undefined) this.dequeue(booking.doctorId, bookingRef);
    return accept();
  }

  private arrive(bookingRef: string, doctorId: string | undefined, at: string | undefined): Decision {
    const booking = this.bookings.get(bookingRef);
    if (booking === undefined) return refuse(Hl7ErrorCode.UnknownKeyIdentifier, 'no such booking');
    if (booking.status !== 'booked') return refuse(Hl7ErrorCode.ApplicationRecordLocked, `booking is ${booking.status}, not booked`);
    if (booking.arrivedAt !== undefined) return accept();
    booking.doctorId = doctorId ?? booking.doctorId;
    if (booking.doctorId === undefined) return refuse(Hl7ErrorCode.RequiredFieldMissing, 'PV1-7 (attending doctor) is required');
    this.visitSeq += 1;
    booking.visitNumber = `V${String(this.visitSeq).padStart(6, '0')}`;
    booking.arrivedAt = at ?? new Date().toISOString();
    const queue = this.queues.get(booking.doctorId) ?? [];
    queue.push(bookingRef);
    this.queues.set(booking.doctorId, queue);
    return accept();
  }

  private pay(bookingRef: string, transactions: Extract<Hl7Event, { kind: 'payments-posted' }>['transactions']): Decision {
    const booking = this.bookings.get(bookingRef);
    if (booking === undefined) return refuse(Hl7ErrorCode.UnknownKeyIdentifier, 'no such booking');
    const paidOrders: string[] = [];
    for (const t of transactions) {
      const amount = t.extendedAmount?.amountMinor ?? (t.unitAmount?.amountMinor ?? 0) * (t.quantity ?? 1);
      const orderId = t.fillerOrderId ?? 'registration';
      const before = booking.paid[orderId] ?? 0;
      booking.paid[orderId] = before + amount;
      const order = this.orders.get(orderId);
      if (order !== undefined && order.bookingRef === bookingRef && before < order.totalMinor && before + amount >= order.totalMinor) {
        paidOrders.push(orderId);
      }
    }
    return accept(paidOrders);
  }

  /** The next arrived patient of a doctor, now called in; undefined when nobody waits. */
  callNext(doctorId: string, now: Date = new Date()): SimBooking | undefined {
    const queue = this.queues.get(doctorId) ?? [];
    for (let ref = queue.shift(); ref !== undefined; ref = queue.shift()) {
      const booking = this.bookings.get(ref);
      if (booking?.status === 'booked') {
        booking.calledAt = now.toISOString();
        return booking;
      }
    }
    return undefined;
  }

  placeOrder(bookingRef: string, items: SimOrderItem[], currency: string, orderId?: string): SimOrder {
    const booking = this.bookings.get(bookingRef);
    if (booking === undefined) throw new DomainError(ErrorCode.NotFound, `no booking ${bookingRef} at the HIS`);
    if (booking.visitNumber === undefined) throw new DomainError(ErrorCode.InvalidState, `booking ${bookingRef} has not arrived`);
    const id = orderId ?? `ORD-${String(++this.orderSeq).padStart(4, '0')}`;
    const existing = this.orders.get(id);
    if (existing !== undefined) {
      if (existing.bookingRef !== bookingRef) throw new DomainError(ErrorCode.Conflict, `order ${id} belongs to another booking`);
      return existing;
    }
    const totalMinor = items.reduce((sum, i) => sum + i.priceMinor * i.quantity, 0);
    const order: SimOrder = { orderId: id, bookingRef, items, currency, totalMinor, resultsSent: false };
    this.orders.set(id, order);
    return order;
  }

  order(bookingRef: string, orderId: string): SimOrder {
    const order = this.orders.get(orderId);
    if (order === undefined || order.bookingRef !== bookingRef)
      throw new DomainError(ErrorCode.NotFound, `no order ${orderId} for ${bookingRef}`);
    return order;
  }

  booking(bookingRef: string): SimBooking {
    const booking = this.bookings.get(bookingRef);
    if (booking === undefined) throw new DomainError(ErrorCode.NotFound, `no booking ${bookingRef} at the HIS`);
    return booking;
  }

  slotHolder(slotId: string): string | undefined {
    return this.slots.get(slotId)?.holder;
  }

  private freeSlot(booking: SimBooking): void {
    const state = this.slots.get(booking.slotId);
    if (state?.holder === booking.bookingRef) state.holder = undefined;
  }

  private dequeue(doctorId: string, bookingRef: string): void {
    const queue = this.queues.get(doctorId);
    if (queue !== undefined)
      this.queues.set(
        doctorId,
        queue.filter((r) => r !== bookingRef),
      );
  }
}
