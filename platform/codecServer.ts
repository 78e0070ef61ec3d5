import { createHash, timingSafeEqual } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { Router, type Request, type Response } from 'express';
import { z } from 'zod';

/**
 * The Temporal codec server protocol (POST /encode, POST /decode with `{ payloads: [...] }`, bytes in
 * base64) so the Web UI can show decrypted payloads — to operators holding a token, and nobody else.
 */
const JsonPayload = z.object({ metadata: z.record(z.string(), z.string()).optional(), data: z.string().optional() });
const Body = z.object({ payloads: z.array(JsonPayload) });

function fromJson(p: z.infer<typeof JsonPayload>): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
  };
}

function toJson(p: Payload): z.infer<typeof JsonPayload> {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

function problem(res: Response, status: number, title: string, detail: string): void {
  res
    .status(status)
    .type('application/problem+json')
    .json({
      type: `https://causeway.dev/problems/${status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : 'validation-failed'}`,
      title,
      status,
      detail,
      code: status === 401 ? 'unauthenticated' : status === 403 ? 'forbidden' : 'validation_failed',
    });
}

export function codecServerRouter(opts: {
  codec: PayloadCodec;
  operatorTokens: readonly string[];
  corsOrigins: readonly string[];
}): Router {
  const router = Router();
  const hashed = opts.operatorTokens.map((t) => createHash('sha256').update(t).digest());
  router.use((req, res, next) => {
    const origin = req.header('origin');
    if (origin && opts.corsOrigins.includes(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'origin');
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('access-control-allow-headers', 'authorization, content-type, x-namespace');
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
    }
    if (req.method === 'OPTIONS') {
      res.status(origin && opts.corsOrigins.includes(origin) ? 204 : 403).end();
      return;
    }
    next();
  });
  const authorised = (req: Request, res: Response): boolean => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.header('authorization') ?? '');
    if (!m?.[1]) {
      problem(res, 401, 'Authentication required', 'operator bearer token required');
      return false;
    }
    const h = createHash('sha256').update(m[1]).digest();
    if (!hashed.some((x) => timingSafeEqual(x, h))) {
      problem(res, 403, 'Not allowed', 'not an operator token');
      return false;
    }
    return true;
  };
  for (const op of ['encode', 'decode'] as const) {
    router.post(`/${op}`, async (req, res, next) => {
      try {
        if (!authorised(req, res)) return;
        const parsed = Body.safeParse(req.body);
        if (!parsed.success) return problem(res, 400, 'The request is not valid', 'expected { payloads: [{ metadata, data }] }');
        const payloads = parsed.data.payloads.map(fromJson);
        const out = op === 'encode' ? await opts.codec.encode(payloads) : await opts.codec.decode(payloads);
        res.json({ payloads: out.map(toJson) });
      } catch (err) {
        next(err);
      }
    });
  }
  return router;
}
