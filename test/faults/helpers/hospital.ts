import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { seedSchedule } from '../../../db/repositories/slots';
import type { HospitalPolicy } from '../../../domain/hospital/policy';
import { addDays, serviceDayOf } from '../../../domain/hospital/serviceDay';
import { startHisSimulator, type HisSimulator, type HisSimulatorOptions, type SentMessage } from '../../../integrations/hospital/simulator';
import type { PaymentSimulator } from '../../../integrations/payment/simulator';
import { createTestIdNumber } from '../../helpers/factories';
import { mllpEndpoints } from '../../helpers/hospitalDriver';
import type { TestPlatform } from '../../helpers/platform';
import type { PartnerApi } from './api';
import { until } from '../../helpers/poll';

/**
 * A hospital for one drill: its row in `institutions` (MLLP endpoint = a HIS simulator), one
 * department, `doctors` doctors with one slot each tomorrow (so each journey has its own doctor's
 * queue and the HIS "call next" of one journey never calls another's patient), and verified users.
 */
export interface DrillHospital {
  id: string;
  his: HisSimulator;
  /** One slot per doctor, in doctor order. */
  slots: Array<{ slotId: string; doctorId: string }>;
  feeMinor: number;
  stop(): Promise<void>;
}

/** Journeys in drills must survive minutes of faults before the registration fee is due. */
export const DRILL_POLICY: Partial<HospitalPolicy> = {
  holdMinutes: 15,
  fullRefundCutoffMinutes: 60,
  noShowGraceMinutes: 0,
  reminderLeadMinutes: 4 * 24 * 60,
  visitQuietCloseSeconds: 2,
};

