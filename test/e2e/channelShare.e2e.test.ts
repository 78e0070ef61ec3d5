import { randomUUID } from 'node:crypto';
import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { addDays, serviceDayOf } from '../../domain/hospital/serviceDay';
import { planOtherChannelBookings, startHisSimulator, type HisSimulator } from '../../integrations/hospital/simulator';
import { planHistoryDay, seedDemoHistory } from '../../scripts/demo/history';
import { mllpEndpoints } from '../helpers/hospitalDriver';
import { until } from '../helpers/poll';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { createTestMerchant } from '../helpers/retailFactories';

/**
 * Channel share (issue 13, item 3) end to end: the HIS simulator books through its other channels over
 * the real MLLP listener, a transit operator and a merchant post their AFC and POS summaries through the
 * signed routes, and each institution reads Causeway's share per day and hour, released so that no
 * withheld count can be had back from a total or a share.
 */
let p: TestPlatform;
let his: HisSimulator;
let hospital: string;
let operator: string;
let shop: string;
const K = 11;
const today = serviceDayOf(Date.now(), 'Asia/Shanghai');
const day = (n: number) => addDays(today, -n);

interface Entry {
  value: number | null;
  why: string;
}
interface Hour {
  hour: number;
  causeway: Entry;
  total: Entry;
  share: number | null;
}
interface Day {
  day: string;
  causeway: Entry;
  total: Entry;
  share: number | null;
  peakHour: number | null;
  peakShare: number | null;
  hours: Hour[];
}
interface ShareReport {
  vertical: string;
  stage: string;
  k: number;
  days: Day[];
  overall: { causeway: Entry; total: Entry; share: number | null };
  errors?: Array<{ field: string }>;
}

/** Causeway's own journeys: `n` events of `stage` at `hh`:20 local (Shanghai) on `serviceDay`. */
async function ours(institutionId: string, vertical: string, stage: string, serviceDay: string, hh: number, n: number): Promise<void> {
  await p.services.db.query(
    `SELECT causeway_journey_event($2 || '/' || $1 || '/' || gen_random_uuid(), $2, $1, $3, NULL, NULL,
                                   ($4 || ' ' || lpad($5::text, 2, '0') || ':20:00+08')::timestamptz)
       FROM generate_series(1, $6)`,
    [institutionId, vertical, stage, serviceDay, hh, n],
  );
}

const client = (institutionId: string, secret: string) => new InstitutionHttpClient({ baseUrl: p.api.url, institutionId, secret });

beforeAll(async () => {
  p = await startTestPlatform();
  hospital = `h${randomUUID().slice(0, 6)}`;
  his = await startHisSimulator({
    host: '127.0.0.1',
    port: 0,
    causeway: mllpEndpoints(p),
    facility: hospital,
    departments: [{ id: 'PED', name: 'Paediatrics' }],
    doctors: [{ id: 'D1', name: 'Dr. Li', departmentId: 'PED' }],
  });
  await p.services.db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, mllp_host, mllp_port)
     VALUES ($1, 'hospital', 'Children''s Hospital', 'Asia/Shanghai', $2, '127.0.0.1', $3)`,
    [hospital, p.services.pii.encrypt('hospital-secret'), his.port],
  );
  operator = `t${randomUUID().slice(0, 6)}`;
  await p.services.db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc) VALUES ($1, 'transit', 'Test Metro', 'Asia/Shanghai', $2)`,
    [operator, p.services.pii.encrypt('operator-secret')],
  );
  shop = await createTestMerchant(p.services.db, p.services.pii, { secret: 'shop-secret' });
});
afterAll(async () => {
  await his?.stop();
  await p?.stop();
});

function checkReleased(r: ShareReport): void {
  for (const d of r.days)
    for (const e of [d, ...d.hours]) {
      for (const v of [e.causeway.value, e.total.value]) expect(v === null || v === 0 || v >= K).toBe(true);
      // A share only beside two released numbers, and then exactly their ratio.
      if (e.share !== null) expect(e.share).toBe(Math.round((e.causeway.value! / e.total.value!) * 1000) / 10);
      if (e.causeway.value === null) expect([e.total.value, e.share]).toEqual([null, null]);
    }
}

