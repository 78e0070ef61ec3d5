import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { addDays } from '../../domain/hospital/serviceDay';
import { signRequest } from '../../domain/requestSignature';
import { transitServiceDayOf } from '../../domain/transit/serviceDay';
import { issueCredential, makeCode, signKeySet, toQrText } from '../../domain/transit/rideCode';
import { AfcSimulator, GateSimulator } from '../../integrations/transit/simulator';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/poll';
import {
  addTestCredential,
  createTestTransitOperator,
  testOperatorId,
  createTestTransitRider,
  METROVILLE_ZONE,
  metrovilleTime,
  storeMetrovilleFeed,
  type TestOperator,
  type TestRider,
} from '../helpers/transitFactories';

/**
 * The AFC adapter and the trips read through the real HTTP server: signed tap batches stored before
 * the answer, forwarded to rider-day workflows on the real worker, read back by the partner app from
 * rider_day_views. Then everything a hostile or broken AFC could send.
 */
let p: TestPlatform;
let op: TestOperator;
let other: TestOperator;
let rider: TestRider;
const BATCH_MAX = 50;
const TODAY = transitServiceDayOf(Date.now(), METROVILLE_ZONE);
const PAST = addDays(TODAY, -2);

beforeAll(async () => {
  const ids = [testOperatorId(), testOperatorId()] as const;
  p = await startTestPlatform({
    env: {
      TRANSIT_TAP_BATCH_MAX: String(BATCH_MAX),
      TRANSIT_FORWARD_INTERVAL_MS: '200',
      TRANSIT_SETTLEMENT_DELAY_SECONDS: '3600',
      TRANSIT_FORWARD_OPERATORS: ids.join(','),
    },
  });
  const encrypt = (s: string) => p.services.pii.encrypt(s);
  op = await createTestTransitOperator(p.services.db, encrypt, { id: ids[0] });
  other = await createTestTransitOperator(p.services.db, encrypt, { id: ids[1] });
  await storeMetrovilleFeed(p.services.db, op.id, addDays(TODAY, -10));
  rider = await createTestTransitRider(p.services.db, { operatorId: op.id, partnerId: p.partner.id });
});
afterAll(async () => {
  await p?.stop();
});

interface Answer {
  status: number;
  body: {
    results?: Array<{ tapId: string; status: string; reason?: string; serviceDay?: string }>;
    counts?: Record<string, number>;
    code?: string;
    errors?: Array<{ field: string }>;
  };
}

interface Signing {
  as?: TestOperator;
  secret?: string;
  nonce?: string;
  path?: string;
  raw?: string;
}

