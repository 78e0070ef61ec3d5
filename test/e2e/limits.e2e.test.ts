import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { hashApiKey } from '../../api/auth/middleware';
import { startHospitalDriver, type HospitalDriver } from '../helpers/hospitalDriver';
import { until } from '../helpers/poll';

/**
 * Issue 8, item 7: per-user and per-partner limits (429 problem+json with Retry-After), and the
 * cross-user / cross-partner reads an attacker tries next (IDOR on visits by booking ref).
 */
let d: HospitalDriver;
let alice: string;
let bob: string;
let aliceRefs: string[] = [];

beforeAll(async () => {
  d = await startHospitalDriver({
    policy: { holdMinutes: 10, fullRefundCutoffMinutes: 60, noShowGraceMinutes: 0, reminderLeadMinutes: 60, visitQuietCloseSeconds: 60 },
    env: {
      MAX_OPEN_BOOKINGS_PER_USER: '2',
      MAX_QUEUE_STREAMS_PER_USER: '1',
      QUEUE_STREAM_POLL_MS: '200',
      RATE_USER_PER_SECOND: '5',
      RATE_USER_BURST: '5',
      RATE_PARTNER_PER_SECOND: '12',
      RATE_PARTNER_BURST: '12',
    },
  });
  alice = await d.verifiedUser();
  bob = await d.verifiedUser();
});
afterAll(async () => {
  await d?.stop();
});

const book = (user: string, slot: number) =>
  d.api<{ bookingRef: string; code?: string }>('POST', '/v1/visits', user, { institutionId: d.hospital, slotId: d.slotIds[slot] });

async function raw(path: string, user: string): Promise<Response> {
  return fetch(`${d.p.api.url}${path}`, { headers: { authorization: `Bearer ${d.p.partner.apiKey}`, 'x-causeway-user': user } });
}

describe('open bookings per user (checked in PostgreSQL)', () => {
  it('refuses a third held or unpaid booking with 429 and Retry-After, leaving the slot free', async () => {
    const first = await book(alice, 0);
    const second = await book(alice, 1);
    expect([first.status, second.status]).toEqual([201, 201]);
    aliceRefs = [first.body.bookingRef, second.body.bookingRef];
    const res = await fetch(`${d.p.api.url}/v1/visits`, {
      method: 'POST',
      headers: { authorization: `Bearer ${d.p.partner.apiKey}`, 'x-causeway-user': alice, 'content-type': 'application/json' },
      body: JSON.stringify({ institutionId: d.hospital, slotId: d.slotIds[2] }),
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await res.json()) as { code: string }).code).toBe('rate_limited');
    const [slot]: Array<{ status: string }> = await d.p.services.db.query('SELECT status FROM slots WHERE id = $1', [d.slotIds[2]]);
    expect(slot?.status).toBe('free');
  });

  it('holds under concurrent bookings: exactly the limit succeeds', async () => {
    const answers = await Promise.all([3, 4, 5, 6].map((slot) => book(bob, slot)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([201, 201, 429, 429]);
    const [open]: Array<{ n: number }> = await d.p.services.db.query(
      `SELECT count(*)::int AS n FROM visits WHERE user_id = $1 AND stage IN ('holding', 'awaiting_payment')`,
      [bob],
    );
    expect(open?.n).toBe(2);
  });
});

describe('queue event streams per user', () => {
  it('refuses a second concurrent stream with 429 and Retry-After, and allows one again once the first closes', async () => {
    const ref = aliceRefs[0] ?? '';
    const path = `${d.p.api.url}/v1/visits/${ref}/queue/stream`;
    const headers = { authorization: `Bearer ${d.p.partner.apiKey}`, 'x-causeway-user': alice };
    const first = await new Promise<http.ClientRequest>((resolve, reject) => {
      const req = http.get(path, { headers }, (res) => {
        expect(res.statusCode).toBe(200);
        res.resume();
        resolve(req);
      });
      req.on('error', reject);
    });
    const second = await raw(`/v1/visits/${ref}/queue/stream`, alice);
    expect(second.status).toBe(429);
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    first.destroy();
    await until('a stream slot is free again', async () => {
      const controller = new AbortController();
      const again = await fetch(path, { headers, signal: controller.signal });
      controller.abort();
      return again.status === 200;
    });
  });
});

describe('visits of other users and partners', () => {
  it('answers 404 for another user of the same partner and 401 for another partner', async () => {
    const ref = aliceRefs[0] ?? '';
    for (const sub of ['', '/payments', '/queue', '/results']) expect((await raw(`/v1/visits/${ref}${sub}`, bob)).status).toBe(404);
    const cancel = await d.api('POST', `/v1/visits/${ref}/cancel`, bob, {});
    expect(cancel.status).toBe(404);
    const other = { id: `partner-${randomUUID().slice(0, 8)}`, apiKey: `pk_${randomUUID()}` };
    await d.p.services.db.query('INSERT INTO partners (id, name, api_key_hash) VALUES ($1, $2, $3)', [
      other.id,
      'Other',
      hashApiKey(other.apiKey),
    ]);
    const foreign = await fetch(`${d.p.api.url}/v1/visits/${ref}`, {
      headers: { authorization: `Bearer ${other.apiKey}`, 'x-causeway-user': alice },
    });
    expect(foreign.status).toBe(401);
  });
});

describe('request rates', () => {
  it('limits one user with 429 and Retry-After while another user of the partner is still served', async () => {
    await until('the budgets have refilled', async () => (await raw('/v1/users/me', bob)).status === 200);
    const burst = await Promise.all(Array.from({ length: 40 }, () => raw('/v1/users/me', alice)));
    const limited = burst.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0]?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited[0]?.json()) as { detail: string }).detail).toContain('user');
    expect(burst.filter((r) => r.status === 200).length).toBeGreaterThan(0);
    expect((await raw('/v1/users/me', bob)).status).toBe(200);
  });

  it('limits one partner across all its users', async () => {
    await until('the user budget has refilled', async () => (await raw('/v1/users/me', alice)).status === 200);
    const burst = await Promise.all(
      Array.from({ length: 150 }, () =>
        fetch(`${d.p.api.url}/v1/hospitals/${d.hospital}/departments`, { headers: { authorization: `Bearer ${d.p.partner.apiKey}` } }),
      ),
    );
    const limited = burst.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0]?.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited[0]?.json()) as { detail: string }).detail).toContain('partner');
  });
});
