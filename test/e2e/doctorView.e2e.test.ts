import { randomUUID } from 'node:crypto';
import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { signRequest } from '../../domain/requestSignature';
import { SHARE_MAX_LIVE_PER_VISIT } from '../../domain/hospital/resultShares';
import { recentAudit } from '../../db/repositories/audit';
import { QUICK_VISIT_POLICY, startHospitalDriver, type HospitalDriver } from '../helpers/hospitalDriver';
import { until } from '../helpers/poll';

/**
 * Results in the doctor's hands: a real visit ends with results from the HIS; the hospital's own app
 * (signed as the hospital) shows them to the visit's doctor and to nobody else; the patient's grant
 * opens them to a doctor of another hospital, and revoking or expiry closes that again.
 */
let d: HospitalDriver;
let patient: string;
let stranger: string;
let ref: string;
let otherHospital: string;
const OTHER_SECRET = 'other-hospital-secret';

beforeAll(async () => {
  d = await startHospitalDriver({
    policy: QUICK_VISIT_POLICY,
    replicas: { api: 1, workers: 1 },
  });
  patient = await d.verifiedUser();
  stranger = await d.verifiedUser();
  const db = d.p.services.db;
  await db.query(`INSERT INTO doctors (institution_id, id, department_id, display_name) VALUES ($1, 'D2', 'CARD', 'Dr. Li')`, [d.hospital]);
  otherHospital = `h${randomUUID().slice(0, 6)}`;
  await db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, settings) VALUES ($1, 'hospital', 'Other Hospital', 'Asia/Shanghai', $2, '{}')`,
    [otherHospital, d.p.services.pii.encrypt(OTHER_SECRET)],
  );
  await db.query(`INSERT INTO departments (institution_id, id, name) VALUES ($1, 'ONC', 'Oncology')`, [otherHospital]);
  await db.query(`INSERT INTO doctors (institution_id, id, department_id, display_name) VALUES ($1, 'X1', 'ONC', 'Dr. Wang')`, [
    otherHospital,
  ]);

  // A whole visit with Dr. D1, ending with a blood count.
  const booked = await d.api<{ bookingRef: string }>('POST', '/v1/visits', patient, { institutionId: d.hospital, slotId: d.slotIds[0] });
  ref = booked.body.bookingRef;
  await d.payOpen(ref, patient, 'registration');
  await d.waitStage(ref, patient, 'booked');
  await d.api('POST', `/v1/visits/${ref}/check-in`, patient, {});
  await until('HIS call', async () => d.his.callNext(d.doctor), { timeoutMs: 30_000 });
  await d.waitStage(ref, patient, 'called');
  await d.his.placeOrders(ref, { items: [{ code: 'CBC', text: 'Blood count', priceMinor: 4500 }], orderId: 'ORD-1' });
  await d.payOpen(ref, patient, 'order-ORD-1');
  await until('order paid', async () => (await d.stage(ref, patient)).orders.find((o) => o.orderId === 'ORD-1')?.status === 'paid', {
    timeoutMs: 30_000,
  });
  await d.his.sendResults(ref, 'ORD-1', [
    { code: 'HGB', text: 'Haemoglobin', value: '135', units: 'g/L', referenceRange: '115-150', abnormalFlag: 'N' },
  ]);
  await until(
    'results stored',
    async () => (await d.p.services.db.query<unknown[]>('SELECT 1 FROM visit_results WHERE booking_ref = $1', [ref])).length > 0,
    {
      timeoutMs: 30_000,
    },
  );
});
afterAll(async () => {
  await d?.stop();
});

interface Results {
  results: Array<{ bookingRef: string; orderId: string; patient: string; via: string; report: unknown; grantExpiresAt: string | null }>;
}
const hospitalApp = () => new InstitutionHttpClient({ baseUrl: d.p.api.url, institutionId: d.hospital, secret: 'hospital-secret' });
const otherApp = () => new InstitutionHttpClient({ baseUrl: d.p.api.url, institutionId: otherHospital, secret: OTHER_SECRET });

it("shows the visit's doctor their patient's results, audited, and no other doctor or hospital", async () => {
  const mine = await hospitalApp().get<Results>(`/v1/institutions/${d.hospital}/doctors/${d.doctor}/results`);
  expect(mine.status).toBe(200);
  expect(mine.body.results).toHaveLength(1);
  expect(mine.body.results[0]).toMatchObject({
    bookingRef: ref,
    orderId: 'ORD-1',
    via: 'own',
    grantExpiresAt: null,
    patient: expect.stringMatching(/\*/),
  });
  expect(JSON.stringify(mine.body.results[0]!.report)).toContain('135');
  expect(await recentAudit(d.p.services.db, { action: 'results.viewed', subject: `${ref}/ORD-1` })).toHaveLength(1);

  expect((await hospitalApp().get<Results>(`/v1/institutions/${d.hospital}/doctors/D2/results`)).body.results).toEqual([]);
  // Every look is audited, a look that found nothing too; the entries carry ids, never the patient's name or report.
  const looks = await recentAudit(d.p.services.db, { action: 'results.listed', subject: `doctor:${d.hospital}:D2` });
  expect(looks).toEqual([expect.objectContaining({ actor: `institution:${d.hospital}`, details: { count: 0, bookingRef: null } })]);
  const [own] = await recentAudit(d.p.services.db, { action: 'results.listed', subject: `doctor:${d.hospital}:${d.doctor}` });
  expect(own?.details).toEqual({ count: 1, bookingRef: null });
  const audited = JSON.stringify(await recentAudit(d.p.services.db, { subject: `${ref}/ORD-1` }));
  expect(mine.body.results[0]!.patient).toBe('Test *'); // the driver registers 'Test Patient'
  expect(audited).not.toContain('Patient');
  expect(audited).not.toContain('135');
  expect((await otherApp().get<Results>(`/v1/institutions/${otherHospital}/doctors/X1/results`)).body.results).toEqual([]);
  // Another hospital cannot ask as this one, nor name a doctor that is not theirs.
  expect((await otherApp().get(`/v1/institutions/${d.hospital}/doctors/${d.doctor}/results`)).status).toBe(403);
  expect((await otherApp().get(`/v1/institutions/${otherHospital}/doctors/${d.doctor}/results`)).status).toBe(404);
  const forged = new InstitutionHttpClient({ baseUrl: d.p.api.url, institutionId: d.hospital, secret: 'guess' });
  expect((await forged.get(`/v1/institutions/${d.hospital}/doctors/${d.doctor}/results`)).status).toBe(401);
});

it("opens another hospital's doctor's view by the patient's grant, and closes it on revoke and on expiry", async () => {
  const share = await d.api<{ shareId: string; live: boolean; expiresAt: string }>('POST', `/v1/visits/${ref}/shares`, patient, {
    institutionId: otherHospital,
    doctorId: 'X1',
    hours: 24,
  });
  expect(share.status).toBe(201);
  expect(share.body.live).toBe(true);
  const view = async () => (await otherApp().get<Results>(`/v1/institutions/${otherHospital}/doctors/X1/results`)).body.results;
  expect(await view()).toEqual([expect.objectContaining({ bookingRef: ref, via: 'grant', grantExpiresAt: share.body.expiresAt })]);
  expect(await recentAudit(d.p.services.db, { action: 'results.viewed', subject: `${ref}/ORD-1` })).toContainEqual(
    expect.objectContaining({ actor: `institution:${otherHospital}`, details: { doctorId: 'X1', via: 'grant' } }),
  );
  // A second live grant to the same doctor shows the visit once, until the later of the two ends.
  const longer = await d.api<{ shareId: string; expiresAt: string }>('POST', `/v1/visits/${ref}/shares`, patient, {
    institutionId: otherHospital,
    doctorId: 'X1',
    hours: 48,
  });
  expect(await view()).toEqual([expect.objectContaining({ bookingRef: ref, via: 'grant', grantExpiresAt: longer.body.expiresAt })]);
  expect((await d.api('DELETE', `/v1/visits/${ref}/shares/${longer.body.shareId}`, patient)).status).toBe(200);
  expect(await view()).toHaveLength(1);
  // Another user can neither list nor revoke the patient's grants: their visit does not exist for them.
  expect((await d.api('GET', `/v1/visits/${ref}/shares`, stranger)).status).toBe(404);
  expect((await d.api('DELETE', `/v1/visits/${ref}/shares/${share.body.shareId}`, stranger)).status).toBe(404);
  expect(await view()).toHaveLength(1);
  // Only X1 was granted: another doctor of that hospital sees nothing.
  await d.p.services.db.query(
    `INSERT INTO doctors (institution_id, id, department_id, display_name) VALUES ($1, 'X2', 'ONC', 'Dr. Zhao')`,
    [otherHospital],
  );
  expect((await otherApp().get<Results>(`/v1/institutions/${otherHospital}/doctors/X2/results`)).body.results).toEqual([]);

  const revoked = await d.api<{ live: boolean }>('DELETE', `/v1/visits/${ref}/shares/${share.body.shareId}`, patient);
  expect(revoked.body.live).toBe(false);
  expect(await view()).toEqual([]);
  expect((await d.api('DELETE', `/v1/visits/${ref}/shares/${share.body.shareId}`, patient)).status).toBe(200); // again: fine

  const second = await d.api<{ shareId: string }>('POST', `/v1/visits/${ref}/shares`, patient, {
    institutionId: otherHospital,
    doctorId: 'X1',
    hours: 1,
  });
  expect(await view()).toHaveLength(1);
  await d.p.services.db.query(`UPDATE result_shares SET expires_at = now() - interval '1 second' WHERE id = $1`, [second.body.shareId]);
  expect(await view()).toEqual([]);
  const listed = await d.api<{ shares: Array<{ live: boolean }> }>('GET', `/v1/visits/${ref}/shares`, patient);
  expect(listed.body.shares.map((s) => s.live)).toEqual([false, false, false]);
});

it('refuses shares that are not the patient’s to give, or malformed', async () => {
  const share = (user: string, body: object) =>
    d.api<{ errors?: Array<{ field: string }> }>('POST', `/v1/visits/${ref}/shares`, user, body);
  expect((await share(stranger, { institutionId: otherHospital, doctorId: 'X1', hours: 1 })).status).toBe(404);
  expect((await share(patient, { institutionId: d.hospital, doctorId: 'D2', hours: 1 })).body.errors?.[0]?.field).toBe(
    'body.institutionId',
  );
  expect((await share(patient, { institutionId: otherHospital, doctorId: 'NOPE', hours: 1 })).body.errors?.[0]?.field).toBe(
    'body.doctorId',
  );
  expect((await share(patient, { institutionId: otherHospital, doctorId: 'X1', hours: 0 })).status).toBe(422);
  expect((await share(patient, { institutionId: otherHospital, doctorId: 'X1', hours: 24 * 365 })).status).toBe(422);
  expect((await share(patient, { institutionId: otherHospital, doctorId: 'X1', hours: 1, extra: 1 })).status).toBe(422);
  expect((await d.api('DELETE', `/v1/visits/${ref}/shares/not-a-uuid`, patient)).status).toBe(422);
  expect((await d.api('DELETE', `/v1/visits/${ref}/shares/${randomUUID()}`, stranger)).status).toBe(404);
  expect((await hospitalApp().get(`/v1/institutions/${d.hospital}/doctors/${'x'.repeat(60)}/results`)).status).toBe(422);
});

it('refuses hostile calls to the doctor view: malformed, oversize, spoofed, replayed', async () => {
  const path = `/v1/institutions/${d.hospital}/doctors/${d.doctor}/results`;
  for (const bad of [
    `/v1/institutions/${d.hospital}/doctors/D%201/results`,
    `/v1/institutions/${d.hospital}/doctors/${encodeURIComponent("D1' OR '1'='1")}/results`,
  ])
    expect((await hospitalApp().get(bad)).status).toBe(422);
  expect((await hospitalApp().get(`${path}?bookingRef=${'r'.repeat(41)}`)).status).toBe(422);
  expect((await hospitalApp().get(`${path}?limit=100000`)).status).toBe(422);
  // Asking about somebody else's visit by its reference answers nothing (and is audited as a look).
  const probe = await hospitalApp().get<Results>(`/v1/institutions/${d.hospital}/doctors/D2/results?bookingRef=${ref}`);
  expect(probe.body.results).toEqual([]);
  expect(await recentAudit(d.p.services.db, { action: 'results.listed', subject: `doctor:${d.hospital}:D2` })).toContainEqual(
    expect.objectContaining({ details: { count: 0, bookingRef: ref } }),
  );

  // Signed with the other hospital's real secret while claiming to be this one: the signature does not verify.
  const spoofed = new InstitutionHttpClient({ baseUrl: d.p.api.url, institutionId: d.hospital, secret: OTHER_SECRET });
  expect((await spoofed.get(path)).status).toBe(401);
  expect((await fetch(`${d.p.api.url}${path}`)).status).toBe(401);
  // A captured request cannot be played again: the nonce is single-use.
  const timestamp = String(Date.now());
  const nonce = randomUUID();
  const headers = {
    'x-causeway-institution': d.hospital,
    'x-causeway-timestamp': timestamp,
    'x-causeway-nonce': nonce,
    'x-causeway-signature': signRequest('hospital-secret', 'GET', path, timestamp, nonce, ''),
  };
  expect((await fetch(`${d.p.api.url}${path}`, { headers })).status).toBe(200);
  expect((await fetch(`${d.p.api.url}${path}`, { headers })).status).toBe(409);

  // A share body far past the limit is refused before anything reads it.
  const huge = await d.api('POST', `/v1/visits/${ref}/shares`, patient, {
    institutionId: otherHospital,
    doctorId: 'X1',
    hours: 1,
    pad: 'x'.repeat(300_000),
  });
  expect(huge.status).toBe(413);
});

it('keeps a visit to a bounded number of live grants', async () => {
  const grant = () =>
    d.api<{ shareId: string }>('POST', `/v1/visits/${ref}/shares`, patient, { institutionId: otherHospital, doctorId: 'X1', hours: 1 });
  const live = async () =>
    (await d.api<{ shares: Array<{ live: boolean }> }>('GET', `/v1/visits/${ref}/shares`, patient)).body.shares.filter((s) => s.live)
      .length;
  const ids: string[] = [];
  for (let n = await live(); n < SHARE_MAX_LIVE_PER_VISIT; n++) ids.push((await grant()).body.shareId);
  expect(await live()).toBe(SHARE_MAX_LIVE_PER_VISIT);
  expect((await grant()).status).toBe(409);
  await d.api('DELETE', `/v1/visits/${ref}/shares/${ids[0]}`, patient);
  expect((await grant()).status).toBe(201);
});
