import { z } from 'zod';
import type { SqlRunner } from './slots';

/** A user's muted institutions: their marketing notices are neither sent nor shown (essential ones always are). */
const MuteRow = z.object({ institution_id: z.string(), created_at: z.date() });
export type MuteRow = z.infer<typeof MuteRow>;

/** Mutes the institution (idempotent: muting twice keeps the first time); undefined when no such institution exists. */
export async function muteInstitution(db: SqlRunner, userRef: string, institutionId: string): Promise<MuteRow | undefined> {
  return z.array(MuteRow).parse(
    await db.query(
      `WITH inst AS (SELECT id FROM institutions WHERE id = $2),
              ins AS (INSERT INTO notice_mutes (user_ref, institution_id) SELECT $1, id FROM inst
                      ON CONFLICT (user_ref, institution_id) DO NOTHING RETURNING institution_id, created_at)
         SELECT institution_id, created_at FROM ins
         UNION ALL
         SELECT institution_id, created_at FROM notice_mutes WHERE user_ref = $1 AND institution_id = $2`,
      [userRef, institutionId],
    ),
  )[0];
}

/** Unmutes; unmuting what was not muted changes nothing. */
export async function unmuteInstitution(db: SqlRunner, userRef: string, institutionId: string): Promise<void> {
  await db.query(`DELETE FROM notice_mutes WHERE user_ref = $1 AND institution_id = $2`, [userRef, institutionId]);
}

export async function listMutes(db: SqlRunner, userRef: string): Promise<MuteRow[]> {
  return z
    .array(MuteRow)
    .parse(await db.query(`SELECT institution_id, created_at FROM notice_mutes WHERE user_ref = $1 ORDER BY institution_id`, [userRef]));
}
