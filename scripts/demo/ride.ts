import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { partnerCall } from './partnerCall';
import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { newDeviceKey, rideCodeQr } from '../../clients/transit/rideCodeQr';
import { fromQrText, publicKeyFromRaw } from '../../domain/transit/rideCode';
import { AfcSimulator, GateSimulator } from '../../integrations/transit/simulator';
import { DEMO_TRANSIT_OPERATOR_ID } from './transitSeed';

const Enrolment = z.object({ status: z.string(), riderRef: z.string(), agreement: z.object({ signUrl: z.string().optional() }) });
const Credential = z.object({ credential: z.string(), pseudonym: z.string(), validUntil: z.string() });
const KeySet = z.object({ version: z.number(), keySet: z.string() });
const SignPage = z.object({ confirmUrl: z.string() });
const SignedAgreement = z.object({ buyerId: z.string() });
const Trips = z.object({
  stage: z.string(),
  fare: z.number().nullable(),
  currency: z.string().nullable(),
  caps: z.array(z.object({ capId: z.string(), counted: z.number(), cap: z.number() })),
  trips: z.array(z.object({ kind: z.string(), fromStopId: z.string().nullable(), toStopId: z.string().nullable(), charged: z.number() })),
});

interface DemoRideOptions {
  apiUrl: string;
  partnerApiKey: string;
  /** The operator's HMAC secret (its AFC and gates sign with it). */
  operatorSecret: string;
  /** The operator's root public key (raw Ed25519, base64url): installed in its gates. */
  rootPublicKey: string;
  userId: string;
  dataDir: string;
  say: (m: string) => void;
}

const money = (minor: number | null, currency: string | null): string => `${((minor ?? 0) / 100).toFixed(2)} ${currency ?? ''}`.trim();

/**
 * A metro ride as the rider's app, the operator's gates and its fare collection system would drive
 * it: enrol (the user signs the withholding agreement on the payment simulator's page), get a
 * credential for the phone's key, show a QR code at the entry and exit gates (decided offline), and
 * the AFC posts the taps; the day's running fare is then read back. Earlier days settle in
 * `rideSettlement.ts`.
 */
export interface DemoRider {
  pseudonym: string;
  /** The payer at the payment simulator; unknown when the rider enrolled in an earlier run. */
  buyerId: string | undefined;
  /** Today's ride code, as the phone makes it. */
  code: () => Promise<string>;
  /** A gate of the operator holding its current key set. */
  gate: (deviceId: string, stopId: string, tapType: 'on' | 'off') => GateSimulator;
}

export async function runDemoRide(o: DemoRideOptions): Promise<DemoRider> {
  const op = DEMO_TRANSIT_OPERATOR_ID;
  const call = partnerCall(o);

  let buyerId: string | undefined;
  let enrolment = await call(Enrolment, 'POST', `/v1/transit/${op}/enrolment`, {});
  if (enrolment.status === 'pending' && enrolment.agreement.signUrl) {
    // The user opens the platform's page on the phone and signs the withholding agreement.
    const page = SignPage.parse(await (await fetch(enrolment.agreement.signUrl)).json());
    const signed = await fetch(page.confirmUrl, { method: 'POST' });
    if (signed.status !== 200) throw new Error(`signing the agreement: ${signed.status}`);
    buyerId = SignedAgreement.parse(await signed.json()).buyerId;
    for (let i = 0; i < 40 && enrolment.status !== 'active'; i++) {
      await sleep(250);
      enrolment = await call(Enrolment, 'POST', `/v1/transit/${op}/enrolment/confirm`, {});
    }
  }
  if (enrolment.status !== 'active') throw new Error(`enrolment is ${enrolment.status}`);
  o.say(`demo ride: enrolled with ${op} (rider ${enrolment.riderRef}), withholding agreement signed at the payment simulator`);

  const device = newDeviceKey();
  const issued = await call(Credential, 'POST', `/v1/transit/${op}/credential`, { devicePublicKey: device.publicKey });
  const credential = Buffer.from(issued.credential, 'base64url');
  let counter = 0;
  const code = async () => rideCodeQr({ credential, devicePrivateKey: device.privateKey, now: Date.now(), counter: ++counter });
  const first = await code();
  mkdirSync(o.dataDir, { recursive: true });
  const pngPath = path.resolve(o.dataDir, 'demo-ride-code.png');
  writeFileSync(pngPath, first.png);
  o.say(`demo ride: credential for the phone's key (pseudonym ${issued.pseudonym}, until ${issued.validUntil}); QR code ${pngPath}`);

  // The gates hold the operator's root key and fetch its signed issuer key set ahead of time.
  const operatorHttp = new InstitutionHttpClient({ baseUrl: o.apiUrl, institutionId: op, secret: o.operatorSecret });
  const keySet = KeySet.parse((await operatorHttp.get(`/v1/transit/${op}/key-set`)).body);
  const rootPublicKey = publicKeyFromRaw(Buffer.from(o.rootPublicKey, 'base64url'));
  const gate = (deviceId: string, stopId: string, tapType: 'on' | 'off') => {
    const g = new GateSimulator({ operatorId: op, deviceId, stopId, tapType, rootPublicKey });
    if (!g.acceptKeySet(keySet.keySet).ok) throw new Error('the gate refused the key set');
    return g;
  };
  const afc = new AfcSimulator({ baseUrl: o.apiUrl, operatorId: op, secret: o.operatorSecret });
  for (const [g, label] of [
    [gate('demo-gate-in', 'M1', 'on'), 'entry at M1'],
    [gate('demo-gate-out', 'M3', 'off'), 'exit at M3'],
  ] as const) {
    const shown = g.present((await code()).text);
    if (!shown.allow) throw new Error(`gate refused: ${shown.reason}`);
    afc.collect(shown.tap);
    o.say(`demo ride: ${label} — the gate checked the code offline (${fromQrText(first.text).length}-byte code) and opened`);
  }
  const [upload] = await afc.upload();
  const rider: DemoRider = { pseudonym: issued.pseudonym, buyerId, code: async () => (await code()).text, gate };
  o.say(`demo ride: the operator's AFC posted ${upload?.sent ?? 0} taps (signed batch), ${upload?.counts?.accepted ?? 0} accepted`);

  for (let i = 0; i < 80; i++) {
    const day = await call(Trips, 'GET', `/v1/transit/${op}/trips`);
    if (day.trips.length > 0) {
      const trip = day.trips[0];
      const cap = day.caps[0];
      o.say(
        `demo ride: today's fare ${money(day.fare, day.currency)} (${trip?.fromStopId} → ${trip?.toStopId})` +
          (cap ? `, ${money(cap.counted, day.currency)} of the ${money(cap.cap, day.currency)} daily cap` : '') +
          `; today stays ${day.stage} until the service day ends and settles`,
      );
      return rider;
    }
    await sleep(250);
  }
  o.say('demo ride: the trip is not priced yet (GET /v1/transit/metroville/trips)');
  return rider;
}
