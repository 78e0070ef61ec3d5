import type { DataSource } from 'typeorm';
import { COUNTED_STAGE, type ShareVertical } from '../../domain/analytics/channelShare';
import { addDays, serviceDayOf, utcOffsetMinutes } from '../../domain/hospital/serviceDay';
import { FUNNELS, rollUpJourneyEvents } from '../../db/queries/journeyReports';
import { HOURLY_BOOKING_CURVE, seededRandom } from '../../integrations/hospital/simulator';
import { DEMO_DISTRICT_ID } from './retailSeed';
import { DEMO_HOSPITAL_ID } from './seed';
import { DEMO_TRANSIT_OPERATOR_ID } from './transitSeed';

/**
 * Synthetic history for `npm start` (issue 13, item 8): about two weeks of journeys of synthetic people
 * for the demo institutions, written through `causeway_journey_event` (the function the live triggers
 * call) and rolled up like live events, plus the institutions' channel totals, on a daily curve. So the
 * reports (and the console) show real numbers at once.
 *
 * Deterministic: each (institution, day) has its own seeded generator. Idempotent: a day whose first
 * journey is already there is skipped, so a restart writes only the days that have passed since, each
 * in one transaction. Synthetic people are `demo-person-…` refs with demographics and nothing else.
 */

export interface HistoryInstitution {
  id: string;
  vertical: ShareVertical;
}

/** The demo's hospital, metro and shopping district. */
export const DEMO_HISTORY_INSTITUTIONS: readonly HistoryInstitution[] = [
  { id: DEMO_HOSPITAL_ID, vertical: 'hospital' },
  { id: DEMO_TRANSIT_OPERATOR_ID, vertical: 'transit' },
  { id: DEMO_DISTRICT_ID, vertical: 'retail' },
];

/** Causeway's journeys on an average day, and how the institution's other channels compare. */
const PROFILE: Record<ShareVertical, { perDay: number; channels: Record<string, number>; source: 'his' | 'afc' | 'pos' }> = {
  // A children's hospital: about 15% of registrations through Causeway, more at the morning peak.
  hospital: { perDay: 160, channels: { window: 3.2, app: 1.6, phone: 0.9, kiosk: 0.3 }, source: 'his' },
  // The metro: Causeway's QR among the fare media (its own rides reported back as `causeway_qr`).
  transit: { perDay: 700, channels: { causeway_qr: 1, transit_card: 3.8, bank_card: 1.4, single_ticket: 0.4 }, source: 'afc' },
  // The district's shops: POS totals per tender type for the day.
  retail: { perDay: 140, channels: { causeway: 1, cash: 0.8, bank_card: 2.1, other_wallet: 2.6 }, source: 'pos' },
};

const AGE_BANDS = ['18-29', '30-44', '45-59', '60+'];
const REGIONS = ['310000', '320000', '330000', '110000'];
const PEOPLE = 600;

