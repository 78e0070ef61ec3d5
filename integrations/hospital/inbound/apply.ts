import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { DomainError, ErrorCode } from '../../../domain/errors';
import { Hl7ErrorCode, parseHl7, type ParseOptions } from '../hl7';
import { markApplied, markFailed, type StoredRow } from './store';
import type { InboundDispatch, InboundHl7Event, InboxSecrets, ReprocessResult } from './types';

/** Parsing and applying one stored row, shared by the live pipeline and operator reprocessing. */

/** parseHl7, minus ACKs: an ACK sent to our listener answers nothing we sent on that connection. */
export function parseInbound(raw: string, options?: ParseOptions): InboundHl7Event {
  const event = parseHl7(raw, options);
  if (event.kind === 'ack') {
    throw new DomainError(ErrorCode.Hl7Malformed, 'an ACK is not accepted as an inbound message', {
      field: 'MSH-9',
      hl7ErrorCode: Hl7ErrorCode.UnsupportedMessageType,
      location: { segment: 'MSH', sequence: 1, field: 9 },
    });
  }
  return event;
}

export function messageTypeOf(h: { messageType?: string; triggerEvent?: string }): string | null {
  if (h.messageType === undefined) return null;
  return h.triggerEvent === undefined ? h.messageType : `${h.messageType}^${h.triggerEvent}`;
}

/**
 * The reason stored in inbox_messages.error. Our DomainErrors carry PII-free messages by design
 * (the parser names fields, never values). A foreign error's text is kept for dispatch failures
 * (Temporal's "workflow not found" is what an operator needs) but not for parser crashes, whose
 * text could quote the message.
 */
export function reasonOf(err: unknown, stage: 'parse' | 'dispatch'): string {
  if (err instanceof DomainError) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return stage === 'dispatch' ? `${err.name}: ${err.message}` : `${err.name}: unexpected parser failure`;
  return `${stage} failed`;
}

export function codeOf(err: unknown): string {
  if (err instanceof DomainError) return err.code;
  return err instanceof Error ? err.name : 'unknown';
}

export interface ApplyContext {
  db: DataSource;
  secrets: InboxSecrets;
  dispatch: InboundDispatch;
  logger?: Logger;
  parseOptions?: ParseOptions;
  /** The sending institution's IANA zone, for timestamps sent without an offset. */
  timeZoneOf?: (institutionId: string) => Promise<string | undefined>;
  /** Told how long an applied message waited in the inbox (seconds), for metrics. */
  onApplied?: (delaySeconds: number) => void;
}

/** Parse options for one institution's messages: its own time zone when known. */
export async function parseOptionsFor(
  ctx: Pick<ApplyContext, 'parseOptions' | 'timeZoneOf'>,
  institutionId: string | null,
): Promise<ParseOptions> {
  const timeZone = institutionId === null ? undefined : await ctx.timeZoneOf?.(institutionId);
  return timeZone === undefined ? { ...ctx.parseOptions } : { ...ctx.parseOptions, timeZone };
}

/**
 * Dispatches one row and records the outcome. `parsed` skips re-parsing a body the intake has just
 * parsed. Dispatch is at-least-once (a crash after dispatch and before the status write repeats
 * it), so receivers dedupe on meta.inboxId.
 */
export async function applyRow(ctx: ApplyContext, row: StoredRow, parsed?: InboundHl7Event): Promise<ReprocessResult> {
  const attempt = row.attempts + 1;
  let event = parsed;
  if (event === undefined) {
    try {
      event = parseInbound(ctx.secrets.decrypt(row.body_enc), await parseOptionsFor(ctx, row.institution_id));
    } catch (err) {
      // Not a dispatch attempt: attempts stays as it was (0 keeps an intake rejection replaceable by a resend).
      const error = reasonOf(err, 'parse');
      await markFailed(ctx.db, row.id, error, false);
      ctx.logger?.warn({ inboxId: row.id, code: codeOf(err) }, 'hl7 inbox row does not parse');
      return { id: row.id, status: 'failed', error, attempts: row.attempts };
    }
  }
  const log = { inboxId: row.id, controlId: event.header.controlId, type: messageTypeOf(event.header), attempt };
  try {
    // Rows from before institution_id existed were filed under their MSH-4.
    const institutionId = row.institution_id ?? event.header.sendingFacility;
    if (event.header.sendingFacility !== institutionId) {
      throw new DomainError(ErrorCode.Forbidden, 'MSH-4 does not name the institution that sent the message');
    }
    await ctx.dispatch(event, {
      inboxId: row.id,
      sender: row.sender,
      institutionId,
      messageId: row.message_id,
      correlation: event.bookingRef,
      attempt,
    });
  } catch (err) {
    const error = reasonOf(err, 'dispatch');
    await markFailed(ctx.db, row.id, error);
    ctx.logger?.warn({ ...log, code: codeOf(err) }, 'hl7 dispatch failed; row kept for reprocessing');
    return { id: row.id, status: 'failed', error, attempts: attempt };
  }
  const waited = await markApplied(ctx.db, row.id);
  if (waited !== null) ctx.onApplied?.(waited);
  ctx.logger?.debug(log, 'hl7 message applied');
  return { id: row.id, status: 'applied', attempts: attempt };
}
