import type { Server } from 'node:http';
import { DomainError, ErrorCode } from '../../../domain/errors';
import { MllpServer } from '../mllp';
import { startControlApi } from './control';
import { createSimListener } from './listener';
import { CausewaySender, buildCallIn, buildOrders, buildResults, cannedObservations, type Identity } from './outbound';
import { OtherChannelBookingsInput, buildOtherChannelBooking, planOtherChannelBookings, type PlannedBooking } from './otherChannels';
import { HisState } from './state';
import {
  DEFAULT_BEHAVIOUR,
  PlaceOrdersInput,
  SendResultsInput,
  SimBehaviourPatch,
  SimOutage,
  type HisSimulatorOptions,
  type ReceivedMessage,
  type SentMessage,
  type SimBehaviour,
  type SimObservation,
  type SimOrder,
} from './types';

export interface CallResult {
  bookingRef: string;
  visitNumber: string | undefined;
  sent: SentMessage;
}

export interface HisSimulator {
  /** Its MLLP port (Causeway's HisGateway connects here). */
  readonly port: number;
  /** Base URL of the HTTP control API, when started with `control`. */
  readonly controlUrl: string | undefined;
  readonly state: HisState;
  /** Everything Causeway sent, with the answer given. */
  readonly received: readonly ReceivedMessage[];
  /** Everything sent to Causeway, with Causeway's answer. */
  readonly sent: readonly SentMessage[];
  behaviour(): SimBehaviour;
  setBehaviour(patch: SimBehaviourPatch): SimBehaviour;
  outage(outage: SimOutage): Promise<void>;
  restore(): Promise<void>;
  /** The doctor calls the next arrived patient in (ADT^A08); undefined when nobody waits. */
  callNext(doctorId: string, room?: string): Promise<CallResult | undefined>;
  /** ORM^O01 / OML^O21 with FT1 prices for an arrived patient. */
  placeOrders(bookingRef: string, input: PlaceOrdersInput): Promise<{ order: SimOrder; sent: SentMessage }>;
  /** ORU^R01 for an order, optionally after a delay. */
  sendResults(bookingRef: string, orderId: string, observations: SimObservation[], opts?: { delayMs?: number }): Promise<SentMessage>;
  /**
   * Registrations made through the HIS's other channels on `day`, on a daily curve from a seeded
   * generator, each sent to Causeway as SIU^S12 with ZBK (otherChannels.ts). Sent one after another.
   */
  bookThroughOtherChannels(input: OtherChannelBookingsInput): Promise<{ planned: PlannedBooking[]; sent: SentMessage[] }>;
  /** Resolves when no delayed or in-flight send remains. */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

function parseOrThrow<T>(
  result: { success: true; data: T } | { success: false; error: { issues: { path: PropertyKey[]; message: string }[] } },
): T {
  if (result.success) return result.data;
  const fields = result.error.issues.map((i) => ({ field: i.path.map(String).join('.'), message: i.message }));
  throw new DomainError(ErrorCode.ValidationFailed, 'invalid simulator input', { fields });
}

/**
 * A hospital information system for tests and the demo, over MLLP both ways: it takes SIU/ADT/DFT
 * from Causeway and answers ACKs from its own books, and it sends call-ins, orders and results to
 * Causeway's listener, retrying like an interface engine.
 */
export async function startHisSimulator(opts: HisSimulatorOptions): Promise<HisSimulator> {
  const logger = opts.logger?.child({ sim: 'his' });
  const identity: Identity = {
    application: opts.application ?? 'HIS',
    facility: opts.facility,
    localOffsetMinutes: opts.localOffsetMinutes ?? 480,
  };
  const state = new HisState(opts.doctors, opts.slots ?? []);
  let behaviour: SimBehaviour = { ...DEFAULT_BEHAVIOUR, ...parseOrThrow(SimBehaviourPatch.safeParse(opts.behaviour ?? {})) };
  const received: ReceivedMessage[] = [];
  const sender = new CausewaySender({
    endpoints: [{ host: opts.causeway.host, port: opts.causeway.port }, ...(opts.causeway.replicas ?? [])],
    timeoutMs: opts.causeway.timeoutMs ?? 5_000,
    attempts: opts.retry?.attempts ?? 5,
    initialDelayMs: opts.retry?.initialDelayMs ?? 200,
    maxDelayMs: opts.retry?.maxDelayMs ?? 2_000,
    logger,
  });

  const pending = new Set<Promise<unknown>>();
  const timers = new Map<NodeJS.Timeout, () => void>();
  let stopped = false;
  const track = <T>(p: Promise<T>): Promise<T> => {
    pending.add(p);
    void p.catch(() => undefined).finally(() => pending.delete(p));
    return p;
  };
  /** A timer that stop() cancels; resolves false when cancelled. */
  const wait = (ms: number): Promise<boolean> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve(true);
      }, ms);
      timers.set(timer, () => resolve(false));
    });

  // Outages: `refuse` closes the listener, `hang` holds every answer until restored.
  let hang: { promise: Promise<void>; release: () => void } | undefined;
  let outageTimer: NodeJS.Timeout | undefined;
  const listener = createSimListener({
    state,
    behaviour: () => behaviour,
    untilAnswering: () => hang?.promise ?? Promise.resolve(),
    identity,
    received,
    logger,
    onPaidOrders: (bookingRef, orderIds) => {
      const after = behaviour.autoResultsAfterMs;
      if (after === null) return;
      for (const orderId of orderIds) {
        const order = state.order(bookingRef, orderId);
        sim.sendResults(bookingRef, orderId, cannedObservations(order), { delayMs: after }).catch((err: unknown) => {
          logger?.warn({ orderId, err: err instanceof Error ? err.message : 'unknown' }, 'his sim: automatic results failed');
        });
      }
    },
  });
  const newMllpServer = (port: number) =>
    // The simulator plays a hospital's HIS for tests and demos: every peer is Causeway on loopback, so no per-address cap.
    new MllpServer({
      host: opts.host,
      port,
      handler: (raw) => listener(raw),
      logger,
      drainTimeoutMs: 1_000,
      limits: { maxConnectionsPerPeer: 1_000, maxConnections: 1_000 },
    });
  let mllp: MllpServer | undefined = newMllpServer(opts.port);
  const { port } = await mllp.start();

  let http: Server | undefined;
  let controlUrl: string | undefined;

  async function restore(): Promise<void> {
    clearTimeout(outageTimer);
    outageTimer = undefined;
    hang?.release();
    hang = undefined;
    if (mllp === undefined && !stopped) {
      mllp = newMllpServer(port);
      await mllp.start();
    }
    logger?.info({ port }, 'his sim: outage over');
  }

  const sim: HisSimulator = {
    port,
    get controlUrl() {
      return controlUrl;
    },
    state,
    received,
    sent: sender.sent,
    behaviour: () => behaviour,
    setBehaviour(patch) {
      behaviour = { ...behaviour, ...parseOrThrow(SimBehaviourPatch.safeParse(patch)) };
      return behaviour;
    },
    async outage(input) {
      const o = parseOrThrow(SimOutage.safeParse(input));
      await restore();
      if (o.mode === 'hang') {
        let release = (): void => undefined;
        const promise = new Promise<void>((resolve) => (release = resolve));
        hang = { promise, release };
      } else {
        const server = mllp;
        mllp = undefined;
        await server?.stop();
      }
      if (o.forMs !== undefined) outageTimer = setTimeout(() => void restore(), o.forMs);
      logger?.info({ mode: o.mode, forMs: o.forMs }, 'his sim: outage');
    },
    restore,
    async callNext(doctorId, room = 'R1') {
      const booking = state.callNext(doctorId);
      if (booking === undefined) return undefined;
      const sent = await track(sender.send(buildCallIn(identity, booking, room), booking.bookingRef));
      return { bookingRef: booking.bookingRef, visitNumber: booking.visitNumber, sent };
    },
    async placeOrders(bookingRef, input) {
      const p = parseOrThrow(PlaceOrdersInput.safeParse(input));
      const order = state.placeOrder(bookingRef, p.items, p.currency, p.orderId);
      const message = buildOrders(identity, state.booking(bookingRef), order, p.messageType ?? behaviour.orderMessageType);
      const sent = await track(sender.send(message, bookingRef));
      return { order, sent };
    },
    sendResults(bookingRef, orderId, observations, o = {}) {
      const input = parseOrThrow(SendResultsInput.safeParse({ observations, delayMs: o.delayMs ?? 0 }));
      const order = state.order(bookingRef, orderId);
      const run = async (): Promise<SentMessage> => {
        if (input.delayMs > 0 && !(await wait(input.delayMs))) {
          throw new DomainError(ErrorCode.InvalidState, 'simulator stopped before the results were sent');
        }
        const sent = await sender.send(buildResults(identity, state.booking(bookingRef), order, observations), bookingRef);
        order.resultsSent ||= sent.outcome === 'AA';
        return sent;
      };
      return track(run());
    },
    async bookThroughOtherChannels(input) {
      const planned = planOtherChannelBookings(parseOrThrow(OtherChannelBookingsInput.safeParse(input)), identity.localOffsetMinutes);
      const sent: SentMessage[] = [];
      for (const b of planned) sent.push(await track(sender.send(buildOtherChannelBooking(identity, b), b.appointmentId)));
      return { planned, sent };
    },
    async idle() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    async stop() {
      stopped = true;
      for (const [timer, cancel] of timers) {
        clearTimeout(timer);
        cancel();
      }
      timers.clear();
      clearTimeout(outageTimer);
      hang?.release();
      sender.cancelRetries();
      await sim.idle();
      await mllp?.stop();
      mllp = undefined;
      await sender.close();
      await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    },
  };

  if (opts.control !== undefined) {
    ({ server: http, url: controlUrl } = await startControlApi(sim, {
      host: opts.control.host ?? opts.host,
      port: opts.control.port,
      departments: opts.departments,
      doctors: opts.doctors,
    }));
  }
  logger?.info({ port, controlUrl }, 'his sim: listening');
  return sim;
}
