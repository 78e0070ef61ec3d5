import type { Payload, PayloadCodec } from '@temporalio/common';
import { Router, type ErrorRequestHandler, type Request } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { sendProblem, toProblem } from '../api/http/problem';
import type { AuditEntry } from '../db/repositories/audit';
import { DomainError, ErrorCode } from '../domain/errors';
import type { CodecAuthenticator } from './codecServerAuth';
import { isEncryptedPayload, PayloadRefusedError } from './payloadCodec';

/**
 * The Temporal codec server protocol (POST /encode, POST /decode with `{ payloads: [...] }`, bytes in
 * base64) so the Web UI can show decrypted payloads — to operators, and nobody else. Who counts as an
 * operator is the authenticator's business (codecServerAuth.ts); every answered request is written to
 * the audit log (caller, namespace, counts; never content) before the answer leaves.
 */
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const b64 = z.string().regex(BASE64, 'not base64');

function bodySchema(maxPayloads: number) {
  const payload = z.object({
    metadata: z
      .record(z.string().max(256), b64)
      .refine((m) => Object.keys(m).length <= 32, 'at most 32 metadata entries')
      .optional(),
    data: b64.optional(),
  });
  return z.object({ payloads: z.array(payload).max(maxPayloads) });
}
type JsonPayload = { metadata?: Record<string, string> | undefined; data?: string | undefined };

function fromJson(p: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
  };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

/** Header values go into the audit log: bounded and plain, or not at all. */
function headerToken(req: Request, name: string): string | undefined {
  const v = req.header(name);
  return v !== undefined && /^[\w.:@/-]{1,255}$/.test(v) ? v : undefined;
}

export interface CodecServerOptions {
  codec: PayloadCodec;
  authenticate: CodecAuthenticator;
  /** Origins (the Web UI's) whose browser requests are allowed; any other Origin is refused outright. */
  corsOrigins: readonly string[];
  audit: (entry: AuditEntry) => Promise<void>;
  /** Which door the request came through, for the audit log: `api` or `operator-listener`. */
  via: string;
  maxPayloads: number;
  logger: Logger;
}

export function codecServerRouter(opts: CodecServerOptions): Router {
  const router = Router();
  const Body = bodySchema(opts.maxPayloads);
  router.use((req, res, next) => {
    const origin = req.header('origin');
    if (origin !== undefined) {
      // A page from any other origin is refused before anything runs (CORS alone would only hide the answer).
      if (!opts.corsOrigins.includes(origin)) return next(new DomainError(ErrorCode.Forbidden, 'origin not allowed'));
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'origin');
      res.setHeader('access-control-allow-headers', 'authorization, content-type, x-namespace');
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-max-age', '600');
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  });
  for (const op of ['encode', 'decode'] as const) {
    router.post(`/${op}`, async (req, res) => {
      const caller = await opts.authenticate(req);
      if (!req.is('application/json')) throw new DomainError(ErrorCode.ValidationFailed, 'expected application/json');
      const parsed = Body.safeParse(req.body);
      if (!parsed.success) {
        throw new DomainError(ErrorCode.ValidationFailed, 'expected { payloads: [{ metadata, data }] } in base64', {
          fields: parsed.error.issues.slice(0, 5).map((i) => ({ field: ['body', ...i.path].join('.'), message: i.message })),
        });
      }
      const payloads = parsed.data.payloads.map(fromJson);
      let out: Payload[];
      let decrypted = 0;
      if (op === 'encode') {
        out = await opts.codec.encode(payloads);
      } else {
        // The UI shows whatever it is given; a payload that is not ours is returned as it came.
        const ours = payloads.filter(isEncryptedPayload);
        const plain = await opts.codec.decode(ours);
        decrypted = plain.length;
        let i = 0;
        out = payloads.map((p) => (isEncryptedPayload(p) ? (plain[i++] as Payload) : p));
      }
      const namespace = headerToken(req, 'x-namespace') ?? 'unknown';
      const workflowId = headerToken(req, 'x-workflow-id');
      await opts.audit({
        actor: caller.actor,
        action: `codec.${op}`,
        subject: workflowId ? `workflow:${workflowId}` : `namespace:${namespace}`,
        details: { namespace, payloads: payloads.length, decrypted, via: opts.via, origin: headerToken(req, 'origin') ?? null },
      });
      res.json({ payloads: out.map(toJson) });
    });
  }
  router.use(codecErrors(opts.logger));
  return router;
}

function codecErrors(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    let domain: DomainError;
    if (err instanceof DomainError) domain = err;
    else if (err instanceof PayloadRefusedError) domain = new DomainError(ErrorCode.ValidationFailed, err.message);
    else return next(err);
    logger.warn({ code: domain.code, reason: domain.details.reason, path: req.path }, `codec: ${domain.message}`);
    if (res.headersSent) return;
    sendProblem(res, toProblem(domain, req.originalUrl));
  };
}
