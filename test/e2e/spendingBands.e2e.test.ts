import { randomUUID } from 'node:crypto';
import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { refreshSpendingBands } from '../../db/queries/spendingBands';
import { serviceDayOf } from '../../domain/hospital/serviceDay';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { createTestMerchant } from '../helpers/retailFactories';

/**
 * Yearly spending bands (issue 13, item 2) through the signed report route: bands recomputed from the
 * payments ledger (paid minus refunded, the year of the paid entry), an institution's distinct users
 * per band and gender, small cells and their complements withheld.
 */
let p: TestPlatform;
let clinic: string;
let other: string;
const K = 11;
const year = Number(serviceDayOf(Date.now(), 'Asia/Shanghai').slice(0, 4));

interface Entry {
  value: number | null;
  why: string;
}
interface Table {
  rows: string[];
  cols: string[];
  cells: Entry[][];
  rowTotals: Entry[];
  colTotals: Entry[];
  total: Entry;
  year: number;
  refreshedAt: string;
  errors?: Array<{ field: string }>;
}

/** `n` people of `gender` who each paid `institutionId` `amounts` (minor units) this year, one refund of `refund`. */
async function payers(institutionId: string, gender: 'female' | 'male', n: number, amounts: number[], refund = 0): Promise<string[]> {
  const refs: string[] = [];
  for (let i = 0; i < n; i++) {
    const ref = `sb-${randomUUID()}`;
    refs.push(ref);
    await p.services.db.query(
      `INSERT INTO user_demographics (user_ref, age_band, gender, region_code) VALUES ($1, '30-44', $2, '310000')`,
      [ref, gender],
    );
    for (const [j, amount] of amounts.entries()) {
      const trade = `sb${randomUUID().replaceAll('-', '').slice(0, 24)}`;
      const refunded = j === 0 ? refund : 0;
      await p.services.db.query(
        `INSERT INTO payments (out_trade_no, journey_id, step, institution_id, user_ref, amount_minor, currency, refunded_minor, status)
         VALUES ($1, $2, 'registration', $3, $4, $5, 'CNY', $6, $7)`,
        [trade, `test/${trade}`, institutionId, ref, amount, refunded, refunded > 0 ? 'partially_refunded' : 'paid'],
      );
      await p.services.db.query(
        `INSERT INTO ledger_entries (out_trade_no, kind, amount_minor, currency, at) VALUES ($1, 'paid', $2, 'CNY', now())`,
        [trade, amount],
      );
    }
  }
  return refs;
}

beforeAll(async () => {
  p = await startTestPlatform();
  clinic = await createTestMerchant(p.services.db, p.services.pii, { secret: 'clinic-secret' });
  other = await createTestMerchant(p.services.db, p.services.pii, { secret: 'other-secret' });
  await payers(clinic, 'female', 15, [30_000]); // under 1k yuan
  await payers(clinic, 'male', 13, [30_000]);
  await payers(clinic, 'female', 12, [200_000, 150_000]); // 3.5k: 1k–5k
  await payers(clinic, 'male', 20, [400_000, 200_000], 150_000); // 6k paid, 1.5k back: 4.5k, 1k–5k
  await payers(clinic, 'female', 3, [6_000_000]); // 60k: a small group
  // Spending elsewhere counts towards the band; only people who paid this institution are counted here.
  const both = await payers(other, 'male', 12, [600_000]);
  for (const ref of both) {
    const trade = `sb${randomUUID().replaceAll('-', '').slice(0, 24)}`;
    await p.services.db.query(
      `INSERT INTO payments (out_trade_no, journey_id, step, institution_id, user_ref, amount_minor, currency, status)
       VALUES ($1, $2, 'registration', $3, $4, 50000, 'CNY', 'paid')`,
      [trade, `test/${trade}`, clinic, ref],
    );
    await p.services.db.query(`INSERT INTO ledger_entries (out_trade_no, kind, amount_minor, currency) VALUES ($1, 'paid', 50000, 'CNY')`, [
      trade,
    ]);
  }
  await refreshSpendingBands(p.services.db, year);
});
afterAll(async () => {
  await p?.stop();
});

