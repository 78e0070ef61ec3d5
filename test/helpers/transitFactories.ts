import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { DataSource } from 'typeorm';
import { hashApiKey } from '../../api/auth/middleware';
import { storeFeedVersion } from '../../db/repositories/transitFeeds';
import { instantOfLocalTime } from '../../domain/hospital/serviceDay';
import type { PaymentProvider } from '../../integrations/payment/provider';
import { readFeedFiles } from '../../integrations/transit/gtfs';
import { AfcSimulator, type UploadReport } from '../../integrations/transit/simulator';

/**
 * Transit test data, typed. Enrolment is another slice's work: riders and their credentials are
 * inserted directly, as enrolment leaves them (an active rider, one live credential).
 */

export const METROVILLE_FEED = path.join(__dirname, '..', 'fixtures', 'gtfs', 'metroville');
export const METROVILLE_ZONE = 'Asia/Shanghai';

export interface TestOperator {
  id: string;
  secret: string;
  timeZone: string;
}

/** A fresh operator id, for a platform that must know its operators before they exist (TRANSIT_FORWARD_OPERATORS). */
export function testOperatorId(): string {
  return `op${randomUUID().slice(0, 8)}`;
}

export async function createTestTransitOperator(
  db: DataSource,
  encrypt: (plain: string) => string,
  opts: { id?: string; timeZone?: string; serviceDayStart?: string } = {},
): Promise<TestOperator> {
  const op = { id: opts.id ?? testOperatorId(), secret: `secret-${randomUUID()}`, timeZone: opts.timeZone ?? METROVILLE_ZONE };
  await db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, settings) VALUES ($1, 'transit', 'Test Metro', $2, $3, $4)`,
    [op.id, op.timeZone, encrypt(op.secret), JSON.stringify(opts.serviceDayStart ? { serviceDayStart: opts.serviceDayStart } : {})],
  );
  return op;
}

export interface TestRider {
  riderId: string;
  userId: string;
  riderRef: string;
  pseudonym: string;
}

/** A user of `partnerId` (a new partner when none is given) enrolled with the operator, with one credential. */
export async function createTestTransitRider(
  db: DataSource,
  opts: { operatorId: string; partnerId?: string; riderCategoryId?: string },
): Promise<TestRider> {
  let partnerId = opts.partnerId;
  if (!partnerId) {
    partnerId = `tp-${randomUUID().slice(0, 8)}`;
    await db.query('INSERT INTO partners (id, name, api_key_hash) VALUES ($1, $2, $3)', [
      partnerId,
      'Transit test',
      hashApiKey(randomUUID()),
    ]);
  }
  const userId = randomUUID();
  const n = randomUUID().replace(/-/g, '');
  await db.query(
    `INSERT INTO users (id, partner_id, id_number_hash, id_number_enc, legal_name_enc, phone_enc, phone_hash, user_ref, identity_status)
     VALUES ($1, $2, $3, 'x', 'x', 'x', $4, $5, 'verified')`,
    [userId, partnerId, `idh-${n}`, `ph-${n}`, `u_${n.slice(0, 20)}`],
  );
  const riderId = randomUUID();
  const riderRef = `r_${n.slice(0, 24)}`;
  await db.query(
    `INSERT INTO transit_riders (id, operator_id, user_id, rider_ref, rider_category, status) VALUES ($1, $2, $3, $4, $5, 'active')`,
    [riderId, opts.operatorId, userId, riderRef, opts.riderCategoryId ?? 'adult'],
  );
  const pseudonym = await addTestCredential(db, { operatorId: opts.operatorId, riderId });
  return { riderId, userId, riderRef, pseudonym };
}

export async function addTestCredential(db: DataSource, k: { operatorId: string; riderId: string; pseudonym?: string }): Promise<string> {
  const pseudonym = k.pseudonym ?? `ps_${randomUUID().replace(/-/g, '')}`;
  await db.query(
    `INSERT INTO transit_credentials (pseudonym, operator_id, rider_id, key_id, device_public_key, valid_from, valid_until)
     VALUES ($1, $2, $3, 'k1', 'test-device-key', now() - interval '1 day', now() + interval '1 day')`,
    [pseudonym, k.operatorId, k.riderId],
  );
  return pseudonym;
}

/**
 * Stores the Metroville feed as applying from `effectiveFrom`. A feed may not apply to days already
 * over, so the upload is made as of that day (its noon, operator time), as an operator would have.
 */
export async function storeMetrovilleFeed(db: DataSource, operatorId: string, effectiveFrom: string) {
  return storeFeedVersion(db, {
    operatorId,
    files: await readFeedFiles(METROVILLE_FEED),
    effectiveFrom,
    now: instantOfLocalTime(effectiveFrom, '12:00', METROVILLE_ZONE).getTime(),
  });
}

/** Epoch ms of a local wall time on a service day in Metroville's zone. */
export function metrovilleTime(day: string, hhmm: string): number {
  return instantOfLocalTime(day, hhmm, METROVILLE_ZONE).getTime();
}

/**
 * Signs a withholding agreement for the rider at the payment simulator (as the rider would on the
 * platform's page) and stores it on the rider row, as the sign notification leaves it. `buyerId`
 * names the simulated payer, so a test can make that payer's balance run out.
 */
export async function signTestAgreement(
  db: DataSource,
  payments: Pick<PaymentProvider, 'agreementSignPage'>,
  notifyUrl: string,
  riderId: string,
  buyerId?: string,
): Promise<string> {
  const externalAgreementNo = `T${randomUUID().replace(/-/g, '').slice(0, 24)}`;
  const page = await payments.agreementSignPage({ externalAgreementNo, externalLogonId: 'rider', notifyUrl });
  const shown = (await (await fetch(page.signUrl)).json()) as { confirmUrl: string };
  const confirmed = await fetch(shown.confirmUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(buyerId ? { buyerId } : {}),
  });
  const { agreementNo } = (await confirmed.json()) as { agreementNo?: string };
  if (!agreementNo) throw new Error(`the simulator refused to sign (${confirmed.status})`);
  await db.query(`UPDATE transit_riders SET agreement_no = $1, external_agreement_no = $2 WHERE id = $3`, [
    agreementNo,
    externalAgreementNo,
    riderId,
  ]);
  return agreementNo;
}

/** A tap as an AFC reports it: [tap id, local time on the day, stop, declared type]. */
export type AfcTapSpec = readonly [tapId: string, time: string, stopId: string, tapType: 'on' | 'off'];

/** Posts one rider's taps of a day the way the operator's AFC does (signed batch); answers its report. */
export async function uploadTaps(
  baseUrl: string,
  op: TestOperator,
  pseudonym: string,
  day: string,
  taps: readonly AfcTapSpec[],
): Promise<UploadReport | undefined> {
  const afc = new AfcSimulator({ baseUrl, operatorId: op.id, secret: op.secret });
  for (const [tapId, time, stopId, tapType] of taps) {
    afc.collect({
      tapId,
      pseudonym,
      stopId,
      deviceId: `gate-${stopId.toLowerCase()}`,
      tapType,
      gateDecision: 'allow',
      transactionAt: new Date(metrovilleTime(day, time)).toISOString(),
    });
  }
  return (await afc.upload())[0];
}
