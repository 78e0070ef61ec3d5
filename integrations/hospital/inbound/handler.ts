import { DomainError, ErrorCode } from '../../../domain/errors';
import { Hl7ErrorCode, acceptAck, ackForError, peekHeader, type PeekedHeader } from '../hl7';
import { malformed } from '../hl7/errors';
import { applyRow, codeOf, messageTypeOf, parseInbound, parseOptionsFor, reasonOf, type ApplyContext } from './apply';
import { Gate, tryBookingClaim } from './claim';
import { createInboxWriter } from './groupCommit';
import { KeyedSerializer } from './serializer';
import { hasReceived, pendingCorrelations, receivedFor, replaceRejected, senderOf, syntheticMessageId, type NewRow } from './store';
import type { InboundHl7Event, InboundHl7Handler, InboundHl7Options, InboundMeta } from './types';

/**
 * The inbound HL7 pipeline, behind MllpServer (or an HTTP route for hospitals that POST HL7):
 *
 *   peek MSH → parse/validate → INSERT into inbox_messages (ON CONFLICT DO NOTHING) → ACK
 *                                (group commit: one INSERT for the messages of the moment)
 *                                                           └→ dispatch, per booking ref, in order
 *
 * AA is only ever sent once the message is durable. A message we cannot read is stored too
 * (failed, with the reason) and answered AE/AR, so an operator sees everything a hospital sent.
 * A redelivery (same authenticated institution and MSH-10) is acknowledged again and not dispatched twice.
 */

/** After this many failed retries a booking's rows wait for its next message or resumePending(). */
const MAX_CHAIN_RETRIES = 8;
/**
 * How long a drain that finds its booking claimed by another process keeps looking (tries, with
 * pauses growing from 25 ms to 1 s). The holder applies what arrives while it holds the claim, so
 * this only matters when the holder died mid-drain or a different booking shares the lock key.
 */
const BUSY_TRIES = 10;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Parsed events kept for the drain, by inbox id; rows another process applied age out past this many. */
const MAX_PARSED_KEPT = 10_000;

type Stored = { outcome: 'new'; id: string } | { outcome: 'duplicate'; id: string; status: string };

