import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { DomainError, ErrorCode } from '../../../domain/errors';
import type { ParseOptions } from '../hl7';
import { waitForBookingClaim } from './claim';
import { applyRow, codeOf, messageTypeOf, parseInbound, parseOptionsFor, reasonOf } from './apply';
import { loadRow, markFailed, setParsed } from './store';
import type { InboundDispatch, InboundHl7Event, InboxSecrets, ReprocessResult } from './types';

/**
 * Operator action on one failed (or stuck `received`) HL7 row: re-parse the stored body and
 * dispatch it. A fixed parser, or a journey that now exists, turns the row `applied`.
 * Applied rows are refused (InvalidState): replaying them would signal the journey twice.
 *
 * Not routed through a handler's per-booking chain, but it waits for the booking's claim (a live
 * drain of a stuck `received` row in any process) and re-reads the row under it, so a row is never
 * dispatched by both.
 */
export async function reprocessInboxMessage(
  db: DataSource,
  secrets: InboxSecrets,
  dispatch: InboundDispatch,
  id: string,
  opts: { parseOptions?: ParseOptions; logger?: Logger; timeZoneOf?: (institutionId: string) => Promise<string | undefined> } = {},
): Promise<ReprocessResult> {
  if (!/^\d+$/.test(id))
    throw new DomainError(ErrorCode.ValidationFailed, 'inbox id must be a positive integer', {
      fields: [{ field: 'id', message: 'not an integer' }],
    });
  const row = await loadRow(db, id);
  if (row === undefined) throw new DomainError(ErrorCode.NotFound, `no HL7 inbox message ${id}`);
  if (row.status === 'applied') throw new DomainError(ErrorCode.InvalidState, `HL7 inbox message ${id} is already applied`);

  let event: InboundHl7Event;
  try {
    event = parseInbound(secrets.decrypt(row.body_enc), await parseOptionsFor(opts, row.institution_id));
  } catch (err) {
    const error = reasonOf(err, 'parse');
    await markFailed(db, row.id, error, false);
    opts.logger?.warn({ inboxId: row.id, code: codeOf(err) }, 'hl7 reprocess: stored body still does not parse');
    return { id: row.id, status: 'failed', error, attempts: row.attempts };
  }
  // A row rejected at intake has no type or booking ref yet; record them so it sorts with its booking.
  const messageType = messageTypeOf(event.header) ?? event.header.messageType;
  await setParsed(db, row.id, messageType, event.bookingRef);
  const result = await waitForBookingClaim(db, event.bookingRef, async () => {
    const current = await loadRow(db, id);
    if (current?.status === 'applied') throw new DomainError(ErrorCode.InvalidState, `HL7 inbox message ${id} is already applied`);
    return applyRow(
      {
        db,
        secrets,
        dispatch,
        logger: opts.logger,
        parseOptions: opts.parseOptions,
        ...(opts.timeZoneOf ? { timeZoneOf: opts.timeZoneOf } : {}),
      },
      { ...(current ?? row), correlation: event.bookingRef },
      event,
    );
  });
  opts.logger?.info(
    { inboxId: row.id, controlId: event.header.controlId, type: messageType, status: result.status },
    'hl7 inbox message reprocessed',
  );
  return result;
}
