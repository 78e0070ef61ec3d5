import { randomUUID } from 'node:crypto';
import { signRequest } from '../../domain/requestSignature';
import { buildOru, parseAck } from '../../integrations/hospital/hl7';
import { startHospitalDriver, type HospitalDriver } from '../helpers/hospitalDriver';
import { until } from '../helpers/poll';

/**
 * Hospitals that post over HTTPS instead of MLLP: HMAC-signed requests (timestamp window, single-use
 * nonce), HL7 or JSON events, each institution acting only for itself.
 */
let d: HospitalDriver;
let user: string;
const SECRET = 'hospital-secret'; // what the driver registers for its hospital

interface Signed {
  status: number;
  body: { code?: string; detail?: string; errors?: Array<{ field: string }>; ack?: string; status?: string };
}

async function signedPost(
  path: string,
  body: unknown,
  o: { institution?: string; secret?: string; timestamp?: number; nonce?: string } = {},
): Promise<Signed> {
  const raw = JSON.stringify(body);
  const timestamp = String(o.timestamp ?? Date.now());
  const nonce = o.nonce ?? randomUUID();
  const signature = signRequest(o.secret ?? SECRET, 'POST', path, timestamp, nonce, raw);
  const res = await fetch(`${d.p.api.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-causeway-institution': o.institution ?? d.hospital,
      'x-causeway-timestamp': timestamp,
      'x-causeway-nonce': nonce,
      'x-causeway-signature': signature,
    },
    body: raw,
  });
  return { status: res.status, body: (await res.json()) as Signed['body'] };
}

const resultsEvent = (bookingRef: string, eventId: string) => ({
  kind: 'results-reported',
  eventId,
  bookingRef,
  patientId: 'P-7',
  orderId: 'LAB-JSON',
  service: { code: 'GLU', text: 'Glucose' },
  observations: [{ code: 'GLU', text: 'Glucose', value: '5.6', units: 'mmol/L', referenceRange: '3.9-6.1' }],
});

let ref: string;

beforeAll(async () => {
  d = await startHospitalDriver({
    policy: {
      holdMinutes: 1,
      fullRefundCutoffMinutes: 60,
      noShowGraceMinutes: 0,
      reminderLeadMinutes: 4 * 24 * 60,
      visitQuietCloseSeconds: 60,
    },
  });
  user = await d.verifiedUser();
  const booked = await d.api<{ bookingRef: string }>('POST', '/v1/visits', user, { institutionId: d.hospital, slotId: d.slotIds[0] });
  ref = booked.body.bookingRef;
  await d.payOpen(ref, user, 'registration');
  await d.waitStage(ref, user, 'booked');
  expect((await d.api('POST', `/v1/visits/${ref}/check-in`, user, {})).status).toBe(200);
});
afterAll(async () => {
  await d?.stop();
});

describe('institution API (HMAC-signed)', () => {
  it('takes results as JSON, delivers them to the visit, and applies a repeated event id once', async () => {
    const first = await signedPost('/v1/institutions/events', resultsEvent(ref, `EV-${ref}`.slice(0, 20)));
    expect(first).toEqual({ status: 202, body: { eventId: `EV-${ref}`.slice(0, 20), status: 'accepted' } });
    const again = await signedPost('/v1/institutions/events', resultsEvent(ref, `EV-${ref}`.slice(0, 20)));
    expect(again.status).toBe(202);
    await until('JSON results delivered', async () => (await d.stage(ref, user)).resultOrderIds.includes('LAB-JSON'), {
      timeoutMs: 30_000,
    });
    const results = await d.api<{ results: Array<{ orderId: string; report: unknown }> }>('GET', `/v1/visits/${ref}/results`, user);
    expect(results.body.results.map((r) => r.orderId)).toEqual(['LAB-JSON']);
    expect(JSON.stringify(results.body.results[0]?.report)).toContain('5.6');
    const rows: Array<{ n: string }> = await d.p.services.db.query('SELECT count(*) AS n FROM inbox_messages WHERE message_id = $1', [
      `EV-${ref}`.slice(0, 20),
    ]);
    expect(Number(rows[0]?.n)).toBe(1);
  });

  it('names the field of a bad JSON event and stores nothing', async () => {
    const bad = await signedPost('/v1/institutions/events', { ...resultsEvent(ref, 'EV-BAD-1'), observations: [], patientId: '' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors?.map((e) => e.field).sort()).toEqual(['body.observations', 'body.patientId']);
    const rows: Array<{ n: string }> = await d.p.services.db.query(
      "SELECT count(*) AS n FROM inbox_messages WHERE message_id = 'EV-BAD-1'",
    );
    expect(Number(rows[0]?.n)).toBe(0);
  });

  it('refuses a wrong signature, a stale timestamp and a replayed nonce', async () => {
    expect((await signedPost('/v1/institutions/events', resultsEvent(ref, 'EV-SIG'), { secret: 'not-the-secret' })).status).toBe(401);
    expect((await signedPost('/v1/institutions/events', resultsEvent(ref, 'EV-OLD'), { timestamp: Date.now() - 10 * 60_000 })).status).toBe(
      401,
    );
    const nonce = randomUUID();
    expect((await signedPost('/v1/institutions/events', resultsEvent(ref, 'EV-NONCE'), { nonce })).status).toBe(202);
    const replay = await signedPost('/v1/institutions/events', resultsEvent(ref, 'EV-NONCE'), { nonce });
    expect(replay.status).toBe(409);
    expect(replay.body.code).toBe('replayed_request');
  });

  it('lets an institution speak only for itself', async () => {
    const other = `${d.hospital}-b`;
    await d.p.services.db.query(
      `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc) VALUES ($1, 'hospital', 'Other', 'Asia/Shanghai', $2)`,
      [other, d.p.services.pii.encrypt('other-secret')],
    );
    // HL7 whose MSH-4 names the first hospital, posted by the second: 403.
    const message = buildOru({
      sendingFacility: d.hospital,
      controlId: 'X-1',
      bookingRef: ref,
      patient: { id: 'P-7' },
      reports: [{ placerOrderId: 'LAB-X', service: { code: 'GLU' }, resultStatus: 'F', notes: [], observations: [] }],
    });
    const forged = await signedPost('/v1/institutions/hl7', { message }, { institution: other, secret: 'other-secret' });
    expect(forged.status).toBe(403);
    // A JSON event from the second hospital for the first one's booking is refused at intake (HL7 AE 204),
    // kept as a failed inbox row for an operator, and reaches no visit of the first.
    const stray = await signedPost(
      '/v1/institutions/events',
      { ...resultsEvent(ref, 'EV-STRAY'), orderId: 'LAB-STRAY' },
      { institution: other, secret: 'other-secret' },
    );
    expect(stray.status).toBe(422);
    await until(
      'stray event marked failed',
      async () => {
        const rows: Array<{ status: string }> = await d.p.services.db.query(
          "SELECT status FROM inbox_messages WHERE message_id = 'EV-STRAY'",
        );
        return rows[0]?.status === 'failed';
      },
      { timeoutMs: 30_000 },
    );
    expect((await d.stage(ref, user)).resultOrderIds).not.toContain('LAB-STRAY');
  });

  it('answers signed HL7 with its ACK', async () => {
    const message = buildOru({
      sendingFacility: d.hospital,
      controlId: `H-${ref}`.slice(0, 20),
      bookingRef: ref,
      patient: { id: 'P-7' },
      reports: [{ placerOrderId: 'LAB-HL7', service: { code: 'GLU' }, resultStatus: 'F', notes: [], observations: [] }],
    });
    const res = await signedPost('/v1/institutions/hl7', { message });
    expect(res.status).toBe(200);
    expect(parseAck(res.body.ack ?? '').ackCode).toBe('AA');
  });
});
