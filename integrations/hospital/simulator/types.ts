import type { Logger } from 'pino';
import { z } from 'zod';
import { AmountMinor, CurrencyCode } from '../../../domain/money';
import type { Identifier } from '../hl7';

/** The simulated hospital's configuration, behaviour knobs and the inputs of its drivers. */

export const SimDepartment = z.object({ id: z.string().min(1), name: z.string().min(1) });
export type SimDepartment = z.infer<typeof SimDepartment>;

export const SimDoctor = z.object({ id: z.string().min(1), name: z.string().min(1), departmentId: z.string().min(1) });
export type SimDoctor = z.infer<typeof SimDoctor>;

/** A slot of the HIS schedule; its id is what Causeway sends in SCH-2. */
export const SimSlot = z.object({
  id: z.string().min(1),
  doctorId: z.string().min(1),
  start: z.iso.datetime(),
  durationMinutes: z.number().int().positive(),
});
export type SimSlot = z.infer<typeof SimSlot>;

/** Knobs, all changeable while running (setBehaviour, PUT /sim/behaviour). */
export const SimBehaviourPatch = z
  .object({
    /** Wait this long before answering each message. */
    ackDelayMs: z.number().int().nonnegative(),
    /** Answer every message with this code, unprocessed (an HIS that is up but refuses everything). */
    rejectAll: z.enum(['AE', 'AR']).nullable(),
    /** Refuse holds (SIU^S12) for these slot ids, as if the HIS had sold them at its own counter. */
    rejectHoldsForSlots: z.array(z.string()),
    /** Refuse these message types unprocessed, e.g. `DFT^P03`. */
    rejectMessageTypes: z.array(z.string()),
    /** Accept holds for slots not in the schedule (added on first use), so a demo need not share the schedule. */
    acceptUnknownSlots: z.boolean(),
    /** Automatic mode: once an order is paid in full (DFT^P03), send its results after this many ms. */
    autoResultsAfterMs: z.number().int().nonnegative().nullable(),
    /** What placeOrders sends when the call does not say. */
    orderMessageType: z.enum(['ORM', 'OML']),
  })
  .partial();
export type SimBehaviourPatch = z.infer<typeof SimBehaviourPatch>;
export type SimBehaviour = Required<SimBehaviourPatch>;

export const DEFAULT_BEHAVIOUR: SimBehaviour = {
  ackDelayMs: 0,
  rejectAll: null,
  rejectHoldsForSlots: [],
  rejectMessageTypes: [],
  acceptUnknownSlots: true,
  autoResultsAfterMs: null,
  orderMessageType: 'OML',
};

/** refuse: the listener is closed (connection refused). hang: connections are accepted, nothing is answered. */
export const SimOutage = z.object({
  mode: z.enum(['refuse', 'hang']),
  /** Ends by itself after this long; otherwise until restore(). */
  forMs: z.number().int().positive().optional(),
});
export type SimOutage = z.infer<typeof SimOutage>;

export const SimOrderItem = z.object({
  code: z.string().min(1),
  text: z.string().optional(),
  /** Price of one item, minor units. */
  priceMinor: AmountMinor.refine((n) => n >= 0, 'a price is not negative'),
  quantity: z.number().int().positive().default(1),
});
export type SimOrderItem = z.infer<typeof SimOrderItem>;

export const PlaceOrdersInput = z.object({
  items: z.array(SimOrderItem).min(1),
  currency: CurrencyCode.default('CNY'),
  /** Default: a fresh ORD-nnnn. */
  orderId: z.string().min(1).optional(),
  messageType: z.enum(['ORM', 'OML']).optional(),
});
export type PlaceOrdersInput = z.input<typeof PlaceOrdersInput>;

export const SimObservation = z.object({
  code: z.string().min(1),
  text: z.string().optional(),
  /** A number, or a string kept as written (significant digits matter in lab results). */
  value: z.union([z.number(), z.string()]),
  units: z.string().optional(),
  referenceRange: z.string().optional(),
  /** OBX-8, e.g. H, L, N. */
  abnormalFlag: z.string().optional(),
  /** OBX-11. Default F (final). */
  status: z.string().default('F'),
});
export type SimObservation = z.input<typeof SimObservation>;

export const SendResultsInput = z.object({
  observations: z.array(SimObservation).min(1),
  delayMs: z.number().int().nonnegative().default(0),
});

/** A message the simulator received from Causeway, and how it answered. */
export interface ReceivedMessage {
  controlId: string | undefined;
  type: string | undefined;
  /** The parsed event's kind; undefined when it did not parse. */
  kind: string | undefined;
  bookingRef: string | undefined;
  ackCode: string;
  /** ERR text of a refusal. */
  reason: string | undefined;
  /** A resend of a message already processed: answered with the stored ACK. */
  duplicate: boolean;
  at: Date;
}

/** A message the simulator sent to Causeway. */
export interface SentMessage {
  controlId: string;
  type: string;
  bookingRef: string;
  /** AA/AE/AR from Causeway, or `unavailable` after the last retry. */
  outcome: string;
  attempts: number;
  at: Date;
}

export interface SimBooking {
  bookingRef: string;
  slotId: string;
  patient: Identifier;
  doctorId: string | undefined;
  departmentId: string | undefined;
  status: 'held' | 'booked' | 'cancelled' | 'no-show';
  /** PV1-19, assigned at registration (ADT^A04). */
  visitNumber: string | undefined;
  arrivedAt: string | undefined;
  calledAt: string | undefined;
  /** Money posted by DFT^P03, per order id (FT1-23), minor units. */
  paid: Record<string, number>;
}

export interface SimOrder {
  orderId: string;
  bookingRef: string;
  items: SimOrderItem[];
  currency: string;
  totalMinor: number;
  resultsSent: boolean;
}

export interface HisSimulatorOptions {
  /** Its MLLP listener (port 0 picks one). */
  host: string;
  port: number;
  /** Causeway's MLLP listener, where orders, results and calls go. */
  /** Causeway's MLLP listener; `replicas` adds more listeners, used in turn (a load balancer's spread). */
  causeway: { host: string; port: number; timeoutMs?: number; replicas?: Array<{ host: string; port: number }> };
  /** MSH-4 of what it sends; the hospital id. */
  facility: string;
  /** MSH-3. Default HIS. */
  application?: string;
  departments: SimDepartment[];
  doctors: SimDoctor[];
  slots?: SimSlot[];
  behaviour?: SimBehaviourPatch;
  /** HTTP control API for the demo; off unless given (0 picks a port). */
  control?: { host?: string; port: number };
  /** Retries of sends to Causeway, same MSH-10 each time. Default 5 attempts from 200 ms, doubling, capped at 2 s. */
  retry?: { attempts?: number; initialDelayMs?: number; maxDelayMs?: number };
  /** Offset of the hospital's local time, minutes east of UTC. Default +480. */
  localOffsetMinutes?: number;
  logger?: Logger;
}