it("counts a hospital's other-channel bookings sent over MLLP, once each, and reports Causeway's share per hour with the peak", async () => {
  const input = { day: day(2), count: 150, seed: 42 };
  const first = await his.bookThroughOtherChannels(input);
  expect(first.sent.every((s) => s.outcome === 'AA')).toBe(true);
  // The HIS sends the same bookings again (new MSH-10s): still counted once.
  const again = await his.bookThroughOtherChannels(input);
  expect(again.sent.every((s) => s.outcome === 'AA')).toBe(true);
  await until('bookings counted', async () => {
    const rows: Array<{ n: string }> = await p.services.db.query(
      `SELECT coalesce(sum(count), 0) AS n FROM channel_totals WHERE institution_id = $1 AND day = $2`,
      [hospital, day(2)],
    );
    return (
      Number(rows[0]!.n) === 150 &&
      (await p.services.db.query(`SELECT 1 FROM inbox_messages WHERE institution_id = $1 AND status = 'received'`, [hospital])).length === 0
    );
  });
  const planned = planOtherChannelBookings(input, 480);
  const perHour = (h: number) => planned.filter((b) => b.hour === h).length;
  // The curve: the morning is the busiest.
  expect(perHour(9) + perHour(8)).toBeGreaterThan(perHour(20) + perHour(21) + perHour(2));

  // Causeway's own registrations that day: many at 9, a few at 15.
  await ours(hospital, 'hospital', 'booked', day(2), 9, 30);
  await ours(hospital, 'hospital', 'booked', day(2), 10, 14);
  await ours(hospital, 'hospital', 'booked', day(2), 15, 3);

  const r = await client(hospital, 'hospital-secret').get<ShareReport>(
    `/v1/institutions/${hospital}/reports/channel-share?from=${day(2)}&to=${day(2)}`,
  );
  expect(r.status).toBe(200);
  expect(r.body).toMatchObject({ vertical: 'hospital', stage: 'booked', k: K });
  const d = r.body.days[0]!;
  expect(d.day).toBe(day(2));
  expect(d.hours).toHaveLength(24);
  const at = (h: number) => d.hours[h]!;
  expect(at(9).causeway).toEqual({ value: 30, why: 'released' });
  expect(at(9).total).toEqual({ value: 30 + perHour(9), why: 'released' });
  expect(at(9).share).toBe(Math.round((30 / (30 + perHour(9))) * 1000) / 10);
  // Three people at 15: withheld, and so is the hour's total (the hospital knows its other channels).
  expect(at(15).causeway).toEqual({ value: null, why: 'small' });
  expect(at(15).total).toEqual({ value: null, why: 'numerator_withheld' });
  expect(at(15).share).toBeNull();
  // The day's count of 47 would give the 3 back from the released hours (30 + 14): withheld too, or a
  // released hour beside it is.
  const released = d.hours.reduce((s, h) => s + (h.causeway.value ?? 0), 0);
  if (d.causeway.value !== null) expect(d.causeway.value - released === 0 || d.causeway.value - released >= K).toBe(true);
  // The peak: the hour with the largest released total.
  const totals = d.hours.map((h) => h.total.value ?? -1);
  expect(d.peakHour).toBe(totals.indexOf(Math.max(...totals)));
  expect(d.peakShare).toBe(at(d.peakHour!).share);
  checkReleased(r.body);
});

