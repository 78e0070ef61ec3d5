import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { partnerCall } from './partnerCall';
import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { addDays, instantOfLocalTime } from '../../domain/hospital/serviceDay';
import type { PaymentSimulator } from '../../integrations/payment/simulator';
import { AfcSimulator } from '../../integrations/transit/simulator';
import type { DemoRider } from './ride';
import { DEMO_TRANSIT_OPERATOR_ID } from './transitSeed';

const Trips = z.object({
  serviceDay: z.string(),
  stage: z.string(),
  fare: z.number().nullable(),
  currency: z.string().nullable(),
  maximumFares: z.number(),
  caps: z.array(z.object({ capId: z.string(), counted: z.number(), cap: z.number(), reached: z.boolean() })),
  trips: z.array(
    z.object({
      startedAt: z.string(),
      kind: z.string(),
      fromStopId: z.string().nullable(),
      toStopId: z.string().nullable(),
      fareProductId: z.string().nullable(),
      nominal: z.number(),
      adjustments: z.array(z.object({ type: z.string(), ruleId: z.string(), amount: z.number() })),
      charged: z.number(),
    }),
  ),
  settlement: z
    .object({ due: z.number(), paid: z.number(), owed: z.number(), refusal: z.string().nullable(), waived: z.number() })
    .nullable(),
});
type Trips = z.infer<typeof Trips>;
const Debt = z.object({
  inDebt: z.boolean(),
  totalOwed: z.number(),
  days: z.array(
    z.object({ serviceDay: z.string(), payment: z.object({ outTradeNo: z.string(), qrCode: z.string().nullable() }).nullable() }),
  ),
});
const DenyList = z.object({ version: z.number(), delta: z.string().nullable() });

const ENDED = new Set(['settled', 'nothing_due', 'in_debt']);

export interface DemoSettlementOptions {
  apiUrl: string;
  partnerApiKey: string;
  operatorSecret: string;
  operatorZone: string;
  userId: string;
  rider: DemoRider;
  /** The in-process payment simulator: the demo plays the payer's phone and their empty balance. */
  payment: PaymentSimulator;
  say: (m: string) => void;
}

const money = (minor: number, currency: string | null): string => `${(minor / 100).toFixed(2)} ${currency ?? ''}`.trim();

/** Yesterday's rides as the gates saw them (the AFC uploads the day's taps); every id is the day's, so a re-run sends duplicates. */
function yesterdaysTaps(day: string, zone: string, pseudonym: string) {
  const at = (hhmm: string) => new Date(instantOfLocalTime(day, hhmm, zone)).toISOString();
  const plan: Array<[string, string, 'on' | 'off', string?]> = [
    ['08:00', 'M1', 'on'],
    ['08:30', 'M3', 'off'], // metro across zones
    ['09:00', 'B1', 'on', 'R10'], // bus inside the transfer window
    ['12:00', 'M3', 'on'],
    ['12:30', 'M1', 'off'],
    ['17:00', 'M1', 'on'],
    ['17:40', 'M4', 'off'], // reaches the daily cap
    ['19:00', 'M2', 'on'], // the tap-off is forgotten
  ];
  return plan.map(([time, stopId, tapType, routeId], i) => ({
    tapId: `demo-${day}-${i + 1}`,
    pseudonym,
    stopId,
    ...(routeId ? { routeId } : {}),
    deviceId: `demo-${stopId.toLowerCase()}`,
    tapType,
    gateDecision: 'allow' as const,
    transactionAt: at(time),
  }));
}

/**
 * The money side of the transit demo: yesterday's rides settle at once as one capped charge with its
 * trace; a day whose charge the payer's balance cannot cover puts the rider on the gates' deny
 * list; paying it by QR code lets them through again.
 */