export async function openHospital(
  p: Pick<TestPlatform, 'services' | 'apis'>,
  opts: {
    doctors: number;
    feeMinor?: number;
    policy?: Partial<HospitalPolicy>;
    his?: Partial<Pick<HisSimulatorOptions, 'behaviour' | 'retry'>>;
  },
): Promise<DrillHospital> {
  const id = `fh${randomUUID().replace(/-/g, '').slice(0, 8)}`;
  const feeMinor = opts.feeMinor ?? 2500;
  const doctors = Array.from({ length: opts.doctors }, (_, i) => ({ id: `D${i + 1}`, name: `Dr. ${i + 1}`, departmentId: 'GEN' }));
  const his = await startHisSimulator({
    host: '127.0.0.1',
    port: 0,
    causeway: mllpEndpoints(p),
    facility: id,
    departments: [{ id: 'GEN', name: 'General' }],
    doctors,
    retry: { attempts: 8, initialDelayMs: 200, maxDelayMs: 2_000 },
    ...opts.his,
  });
  const { db, pii } = p.services;
  await db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc, mllp_host, mllp_port, settings)
     VALUES ($1, 'hospital', 'Drill Hospital', 'Asia/Shanghai', $2, '127.0.0.1', $3, $4)`,
    [id, pii.encrypt('drill-secret'), his.port, JSON.stringify({ policy: { ...DRILL_POLICY, ...opts.policy } })],
  );
  const tomorrow = addDays(serviceDayOf(Date.now(), 'Asia/Shanghai'), 1);
  await seedSchedule(db, {
    institutionId: id,
    departments: [{ id: 'GEN', name: 'General' }],
    doctors: doctors.map((d) => ({ id: d.id, departmentId: 'GEN', displayName: d.name })),
    days: [tomorrow],
    slotsPerDoctorPerDay: 1,
    feeMinor,
    currency: 'CNY',
    opensAt: new Date(Date.now() - 60_000),
    timeZone: 'Asia/Shanghai',
  });
  const rows: Array<{ id: string; doctor_id: string }> = await db.query('SELECT id, doctor_id FROM slots WHERE institution_id = $1', [id]);
  const slots = doctors.map((d) => {
    const row = rows.find((r) => r.doctor_id === d.id);
    if (!row) throw new Error(`no slot seeded for ${d.id}`);
    return { slotId: row.id, doctorId: d.id };
  });
  return { id, his, slots, feeMinor, stop: () => his.stop() };
}

/** Registers a real-name user through the API and waits for the identity journey to verify it. */
export async function verifiedUser(api: PartnerApi, p: Pick<TestPlatform, 'services'>): Promise<string> {
  const reg = await api.callRetrying<{ userId: string }>('POST', '/v1/users', {
    body: { legalName: 'Drill Patient', idNumber: createTestIdNumber(), phone: '13800000000' },
  });
  // 200: a retried registration found the user the first attempt created.
  if (reg.status !== 202 && reg.status !== 200) throw new Error(`user registration answered ${reg.status}: ${reg.text}`);
  await p.services.temporal.workflow.getHandle(`identity/${reg.body.userId}`).result();
  return reg.body.userId;
}

export interface VisitContext {
  api: PartnerApi;
  db: DataSource;
  paymentSim: PaymentSimulator;
  hospital: DrillHospital;
  /** Deadline of each wait, generous: drills make everything slow on purpose. */
  stepTimeoutMs?: number;
  /**
   * Wraps the steps whose effect arrives at Causeway as an inbound message — HIS sends (call-in,
   * orders, results) and the buyer paying (the platform's notification) — e.g. to keep them out of a
   * fault window.
   */
  inbound?: <T>(step: () => Promise<T>) => Promise<T>;
}

/**
 * One patient's visit, driven step by step the way the partner app and the HIS would. Stages are
 * read from PostgreSQL (`visits.stage`, written by the journey's own activity), so waiting works
 * while no worker is running; actions go through the real API, the payment simulator's buyer and
 * the HIS simulator.
 */
export class VisitDriver {
  bookingRef = '';

  constructor(
    private readonly ctx: VisitContext,
    readonly user: string,
    readonly slot: { slotId: string; doctorId: string },
  ) {}

  get workflowId(): string {
    return `hospital-visit/${this.ctx.hospital.id}/${this.bookingRef}`;
  }

  private get timeout(): number {
    return this.ctx.stepTimeoutMs ?? 90_000;
  }

  async book(): Promise<string> {
    const res = await this.ctx.api.callRetrying<{ bookingRef: string; stage: string }>('POST', '/v1/visits', {
      user: this.user,
      body: { institutionId: this.ctx.hospital.id, slotId: this.slot.slotId },
      headers: { 'idempotency-key': `book-${this.slot.slotId}-${this.user}` },
    });
    if (res.status !== 201) throw new Error(`booking ${this.slot.slotId} answered ${res.status}: ${res.text}`);
    this.bookingRef = res.body.bookingRef;
    return this.bookingRef;
  }

  async stage(): Promise<string | undefined> {
    const rows: Array<{ stage: string }> = await this.ctx.db.query('SELECT stage FROM visits WHERE booking_ref = $1', [this.bookingRef]);
    return rows[0]?.stage;
  }

  async waitStage(...stages: string[]): Promise<string> {
    return until(
      `${this.bookingRef} to reach ${stages.join('|')} (now ${(await this.stage().catch(() => '?')) ?? '?'})`,
      async () => {
        const s = await this.stage();
        return s !== undefined && stages.includes(s) ? s : undefined;
      },
      { timeoutMs: this.timeout, intervalMs: 200 },
    );
  }

  /** Waits for the payment of `step` to have a QR code, then the buyer scans and pays it. Returns its out_trade_no. */
  async pay(step: string): Promise<string> {
    const outTradeNo = await this.openPayment(step);
    await this.inbound(async () => payAtPlatform(this.ctx.paymentSim, outTradeNo));
    return outTradeNo;
  }

  async openPayment(step: string): Promise<string> {
    return until(
      `${this.bookingRef}: a QR code for ${step}`,
      async () => {
        const rows: Array<{ out_trade_no: string }> = await this.ctx.db.query(
          'SELECT out_trade_no FROM payments WHERE journey_id = $1 AND step = $2 AND qr_code IS NOT NULL',
          [this.workflowId, step],
        );
        return rows[0]?.out_trade_no;
      },
      { timeoutMs: this.timeout },
    );
  }

  async paymentStatus(step: string): Promise<string | undefined> {
    const rows: Array<{ status: string }> = await this.ctx.db.query('SELECT status FROM payments WHERE journey_id = $1 AND step = $2', [
      this.workflowId,
      step,
    ]);
    return rows[0]?.status;
  }

  async waitPayment(step: string, ...statuses: string[]): Promise<string> {
    return until(
      `${this.bookingRef}: payment ${step} ${statuses.join('|')}`,
      async () => {
        const s = await this.paymentStatus(step);
        return s !== undefined && statuses.includes(s) ? s : undefined;
      },
      { timeoutMs: this.timeout },
    );
  }

  /** Check-in through the API. A repeat after a lost answer is refused as "already queued": that counts as done. */
  async checkIn(): Promise<void> {
    const res = await this.ctx.api.callRetrying<{ stage: string; code?: string }>(
      'POST',
      `/v1/visits/${this.bookingRef}/check-in`,
      { user: this.user, body: {}, timeoutMs: 120_000 },
      this.timeout,
    );
    if (res.status === 200) return;
    const s = await this.stage();
    if (res.status === 409 && s !== undefined && ['queued', 'called', 'closed'].includes(s)) return;
    throw new Error(`check-in of ${this.bookingRef} answered ${res.status}: ${res.text}`);
  }

  async cancel(): Promise<{ stage: string; refundMinor?: number }> {
    const res = await this.ctx.api.callRetrying<{ stage: string; refundMinor?: number }>(
      'POST',
      `/v1/visits/${this.bookingRef}/cancel`,
      { user: this.user, timeoutMs: 120_000 },
      this.timeout,
    );
    if (res.status !== 200) throw new Error(`cancel of ${this.bookingRef} answered ${res.status}: ${res.text}`);
    return res.body;
  }

  private async inbound<T>(step: () => Promise<T>): Promise<T> {
    return this.ctx.inbound ? this.ctx.inbound(step) : step();
  }

  private static accepted(sent: SentMessage, what: string): void {
    if (sent.outcome !== 'AA') throw new Error(`${what}: Causeway answered ${sent.outcome} after ${sent.attempts} attempts`);
  }

  /** The doctor calls this patient in (ADT^A08 to Causeway); waits until the HIS knows the patient arrived. */
  async called(): Promise<void> {
    const { his } = this.ctx.hospital;
    const call = await until(
      `${this.bookingRef}: the HIS to call the patient`,
      async () => this.inbound(async () => (await his.callNext(this.slot.doctorId)) ?? undefined),
      { timeoutMs: this.timeout, intervalMs: 250 },
    );
    if (call.bookingRef !== this.bookingRef) throw new Error(`HIS called ${call.bookingRef}, expected ${this.bookingRef}`);
    VisitDriver.accepted(call.sent, `${this.bookingRef}: call-in`);
  }

  async placeOrder(orderId: string, priceMinor: number): Promise<void> {
    const { sent } = await this.inbound(() =>
      this.ctx.hospital.his.placeOrders(this.bookingRef, { items: [{ code: 'CBC', text: 'Blood count', priceMinor }], orderId }),
    );
    VisitDriver.accepted(sent, `${this.bookingRef}: order ${orderId}`);
  }

  async sendResults(orderId: string): Promise<void> {
    const sent = await this.inbound(() =>
      this.ctx.hospital.his.sendResults(this.bookingRef, orderId, [
        { code: 'HGB', text: 'Haemoglobin', value: '135', units: 'g/L', referenceRange: '115-150', abnormalFlag: 'N' },
      ]),
    );
    VisitDriver.accepted(sent, `${this.bookingRef}: results ${orderId}`);
  }

  /** Booked (registration paid) → checked in → called → one order paid → results → closed. */
  async attendAndClose(orderId: string, priceMinor: number): Promise<void> {
    await this.waitStage('booked');
    await this.checkIn();
    await this.waitStage('queued', 'called');
    await this.called();
    await this.waitStage('called');
    await this.placeOrder(orderId, priceMinor);
    await this.pay(`order-${orderId}`);
    await this.waitPayment(`order-${orderId}`, 'paid');
    await this.sendResults(orderId);
    await this.waitStage('closed');
  }

  /** The whole visit from booking to closed. */
  async fullVisit(orderId: string, priceMinor: number): Promise<void> {
    if (!this.bookingRef) await this.book();
    await this.pay('registration');
    await this.attendAndClose(orderId, priceMinor);
  }
}

/** The buyer scans the QR code and confirms on the phone. Repeats (already paid) are harmless. */
export function payAtPlatform(sim: PaymentSimulator, outTradeNo: string): void {
  const trade = sim.trades.get(outTradeNo);
  if (trade && (trade.state === 'TRADE_SUCCESS' || trade.state === 'TRADE_FINISHED')) return;
  sim.buyer.scan(outTradeNo);
  sim.buyer.pay(outTradeNo);
}

/**
 * Drills book many visits for one user and poll quickly: the per-user limits would refuse them. The
 * limits themselves are proven in test/e2e/limits.e2e.test.ts; here they are lifted so a drill tests its fault.
 */
export const DRILL_LIMITS: Record<string, string> = {
  MAX_OPEN_BOOKINGS_PER_USER: '1000',
  RATE_USER_PER_SECOND: '10000',
  RATE_USER_BURST: '10000',
  RATE_PARTNER_PER_SECOND: '10000',
  RATE_PARTNER_BURST: '10000',
};
