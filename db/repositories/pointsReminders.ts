import { pointsExpiringWithin } from '../../domain/retail/expiry';
import { availableMovements } from './pointsExpiry';
import type { SqlRunner } from './slots';

/** How far ahead of their expiry a member's points are pointed out. */
export const POINTS_REMINDER_DAYS = 3;
const DAY_MS = 86_400_000;

/**
 * The service window's "points about to expire" (issue 12, item 6): each member of the programme whose
 * points will expire within three days gets one marketing notice per programme and day, naming how
 * many and the first expiry. Numbers and a time only; never sent to a member who muted the programme's
 * merchant or district; the notice's key makes a repeated run send nothing more (one a day at most).
 * Members are read in pages by user id, so a large programme is walked once, not loaded at once.
 */
export async function remindExpiringPoints(
  db: SqlRunner,
  p: { programId: string; ageMs: number; asOfMs: number; pageSize: number },
): Promise<number> {
  const day = new Date(p.asOfMs).toISOString().slice(0, 10);
  const cutoff = new Date(p.asOfMs + POINTS_REMINDER_DAYS * DAY_MS - p.ageMs);
  let after = '00000000-0000-0000-0000-000000000000';
  let sent = 0;
  for (;;) {
    const members: Array<{ user_id: string; user_ref: string }> = await db.query(
      `SELECT DISTINCT l.user_id, u.user_ref FROM points_ledger l JOIN users u ON u.id = l.user_id
        WHERE l.program_id = $1 AND l.available_delta > 0 AND l.created_at <= $2 AND l.user_id > $3
          AND NOT EXISTS (SELECT 1 FROM points_ledger e WHERE e.program_id = l.program_id AND e.movement_key = 'expire:' || l.movement_key)
          AND NOT EXISTS (SELECT 1 FROM notice_mutes m WHERE m.user_ref = u.user_ref AND m.institution_id = l.program_id)
        ORDER BY l.user_id LIMIT $4`,
      [p.programId, cutoff, after, p.pageSize],
    );
    for (const m of members) {
      const movements = await availableMovements(db, p.programId, m.user_id);
      const soon = pointsExpiringWithin(movements, p.ageMs, p.asOfMs, POINTS_REMINDER_DAYS * DAY_MS);
      if (!soon) continue;
      const ins: unknown[] = await db.query(
        `INSERT INTO notifications (user_ref, journey_id, kind, key, data)
         VALUES ($1, $2, 'points_expiring', $1, jsonb_build_object('points', $3::int, 'expiresAtMs', $4::bigint))
         ON CONFLICT (journey_id, kind, key) DO NOTHING RETURNING 1`,
        [m.user_ref, `points-expiry/${p.programId}/${day}`, soon.points, soon.firstExpiresAtMs],
      );
      sent += ins.length;
    }
    if (members.length < p.pageSize) return sent;
    after = members[members.length - 1]!.user_id;
  }
}
