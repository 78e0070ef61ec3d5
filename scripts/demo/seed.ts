import { hashApiKey } from '../../api/auth/middleware';
import { seedSchedule } from '../../db/repositories/slots';
import { addDays, serviceDayOf } from '../../domain/hospital/serviceDay';
import type { DataSource } from 'typeorm';
import type { PiiCipher } from '../../platform/pii';
import { seedRetail } from './retailSeed';
import { DEMO_TRANSIT_OPERATOR_ID, DEMO_TRANSIT_ZONE, seedTransitFeed, seedTransitOperator } from './transitSeed';

export const DEMO_PARTNER_ID = 'demo-app';
export const DEMO_HOSPITAL_ID = 'demo-hospital';
/** Where the demo hospital's HIS simulator listens for Causeway's HL7 (Causeway's own listener is 2575). */
export const DEMO_HIS_MLLP_PORT = 2576;
export const DEMO_DEPARTMENTS = [
  { id: 'CARD', name: 'Cardiology' },
  { id: 'PAED', name: 'Paediatrics' },
];
export const DEMO_DOCTORS = [
  { id: 'D-ZHANG', departmentId: 'CARD', displayName: 'Dr. Zhang Wei', title: 'Chief physician' },
  { id: 'D-LI', departmentId: 'PAED', displayName: 'Dr. Li Na', title: 'Attending physician' },
];
/** Short quiet period so the demo visit closes within a minute of its results. */
const DEMO_POLICY = { visitQuietCloseSeconds: 20 };

export interface DemoSeed {
  partnerApiKey: string;
  hospitalSecret: string;
  /** Where Causeway reaches the demo HIS over MLLP. */
  hisHost: string;
}

/** A partner app, a hospital and a week of its schedule; idempotent, so every start can run it. */
export async function seedDemo({ db, pii }: { db: DataSource; pii: PiiCipher }, keys: DemoSeed): Promise<void> {
  await db.query(
    `INSERT INTO partners (id, name, api_key_hash) VALUES ($1, 'Demo partner app', $2)
     ON CONFLICT (id) DO UPDATE SET api_key_hash = EXCLUDED.api_key_hash`,
    [DEMO_PARTNER_ID, hashApiKey(keys.partnerApiKey)],
  );
  await db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, mllp_host, mllp_port, settings)
     VALUES ($1, 'hospital', 'Demo People''s Hospital', 'Asia/Shanghai', $2, $3, $4, $5)
     ON CONFLICT (id) DO UPDATE SET mllp_host = EXCLUDED.mllp_host, mllp_port = EXCLUDED.mllp_port, settings = EXCLUDED.settings`,
    [DEMO_HOSPITAL_ID, pii.encrypt(keys.hospitalSecret), keys.hisHost, DEMO_HIS_MLLP_PORT, JSON.stringify({ policy: DEMO_POLICY })],
  );
  // The operator's secret is the hospital's in the demo: one less key to hand around; never in production.
  await seedTransitOperator(db, pii, {
    id: DEMO_TRANSIT_OPERATOR_ID,
    name: 'Metroville Transit',
    timeZone: DEMO_TRANSIT_ZONE,
    secret: keys.hospitalSecret,
  });
  await seedTransitFeed(db, { id: DEMO_TRANSIT_OPERATOR_ID, timeZone: DEMO_TRANSIT_ZONE });
  await seedRetail(db, pii, keys.hospitalSecret);
  const today = serviceDayOf(Date.now(), 'Asia/Shanghai');
  await seedSchedule(db, {
    institutionId: DEMO_HOSPITAL_ID,
    departments: DEMO_DEPARTMENTS,
    doctors: DEMO_DOCTORS,
    days: [1, 2, 3, 4, 5, 6, 7].map((n) => addDays(today, n)),
    slotsPerDoctorPerDay: 24,
    feeMinor: 2500,
    currency: 'CNY',
    opensAt: new Date(Date.now() - 60_000),
    timeZone: 'Asia/Shanghai',
  });
}
