import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { DomainError, ErrorCode, type FieldIssue } from '../../domain/errors';

/** RFC 9457 problem details: one format for every error the API returns. */
export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional(),
  code: z.string(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
});
export type Problem = z.infer<typeof Problem>;

const STATUS: Record<ErrorCode, number> = {
  validation_failed: 422,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  idempotency_key_reused: 409,
  slot_taken: 409,
  slot_rejected_by_his: 409,
  payment_declined: 402,
  payment_deadline_passed: 409,
  identity_rejected: 422,
  identity_provider_down: 503,
  invalid_signature: 401,
  replayed_request: 409,
  hl7_rejected: 502,
  hl7_malformed: 400,
  counterpart_unavailable: 503,
  invalid_state: 409,
  queue_closed: 409,
  rate_limited: 429,
  payload_too_large: 413,
  unsupported_media_type: 415,
  internal: 500,
};

const TITLE: Record<ErrorCode, string> = {
  validation_failed: 'The request is not valid',
  unauthenticated: 'Authentication required',
  forbidden: 'Not allowed',
  not_found: 'Not found',
  conflict: 'Conflict',
  idempotency_key_reused: 'Idempotency-Key reused with a different request',
  slot_taken: 'The slot is already taken',
  slot_rejected_by_his: 'The hospital refused the slot',
  payment_declined: 'Payment declined',
  payment_deadline_passed: 'The payment deadline has passed',
  identity_rejected: 'Identity could not be verified',
  identity_provider_down: 'Identity provider unavailable',
  invalid_signature: 'Signature verification failed',
  replayed_request: 'Request already seen',
  hl7_rejected: 'The hospital rejected the message',
  hl7_malformed: 'Malformed HL7 message',
  counterpart_unavailable: 'A counterpart system is unavailable',
  invalid_state: 'Not possible in the current state',
  queue_closed: "The doctor's queue of that day is closed",
  rate_limited: 'Too many requests',
  payload_too_large: 'Request too large',
  unsupported_media_type: 'Unsupported request encoding',
  internal: 'Internal error',
};

export const PROBLEM_TYPE_BASE = 'https://causeway.dev/problems/';

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

export function toProblem(err: DomainError, instance?: string): Problem {
  const fields: FieldIssue[] | undefined = err.details.fields;
  return {
    type: PROBLEM_TYPE_BASE + err.code.replace(/_/g, '-'),
    title: TITLE[err.code],
    status: STATUS[err.code],
    detail: err.message,
    code: err.code,
    ...(instance ? { instance } : {}),
    ...(fields && fields.length > 0 ? { errors: fields } : {}),
  };
}

export function sendProblem(res: Response, problem: Problem): void {
  res.status(problem.status).type('application/problem+json').json(problem);
}

/** Last express middleware: DomainErrors become their problem; anything else a 500 without internals. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let domain: DomainError;
    if (err instanceof DomainError) {
      domain = err;
    } else if (isBodyParserError(err)) {
      domain = bodyParserProblem(err);
    } else {
      logger.error({ err, reqId: req.id }, 'unhandled error');
      domain = new DomainError(ErrorCode.Internal, 'an unexpected error occurred');
    }
    if (domain.code !== ErrorCode.Internal) logger.warn({ code: domain.code, reqId: req.id, path: req.path }, domain.message);
    if (res.headersSent) return;
    const retryAfter = domain.details.retryAfterSeconds;
    if (typeof retryAfter === 'number' && Number.isFinite(retryAfter))
      res.setHeader('retry-after', String(Math.max(1, Math.ceil(retryAfter))));
    sendProblem(res, toProblem(domain, req.originalUrl));
  };
}

/**
 * body-parser's refusals (its `type` names them): each a 4xx naming the body, never a 500. Its own
 * message can carry internals (charset names, limits), so the detail is ours.
 */
const BODY_PARSER: Record<string, { code: ErrorCode; detail: string; message: string }> = {
  'entity.parse.failed': { code: ErrorCode.ValidationFailed, detail: 'request body is not valid JSON', message: 'not valid JSON' },
  'entity.verify.failed': { code: ErrorCode.ValidationFailed, detail: 'request body could not be read', message: 'unreadable' },
  'entity.too.large': { code: ErrorCode.PayloadTooLarge, detail: 'request body too large', message: 'too large' },
  'parameters.too.many': { code: ErrorCode.PayloadTooLarge, detail: 'too many form parameters', message: 'too many parameters' },
  'encoding.unsupported': {
    code: ErrorCode.UnsupportedMediaType,
    detail: 'unsupported content encoding',
    message: 'unsupported content-encoding',
  },
  'charset.unsupported': { code: ErrorCode.UnsupportedMediaType, detail: 'unsupported charset', message: 'unsupported charset' },
  'request.aborted': { code: ErrorCode.ValidationFailed, detail: 'request body was cut short', message: 'aborted' },
  'request.size.invalid': {
    code: ErrorCode.ValidationFailed,
    detail: 'request body does not match its Content-Length',
    message: 'size mismatch',
  },
};

function bodyParserProblem(err: { type: string }): DomainError {
  const known = BODY_PARSER[err.type] ?? {
    code: ErrorCode.ValidationFailed,
    detail: 'request body could not be read',
    message: 'unreadable',
  };
  return new DomainError(known.code, known.detail, { fields: [{ field: 'body', message: known.message }] });
}

/** Any error body-parser raised about the request (they carry a string `type` and a 4xx `status`). */
function isBodyParserError(err: unknown): err is { status: number; message: string; type: string } {
  if (typeof err !== 'object' || err === null || !('type' in err) || !('status' in err)) return false;
  const { type, status } = err;
  return typeof type === 'string' && (type in BODY_PARSER || (typeof status === 'number' && status >= 400 && status < 500));
}
