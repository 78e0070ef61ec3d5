import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { hashApiKey } from '../../api/auth/middleware';
import { seedSchedule } from '../../db/repositories/slots';
import { addDays, serviceDayOf } from '../../domain/hospital/serviceDay';
import type { HospitalPolicy } from '../../domain/hospital/policy';
import type { PiiCipher } from '../../platform/pii';

/**
 * Rows the scenarios need, written straight to the database. Users are inserted already verified
 * (the schema allows it): identity verification is its own journey and not what is measured here.
 * Every personal field is synthetic and stored encrypted exactly as the API would store it.
 */
export const TIME_ZONE = 'Asia/Shanghai';
export const FEE_MINOR = 2500;
export const CURRENCY = 'CNY';

export async function insertPartner(db: DataSource, apiKey: string): Promise<string> {
  const id = 'bench-partner';
  await db.query('INSERT INTO partners (id, name, api_key_hash) VALUES ($1, $2, $3)', [id, 'Bench partner app', hashApiKey(apiKey)]);
  return id;
}

/**
 * A hospital. `hisPort` is where its HIS listens (the simulator); without one, 127.0.0.1 is still its
 * MLLP host, which registers the loopback address as its source (the MLLP sender check).
 */
export async function insertHospital(
  db: DataSource,
  pii: PiiCipher,
  h: { id: string; secret: string; hisPort: number | null; policy: Partial<HospitalPolicy> },
): Promise<void> {
  await db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, mllp_host, mllp_port, settings)
     VALUES ($1, 'hospital', $2, $3, $4, $5, $6, $7)`,
    [h.id, `Bench hospital ${h.id}`, TIME_ZONE, pii.encrypt(h.secret), '127.0.0.1', h.hisPort, JSON.stringify({ policy: h.policy })],
  );
}

/** `count` verified users of the partner, inserted in one statement per thousand. Returns their ids. */
export async function insertVerifiedUsers(
  db: DataSource,
  pii: PiiCipher,
  partnerId: string,
  count: number,
  tag: string,
): Promise<string[]> {
  const ids: string[] = [];
  const CHUNK = 1000;
  for (let at = 0; at < count; at += CHUNK) {
    const rows = Array.from({ length: Math.min(CHUNK, count - at) }, (_, k) => {
      const id = randomUUID();
      const syntheticIdNumber = `BENCH-${tag}-${String(at + k).padStart(6, '0')}`;
      const syntheticPhone = `1990000${String(at + k).padStart(4, '0')}`;
      ids.push(id);
      return [
        id,
        pii.lookupHash('id_number', syntheticIdNumber),
        pii.encrypt(syntheticIdNumber),
        pii.encrypt('Bench Patient'),
        pii.encrypt(syntheticPhone),
        pii.lookupHash('phone', syntheticPhone),
        pii.lookupHash('user_ref', id).slice(0, 32),
      ];
    });
    const column = (i: number): string[] => rows.map((r) => r[i] as string);
    await db.query(
      `INSERT INTO users (id, partner_id, id_number_hash, id_number_enc, legal_name_enc, phone_enc, phone_hash, user_ref, identity_status, verified_at)
       SELECT id, $1, idh, ide, namee, phonee, phoneh, uref, 'verified', now()
         FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[]) AS t(id, idh, ide, namee, phonee, phoneh, uref)`,
      [partnerId, column(0), column(1), column(2), column(3), column(4), column(5), column(6)],
    );
  }
  return ids;
}

export interface Schedule {
  /** Slot ids per doctor, earliest first. */
  byDoctor: Map<string, string[]>;
  all: string[];
}

/** Tomorrow's slots (institution time), `perDoctor` for each doctor, open for booking from `opensAt`. */
export async function seedSlots(
  db: DataSource,
  s: { institutionId: string; doctorIds: string[]; perDoctor: number; opensAt?: Date },
): Promise<Schedule> {
  const department = { id: 'GEN', name: 'General medicine' };
  const tomorrow = addDays(serviceDayOf(Date.now(), TIME_ZONE), 1);
  const { slotIds } = await seedSchedule(db, {
    institutionId: s.institutionId,
    departments: [department],
    doctors: s.doctorIds.map((id) => ({ id, departmentId: department.id, displayName: `Doctor ${id}` })),
    days: [tomorrow],
    slotsPerDoctorPerDay: s.perDoctor,
    feeMinor: FEE_MINOR,
    currency: CURRENCY,
    opensAt: s.opensAt ?? new Date(Date.now() - 60_000),
    timeZone: TIME_ZONE,
    firstSlotAt: '07:00',
    slotMinutes: 3,
  });
  const byDoctor = new Map<string, string[]>(s.doctorIds.map((d) => [d, []]));
  slotIds.forEach((id, i) => byDoctor.get(s.doctorIds[Math.floor(i / s.perDoctor)] ?? '')?.push(id));
  return { byDoctor, all: slotIds };
}

/** `d` doctors × `per` slots = exactly `total`, with at most 500 slots per doctor (seedSchedule's limit). */
export function splitSlots(total: number): { doctors: number; perDoctor: number } {
  for (let d = Math.ceil(total / 500); d <= total; d++) if (total % d === 0) return { doctors: d, perDoctor: total / d };
  return { doctors: total, perDoctor: 1 };
}

export function doctorIds(prefix: string, n: number): string[] {
  return Array.from({ length: n }, (_, i) => `${prefix}${String(i + 1).padStart(3, '0')}`);
}