async function postTaps(taps: unknown[], o: Signing = {}): Promise<Answer> {
  const signer = o.as ?? op;
  const path = o.path ?? `/v1/institutions/${op.id}/transit/taps`;
  const raw = o.raw ?? JSON.stringify({ taps });
  const timestamp = String(Date.now());
  const nonce = o.nonce ?? randomUUID();
  const res = await fetch(`${p.api.url}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-causeway-institution': signer.id,
      'x-causeway-timestamp': timestamp,
      'x-causeway-nonce': nonce,
      'x-causeway-signature': signRequest(o.secret ?? signer.secret, 'POST', path, timestamp, nonce, raw),
    },
    body: raw,
  });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

function tap(tapId: string, at: number, over: Record<string, unknown> = {}) {
  return {
    tapId,
    pseudonym: rider.pseudonym,
    stopId: 'M1',
    deviceId: 'gate-7',
    tapType: 'on',
    gateDecision: 'allow',
    transactionAt: new Date(at).toISOString(),
    ...over,
  };
}

interface Trips {
  serviceDay: string;
  stage: string;
  settlement: { due: number; paid: number; owed: number; refusal: string | null } | null;
  currency: string | null;
  fare: number | null;
  maximumFares: number;
  caps: Array<{ capId: string; counted: number; cap: number; reached: boolean }>;
  trips: Array<{
    journeyId: string;
    kind: string;
    fromStopId: string | null;
    toStopId: string | null;
    charged: number;
    adjustments: unknown[];
  }>;
}

async function trips(query = '', userId = rider.userId, operatorId = op.id): Promise<{ status: number; body: Trips & { code?: string } }> {
  const res = await fetch(`${p.api.url}/v1/transit/${operatorId}/trips${query}`, {
    headers: { authorization: `Bearer ${p.partner.apiKey}`, 'x-causeway-user': userId },
  });
  return { status: res.status, body: (await res.json()) as Trips & { code?: string } };
}

async function storedCount(tapIds: string[]): Promise<number> {
  const rows: Array<{ n: string }> = await p.services.db.query('SELECT count(*) AS n FROM transit_taps WHERE tap_id = ANY($1::text[])', [
    tapIds,
  ]);
  return Number(rows[0]?.n);
}

describe('AFC taps and the trips read', () => {
  const id = randomUUID().slice(0, 6);
  // Built once the rider exists (describe bodies run before beforeAll).
  const dayTaps = () => [
    tap(`${id}-1`, metrovilleTime(PAST, '08:00')),
    tap(`${id}-2`, metrovilleTime(PAST, '08:30'), { stopId: 'M3', tapType: 'off' }),
    tap(`${id}-3`, metrovilleTime(PAST, '09:00'), { stopId: undefined, routeId: 'R10', tapType: 'unknown' }),
    tap(`${id}-4`, metrovilleTime(PAST, '12:00'), { stopId: 'M3' }),
    tap(`${id}-5`, metrovilleTime(PAST, '12:40'), { stopId: 'M1', tapType: 'off' }),
    tap(`${id}-6`, metrovilleTime(PAST, '18:00'), { stopId: 'M2' }),
  ];
  let day: ReturnType<typeof dayTaps>;
  beforeAll(() => {
    day = dayTaps();
  });

  it('stores a batch before answering, a result per tap, and the rider reads the priced day', async () => {
    // Out of order, as an offline gate uploads.
    const answer = await postTaps([...day].reverse());
    expect(answer.status).toBe(200);
    expect(answer.body.counts).toEqual({ accepted: 6, duplicate: 0, unknownRider: 0, rejected: 0 });
    expect(answer.body.results?.every((r) => r.status === 'accepted' && r.serviceDay === PAST)).toBe(true);
    // Stored before the answer: the rows are there as soon as the response is.
    expect(await storedCount(day.map((t) => t.tapId))).toBe(6);

    // The rider signed no withholding agreement: the day's charge is refused and retried later.
    const read = await until('day priced and over', async () => {
      const r = await trips(`?day=${PAST}`);
      return r.status === 200 && r.body.stage === 'charge_retrying' ? r.body : null;
    });
    expect(read.settlement).toMatchObject({ due: 2000, paid: 0, owed: 2000, refusal: 'no_agreement' });
    // 5.00 metro, 1.00 bus after metro (route-only validator, unknown tap type), 5.00 metro, 9.00 maximum fare.
    expect(read.trips.map((j) => [j.journeyId, j.kind, j.fromStopId, j.toStopId, j.charged])).toEqual([
      [`${id}-1`, 'complete', 'M1', 'M3', 500],
      [`${id}-3`, 'complete', null, null, 100],
      [`${id}-4`, 'complete', 'M3', 'M1', 500],
      [`${id}-6`, 'maximum_fare', 'M2', null, 900],
    ]);
    expect(read).toMatchObject({ serviceDay: PAST, currency: 'CNY', fare: 2000, maximumFares: 900 });
    // "11.00 of the 15.00 daily cap", as numbers.
    expect(read.caps.find((c) => c.capId === 'daily')).toEqual({ capId: 'daily', period: 'day', counted: 1100, cap: 1500, reached: false });
  });

  it('answers a resent batch with duplicates and stores nothing twice', async () => {
    const again = await postTaps(day.slice(0, 3));
    expect(again.status).toBe(200);
    expect(again.body.counts).toEqual({ accepted: 0, duplicate: 3, unknownRider: 0, rejected: 0 });
    const inBatch = await postTaps([tap(`${id}-7`, metrovilleTime(PAST, '20:00')), tap(`${id}-7`, metrovilleTime(PAST, '20:00'))]);
    expect(inBatch.body.results?.map((r) => r.status)).toEqual(['accepted', 'duplicate']);
    expect(await storedCount([...day.map((t) => t.tapId), `${id}-7`])).toBe(7);
  });

  it('keeps a tap whose pseudonym is not known yet and prices it once the credential exists', async () => {
    const late = `ps_late_${randomUUID().slice(0, 8)}`;
    const answer = await postTaps([tap(`${id}-u1`, metrovilleTime(PAST, '21:00'), { pseudonym: late, stopId: 'M4' })]);
    expect(answer.body.results).toEqual([{ tapId: `${id}-u1`, status: 'unknown_rider', serviceDay: PAST }]);
    await addTestCredential(p.services.db, { operatorId: op.id, riderId: rider.riderId, pseudonym: late });
    const read = await until('late rider priced', async () => {
      const r = await trips(`?day=${PAST}`);
      return r.body.trips?.some((j) => j.journeyId === `${id}-u1`) ? r.body : null;
    });
    expect(read.trips.find((j) => j.journeyId === `${id}-u1`)).toMatchObject({ kind: 'maximum_fare', fromStopId: 'M4' });
    // Resolved late, the ride still counts for the operator's reports (issue 13), once.
    const rides: Array<{ stage: string; institution_id: string }> = await p.services.db.query(
      'SELECT stage, institution_id FROM journey_events WHERE journey_id = $1',
      [`transit-ride/${op.id}/${id}-u1`],
    );
    expect(rides).toEqual([{ stage: 'ride', institution_id: op.id }]);
  });

  it("shows today's day as open before any tap, and refuses readers who are not the operator's riders", async () => {
    const today = await trips();
    expect(today.status).toBe(200);
    expect(today.body).toMatchObject({ serviceDay: TODAY, stage: 'open', fare: 0, trips: [] });
    const stranger = await createTestTransitRider(p.services.db, { operatorId: other.id, partnerId: p.partner.id });
    expect((await trips('', stranger.userId)).status).toBe(404);
    expect((await trips('', rider.userId, 'no-such-operator')).status).toBe(404);
    const bad = await trips('?day=yesterday');
    expect(bad.status).toBe(422);
  });
});

describe('hostile AFC input', () => {
  const now = Date.now();

  it('refuses an oversize batch, naming the field, and a body past the size limit', async () => {
    const many = Array.from({ length: BATCH_MAX + 1 }, (_, i) => tap(`big-${i}-${randomUUID().slice(0, 6)}`, now));
    const answer = await postTaps(many);
    expect(answer.status).toBe(422);
    expect(answer.body.errors?.map((e) => e.field)).toContain('body.taps');
    expect(await storedCount(many.map((t) => t.tapId))).toBe(0);
    const huge = await postTaps([], { raw: JSON.stringify({ taps: [tap('x', now, { deviceId: 'd'.repeat(300_000) })] }) });
    expect(huge.status).toBe(413);
  });

  it('refuses malformed taps, naming each bad field, and stores none of the batch', async () => {
    const ok = tap(`ok-${randomUUID().slice(0, 6)}`, now);
    const answer = await postTaps([
      ok,
      { ...tap('m1', now), pseudonym: undefined },
      tap('m2', now, { tapType: 'sideways' }),
      tap('m3', now, { stopId: undefined }),
      tap('m4', now, { transactionAt: 'yesterday' }),
      tap('m5', now, { gateDecision: 'maybe', tapId: 'has spaces' }),
    ]);
    expect(answer.status).toBe(422);
    expect(answer.body.errors?.map((e) => e.field)).toEqual(
      expect.arrayContaining([
        'body.taps.1.pseudonym',
        'body.taps.2.tapType',
        'body.taps.3.stopId',
        'body.taps.4.transactionAt',
        'body.taps.5.gateDecision',
        'body.taps.5.tapId',
      ]),
    );
    expect(await storedCount([ok.tapId])).toBe(0);
  });

  it('refuses a wrong signature, another operator signing for this one, and a replayed request', async () => {
    const t1 = tap(`sig-${randomUUID().slice(0, 6)}`, now);
    expect((await postTaps([t1], { secret: 'not-the-secret' })).body.code).toBe('invalid_signature');
    const spoof = await postTaps([t1], { as: other });
    expect(spoof.status).toBe(403);
    expect(await storedCount([t1.tapId])).toBe(0);

    const nonce = randomUUID();
    expect((await postTaps([t1], { nonce })).status).toBe(200);
    const replay = await postTaps([tap(`sig2-${randomUUID().slice(0, 6)}`, now)], { nonce });
    expect(replay).toMatchObject({ status: 409, body: { code: 'replayed_request' } });
  });

  it("refuses taps of another operator's riders, and absurd transaction times, tap by tap", async () => {
    const theirs = await createTestTransitRider(p.services.db, { operatorId: other.id });
    const k = randomUUID().slice(0, 6);
    const batch = [
      tap(`${k}-foreign`, now, { pseudonym: theirs.pseudonym }),
      tap(`${k}-old`, Date.parse('1999-12-31T23:59:00Z')),
      tap(`${k}-future`, now + 86_400_000),
      tap(`${k}-fine`, now - 60_000),
    ];
    const answer = await postTaps(batch);
    expect(answer.status).toBe(200);
    expect(answer.body.results?.map((r) => [r.tapId, r.status, r.reason])).toEqual([
      [`${k}-foreign`, 'rejected', 'foreign_pseudonym'],
      [`${k}-old`, 'rejected', 'time_too_old'],
      [`${k}-future`, 'rejected', 'time_in_future'],
      [`${k}-fine`, 'accepted', undefined],
    ]);
    expect(await storedCount(batch.map((t) => t.tapId))).toBe(1);
  });
});

describe('gates and the AFC back office (simulators) against the real route', () => {
  it('prices a trip a gate saw offline, uploaded late, twice over and out of order, once', async () => {
    const traveller = await createTestTransitRider(p.services.db, { operatorId: op.id, partnerId: p.partner.id });
    // The operator's keys as its gates know them: a root they trust, an issuer key published in a signed set.
    const root = generateKeyPairSync('ed25519');
    const issuer = generateKeyPairSync('ed25519');
    const device = generateKeyPairSync('ed25519');
    const keySet = signKeySet({ operatorId: op.id, version: 1, keys: [{ keyId: 'k1', publicKey: issuer.publicKey }] }, root.privateKey);
    let clock = metrovilleTime(PAST, '07:40');
    const credential = issueCredential({
      keyId: 'k1',
      issuerPrivateKey: issuer.privateKey,
      operatorId: op.id,
      pseudonym: traveller.pseudonym,
      riderCategoryId: 'adult',
      devicePublicKey: device.publicKey,
      validFrom: clock,
      validUntil: clock + 12 * 3600_000,
    });
    const gateAt = (deviceId: string, stopId: string, tapType: 'on' | 'off') => {
      const g = new GateSimulator({ operatorId: op.id, deviceId, stopId, tapType, rootPublicKey: root.publicKey, clock: () => clock });
      expect(g.acceptKeySet(keySet).ok).toBe(true);
      return g;
    };
    const entry = gateAt(`${op.id}-in`, 'M1', 'on');
    const exit = gateAt(`${op.id}-out`, 'M3', 'off');
    const afc = new AfcSimulator({ baseUrl: p.api.url, operatorId: op.id, secret: op.secret });
    afc.faults = { duplicate: true, reorder: true };
    afc.online = false;

    let counter = 0;
    const show = (g: GateSimulator) => {
      counter += 1;
      const r = g.present(toQrText(makeCode({ credential, devicePrivateKey: device.privateKey, now: clock, counter })));
      expect(r.allow).toBe(true);
      afc.collect(r.tap);
    };
    clock = metrovilleTime(PAST, '08:00');
    show(entry);
    clock = metrovilleTime(PAST, '08:30');
    show(exit);

    expect(await afc.upload()).toEqual([]);
    expect(afc.backlog).toBe(4);
    afc.online = true;
    const [report] = await afc.upload();
    expect(report).toEqual({ sent: 4, status: 200, counts: { accepted: 2, duplicate: 2, unknownRider: 0, rejected: 0 } });
    expect(afc.backlog).toBe(0);

    const day = await until('the trip priced', async () => {
      const r = await trips(`?day=${PAST}`, traveller.userId);
      return r.status === 200 && r.body.trips.length === 1 ? r.body : undefined;
    });
    expect(day.trips[0]).toMatchObject({ fromStopId: 'M1', toStopId: 'M3', charged: 500 });
    expect(day.fare).toBe(500);
  });
});
