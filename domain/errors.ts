/**
 * One error taxonomy for the whole platform. Every expected failure carries a stable code;
 * the API maps codes to HTTP status and problem+json `type`, activities map them to
 * non-retryable ApplicationFailures, adapters raise them at the edge.
 */
export const ErrorCode = {
  ValidationFailed: 'validation_failed',
  Unauthenticated: 'unauthenticated',
  Forbidden: 'forbidden',
  NotFound: 'not_found',
  Conflict: 'conflict',
  IdempotencyKeyReused: 'idempotency_key_reused',
  SlotTaken: 'slot_taken',
  SlotRejectedByHis: 'slot_rejected_by_his',
  PaymentDeclined: 'payment_declined',
  PaymentDeadlinePassed: 'payment_deadline_passed',
  IdentityRejected: 'identity_rejected',
  IdentityProviderDown: 'identity_provider_down',
  InvalidSignature: 'invalid_signature',
  ReplayedRequest: 'replayed_request',
  Hl7Rejected: 'hl7_rejected',
  Hl7Malformed: 'hl7_malformed',
  CounterpartUnavailable: 'counterpart_unavailable',
  InvalidState: 'invalid_state',
  /** The doctor's queue of that service day has closed: nobody joins or is called any more. */
  QueueClosed: 'queue_closed',
  RateLimited: 'rate_limited',
  PayloadTooLarge: 'payload_too_large',
  UnsupportedMediaType: 'unsupported_media_type',
  Internal: 'internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes that describe a business refusal: retrying the same call will not change the answer. */
const NON_RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  ErrorCode.ValidationFailed,
  ErrorCode.Unauthenticated,
  ErrorCode.Forbidden,
  ErrorCode.NotFound,
  ErrorCode.Conflict,
  ErrorCode.IdempotencyKeyReused,
  ErrorCode.SlotTaken,
  ErrorCode.SlotRejectedByHis,
  ErrorCode.PaymentDeclined,
  ErrorCode.PaymentDeadlinePassed,
  ErrorCode.IdentityRejected,
  ErrorCode.InvalidSignature,
  ErrorCode.ReplayedRequest,
  ErrorCode.Hl7Rejected,
  ErrorCode.Hl7Malformed,
  ErrorCode.InvalidState,
  ErrorCode.PayloadTooLarge,
  ErrorCode.UnsupportedMediaType,
  ErrorCode.QueueClosed,
]);

export function isRetryable(code: ErrorCode): boolean {
  return !NON_RETRYABLE.has(code);
}

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `body.patient.idNumber`. */
  field: string;
  message: string;
}

export class DomainError extends Error {
  override readonly name = 'DomainError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { fields?: FieldIssue[]; [key: string]: unknown } = {},
  ) {
    super(message);
  }

  get retryable(): boolean {
    return isRetryable(this.code);
  }
}

export function isDomainError(err: unknown): err is DomainError {
  return err instanceof DomainError;
}