it("takes a transit operator's AFC summary once, answers a conflicting repeat with 409 naming the field, and reports the share", async () => {
  const afc = client(operator, 'operator-secret');
  const summary = {
    day: day(1),
    rides: [
      { medium: 'transit_card', hour: 8, count: 400 },
      { medium: 'causeway_qr', hour: 8, count: 60 },
      { medium: 'transit_card', hour: 18, count: 300 },
      { medium: 'causeway_qr', hour: 18, count: 45 },
      { medium: 'single_ticket', hour: 13, count: 20 },
    ],
  };
  const posted = await afc.post<{ stored: number; unchanged: number }>(`/v1/institutions/${operator}/channel-totals/afc`, summary);
  expect(posted.status).toBe(200);
  expect(posted.body).toEqual({ stored: 5, unchanged: 0 });
  expect((await afc.post(`/v1/institutions/${operator}/channel-totals/afc`, summary)).body).toEqual({ stored: 0, unchanged: 5 });
  const changed = { ...summary, rides: summary.rides.map((x, i) => (i === 3 ? { ...x, count: 46 } : x)) };
  const refused = await afc.post<{ status: number; code: string; errors: Array<{ field: string }> }>(
    `/v1/institutions/${operator}/channel-totals/afc`,
    changed,
  );
  expect(refused.status).toBe(409);
  expect(refused.body.code).toBe('conflict');
  expect(refused.body.errors.map((e) => e.field)).toEqual(['body.rides.3.count']);
  // A whole-day figure for a medium reported by the hour would count it twice.
  const mixed = await afc.post<{ errors: Array<{ field: string }> }>(`/v1/institutions/${operator}/channel-totals/afc`, {
    day: day(1),
    rides: [{ medium: 'transit_card', count: 700 }],
  });
  expect(mixed.status).toBe(409);
  expect(mixed.body.errors[0]!.field).toBe('body.rides.0.count');

  await ours(operator, 'transit', 'ride', day(1), 8, 58);
  await ours(operator, 'transit', 'ride', day(1), 18, 44);
  await ours(operator, 'transit', 'ride', day(1), 22, 2);
  const r = await afc.get<ShareReport>(`/v1/institutions/${operator}/reports/channel-share?from=${day(1)}&to=${day(1)}`);
  expect(r.status).toBe(200);
  const d = r.body.days[0]!;
  expect(d.hours[8]).toEqual({ hour: 8, causeway: { value: 58, why: 'released' }, total: { value: 460, why: 'released' }, share: 12.6 });
  expect(d.hours[13]!.total).toEqual({ value: 20, why: 'released' });
  expect(d.hours[22]!.causeway.value).toBeNull();
  expect(d.hours[22]!.share).toBeNull();
  expect(d.peakHour).toBe(8);
  expect(d.peakShare).toBe(12.6);
  checkReleased(r.body);
});

it("takes a merchant's POS totals per tender type and reports the daily share", async () => {
  const till = client(shop, 'shop-secret');
  const pos = {
    day: day(1),
    tenders: [
      { tender: 'cash', count: 120 },
      { tender: 'bank_card', count: 200 },
      { tender: 'causeway', count: 80 },
    ],
  };
  expect((await till.post(`/v1/institutions/${shop}/channel-totals/pos`, pos)).status).toBe(200);
  await ours(shop, 'retail', 'paid', day(1), 12, 40);
  await ours(shop, 'retail', 'paid', day(1), 19, 38);
  const r = await till.get<ShareReport>(`/v1/institutions/${shop}/reports/channel-share?from=${day(1)}&to=${day(1)}`);
  expect(r.status).toBe(200);
  const d = r.body.days[0]!;
  expect(d.causeway).toEqual({ value: 78, why: 'released' });
  expect(d.total).toEqual({ value: 400, why: 'released' });
  expect(d.share).toBe(19.5);
  // POS totals have no hours: the hours show Causeway's count alone.
  expect(d.hours[12]!.total).toEqual({ value: null, why: 'not_reported' });
  expect(d.peakHour).toBeNull();
  checkReleased(r.body);
});

