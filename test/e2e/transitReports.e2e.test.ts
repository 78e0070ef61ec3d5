import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { upsertRiderDayView } from '../../db/queries/riderDayView';
import type { DayTrace, JourneyTrace } from '../../domain/transit/fares';
import type { RiderDaySettlement, RiderDayStage, RiderDayView } from '../../workflows/transit/riderDay/types';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { createTestTransitOperator, testOperatorId, type TestOperator } from '../helpers/transitFactories';

/**
 * The operator's daily report through the real HTTP server, over rider-day views written as the
 * workflow writes them (figures worked out by hand below), then what a hostile caller could send.
 */
let p: TestPlatform;
let op: TestOperator;
let other: TestOperator;
let http: InstitutionHttpClient;

beforeAll(async () => {
  p = await startTestPlatform({ env: { TRANSIT_FORWARD_OPERATORS: 'none' } });
  const encrypt = (s: string) => p.services.pii.encrypt(s);
  op = await createTestTransitOperator(p.services.db, encrypt, { id: testOperatorId() });
  other = await createTestTransitOperator(p.services.db, encrypt, { id: testOperatorId() });
  http = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: op.id, secret: op.secret });
});
afterAll(async () => {
  await p?.stop();
});

const journey = (id: string, charged: number, incomplete?: JourneyTrace['incomplete']): JourneyTrace => ({
  journeyId: id,
  kind: incomplete ? 'maximum_fare' : 'complete',
  ...(incomplete ? { incomplete } : {}),
  networkId: 'metro',
  startedAt: '2026-11-30T00:00:00.000Z',
  nominal: charged,
  adjustments: [],
  charged,
  countsTowardCaps: !incomplete,
});

function view(
  riderRef: string,
  serviceDay: string,
  stage: RiderDayStage,
  journeys: JourneyTrace[],
  o: { capped?: boolean; settlement?: Partial<RiderDaySettlement> } = {},
): RiderDayView {
  const charge = journeys.reduce((s, j) => s + j.charged, 0);
  const maximumFaresTotal = journeys.filter((j) => j.kind === 'maximum_fare').reduce((s, j) => s + j.charged, 0);
  const trace: DayTrace = {
    currency: 'CNY',
    riderCategoryId: 'adult',
    journeys,
    ignoredTaps: [],
    nominalTotal: charge,
    maximumFaresTotal,
    caps: [
      { capId: 'daily', period: 'day', amount: 1500, countedBefore: 0, countedToday: o.capped ? 1500 : 500, reached: o.capped ?? false },
    ],
    charge,
  };
  return {
    operatorId: op.id,
    riderRef,
    serviceDay,
    stage,
    revision: 1,
    feedVersion: 1,
    taps: { total: journeys.length * 2, denied: 0, overLimit: 0 },
    trace,
    settleAfterMs: 0,
    ...(o.settlement
      ? {
          settlement: {
            dueMinor: charge,
            paidMinor: 0,
            owedMinor: 0,
            attempts: 0,
            refusal: null,
            nextAttemptAt: null,
            waivedMinor: 0,
            ...o.settlement,
          },
        }
      : {}),
  };
}

interface Report {
  days?: Array<Record<string, unknown>>;
  errors?: Array<{ field: string }>;
}

it('sums each service day: riders, revenue net of refunds, owed, capped riders and the incomplete-journey rate', async () => {
  const rows = [
    // 11-30: a capped rider paid 15.00; a rider paid 5.00 of a day later refunded to 3.00; one in debt for 9.00
    // (a maximum fare: incomplete); one whose late 2.00 was waived.
    view('r1', '2026-11-30', 'settled', [journey('a', 500), journey('b', 500), journey('c', 500)], {
      capped: true,
      settlement: { paidMinor: 1500 },
    }),
    view('r2', '2026-11-30', 'settled', [journey('d', 300)], { settlement: { paidMinor: 300 } }),
    view('r3', '2026-11-30', 'in_debt', [journey('e', 900, 'missing_tap_off')], { settlement: { owedMinor: 900, attempts: 4 } }),
    view('r4', '2026-11-30', 'nothing_due', [journey('f', 200)], { settlement: { waivedMinor: 200 } }),
    // 12-01: one rider still riding (no settlement yet), one retrying.
    view('r1', '2026-12-01', 'priced', [journey('g', 500)]),
    view('r2', '2026-12-01', 'charge_retrying', [journey('h', 500), journey('i', 900, 'missing_tap_off')], {
      settlement: { owedMinor: 1400 },
    }),
    // Outside the range asked for.
    view('r1', '2026-12-05', 'settled', [journey('j', 500)], { settlement: { paidMinor: 500 } }),
  ];
  for (const [i, v] of rows.entries()) await upsertRiderDayView(p.services.db, { view: v, seq: i + 1 });

  const r = await http.get<Report>(`/v1/institutions/${op.id}/transit/reports/days?from=2026-11-29&to=2026-12-02`);
  expect(r.status).toBe(200);
  expect(r.body.days).toEqual([
    {
      serviceDay: '2026-11-30',
      riders: 4,
      days: { settled: 2 + 1, inDebt: 1, retrying: 0, open: 0 },
      revenue: 1500 + 300,
      owed: 900,
      waived: 200,
      ridersCapped: 1,
      journeys: 6,
      incompleteJourneys: 1,
      incompleteRate: 0.1667,
      maximumFares: 900,
      currency: 'CNY',
    },
    {
      serviceDay: '2026-12-01',
      riders: 2,
      days: { settled: 0, inDebt: 0, retrying: 1, open: 1 },
      revenue: 0,
      owed: 1400,
      waived: 0,
      ridersCapped: 0,
      journeys: 3,
      incompleteJourneys: 1,
      incompleteRate: 0.3333,
      maximumFares: 900,
      currency: 'CNY',
    },
  ]);
  // Another operator's days never show: its own report is empty.
  const theirs = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: other.id, secret: other.secret });
  expect((await theirs.get<Report>(`/v1/institutions/${other.id}/transit/reports/days?from=2026-11-29&to=2026-12-02`)).body.days).toEqual(
    [],
  );
});

it('refuses unsigned and foreign callers, and bad ranges naming the field', async () => {
  const path = `/v1/institutions/${op.id}/transit/reports/days?from=2026-11-01&to=2026-11-30`;
  expect((await fetch(`${p.api.url}${path}`)).status).toBe(401);
  const theirs = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: other.id, secret: other.secret });
  expect((await theirs.get(path)).status).toBe(403);
  for (const [q, field] of [
    ['from=2026-11-01', 'query.to'],
    ['from=yesterday&to=2026-11-30', 'query.from'],
    ['from=2026-12-01&to=2026-11-30', 'query.to'],
    ['from=2026-01-01&to=2026-12-31', 'query.to'],
  ] as const) {
    const r = await http.get<Report>(`/v1/institutions/${op.id}/transit/reports/days?${q}`);
    expect(r.status).toBe(422);
    expect(r.body.errors?.map((e) => e.field)).toContain(field);
  }
});
