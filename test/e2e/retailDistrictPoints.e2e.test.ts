import { insertVerifiedUsers } from '../../bench/lib/seed';
import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { pointsBalance } from '../../db/repositories/pointsLedger';
import { SIM_AUTH_CODES } from '../../integrations/payment/simulator';
import { until } from '../helpers/poll';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { createTestMerchant } from '../helpers/retailFactories';

/**
 * District-wide points through the real tills, order journeys and ledger: a district rewarding spend at
 * any of its merchants at its own rate, pending while each order's window is open and following its
 * refunds, available once it closes; a district without a rate gives none.
 */
let p: TestPlatform;
let district: string;
let quiet: string;
let m1: string;
let m2: string;
let m3: string;
let shopper: string;

beforeAll(async () => {
  p = await startTestPlatform();
  const { db, pii } = p.services;
  district = await createTestMerchant(db, pii, { kind: 'district', secret: 'hub', settings: { retail: { pointsPerMajor: 2 } } });
  quiet = await createTestMerchant(db, pii, { kind: 'district', secret: 'quiet' });
  const shop = (secret: string, districtId: string, refundWindowSeconds: number) =>
    createTestMerchant(db, pii, { secret, settings: { retail: { districtId, refundWindowSeconds, pointsPerMajor: 1 } } });
  m1 = await shop('m1', district, 2);
  m2 = await shop('m2', district, 4);
  m3 = await shop('m3', quiet, 2);
  [shopper] = (await insertVerifiedUsers(db, pii, p.partner.id, 1, `dp${Date.now().toString(36)}`)) as [string];
});
afterAll(async () => {
  await p?.stop();
});

const till = (merchant: string, secret: string) => new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: merchant, secret });
async function sell(merchant: string, secret: string, orderRef: string, lines: unknown[]) {
  const sale = await till(merchant, secret).post<{ stage: string }>(`/v1/merchants/${merchant}/orders`, {
    orderRef,
    memberId: shopper,
    lines,
    authCode: SIM_AUTH_CODES.success,
  });
  expect(sale.body).toMatchObject({ stage: 'paid' });
}
const balanceBecomes = (programId: string, want: { pending: number; available: number }) =>
  until(
    `${programId} points ${JSON.stringify(want)}`,
    async () => {
      const b = await pointsBalance(p.services.db, programId, shopper);
      return b.pending === want.pending && b.available === want.available ? b : undefined;
    },
    { timeoutMs: 20_000 },
  );

it("earns the district's points at any of its merchants, follows refunds while pending, and makes them available at close", async () => {
  // 26.00 at m1 (2 × 10.00 + 6.00) and 24.00 at m2 (2 × 12.00): 52 + 48 district points pending.
  await sell(m1, 'm1', 'D1', [
    { lineId: 'A', sku: 'rice', category: 'food', quantity: 2, unitPrice: 1_000 },
    { lineId: 'B', sku: 'tea', category: 'drink', quantity: 1, unitPrice: 600 },
  ]);
  await sell(m2, 'm2', 'D2', [{ lineId: 'A', sku: 'soap', category: 'home', quantity: 2, unitPrice: 1_200 }]);
  // One soap back at m2 while its window is open: 24 of m2's 48 go.
  const refund = await till(m2, 'm2').post<{ refund: number }>(`/v1/merchants/${m2}/orders/D2/refunds`, {
    refundNo: 'R1',
    unitIds: ['A#001'],
  });
  expect(refund).toMatchObject({ status: 200, body: { refund: 1_200 } });
  // Both windows end: 52 + 24 available, nothing pending; the merchants' own points are theirs alone.
  await balanceBecomes(district, { pending: 0, available: 76 });
  expect(await pointsBalance(p.services.db, m1, shopper)).toEqual({ pending: 0, available: 26 });
  expect(await pointsBalance(p.services.db, m2, shopper)).toEqual({ pending: 0, available: 12 });

  // The ledger holds one movement per change, each tied to its order; the card shows the balance.
  const moves: Array<{ kind: string; pending_delta: number; available_delta: number; order_key: string }> = await p.services.db.query(
    'SELECT kind, pending_delta, available_delta, order_key FROM points_ledger WHERE program_id = $1 AND user_id = $2 ORDER BY id',
    [district, shopper],
  );
  const of = (order: string) => moves.filter((m) => m.order_key === order).map((m) => [m.kind, m.pending_delta, m.available_delta]);
  expect(of(`${m1}/D1`)).toEqual([
    ['earn_pending', 52, 0],
    ['release', -52, 52],
  ]);
  expect(of(`${m2}/D2`)).toEqual([
    ['earn_pending', 48, 0],
    ['reverse', -24, 0],
    ['release', -24, 24],
  ]);
  const cards = await fetch(`${p.api.url}/v1/users/me/cards`, {
    headers: { authorization: `Bearer ${p.partner.apiKey}`, 'x-causeway-user': shopper },
  });
  const body = (await cards.json()) as { cards: Array<{ programId: string; points: { pending: number; available: number } }> };
  expect(body.cards.find((c) => c.programId === district)?.points).toEqual({ pending: 0, available: 76 });
});

it('gives no district points where the district has set no rate', async () => {
  await sell(m3, 'm3', 'D3', [{ lineId: 'A', sku: 'rice', category: 'food', quantity: 1, unitPrice: 5_000 }]);
  await balanceBecomes(m3, { pending: 0, available: 50 });
  expect(await pointsBalance(p.services.db, quiet, shopper)).toEqual({ pending: 0, available: 0 });
});