export function createInboundHl7Handler(opts: InboundHl7Options): InboundHl7Handler {
  const { db, secrets, logger, parseOptions } = opts;
  const ctx: ApplyContext = {
    db,
    secrets,
    dispatch: opts.dispatch,
    logger,
    parseOptions,
    ...(opts.timeZoneOf ? { timeZoneOf: opts.timeZoneOf } : {}),
    ...(opts.onApplied ? { onApplied: opts.onApplied } : {}),
  };
  const ackOpts = {
    sendingApplication: opts.ackIdentity?.application,
    sendingFacility: opts.ackIdentity?.facility,
    localOffsetMinutes: parseOptions?.localOffsetMinutes,
  };
  // A chain that fails (the database went away mid-apply) leaves its rows `received` and is tried
  // again with growing pauses, so they settle without waiting for the booking's next message.
  const retries = new Map<string, number>();
  const chains = new KeyedSerializer((key, err) => {
    const attempt = (retries.get(key) ?? 0) + 1;
    retries.set(key, attempt);
    logger?.error({ code: codeOf(err), attempt }, 'hl7 dispatch chain failed; rows kept and retried');
    if (attempt <= MAX_CHAIN_RETRIES) setTimeout(() => schedule(key), Math.min(30_000, 500 * 2 ** (attempt - 1))).unref();
  });
  // Each claim pins a pooled connection while its dispatches use others: fewer claims than connections.
  const claims = new Gate(Math.max(1, opts.maxConcurrentClaims ?? 4));
  /**
   * The event the intake parsed from exactly the body it stored, by inbox id: the drain dispatches it
   * instead of decrypting and parsing the row again (the same body with the same institution's
   * options). Rows stored elsewhere, or applied by another process, are parsed from the row as before.
   */
  const parsed = new Map<string, InboundHl7Event>();
  const keepParsed = (id: string, event: InboundHl7Event): void => {
    parsed.set(id, event);
    if (parsed.size > MAX_PARSED_KEPT) parsed.delete(parsed.keys().next().value ?? id);
  };
  const takeParsed = (id: string): InboundHl7Event | undefined => {
    const event = parsed.get(id);
    parsed.delete(id);
    return event;
  };
  /** Applies the booking's rows while holding its claim; re-reads before letting go. */
  const applyClaimed = (correlation: string) =>
    claims.run(() =>
      tryBookingClaim(db, correlation, async () => {
        for (let rows = await receivedFor(db, correlation); rows.length > 0; rows = await receivedFor(db, correlation)) {
          for (const row of rows) await applyRow(ctx, row, takeParsed(row.id));
        }
      }),
    );
  async function drain(correlation: string): Promise<void> {
    for (let busy = 0; ;) {
      const claim = await applyClaimed(correlation);
      // Checked after the claim is released: a row stored by a process whose own try failed while we held
      // the claim is ours to apply, else nobody would (the lost wake-up).
      if (!(await hasReceived(db, correlation))) break;
      if (claim.acquired) continue;
      if (++busy >= BUSY_TRIES) break; // still claimed: its holder will see them, or the next message / resumePending
      await sleep(Math.min(1_000, 25 * 2 ** busy));
    }
    retries.delete(correlation);
  }

  function schedule(correlation: string): void {
    void chains.schedule(correlation, () => drain(correlation));
  }

  const insert = createInboxWriter(db, opts.groupCommit);
  async function store(row: NewRow): Promise<Stored> {
    const result = await insert(row);
    if (result.inserted) return { outcome: 'new', id: result.id };
    const { existing } = result;
    // Rejected at intake (failed, never dispatched): the sender never had an AA, so its resend counts as new.
    if (existing.status === 'failed' && existing.attempts === 0 && (await replaceRejected(db, existing.id, row))) {
      return { outcome: 'new', id: existing.id };
    }
    return { outcome: 'duplicate', id: existing.id, status: existing.status };
  }

  /** Who sent the message: the institution the transport proved, or (no check configured) the MSH-4 it names. */
  async function authenticate(
    peek: PeekedHeader,
    meta: InboundMeta,
  ): Promise<{ ok: true; institutionId: string } | { ok: false; reason: string }> {
    if (!opts.authorizeSender) return { ok: true, institutionId: peek.sendingFacility ?? '' };
    return opts.authorizeSender(peek.sendingFacility, meta).catch((err: unknown) => ({
      ok: false as const,
      reason: `sender check failed (${codeOf(err)})`,
    }));
  }

  /** What must hold between the parsed message and who sent it, else the message is stored failed (AE/AR). */
  async function checkScope(event: InboundHl7Event, institutionId: string): Promise<void> {
    // peekHeader and parseHeader read MSH-4 with the same reader, so this only fails if that ever changes.
    if (event.header.sendingFacility !== institutionId) {
      throw new DomainError(ErrorCode.Forbidden, 'MSH-4 does not name the institution that sent the message');
    }
    const owner = await opts.visitInstitution?.(event.bookingRef);
    if (owner !== undefined && owner !== institutionId) {
      throw malformed(
        Hl7ErrorCode.UnknownKeyIdentifier,
        { segment: 'PV1', field: 50 },
        'booking ref is not a visit of the sending institution',
      );
    }
  }

  async function handle(raw: string, meta: InboundMeta): Promise<string> {
    // The header is read from the first segment alone: nothing of the body is parsed before the sender check.
    const peek: PeekedHeader = peekHeader(raw);
    const log = { controlId: peek.controlId, type: messageTypeOf(peek), bytes: raw.length, remoteAddress: meta.remoteAddress };
    const verdict = await authenticate(peek, meta);
    if (!verdict.ok) {
      logger?.warn(
        { ...log, facility: peek.sendingFacility, reason: verdict.reason },
        'hl7 sender not authorized; answering AR, not stored',
      );
      return ackForError(peek, new DomainError(ErrorCode.Forbidden, `sender not authorized: ${verdict.reason}`), ackOpts);
    }
    const { institutionId } = verdict;
    let event: InboundHl7Event | undefined;
    let rejection: unknown;
    try {
      event = parseInbound(raw, await parseOptionsFor(ctx, institutionId));
      await checkScope(event, institutionId);
    } catch (err) {
      event = undefined;
      rejection = err;
    }
    let stored: Stored;
    try {
      stored = await store({
        sender: senderOf(peek, institutionId),
        institutionId,
        messageId: peek.controlId ?? syntheticMessageId(raw),
        messageType: messageTypeOf(peek),
        correlation: event?.bookingRef ?? null,
        bodyEnc: secrets.encrypt(raw),
        status: event === undefined ? 'failed' : 'received',
        error: event === undefined ? reasonOf(rejection, 'parse') : null,
      });
    } catch (err) {
      // Not durable, so not ours: AR (207) tells the sender to try again later.
      logger?.error({ ...log, code: codeOf(err) }, 'hl7 inbox write failed; answering AR');
      return ackForError(peek, err, ackOpts);
    }

    if (stored.outcome === 'duplicate') {
      // We hold an accepted copy (store() replaces rejected ones): acknowledge again, dispatch nothing.
      // A row still `received` (left by a crash) gets a nudge; a failed one waits for an operator.
      logger?.info({ ...log, inboxId: stored.id, status: stored.status }, 'hl7 duplicate acknowledged again');
      if (stored.status === 'received' && event !== undefined) schedule(event.bookingRef);
      return acceptAck(peek, ackOpts);
    }
    if (event === undefined) {
      logger?.warn({ ...log, inboxId: stored.id, code: codeOf(rejection) }, 'hl7 message rejected; stored as failed');
      return ackForError(peek, rejection, ackOpts);
    }
    keepParsed(stored.id, event);
    schedule(event.bookingRef);
    logger?.info({ ...log, inboxId: stored.id }, 'hl7 message stored');
    return acceptAck(peek, ackOpts);
  }

  async function resumePending(limit = 1000, institutionId?: string): Promise<number> {
    const keys = await pendingCorrelations(db, limit, institutionId);
    for (const key of keys) schedule(key);
    return keys.length;
  }

  return Object.assign(handle, { idle: () => chains.idle(), resumePending });
}