export async function runDemoSettlement(o: DemoSettlementOptions): Promise<void> {
  const op = DEMO_TRANSIT_OPERATOR_ID;
  const call = partnerCall(o);
  const afc = new AfcSimulator({ baseUrl: o.apiUrl, operatorId: op, secret: o.operatorSecret });
  const dayEnded = async (day: string): Promise<Trips | null> => {
    for (let i = 0; i < 120; i++) {
      const t = await call(Trips, 'GET', `/v1/transit/${op}/trips?day=${day}`);
      if (ENDED.has(t.stage)) return t;
      await sleep(250);
    }
    return null;
  };

  const today = (await call(Trips, 'GET', `/v1/transit/${op}/trips`)).serviceDay;
  const yesterday = addDays(today, -1);
  for (const tap of yesterdaysTaps(yesterday, o.operatorZone, o.rider.pseudonym)) afc.collect(tap);
  await afc.upload();
  o.say(`demo settle: the AFC uploaded yesterday's 8 taps (${yesterday}); the day is over, so it settles now`);
  const settled = await dayEnded(yesterday);
  if (!settled) return o.say(`demo settle: ${yesterday} has not settled yet (GET /v1/transit/${op}/trips?day=${yesterday})`);
  const clock = new Intl.DateTimeFormat('en-GB', { timeZone: o.operatorZone, hour: '2-digit', minute: '2-digit' });
  for (const j of settled.trips) {
    const time = clock.format(new Date(j.startedAt));
    const route = `${j.fromStopId ?? 'bus'} → ${j.toStopId ?? (j.kind === 'maximum_fare' ? '(no tap-off)' : 'bus')}`;
    const adj = j.adjustments.map((a) => ` ${a.type.replace('_', ' ')} ${money(a.amount, settled.currency)}`).join(',');
    o.say(
      `demo settle:   ${time} ${route.padEnd(22)} ${j.kind === 'maximum_fare' ? 'maximum fare' : (j.fareProductId ?? j.kind)} ` +
        `${money(j.nominal, settled.currency)}${adj} → ${money(j.charged, settled.currency)}`,
    );
  }
  const daily = settled.caps.find((c) => c.capId === 'daily');
  o.say(
    `demo settle: ${yesterday} ${settled.stage}: one charge of ${money(settled.settlement?.paid ?? 0, settled.currency)}` +
      (daily ? ` (daily cap ${money(daily.cap, settled.currency)} ${daily.reached ? 'reached' : 'not reached'}` : ' (') +
      `, plus ${money(settled.maximumFares, settled.currency)} of maximum fares that never count toward it)` +
      (settled.settlement?.refusal ? `; refused: ${settled.settlement.refusal}` : ''),
  );

  // The day before: the payer's balance is empty, so the agreement charge is refused, retried, and becomes a debt.
  if (!o.rider.buyerId) {
    return o.say('demo settle: the rider enrolled in an earlier run (the payment simulator forgot its payer); skipping the debt demo');
  }
  const before = addDays(today, -2);
  o.payment.faults.inject({ kind: 'insufficientBalance', buyerId: o.rider.buyerId, times: 10 });
  for (const tap of yesterdaysTaps(before, o.operatorZone, o.rider.pseudonym).slice(0, 2)) afc.collect(tap);
  await afc.upload();
  const owed = await dayEnded(before);
  o.payment.faults.clear();
  if (owed?.stage !== 'in_debt') return o.say(`demo settle: ${before} ended ${owed?.stage ?? 'unsettled'}; no debt to show`);
  o.say(
    `demo settle: ${before} charge of ${money(owed.settlement?.owed ?? 0, owed.currency)} refused (${owed.settlement?.refusal}), ` +
      `retried on the schedule and refused again: the rider is in debt and on the deny list`,
  );

  const operator = new InstitutionHttpClient({ baseUrl: o.apiUrl, institutionId: op, secret: o.operatorSecret });
  const gate = o.rider.gate('demo-gate-debt', 'M1', 'on');
  const poll = async (): Promise<void> => {
    const r = DenyList.parse((await operator.get(`/v1/institutions/${op}/transit/deny-list?since=${gate.versions.denyList}`)).body);
    if (r.delta) gate.applyDenyList(r.delta);
  };
  await poll();
  const refused = gate.present(await o.rider.code());
  o.say(`demo settle: gate at M1 after its deny-list poll: ${refused.allow ? 'opened (unexpected)' : `refused (${refused.reason})`}`);

  await call(z.object({ requested: z.array(z.string()) }), 'POST', `/v1/transit/${op}/debt/payment`, {});
  let qr: { outTradeNo: string; qrCode: string | null } | null = null;
  for (let i = 0; i < 80 && !qr?.qrCode; i++) {
    qr = (await call(Debt, 'GET', `/v1/transit/${op}/debt`)).days[0]?.payment ?? null;
    if (!qr?.qrCode) await sleep(250);
  }
  if (!qr?.qrCode) return o.say('demo settle: no QR order for the debt yet (GET /v1/transit/metroville/debt)');
  o.say(`demo settle: pay-debt made a QR order (${qr.qrCode}); the payer scans and pays it on the phone`);
  const paidAt = Date.now();
  o.payment.buyer.pay(qr.outTradeNo);
  for (let i = 0; i < 120; i++) {
    await poll();
    const again = gate.present(await o.rider.code());
    if (again.allow) {
      const debt = await call(Debt, 'GET', `/v1/transit/${op}/debt`);
      return o.say(
        `demo settle: debt paid; ${debt.inDebt ? 'still in debt' : 'no debt left'}; the gate's next poll removed the rider and it opened ` +
          `${((Date.now() - paidAt) / 1000).toFixed(1)} s after paying`,
      );
    }
    await sleep(500);
  }
  o.say('demo settle: the gate still refuses the rider a minute after paying (see GET /v1/transit/metroville/debt)');
}