const get = (path: string) =>
  new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: clinic, secret: 'clinic-secret' }).get<Table>(path);

it("counts the institution's distinct users per yearly band and gender, small cells and their complements withheld", async () => {
  const r = await get(`/v1/institutions/${clinic}/reports/spending-bands?year=${year}`);
  expect(r.status).toBe(200);
  const t = r.body;
  expect(t.rows).toEqual(['under_1k', '1k_5k', '5k_20k', '20k_50k', '50k_plus']);
  expect(t.cols).toEqual(['female', 'male', 'unknown']);
  const cell = (band: string, g: string) => t.cells[t.rows.indexOf(band)]![t.cols.indexOf(g)]!;
  // The truth; every released cell carries it exactly.
  const truth: Record<string, [number, number, number]> = {
    under_1k: [15, 13, 0],
    '1k_5k': [12, 20, 0], // the men's 6k less a refund of 1.5k
    '5k_20k': [0, 12, 0], // 6.5k in all, most of it paid elsewhere: counted here, in their yearly band
    '20k_50k': [0, 0, 0],
    '50k_plus': [3, 0, 0],
  };
  t.rows.forEach((band, r) =>
    t.cols.forEach(
      (_, c) => t.cells[r]![c]!.value !== null && expect([band, c, t.cells[r]![c]!.value]).toEqual([band, c, truth[band]![c]]),
    ),
  );
  expect(cell('under_1k', 'female')).toEqual({ value: 15, why: 'released' });
  expect(cell('50k_plus', 'female')).toEqual({ value: null, why: 'small' });
  // The complement chosen for the 3 (the smallest in its column) takes a second one in its row.
  expect(cell('1k_5k', 'female')).toEqual({ value: null, why: 'complementary' });
  expect(t.total).toEqual({ value: 75, why: 'released' });
  // Its row and its column lose another entry each, so no margin gives the 3 back.
  const row = t.rows.indexOf('50k_plus');
  expect([...t.cells[row]!, t.rowTotals[row]!].filter((e) => e.value === null).length).toBeGreaterThanOrEqual(2);
  const femaleCol = [...t.cells.map((cs) => cs[0]!), t.colTotals[0]!];
  expect(femaleCol.filter((e) => e.value === null).length).toBeGreaterThanOrEqual(2);
  for (const e of [...t.cells.flat(), ...t.rowTotals, ...t.colTotals, t.total])
    expect(e.value === null || e.value === 0 || e.value >= K).toBe(true);
  expect(t.year).toBe(year);
});

it('keeps the numbers of the last recomputation until it is old, so asking again releases the same table', async () => {
  const before = await get(`/v1/institutions/${clinic}/reports/spending-bands?year=${year}`);
  await payers(clinic, 'female', 1, [30_000]);
  const after = await get(`/v1/institutions/${clinic}/reports/spending-bands?year=${year}`);
  expect(after.body.refreshedAt).toBe(before.body.refreshedAt);
  expect(after.body.cells).toEqual(before.body.cells);
});

it('refuses other institutions, unsigned calls and years that are not whole numbers or to come', async () => {
  const stranger = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: other, secret: 'other-secret' });
  expect((await stranger.get(`/v1/institutions/${clinic}/reports/spending-bands?year=${year}`)).status).toBe(403);
  expect((await fetch(`${p.api.url}/v1/institutions/${clinic}/reports/spending-bands?year=${year}`)).status).toBe(401);
  for (const q of [`year=${year + 1}`, 'year=20x6', 'year=1999', `year=${year}&band=1`, '']) {
    const r = await get(`/v1/institutions/${clinic}/reports/spending-bands?${q}`);
    expect([q, r.status]).toEqual([q, 422]);
    expect(r.body.errors?.some((e) => e.field.startsWith('query'))).toBe(true);
  }
});
