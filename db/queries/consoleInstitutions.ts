import type { DataSource } from 'typeorm';
import { z } from 'zod';

/** Institutions as the console names and scopes them: kind, time zone, and a merchant's district. */
const Row = z.object({ id: z.string(), kind: z.string(), name: z.string(), time_zone: z.string(), district_id: z.string().nullable() });

export interface ConsoleInstitution {
  id: string;
  kind: string;
  name: string;
  timeZone: string;
  districtId: string | null;
}

const toInstitution = (r: z.infer<typeof Row>): ConsoleInstitution => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  timeZone: r.time_zone,
  districtId: r.district_id,
});

const COLUMNS = `id, kind, name, time_zone, settings->'retail'->>'districtId' AS district_id`;

export async function consoleInstitution(db: DataSource, id: string): Promise<ConsoleInstitution | undefined> {
  const rows = z.array(Row).parse(await db.query(`SELECT ${COLUMNS} FROM institutions WHERE id = $1`, [id]));
  return rows[0] ? toInstitution(rows[0]) : undefined;
}

/** The merchants that belong to a district, by name. */
export async function districtMerchants(db: DataSource, districtId: string): Promise<ConsoleInstitution[]> {
  const rows = z
    .array(Row)
    .parse(
      await db.query(
        `SELECT ${COLUMNS} FROM institutions WHERE kind = 'merchant' AND settings->'retail'->>'districtId' = $1 ORDER BY name, id LIMIT 500`,
        [districtId],
      ),
    );
  return rows.map(toInstitution);
}
