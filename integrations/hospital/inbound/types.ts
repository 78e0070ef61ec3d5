import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';
import { z } from 'zod';
import type { Acknowledgement, Hl7Event, ParseOptions } from '../hl7';
import type { GroupCommitOptions } from './groupCommit';

/** What the inbound pipeline hands on: every parsed event except ACKs (ACKs answer our own sends). */
export type InboundHl7Event = Exclude<Hl7Event, Acknowledgement>;

/** Encrypts message bodies at rest (the platform's PII cipher). */
export interface InboxSecrets {
  encrypt(plain: string): string;
  decrypt(cipher: string): string;
}

export const DispatchMeta = z.object({
  /** inbox_messages.id: stable across redeliveries and reprocessing, so a receiver can dedupe on it. */
  inboxId: z.string(),
  /** MSH-3^institution. */
  sender: z.string(),
  /** The institution the transport authenticated: the message may only touch this institution's visits. */
  institutionId: z.string(),
  /** MSH-10 (or the synthetic id of a message without one). */
  messageId: z.string(),
  /** The booking ref the message correlates to. */
  correlation: z.string(),
  /** 1 on the first try; reprocessing counts up. */
  attempt: z.number().int().positive(),
});
export type DispatchMeta = z.infer<typeof DispatchMeta>;

/** Applies one stored message (the lead wires it to the visit workflow's signals). Throw to mark the row failed. */
export type InboundDispatch = (event: InboundHl7Event, meta: DispatchMeta) => Promise<void>;

export interface InboundHl7Options {
  db: DataSource;
  secrets: InboxSecrets;
  dispatch: InboundDispatch;
  logger?: Logger;
  parseOptions?: ParseOptions;
  /** Who may send; without it every sender is accepted as the MSH-4 it names (unit tests of the pipeline). */
  authorizeSender?: SenderCheck;
  /**
   * The institution a booking ref's visit belongs to, if Causeway knows the visit. A message whose
   * booking ref is another institution's visit is answered AE and stored failed.
   */
  visitInstitution?: (bookingRef: string) => Promise<string | undefined>;
  /** The institution's IANA time zone: timestamps it sends without an offset are read in it. */
  timeZoneOf?: (institutionId: string) => Promise<string | undefined>;
  /**
   * How many bookings this process drains at once. Each holds a claim (an advisory lock pinning one
   * pooled connection) while its dispatches use others, so keep it below the pool size. Default 4.
   */
  maxConcurrentClaims?: number;
  /** How inbox inserts are grouped into one statement and commit (groupCommit.ts); defaults suit one process. */
  groupCommit?: GroupCommitOptions;
  /** Our identity in ACKs when the sender left MSH-5/MSH-6 empty. Default CAUSEWAY. */
  ackIdentity?: { application?: string; facility?: string };
  /** Told, for metrics, how long each applied message waited in the inbox (seconds). */
  onApplied?: (delaySeconds: number) => void;
}

export interface InboundMeta {
  remoteAddress: string;
  /** CN of a verified TLS client certificate (MLLP over mutual TLS). */
  peerCertificateCn?: string;
  /** An institution the transport already authenticated (the HMAC-signed HTTP route). */
  authenticatedInstitution?: string;
}

/**
 * Decides whether this connection may speak for the institution named in MSH-4. Refused messages
 * are answered AR and not stored: storing them would let anyone who reaches the port claim a
 * hospital's control ids before the hospital sends them.
 */
export type SenderCheck = (
  facility: string | undefined,
  meta: InboundMeta,
) => Promise<{ ok: true; institutionId: string } | { ok: false; reason: string }>;

export interface InboundHl7Handler {
  /** Stores the message, answers with the ACK; dispatch continues in the background. Never throws. */
  (raw: string, meta: InboundMeta): Promise<string>;
  /** Resolves once every dispatch started so far has settled (tests, graceful shutdown). */
  idle(): Promise<void>;
  /**
   * Dispatches rows left `received` (a crash between store and dispatch), oldest first, through the
   * same per-booking chains. Call at start-up, on every replica: rows are claimed per booking in
   * PostgreSQL, so replicas resuming the same rows apply each once. Returns how many booking refs it queued.
   * `institutionId` limits it to one institution's rows (a hospital's backlog after its outage; tests
   * sharing a database).
   */
  resumePending(limit?: number, institutionId?: string): Promise<number>;
}

/** One failed row as the operator endpoint shows it: no body, only what locates and explains it. */
export const InboxFailure = z.object({
  id: z.string(),
  sender: z.string(),
  messageId: z.string(),
  messageType: z.string().nullable(),
  correlation: z.string().nullable(),
  error: z.string().nullable(),
  attempts: z.number().int(),
  receivedAt: z.date(),
});
export type InboxFailure = z.infer<typeof InboxFailure>;

export const ReprocessResult = z.object({
  id: z.string(),
  status: z.enum(['applied', 'failed']),
  error: z.string().optional(),
  attempts: z.number().int(),
});
export type ReprocessResult = z.infer<typeof ReprocessResult>;
