import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import express from 'express';
import type { DataSource } from 'typeorm';
import { hashApiKey, partnerAuth } from '../../api/auth/middleware';
import { principalOf } from '../../api/auth/principal';
import { ConcurrencyLimiter, type PartnerLimits } from '../../api/http/limits';
import { DomainError } from '../../domain/errors';
import { openTestDb } from '../helpers/db';

/**
 * Partner authentication's short cache, over a real socket and the run's PostgreSQL: a verified
 * user's answer is reused within the TTL, but a user who is not verified yet is read fresh on every
 * request (their verification shows at once), and unknown keys and users are never remembered.
 */
let ds: DataSource;
let server: Server;
let base: string;
const tag = randomUUID().slice(0, 8);
const partnerId = `auth-cache-${tag}`;
const apiKey = `pk_${tag}_${randomUUID()}`;
const verified = randomUUID();
const pending = randomUUID();
const noLimit = { take: () => Promise.resolve() };
const limits: PartnerLimits = {
  partner: noLimit,
  user: noLimit,
  institution: noLimit,
  queueStreams: new ConcurrencyLimiter(1),
  noticeStreams: { perUser: new ConcurrencyLimiter(1), perPartner: new ConcurrencyLimiter(1) },
  maxOpenBookings: 3,
  authCacheMs: 60_000, // long, so that a reuse cannot be mistaken for a fresh read
};

async function get(user: string, key = apiKey): Promise<{ status: number; body: { identityStatus?: string } }> {
  const res = await fetch(`${base}/me`, { headers: { authorization: `Bearer ${key}`, 'x-causeway-user': user } });
  return { status: res.status, body: (await res.json()) as { identityStatus?: string } };
}

beforeAll(async () => {
  ds = await openTestDb(4);
  await ds.query(`INSERT INTO partners (id, name, api_key_hash) VALUES ($1, 'auth cache', $2)`, [partnerId, hashApiKey(apiKey)]);
  for (const [id, state] of [
    [verified, 'verified'],
    [pending, 'pending'],
  ] as const) {
    await ds.query(
      `INSERT INTO users (id, partner_id, id_number_hash, id_number_enc, legal_name_enc, phone_enc, phone_hash, user_ref, identity_status)
       VALUES ($1, $2, $3, 'x', 'x', 'x', $3, $3, $4)`,
      [id, partnerId, `auth-${tag}-${state}`, state],
    );
  }
  const app = express();
  app.get('/me', partnerAuth(ds, { userRequired: true, limits }), (req, res) => {
    const p = principalOf(req);
    res.json({ identityStatus: p?.kind === 'partner' ? p.user?.identityStatus : undefined });
  });
  app.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    res.status(err instanceof DomainError ? 401 : 500).json({});
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await ds?.destroy();
});

describe('partner authentication cache', () => {
  it('reuses a verified answer within the TTL', async () => {
    expect(await get(verified)).toEqual({ status: 200, body: { identityStatus: 'verified' } });
    // Changed behind the cache's back: the cached answer still stands within the TTL (the documented trade-off).
    await ds.query(`UPDATE users SET identity_status = 'rejected' WHERE id = $1`, [verified]);
    expect(await get(verified)).toEqual({ status: 200, body: { identityStatus: 'verified' } });
  });

  it('reads a user who is not verified yet fresh on every request', async () => {
    expect((await get(pending)).body.identityStatus).toBe('pending');
    await ds.query(`UPDATE users SET identity_status = 'verified' WHERE id = $1`, [pending]);
    expect((await get(pending)).body.identityStatus).toBe('verified');
  });

  it('never remembers an unknown key or user', async () => {
    const later = randomUUID();
    expect((await get(later)).status).toBe(401);
    await ds.query(
      `INSERT INTO users (id, partner_id, id_number_hash, id_number_enc, legal_name_enc, phone_enc, phone_hash, user_ref, identity_status)
       VALUES ($1, $2, $3, 'x', 'x', 'x', $3, $3, 'verified')`,
      [later, partnerId, `auth-${tag}-later`],
    );
    expect((await get(later)).status).toBe(200);
    expect((await get(verified, `pk_wrong_${tag}`)).status).toBe(401);
    // Another partner's key does not reach this partner's cached user.
    expect((await get(verified, `${apiKey}x`)).status).toBe(401);
  });
});
