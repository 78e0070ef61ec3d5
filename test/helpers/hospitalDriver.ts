import { randomUUID } from 'node:crypto';
import { seedSchedule } from '../../db/repositories/slots';
import { addDays, serviceDayOf } from '../../domain/hospital/serviceDay';
import type { HospitalPolicy } from '../../domain/hospital/policy';
import { startHisSimulator, type HisSimulator } from '../../integrations/hospital/simulator';
import { createTestIdNumber } from './factories';
import { startTestPlatform, type TestPlatform } from './platform';
import { until } from './poll';

/**
 * Drives hospital visits the way a partner app and a hospital would: the platform's HTTP API, a HIS
 * simulator speaking MLLP to the platform's listener, and the payment simulator's buyer.
 */
export interface HospitalDriver {
  p: TestPlatform;
  his: HisSimulator;
  hospital: string;
  doctor: string;
  slotIds: string[];
  api<T = unknown>(method: string, path: string, user: string | null, body?: object): Promise<{ status: number; body: T }>;
  /** The partner app's headers acting for `user`. */
  partnerHeaders(user: string): Record<string, string>;
  verifiedUser(): Promise<string>;
  stage(ref: string, user: string): Promise<VisitStatusView>;
  waitStage(ref: string, user: string, stage: string): Promise<void>;
  payOpen(ref: string, user: string, step: string): Promise<void>;
  /** Moves a seeded slot's start so deadlines and no-shows happen within a test. */
  moveSlotStart(slotId: string, startsAt: Date): Promise<void>;
  stop(): Promise<void>;
}

export interface VisitStatusView {
  stage: string;
  orders: Array<{ orderId: string; status: string; outTradeNo: string | null; amountMinor: number }>;
  resultOrderIds: string[];
  registration: { refundedMinor: number };
  notices: Array<{ kind: string }>;
}

/** A policy for tests that walk a visit quickly: holds of a minute, no no-show grace, a visit closing 3 s after it settles. */
export const QUICK_VISIT_POLICY: Partial<HospitalPolicy> = {
  holdMinutes: 1,
  fullRefundCutoffMinutes: 60,
  noShowGraceMinutes: 0,
  reminderLeadMinutes: 4 * 24 * 60,
  visitQuietCloseSeconds: 3,
};

/** The hospital e2e tests run as Causeway is deployed: two API replicas and two workers. */
export const SCALED_OUT = { api: 2, workers: 2 };

/** The HIS simulator's targets: every API replica's MLLP listener, used in turn. */
export function mllpEndpoints(p: Pick<TestPlatform, 'apis'>): {
  host: string;
  port: number;
  replicas: Array<{ host: string; port: number }>;
} {
  const [first, ...rest] = p.apis.map((a) => ({ host: '127.0.0.1', port: a.mllpPort ?? 0 }));
  return { ...(first as { host: string; port: number }), replicas: rest };
}

export async function startHospitalDriver(opts: {
  policy: Partial<HospitalPolicy>;
  slots?: number;
  env?: Record<string, string>;
  replicas?: { api?: number; workers?: number };
}): Promise<HospitalDriver> {
  const p = await startTestPlatform({ ...(opts.env ? { env: opts.env } : {}), replicas: opts.replicas ?? SCALED_OUT });
  const hospital = `h${randomUUID().slice(0, 6)}`;
  const doctor = 'D1';
  const departments = [{ id: 'CARD', name: 'Cardiology' }];
  const his = await startHisSimulator({
    host: '127.0.0.1',
    port: 0,
    causeway: mllpEndpoints(p),
    facility: hospital,
    departments,
    doctors: [{ id: doctor, name: 'Dr. Zhang', departmentId: 'CARD' }],
  });
  await p.services.db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, mllp_host, mllp_port, settings)
     VALUES ($1, 'hospital', 'Test Hospital', 'Asia/Shanghai', $2, '127.0.0.1', $3, $4)`,
    [hospital, p.services.pii.encrypt('hospital-secret'), his.port, JSON.stringify({ policy: opts.policy })],
  );
  const tomorrow = addDays(serviceDayOf(Date.now(), 'Asia/Shanghai'), 1);
  const { slotIds } = await seedSchedule(p.services.db, {
    institutionId: hospital,
    departments,
    doctors: [{ id: doctor, departmentId: 'CARD', displayName: 'Dr. Zhang' }],
    days: [tomorrow],
    slotsPerDoctorPerDay: opts.slots ?? 10,
    feeMinor: 2500,
    currency: 'CNY',
    opensAt: new Date(Date.now() - 60_000),
    timeZone: 'Asia/Shanghai',
  });

  // Requests go to the replicas in turn, like a load balancer: no call may rely on the replica of the one before.
  let turn = 0;
  const api: HospitalDriver['api'] = async <T>(method: string, path: string, user: string | null, body?: object) => {
    const replica = p.apis[turn++ % p.apis.length] as TestPlatform['api'];
    const res = await fetch(`${replica.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${p.partner.apiKey}`,
        'content-type': 'application/json',
        ...(user ? { 'x-causeway-user': user } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const stage = async (ref: string, user: string) => (await api<VisitStatusView>('GET', `/v1/visits/${ref}`, user)).body;

  return {
    p,
    his,
    hospital,
    doctor,
    slotIds,
    partnerHeaders: (user) => ({ authorization: `Bearer ${p.partner.apiKey}`, 'x-causeway-user': user }),
    api,
    stage,
    async verifiedUser() {
      const reg = await api<{ userId: string }>('POST', '/v1/users', null, {
        legalName: 'Test Patient',
        idNumber: createTestIdNumber(),
        phone: '13800000000',
      });
      if (reg.status !== 202) throw new Error(`registration answered ${reg.status}`);
      await p.services.temporal.workflow.getHandle(`identity/${reg.body.userId}`).result();
      return reg.body.userId;
    },
    async waitStage(ref, user, s) {
      await until(`stage ${s}`, async () => (await stage(ref, user)).stage === s, { timeoutMs: 30_000 });
    },
    async payOpen(ref, user, step) {
      const due = await until(
        `payment ${step}`,
        async () => {
          const r = await api<{ payments: Array<{ outTradeNo: string; step: string; qrCode: string | null }> }>(
            'GET',
            `/v1/visits/${ref}/payments`,
            user,
          );
          return r.body.payments.find((x) => x.step === step && x.qrCode);
        },
        { timeoutMs: 30_000 },
      );
      p.payment.sim.buyer.scan(due.outTradeNo);
      p.payment.sim.buyer.pay(due.outTradeNo);
    },
    async moveSlotStart(slotId, startsAt) {
      await p.services.db.query('UPDATE slots SET starts_at = $2 WHERE id = $1', [slotId, startsAt]);
    },
    async stop() {
      await his.stop();
      await p.stop();
    },
  };
}