it('refuses hostile and misdirected summaries, naming the field', async () => {
  const afc = client(operator, 'operator-secret');
  const path = `/v1/institutions/${operator}/channel-totals/afc`;
  const cases: Array<[unknown, string]> = [
    [{ day: day(1), rides: [{ medium: 'DROP TABLE', hour: 1, count: 1 }] }, 'body.rides.0.medium'],
    [{ day: day(1), rides: [{ medium: 'card', hour: 24, count: 1 }] }, 'body.rides.0.hour'],
    [{ day: day(1), rides: [{ medium: 'card', hour: 1, count: -1 }] }, 'body.rides.0.count'],
    [{ day: day(1), rides: [{ medium: 'card', hour: 1, count: 1.5 }] }, 'body.rides.0.count'],
    [{ day: day(1), rides: [{ medium: 'card', hour: 1, count: 1, extra: true }] }, 'body.rides.0'],
    [
      {
        day: day(1),
        rides: [
          { medium: 'card', hour: 1, count: 1 },
          { medium: 'card', hour: 1, count: 2 },
        ],
      },
      'body.rides.1.medium',
    ],
    [{ day: 'yesterday', rides: [{ medium: 'card', count: 1 }] }, 'body.day'],
    [{ day: addDays(today, 2), rides: [{ medium: 'card', count: 1 }] }, 'body.day'],
    [{ day: day(1), rides: [] }, 'body.rides'],
    [{ day: day(1), rides: Array.from({ length: 400 }, (_, i) => ({ medium: `m${i}`, count: 1 })) }, 'body.rides'],
    [{ day: day(1), rides: [{ medium: 'card', count: 1e12 }] }, 'body.rides.0.count'],
  ];
  for (const [body, field] of cases) {
    const r = await afc.post<{ errors?: Array<{ field: string }> }>(path, body);
    expect([r.status, body]).toEqual([422, body]);
    expect(r.body.errors?.some((e) => e.field.startsWith(field))).toBe(true);
  }
  // Not for someone else, not unsigned, not from the wrong kind of institution.
  expect((await client(shop, 'shop-secret').post(path, { day: day(1), rides: [{ medium: 'card', count: 1 }] })).status).toBe(403);
  expect(
    (
      await client(shop, 'shop-secret').post(`/v1/institutions/${shop}/channel-totals/afc`, {
        day: day(1),
        rides: [{ medium: 'card', count: 1 }],
      })
    ).status,
  ).toBe(403);
  expect(
    (await afc.post(`/v1/institutions/${operator}/channel-totals/pos`, { day: day(1), tenders: [{ tender: 'cash', count: 1 }] })).status,
  ).toBe(403);
  const unsigned = await fetch(`${p.api.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(unsigned.status).toBe(401);
  expect((await client(operator, 'guessed').post(path, { day: day(1), rides: [{ medium: 'card', count: 1 }] })).status).toBe(401);
  // Nothing of the refused requests was kept.
  const kept: Array<{ n: string }> = await p.services.db.query(
    `SELECT count(*) AS n FROM channel_totals WHERE institution_id = $1 AND channel = 'card'`,
    [operator],
  );
  expect(Number(kept[0]!.n)).toBe(0);
  // The report's own query.
  const report = (q: string) => afc.get<ShareReport>(`/v1/institutions/${operator}/reports/channel-share?${q}`);
  for (const [q, field] of [
    [`from=${day(1)}&to=${today}`, 'query.to'],
    [`from=${day(40)}&to=${day(1)}`, 'query.to'],
    [`from=${day(1)}&to=${day(3)}`, 'query.from'],
    [`from=${day(1)}&to=${day(1)}&x=1`, 'query'],
  ] as const) {
    const r = await report(q);
    expect(r.status).toBe(422);
    expect(r.body.errors?.some((e) => e.field.startsWith(field))).toBe(true);
  }
  expect(
    (await client(shop, 'shop-secret').get(`/v1/institutions/${operator}/reports/channel-share?from=${day(1)}&to=${day(1)}`)).status,
  ).toBe(403);
});

it("writes the demo's synthetic history once, deterministically, and the reports show it at once", async () => {
  const town = `t${randomUUID().slice(0, 6)}`;
  await p.services.db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc) VALUES ($1, 'transit', 'Demo Metro', 'Asia/Shanghai', $2)`,
    [town, p.services.pii.encrypt('town-secret')],
  );
  const institutions = [{ id: town, vertical: 'transit' as const }];
  const first = await seedDemoHistory(p.services.db, { institutions, days: 3 });
  expect(first.days).toBe(3);
  expect(first.events).toBeGreaterThan(1000);
  // A restart writes nothing new; the plan is the same for the same seed.
  expect(await seedDemoHistory(p.services.db, { institutions, days: 3 })).toEqual({ days: 0, events: 0 });
  expect(planHistoryDay(institutions[0]!, day(1), 480, 2026)).toEqual(planHistoryDay(institutions[0]!, day(1), 480, 2026));
  const stored: Array<{ n: string }> = await p.services.db.query(`SELECT count(*) AS n FROM journey_events WHERE institution_id = $1`, [
    town,
  ]);
  expect(Number(stored[0]!.n)).toBe(first.events);
  const r = await client(town, 'town-secret').get<ShareReport>(
    `/v1/institutions/${town}/reports/channel-share?from=${day(3)}&to=${day(1)}`,
  );
  expect(r.status).toBe(200);
  expect(r.body.days).toHaveLength(3);
  for (const d of r.body.days) {
    expect(d.share).not.toBeNull();
    expect(d.peakHour).toBeGreaterThanOrEqual(7);
    expect(d.peakHour).toBeLessThanOrEqual(10);
  }
  checkReleased(r.body);
});
