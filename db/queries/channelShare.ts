import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { COUNTED_STAGE, institutionTotal, peakOf, shareOf, type ShareEntry, type ShareVertical } from '../../domain/analytics/channelShare';
import type { Entry } from '../../domain/analytics/tableSuppression';
import { DomainError, ErrorCode } from '../../domain/errors';
import { addDays } from '../../domain/hospital/serviceDay';
import { release, rollUpJourneyEvents } from './journeyReports';

/**
 * Channel share (issue 13, item 3): the totals institutions report from all their channels, and the
 * report that sets Causeway's count (journey rollups, hourly) beside them. Causeway's counts are released
 * as a day × hour table through the release rules and the institution's ledger; totals and shares follow
 * them (domain/analytics/channelShare.ts).
 */

export type ChannelTotalsSource = 'his' | 'afc' | 'pos';

/**
 * One booking the HIS made through another channel, counted once per appointment id whatever the
 * number of deliveries, in the hour (local to the hospital) it was made. True when it was new.
 */
export async function recordChannelBooking(
  db: Pick<DataSource, 'query'>,
  b: { institutionId: string; appointmentId: string; channel: string; bookedAt: string; inboxId: string | null },
): Promise<boolean> {
  const rows: unknown[] = await db.query(
    `WITH booking AS (
       INSERT INTO channel_bookings (institution_id, appointment_id, channel, booked_at, day, hour, inbox_id)
         SELECT i.id, $2, $3, $4::timestamptz, to_char($4::timestamptz AT TIME ZONE i.time_zone, 'YYYY-MM-DD'),
                extract(hour FROM $4::timestamptz AT TIME ZONE i.time_zone), $5
           FROM institutions i WHERE i.id = $1
       ON CONFLICT (institution_id, appointment_id) DO NOTHING
       RETURNING institution_id, day, hour, channel)
     INSERT INTO channel_totals (institution_id, source, day, hour, channel, count)
       SELECT institution_id, 'his', day, hour, channel, 1 FROM booking
     ON CONFLICT (institution_id, day, hour, channel) DO UPDATE SET count = channel_totals.count + 1, reported_at = now()
     RETURNING 1`,
    [b.institutionId, b.appointmentId, b.channel, b.bookedAt, b.inboxId],
  );
  return rows.length > 0;
}

export interface ReportedTotal {
  day: string;
  /** 0 … 23 local; null for a figure of the whole day. */
  hour: number | null;
  channel: string;
  count: number;
  /** Where the figure sits in the request, for the 409 that names it. */
  field: string;
}

const Stored = z.object({ day: z.string(), hour: z.number().nullable(), channel: z.string(), count: z.coerce.number() });

/**
 * Stores an AFC or POS summary as sent, idempotently per (institution, day, hour, channel): a repeat with
 * the same numbers changes nothing; a figure that differs from the stored one, or a whole-day figure
 * where hours were reported (or the reverse), is a 409 naming the field, and nothing of the request is kept.
 */
export async function storeChannelTotals(
  db: DataSource,
  input: { institutionId: string; source: Exclude<ChannelTotalsSource, 'his'>; rows: readonly ReportedTotal[] },
): Promise<{ stored: number; unchanged: number }> {
  return db.transaction(async (tx) => {
    const { rows } = input;
    const inserted: unknown[] = await tx.query(
      `INSERT INTO channel_totals (institution_id, source, day, hour, channel, count)
         SELECT $1, $2, d, h, c, n FROM unnest($3::text[], $4::int[], $5::text[], $6::bigint[]) AS u(d, h, c, n)
       ON CONFLICT (institution_id, day, hour, channel) DO NOTHING RETURNING 1`,
      [
        input.institutionId,
        input.source,
        rows.map((r) => r.day),
        rows.map((r) => r.hour),
        rows.map((r) => r.channel),
        rows.map((r) => r.count),
      ],
    );
    const days = [...new Set(rows.map((r) => r.day))];
    const stored = z
      .array(Stored)
      .parse(
        await tx.query(`SELECT day, hour, channel, count FROM channel_totals WHERE institution_id = $1 AND day = ANY($2::text[])`, [
          input.institutionId,
          days,
        ]),
      );
    const at = new Map(stored.map((s) => [`${s.day}|${s.hour ?? ''}|${s.channel}`, s.count]));
    const grains = new Map<string, Set<'hour' | 'day'>>();
    for (const s of stored) {
      const key = `${s.day}|${s.channel}`;
      grains.set(key, (grains.get(key) ?? new Set()).add(s.hour === null ? 'day' : 'hour'));
    }
    for (const r of rows) {
      if ((grains.get(`${r.day}|${r.channel}`)?.size ?? 0) > 1)
        throw conflict(r.field, `${r.channel} on ${r.day} was reported by the hour and for the whole day; send one of them`);
      const had = at.get(`${r.day}|${r.hour ?? ''}|${r.channel}`);
      if (had !== r.count) throw conflict(r.field, `${r.channel} on ${r.day} was reported before as ${had ?? 'something else'}`);
    }
    return { stored: inserted.length, unchanged: rows.length - inserted.length };
  });
}

