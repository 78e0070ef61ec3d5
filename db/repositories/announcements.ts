import { z } from 'zod';
import type { DataSource } from 'typeorm';
import { announcementJourneyId, type AnnouncementTemplate } from '../../domain/notices/announcements';

export interface NewAnnouncement {
  institutionId: string;
  announcementId: string;
  templateKey: AnnouncementTemplate;
  /** Ids, times and amounts only (the request schema allows nothing else). */
  data: Record<string, string | number>;
  /** Of the request's content: a replay must be the same announcement. */
  requestHash: string;
  /** At most this many announcements per institution in any 24 hours. */
  perDay: number;
}

export type AnnouncementOutcome =
  | { kind: 'sent'; recipients: number }
  | { kind: 'replayed'; recipients: number }
  | { kind: 'id_reused' }
  | { kind: 'rate_limited'; retryAfterSeconds: number };

const Earlier = z.object({ request_hash: z.string(), recipients: z.number().int() });
const Window = z.object({ n: z.number().int(), retry_after: z.number().nullable() });
const Count = z.object({ n: z.number().int() });

/**
 * Records an announcement and writes its notice to every user with a journey at the institution
 * (a visit at the hospital, an active enrolment with the operator) who has not muted it, all in one
 * transaction: a retry finds it whole or not at all. A lock on the institution (advisory, so enrolments
 * and mutes referencing its row are not held up) makes its announcements count against the daily limit
 * one at a time across API processes.
 */
export async function announce(db: DataSource, a: NewAnnouncement): Promise<AnnouncementOutcome> {
  return db.transaction(async (tx) => {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('announcements:' || $1))`, [a.institutionId]);
    const earlier = z
      .array(Earlier)
      .parse(
        await tx.query('SELECT request_hash, recipients FROM announcements WHERE institution_id = $1 AND announcement_id = $2', [
          a.institutionId,
          a.announcementId,
        ]),
      )[0];
    if (earlier)
      return earlier.request_hash === a.requestHash ? { kind: 'replayed', recipients: earlier.recipients } : { kind: 'id_reused' };
    const [window] = z.array(Window).parse(
      await tx.query(
        `SELECT count(*)::int AS n,
                  extract(epoch FROM min(created_at) + interval '1 day' - now())::float8 AS retry_after
             FROM announcements WHERE institution_id = $1 AND created_at > now() - interval '1 day'`,
        [a.institutionId],
      ),
    );
    if (!window) throw new Error('count answered no row');
    if (window.n >= a.perDay) return { kind: 'rate_limited', retryAfterSeconds: Math.max(1, Math.ceil(window.retry_after ?? 1)) };
    const data = JSON.stringify({ announcementId: a.announcementId, templateKey: a.templateKey, ...a.data });
    await tx.query(
      `INSERT INTO announcements (institution_id, announcement_id, template_key, data, request_hash) VALUES ($1, $2, $3, $4, $5)`,
      [a.institutionId, a.announcementId, a.templateKey, data, a.requestHash],
    );
    // Ordered by user so concurrent fan-outs lock the users' notice heads in the same order (no deadlock).
    const [sent] = z.array(Count).parse(
      await tx.query(
        `WITH recipients AS (
             SELECT u.user_ref FROM visits v JOIN users u ON u.id = v.user_id WHERE v.institution_id = $1
             UNION
             SELECT u.user_ref FROM transit_riders r JOIN users u ON u.id = r.user_id WHERE r.operator_id = $1 AND r.status = 'active'
           ), ins AS (
             INSERT INTO notifications (user_ref, journey_id, kind, key, data)
             SELECT r.user_ref, $2, 'announcement', r.user_ref, $3::jsonb FROM recipients r
              WHERE NOT EXISTS (SELECT 1 FROM notice_mutes m WHERE m.user_ref = r.user_ref AND m.institution_id = $1)
              ORDER BY r.user_ref
             ON CONFLICT (journey_id, kind, key) DO NOTHING RETURNING 1
           )
           SELECT count(*)::int AS n FROM ins`,
        [a.institutionId, announcementJourneyId(a.institutionId, a.announcementId), data],
      ),
    );
    if (!sent) throw new Error('fan-out answered no row');
    await tx.query('UPDATE announcements SET recipients = $3 WHERE institution_id = $1 AND announcement_id = $2', [
      a.institutionId,
      a.announcementId,
      sent.n,
    ]);
    return { kind: 'sent', recipients: sent.n };
  });
}
