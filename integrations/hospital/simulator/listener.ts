import type { Logger } from 'pino';
import { Hl7ErrorCode, ackForError, acceptAck, buildAck, parseAck, parseHl7, peekHeader, type AckInput, type Hl7Event } from '../hl7';
import type { Identity } from './outbound';
import type { HisState } from './state';
import type { ReceivedMessage, SimBehaviour } from './types';

/**
 * The HIS's MLLP handler for what Causeway sends (SIU, ADT, DFT). Like a real interface engine it
 * remembers the ACK of every message it processed, keyed by sender and MSH-10, and answers a
 * resend with that same ACK without touching its books again. Refusals that did not process the
 * message (AR, rule-based refusals, unreadable messages) are not remembered: a resend after the
 * problem is gone goes through.
 */

export interface ListenerDeps {
  state: HisState;
  behaviour: () => SimBehaviour;
  /** Resolves when no "hang" outage is active. */
  untilAnswering: () => Promise<void>;
  identity: Identity;
  received: ReceivedMessage[];
  onPaidOrders: (bookingRef: string, orderIds: string[]) => void;
  logger?: Logger;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function bookingRefOf(event: Hl7Event): string | undefined {
  return event.kind === 'ack' ? undefined : event.bookingRef;
}

export function createSimListener(deps: ListenerDeps): (raw: string) => Promise<string> {
  const processed = new Map<string, string>();
  const ackOpts: Pick<AckInput, 'sendingApplication' | 'sendingFacility' | 'localOffsetMinutes'> = {
    sendingApplication: deps.identity.application,
    sendingFacility: deps.identity.facility,
    localOffsetMinutes: deps.identity.localOffsetMinutes,
  };

  return async (raw: string): Promise<string> => {
    const peek = peekHeader(raw);
    const type = peek.messageType === undefined ? undefined : `${peek.messageType}^${peek.triggerEvent ?? ''}`;
    const record = (r: Pick<ReceivedMessage, 'ackCode' | 'kind' | 'bookingRef' | 'reason' | 'duplicate'>): void => {
      deps.received.push({ controlId: peek.controlId, type, at: new Date(), ...r });
      deps.logger?.info({ controlId: peek.controlId, type, ackCode: r.ackCode, duplicate: r.duplicate }, 'his sim: message answered');
    };

    await deps.untilAnswering();
    const behaviour = deps.behaviour();
    if (behaviour.ackDelayMs > 0) await sleep(behaviour.ackDelayMs);

    // No await from here on: the duplicate check, the books and the ACK cache change together.
    const key = `${peek.sendingApplication ?? ''}^${peek.sendingFacility ?? ''}^${peek.controlId ?? ''}`;
    const earlier = peek.controlId === undefined ? undefined : processed.get(key);
    if (earlier !== undefined) {
      record({ ackCode: 'resent', kind: undefined, bookingRef: undefined, reason: undefined, duplicate: true });
      return earlier;
    }
    if (behaviour.rejectAll !== null) {
      const reason = 'HIS refuses all messages (simulated)';
      record({ ackCode: behaviour.rejectAll, kind: undefined, bookingRef: undefined, reason, duplicate: false });
      return buildAck({
        ...ackOpts,
        original: peek,
        ackCode: behaviour.rejectAll,
        errors: [{ code: Hl7ErrorCode.ApplicationInternalError, text: reason }],
      });
    }
    let event: Hl7Event;
    try {
      event = parseHl7(raw, { localOffsetMinutes: deps.identity.localOffsetMinutes });
    } catch (err) {
      const ack = ackForError(peek, err, ackOpts);
      record({
        ackCode: parseAck(ack).ackCode,
        kind: undefined,
        bookingRef: undefined,
        reason: err instanceof Error ? err.message : 'unreadable',
        duplicate: false,
      });
      return ack;
    }
    const bookingRef = bookingRefOf(event);
    if (type !== undefined && behaviour.rejectMessageTypes.includes(type)) {
      const reason = `${type} is refused (simulated)`;
      record({ ackCode: 'AR', kind: event.kind, bookingRef, reason, duplicate: false });
      return buildAck({ ...ackOpts, original: peek, ackCode: 'AR', errors: [{ code: Hl7ErrorCode.UnsupportedMessageType, text: reason }] });
    }

    const decision = deps.state.apply(event, behaviour);
    const ack = decision.ok
      ? acceptAck(peek, ackOpts)
      : buildAck({ ...ackOpts, original: peek, ackCode: 'AE', errors: [{ code: decision.code, text: decision.reason }] });
    if (peek.controlId !== undefined) processed.set(key, ack);
    record({
      ackCode: decision.ok ? 'AA' : 'AE',
      kind: event.kind,
      bookingRef,
      reason: decision.ok ? undefined : decision.reason,
      duplicate: false,
    });
    if (decision.ok && decision.paidOrders.length > 0 && bookingRef !== undefined) deps.onPaidOrders(bookingRef, decision.paidOrders);
    return ack;
  };
}