function conflict(field: string, message: string): DomainError {
  return new DomainError(ErrorCode.Conflict, 'differs from the figure reported before', { fields: [{ field, message }] });
}

export const HOURS = Array.from({ length: 24 }, (_, h) => h);

export interface ChannelShareHour {
  hour: number;
  causeway: Entry;
  total: ShareEntry;
  /** Percent, one decimal; null unless both parts are released. */
  share: number | null;
}
export interface ChannelShareDay {
  day: string;
  causeway: Entry;
  total: ShareEntry;
  share: number | null;
  /** The hour with the largest released total, and its share. */
  peakHour: number | null;
  peakShare: number | null;
  hours: ChannelShareHour[];
}
export interface ChannelShareReport {
  k: number;
  vertical: ShareVertical;
  /** The journey stage Causeway counts for this vertical. */
  stage: string;
  days: ChannelShareDay[];
  overall: { causeway: Entry; total: ShareEntry; share: number | null };
}

/** Whole local days from `from` to `to`; at most this many. */
export const CHANNEL_SHARE_MAX_DAYS = 31;

export async function channelShareReport(
  db: DataSource,
  q: { institutionId: string; vertical: ShareVertical; from: string; to: string; k: number },
): Promise<ChannelShareReport> {
  await rollUpJourneyEvents(db);
  const stage = COUNTED_STAGE[q.vertical];
  const days: string[] = [];
  for (let d = q.from; d <= q.to && days.length < CHANNEL_SHARE_MAX_DAYS; d = addDays(d, 1)) days.push(d);
  const ours = z.array(z.object({ bucket: z.string(), events: z.coerce.number() })).parse(
    await db.query(
      `SELECT bucket, sum(events) AS events FROM journey_rollups
        WHERE institution_id = $1 AND vertical = $2 AND grain = 'hour' AND stage = $3 AND bucket BETWEEN $4 AND $5
        GROUP BY bucket`,
      [q.institutionId, q.vertical, stage, `${q.from}T00`, `${q.to}T23`],
    ),
  );
  const theirs = z.array(z.object({ day: z.string(), hour: z.number().nullable(), count: z.coerce.number() })).parse(
    await db.query(
      `SELECT day, hour, sum(count) AS count FROM channel_totals
        WHERE institution_id = $1 AND day BETWEEN $2 AND $3 GROUP BY day, hour`,
      [q.institutionId, q.from, q.to],
    ),
  );
  const atom = (day: string, hour: number) => `share|${q.vertical}|${day}T${String(hour).padStart(2, '0')}|${stage}`;
  const truth = new Map(ours.map((o) => [`share|${q.vertical}|${o.bucket}|${stage}`, o.events]));
  const cells = days.map((d) => HOURS.map((h) => truth.get(atom(d, h)) ?? 0));
  // A day's count (and the range's) is what the funnel releases too: they count as known to the reader.
  const out = await release(db, q.institutionId, `channel-share:${q.vertical}`, cells, (r, c) => [atom(days[r]!, c)], truth, q.k, {
    rowTotalsPublic: true,
  });
  const { table } = out;

  const reportedHour = new Map<string, number>();
  const reportedDay = new Map<string, number>();
  const hourly = new Set<string>();
  for (const t of theirs) {
    reportedDay.set(t.day, (reportedDay.get(t.day) ?? 0) + t.count);
    if (t.hour !== null) {
      hourly.add(t.day);
      reportedHour.set(`${t.day}|${t.hour}`, t.count);
    }
  }
  const hourTotal = (day: string, hour: number): number | null =>
    hourly.has(day) ? (reportedHour.get(`${day}|${hour}`) ?? 0) : q.vertical === 'hospital' ? 0 : null;
  const beside = (ourCount: number, causeway: Entry, reported: number | null) =>
    shareOf(causeway, institutionTotal(q.vertical, ourCount, reported), q.k);

  const reportDays = days.map((day, r): ChannelShareDay => {
    const hours = HOURS.map((hour): ChannelShareHour => {
      const causeway = table.cells[r]![hour]!;
      return { hour, causeway, ...beside(cells[r]![hour]!, causeway, hourTotal(day, hour)) };
    });
    const causeway = table.rowTotals[r]!;
    const dayCount = cells[r]!.reduce((s, v) => s + v, 0);
    const whole = beside(dayCount, causeway, reportedDay.get(day) ?? null);
    const peak = peakOf(hours);
    return { day, causeway, ...whole, peakHour: peak.hour, peakShare: peak.share, hours };
  });
  const allOurs = cells.flat().reduce((s, v) => s + v, 0);
  // Over the range only when every day was reported (a hospital's missing day has no other bookings).
  const allTheirs =
    q.vertical === 'hospital' || days.every((d) => reportedDay.has(d)) ? days.reduce((s, d) => s + (reportedDay.get(d) ?? 0), 0) : null;
  return {
    k: q.k,
    vertical: q.vertical,
    stage,
    days: reportDays,
    overall: { causeway: table.total, ...beside(allOurs, table.total, allTheirs) },
  };
}