function hashSeed(text: string, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The synthetic people, once: pseudonymous refs with an age band, gender and region. */
async function seedPeople(db: Pick<DataSource, 'query'>, seed: number): Promise<void> {
  const rand = seededRandom(seed);
  const refs: string[] = [];
  const bands: string[] = [];
  const genders: string[] = [];
  const regions: string[] = [];
  for (let i = 0; i < PEOPLE; i++) {
    refs.push(`demo-person-${i}`);
    bands.push(AGE_BANDS[Math.floor(rand() * AGE_BANDS.length)]!);
    genders.push(rand() < 0.52 ? 'female' : 'male');
    regions.push(REGIONS[Math.floor(rand() * rand() * REGIONS.length)]!);
  }
  await db.query(
    `INSERT INTO user_demographics (user_ref, age_band, gender, region_code)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) ON CONFLICT (user_ref) DO NOTHING`,
    [refs, bands, genders, regions],
  );
}

interface DayPlan {
  journeys: Array<{ id: string; stage: string; at: string; userRef: string; amount: number | null }>;
  totals: Array<{ hour: number | null; channel: string; count: number }>;
}

/** One institution's day: Causeway's journeys hour by hour on the curve, and the institution's totals. */
export function planHistoryDay(inst: HistoryInstitution, day: string, offsetMinutes: number, seed: number): DayPlan {
  const rand = seededRandom(hashSeed(`${inst.id}|${day}`, seed));
  const profile = PROFILE[inst.vertical];
  const weekday = new Date(`${day}T00:00:00Z`).getUTCDay();
  const dayFactor = (weekday === 0 || weekday === 6 ? (inst.vertical === 'retail' ? 1.4 : 0.6) : 1) * (0.85 + rand() * 0.3);
  const curveSum = HOURLY_BOOKING_CURVE.reduce((s, w) => s + w, 0);
  const midnight = Date.parse(`${day}T00:00:00Z`) - offsetMinutes * 60_000;
  const counted = COUNTED_STAGE[inst.vertical];
  const funnel: readonly string[] = FUNNELS[inst.vertical];
  const plan: DayPlan = { journeys: [], totals: [] };
  const otherWeight = Object.entries(profile.channels).filter(([c]) => c !== 'causeway' && c !== 'causeway_qr');
  const dayTotals = new Map<string, number>();
  for (let hour = 0; hour < 24; hour++) {
    const ours = Math.round((profile.perDay * dayFactor * HOURLY_BOOKING_CURVE[hour]!) / curveSum + rand() * 2);
    for (let n = 0; n < ours; n++) {
      const id = `demo-history/${inst.id}/${day}/${plan.journeys.length}`;
      const at = midnight + hour * 3_600_000 + Math.floor(rand() * 3_300_000);
      const userRef = `demo-person-${Math.floor(rand() * PEOPLE)}`;
      const amount = inst.vertical === 'transit' ? null : 500 + Math.floor(rand() * 20) * 500;
      // The journey's stages up to the counted one, then on with some falling away (the funnel).
      const upTo = funnel.indexOf(counted);
      const stages = inst.vertical === 'transit' ? [counted] : funnel.slice(0, upTo + 1);
      for (let s = upTo + 1; s < funnel.length && inst.vertical !== 'transit' && rand() < 0.9; s++) stages.push(funnel[s]!);
      stages.forEach((stage, i) =>
        plan.journeys.push({ id, stage, at: new Date(at + i * 60_000).toISOString(), userRef, amount: stage === counted ? amount : null }),
      );
    }
    // Other channels peak a little earlier and harder in the morning (the queue at the window).
    const skew = hour >= 7 && hour <= 10 ? 0.8 : 1.1;
    for (const [channel, weight] of Object.entries(profile.channels)) {
      const isOurs = channel === 'causeway' || channel === 'causeway_qr';
      const count = isOurs ? ours : Math.round(ours * weight * skew * (0.8 + rand() * 0.4) + (otherWeight.length ? rand() * 3 : 0));
      if (inst.vertical === 'hospital' && isOurs) continue;
      if (profile.source === 'pos') dayTotals.set(channel, (dayTotals.get(channel) ?? 0) + count);
      else plan.totals.push({ hour, channel, count });
    }
  }
  for (const [channel, count] of dayTotals) plan.totals.push({ hour: null, channel, count });
  return plan;
}

/**
 * Writes the days before today (the institution's local day) that are not there yet, for each
 * institution, then rolls the events up. Returns how many days were written.
 */
export async function seedDemoHistory(
  db: DataSource,
  o: { institutions: readonly HistoryInstitution[]; days?: number; seed?: number; now?: number },
): Promise<{ days: number; events: number }> {
  const seed = o.seed ?? 2026;
  await seedPeople(db, seed);
  let days = 0;
  let events = 0;
  for (const inst of o.institutions) {
    const rows: Array<{ time_zone: string }> = await db.query('SELECT time_zone FROM institutions WHERE id = $1', [inst.id]);
    const zone = rows[0]?.time_zone;
    if (!zone) continue;
    const today = serviceDayOf(o.now ?? Date.now(), zone);
    for (let back = o.days ?? 14; back >= 1; back--) {
      const day = addDays(today, -back);
      const first = `demo-history/${inst.id}/${day}/0`;
      const written: unknown[] = await db.query('SELECT 1 FROM journey_events WHERE journey_id = $1 LIMIT 1', [first]);
      if (written.length > 0) continue;
      const offset = utcOffsetMinutes(Date.parse(`${day}T12:00:00Z`), zone);
      const plan = planHistoryDay(inst, day, offset, seed);
      await db.transaction(async (tx) => {
        const j = plan.journeys;
        await tx.query(
          `SELECT causeway_journey_event(id, $1, $2, stage, ref, amount, at::timestamptz)
             FROM unnest($3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[]) AS u(id, stage, ref, amount, at)`,
          [
            inst.vertical,
            inst.id,
            j.map((e) => e.id),
            j.map((e) => e.stage),
            j.map((e) => e.userRef),
            j.map((e) => e.amount),
            j.map((e) => e.at),
          ],
        );
        await tx.query(
          `INSERT INTO channel_totals (institution_id, source, day, hour, channel, count)
             SELECT $1, $2, $3, h, c, n FROM unnest($4::int[], $5::text[], $6::bigint[]) AS u(h, c, n)
           ON CONFLICT (institution_id, day, hour, channel) DO NOTHING`,
          [
            inst.id,
            PROFILE[inst.vertical].source,
            day,
            plan.totals.map((t) => t.hour),
            plan.totals.map((t) => t.channel),
            plan.totals.map((t) => t.count),
          ],
        );
      });
      days += 1;
      events += plan.journeys.length;
    }
  }
  await rollUpJourneyEvents(db);
  return { days, events };
}
