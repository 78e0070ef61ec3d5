import { z } from 'zod';

/**
 * Failures the simulator can be told to produce, for tests and drills. Each fault applies to the
 * next `times` matching events and then disarms itself. The same schema validates the HTTP
 * control endpoint (`POST /sim/faults`).
 */
const Times = z.number().int().min(1).max(10_000).default(1);
/** Restrict a gateway fault to one API method, e.g. "alipay.trade.query"; all methods if absent. */
const Method = z.string().optional();

export const Fault = z.discriminatedUnion('kind', [
  /** Answer with an HTTP 5xx and no signed body. */
  z.object({ kind: z.literal('http5xx'), status: z.number().int().min(500).max(599).default(503), times: Times, method: Method }),
  /** Answer correctly, but only after `ms`. */
  z.object({ kind: z.literal('delay'), ms: z.number().int().min(0).max(600_000), times: Times, method: Method }),
  /** Never answer: the connection stays open until the client gives up (or the simulator stops). */
  z.object({ kind: z.literal('timeout'), times: Times, method: Method }),
  /**
   * Do the work, then never answer: the platform applied the request but its answer was lost on the way
   * back, so the client gives up not knowing (unlike `timeout`, which applies nothing).
   */
  z.object({ kind: z.literal('lostAnswer'), times: Times, method: Method }),
  /** A signed answer saying the platform is busy (code 20000 / ACQ.SYSTEM_ERROR). */
  z.object({ kind: z.literal('systemError'), times: Times, method: Method }),
  /** Change the answer after signing it, as a man in the middle would: the SDK must reject it. */
  z.object({ kind: z.literal('tamperResponse'), times: Times, method: Method }),
  /** Deliver the next notification twice (same notify_id). */
  z.object({ kind: z.literal('notifyDuplicate'), times: Times }),
  /** Hold the next notification for `ms` before the first attempt. */
  z.object({ kind: z.literal('notifyLate'), ms: z.number().int().min(0).max(3_600_000), times: Times }),
  /** Collect the next `count` notifications and deliver them newest first. */
  z.object({ kind: z.literal('notifyOutOfOrder'), count: z.number().int().min(2).max(100).default(2) }),
  /**
   * The buyer confirms on the phone in the instant before the next close (of `method`'s order, or any)
   * reaches the platform: the trade is paid first, so the close is refused with ACQ.TRADE_STATUS_ERROR.
   */
  z.object({ kind: z.literal('payBeforeClose'), times: Times }),
  /** The same in the instant before the next alipay.trade.cancel: a USERPAYING buyer confirms as the till gives up. */
  z.object({ kind: z.literal('payBeforeCancel'), times: Times }),
  /** The buyer (platform user id 2088…) has no money: their next charges by agreement are refused. */
  z.object({ kind: z.literal('insufficientBalance'), buyerId: z.string().min(1).max(32), times: Times }),
  /** Sign the next notification with a key that is not the platform's (a forgery). */
  z.object({ kind: z.literal('notifyForged'), times: Times }),
]);
export type Fault = z.infer<typeof Fault>;
export type FaultInput = z.input<typeof Fault>;
type FaultKind = Fault['kind'];
type FaultOf<K extends FaultKind> = Extract<Fault, { kind: K }>;

interface Armed {
  fault: Fault;
  remaining: number;
}

export class FaultBook {
  private armed: Armed[] = [];

  inject(input: FaultInput): void {
    const fault = Fault.parse(input);
    this.armed.push({ fault, remaining: fault.kind === 'notifyOutOfOrder' ? 1 : fault.times });
  }

  clear(): void {
    this.armed = [];
  }

  /** Consumes one use of the first armed fault of this kind (matching the method, if scoped). */
  take<K extends FaultKind>(kind: K, method?: string): FaultOf<K> | undefined {
    return this.takeFirst([kind], method);
  }

  /** Consumes one use of the first `insufficientBalance` fault armed for this buyer. */
  takeForBuyer(buyerId: string): FaultOf<'insufficientBalance'> | undefined {
    const entry = this.armed.find((a) => a.fault.kind === 'insufficientBalance' && a.fault.buyerId === buyerId);
    if (!entry || entry.fault.kind !== 'insufficientBalance') return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.armed = this.armed.filter((a) => a !== entry);
    return entry.fault;
  }

  /** The first armed gateway fault for this method, in injection order, consumed. */
  takeGatewayFault(method: string): FaultOf<GatewayKind> | undefined {
    return this.takeFirst(GATEWAY_KINDS, method);
  }

  private takeFirst<K extends FaultKind>(kinds: readonly K[], method: string | undefined): FaultOf<K> | undefined {
    const entry = this.armed.find((a) => isOneOf(a.fault, kinds) && matches(a.fault, method));
    if (!entry || !isOneOf(entry.fault, kinds)) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.armed = this.armed.filter((a) => a !== entry);
    return entry.fault;
  }
}

const GATEWAY_KINDS = ['http5xx', 'delay', 'timeout', 'lostAnswer', 'systemError', 'tamperResponse'] as const;
type GatewayKind = (typeof GATEWAY_KINDS)[number];

function matches(f: Fault, method: string | undefined): boolean {
  return !('method' in f) || f.method === undefined || f.method === method;
}

function isOneOf<K extends FaultKind>(f: Fault, kinds: readonly K[]): f is FaultOf<K> {
  return kinds.some((k) => k === f.kind);
}
