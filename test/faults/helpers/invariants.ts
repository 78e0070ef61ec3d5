import type { Client, WorkflowExecutionDescription } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import type { HisSimulator } from '../../../integrations/hospital/simulator';
import type { PaymentSimulator } from '../../../integrations/payment/simulator';
import { visitStatusQuery } from '../../../workflows/hospital/visit/definitions';
import type { VisitOutcome } from '../../../workflows/hospital/visit/types';
import type { PaymentOutcome } from '../../../workflows/payment/types';

/**
 * What must hold after any drill, whatever was injected:
 *  - every journey completed (in a terminal stage that PostgreSQL agrees with) or is waiting in a
 *    stage where waiting is correct, not failed, terminated or stuck retrying;
 *  - no slot is booked twice (PostgreSQL, and the HIS's own books);
 *  - no payment is captured twice: one order per journey step, at most one `paid` ledger entry,
 *    and the platform's trades agree with the ledger;
 *  - the ledger balances: per order, entries sum to what was paid minus what was refunded, and the
 *    status column says the same;
 *  - every inbound message (HL7, payment notifications) is applied, or in the inbox as failed with its error.
 * The check answers a list of violations (empty when all hold) so a test shows all of them at once.
 */
export interface InvariantScope {
  db: DataSource;
  temporal: Client;
  paymentSim: PaymentSimulator;
  /** Institutions whose visits, payments and HL7 rows are checked. */
  institutionIds: string[];
  his?: HisSimulator[];
  /** Every trade at the simulator must belong to a payment in scope (the simulator is this drill's own). */
  simulatorIsScoped?: boolean;
  /** HL7 rows that failed with an error are tolerated (the malformed-input drill); otherwise each is a violation. */
  hl7FailuresAllowed?: boolean;
  /** A terminated visit is tolerated once the sweeper has ended it (`visits.stage` failed); otherwise each is a violation. */
  terminatedSweptAllowed?: boolean;
}

export interface InvariantReport {
  violations: string[];
  counts: {
    visits: number;
    completedVisits: number;
    waitingVisits: number;
    payments: number;
    paid: number;
    refunded: number;
    hl7: number;
    notifications: number;
    ledgerSumMinor: number;
  };
}

const TERMINAL = new Set(['closed', 'cancelled', 'expired', 'rejected', 'no_show', 'not_seen', 'failed']);
const WAITING = new Set(['holding', 'awaiting_payment', 'booked', 'queued', 'called']);
const SLOT_OWNING = new Set(['holding', 'awaiting_payment', 'booked', 'queued', 'called', 'closed']);
const SLOT_BOOKED = new Set(['booked', 'queued', 'called', 'closed']);

interface VisitRow {
  booking_ref: string;
  institution_id: string;
  slot_id: string;
  stage: string;
  workflow_id: string;
}
interface PaymentRow {
  out_trade_no: string;
  journey_id: string;
  step: string;
  amount_minor: string;
  refunded_minor: string;
  status: string;
  qr_code: string | null;
}
interface LedgerRow {
  out_trade_no: string;
  kind: string;
  ref: string;
  amount_minor: string;
}

async function describe(temporal: Client, workflowId: string): Promise<WorkflowExecutionDescription | undefined> {
  try {
    return await temporal.workflow.getHandle(workflowId).describe();
  } catch {
    return undefined;
  }
}

export async function checkInvariants(scope: InvariantScope): Promise<InvariantReport> {
  const { db, temporal, paymentSim: sim } = scope;
  const v: string[] = [];
  const counts: InvariantReport['counts'] = {
    visits: 0,
    completedVisits: 0,
    waitingVisits: 0,
    payments: 0,
    paid: 0,
    refunded: 0,
    hl7: 0,
    notifications: 0,
    ledgerSumMinor: 0,
  };

  // --- journeys -------------------------------------------------------------------------------
  const visits: VisitRow[] = await db.query(
    'SELECT booking_ref, institution_id, slot_id, stage, workflow_id FROM visits WHERE institution_id = ANY($1) ORDER BY created_at',
    [scope.institutionIds],
  );
  counts.visits = visits.length;
  for (const visit of visits) {
    const d = await describe(temporal, visit.workflow_id);
    if (!d) {
      v.push(`visit ${visit.booking_ref}: workflow ${visit.workflow_id} not found`);
      continue;
    }
    const handle = temporal.workflow.getHandle(visit.workflow_id);
    if (d.status.name === 'COMPLETED') {
      counts.completedVisits += 1;
      const outcome = (await handle.result()) as VisitOutcome;
      if (!TERMINAL.has(outcome.stage)) v.push(`visit ${visit.booking_ref}: completed in non-terminal stage ${outcome.stage}`);
      if (outcome.stage !== visit.stage)
        v.push(`visit ${visit.booking_ref}: workflow ended ${outcome.stage} but visits.stage is ${visit.stage}`);
    } else if (d.status.name === 'RUNNING') {
      counts.waitingVisits += 1;
      if (!WAITING.has(visit.stage)) v.push(`visit ${visit.booking_ref}: running but visits.stage is ${visit.stage}`);
      const live = await handle.query(visitStatusQuery).catch((err: unknown) => ({ stage: `query failed: ${String(err)}` }));
      if (live.stage !== visit.stage) v.push(`visit ${visit.booking_ref}: workflow is ${live.stage} but visits.stage is ${visit.stage}`);
      for (const a of d.raw.pendingActivities ?? []) {
        if ((a.attempt ?? 1) >= 3)
          v.push(
            `visit ${visit.booking_ref}: activity ${a.activityType?.name ?? '?'} stuck retrying (attempt ${a.attempt}: ${a.lastFailure?.message ?? ''})`,
          );
      }
    } else if (!(scope.terminatedSweptAllowed && d.status.name === 'TERMINATED' && visit.stage === 'failed')) {
      v.push(`visit ${visit.booking_ref}: workflow ${d.status.name}`);
    }
  }

  // --- slots ----------------------------------------------------------------------------------
  const bySlot = new Map<string, string[]>();
  for (const visit of visits) {
    if (SLOT_OWNING.has(visit.stage)) bySlot.set(visit.slot_id, [...(bySlot.get(visit.slot_id) ?? []), visit.booking_ref]);
  }
  for (const [slotId, refs] of bySlot) if (refs.length > 1) v.push(`slot ${slotId} owned by ${refs.length} visits: ${refs.join(', ')}`);
  const slotRows: Array<{ id: string; status: string; booking_ref: string | null }> = await db.query(
    'SELECT id, status, booking_ref FROM slots WHERE institution_id = ANY($1)',
    [scope.institutionIds],
  );
  const slotOf = new Map(slotRows.map((s) => [s.id, s]));
  for (const visit of visits) {
    const slot = slotOf.get(visit.slot_id);
    if (SLOT_BOOKED.has(visit.stage) && (slot?.status !== 'booked' || slot.booking_ref !== visit.booking_ref)) {
      v.push(
        `visit ${visit.booking_ref} is ${visit.stage} but slot ${visit.slot_id} is ${slot?.status ?? 'missing'} for ${slot?.booking_ref ?? 'nobody'}`,
      );
    }
    if (TERMINAL.has(visit.stage) && visit.stage !== 'closed' && slot?.booking_ref === visit.booking_ref) {
      v.push(`visit ${visit.booking_ref} is ${visit.stage} but still holds slot ${visit.slot_id}`);
    }
  }
  for (const his of scope.his ?? []) {
    const live = new Map<string, string[]>();
    for (const b of his.state.bookings.values()) {
      if (b.status === 'held' || b.status === 'booked') live.set(b.slotId, [...(live.get(b.slotId) ?? []), b.bookingRef]);
    }
    for (const [slotId, refs] of live) if (refs.length > 1) v.push(`HIS: slot ${slotId} held/booked by ${refs.join(', ')}`);
    for (const visit of visits) {
      const b = his.state.bookings.get(visit.booking_ref);
      if (!b) continue;
      if (SLOT_BOOKED.has(visit.stage) && b.status !== 'booked')
        v.push(`HIS: ${visit.booking_ref} is ${b.status} there but ${visit.stage} at Causeway`);
      if (visit.stage === 'cancelled' && b.status !== 'cancelled')
        v.push(`HIS: ${visit.booking_ref} is ${b.status} there but cancelled at Causeway`);
    }
    const acceptedPerControlId = new Map<string, number>();
    for (const m of his.received) {
      if (m.ackCode === 'AA' && !m.duplicate && m.controlId)
        acceptedPerControlId.set(m.controlId, (acceptedPerControlId.get(m.controlId) ?? 0) + 1);
    }
    for (const [controlId, n] of acceptedPerControlId) if (n > 1) v.push(`HIS applied message ${controlId} ${n} times`);
  }

  // --- payments and ledger --------------------------------------------------------------------
  const payments: PaymentRow[] = await db.query(
    'SELECT out_trade_no, journey_id, step, amount_minor, refunded_minor, status, qr_code FROM payments WHERE institution_id = ANY($1)',
    [scope.institutionIds],
  );
  counts.payments = payments.length;
  const perStep = new Map<string, string[]>();
  for (const p of payments) perStep.set(`${p.journey_id} ${p.step}`, [...(perStep.get(`${p.journey_id} ${p.step}`) ?? []), p.out_trade_no]);
  for (const [step, nos] of perStep) if (nos.length > 1) v.push(`journey step ${step} has ${nos.length} payment orders: ${nos.join(', ')}`);
  const ledger: LedgerRow[] = await db.query(
    'SELECT out_trade_no, kind, ref, amount_minor FROM ledger_entries WHERE out_trade_no = ANY($1) ORDER BY id',
    [payments.map((p) => p.out_trade_no)],
  );
  let platformNetMinor = 0;
  for (const p of payments) {
    const amount = Number(p.amount_minor);
    const refunded = Number(p.refunded_minor);
    const entries = ledger.filter((l) => l.out_trade_no === p.out_trade_no);
    const of = (kind: string) => entries.filter((e) => e.kind === kind);
    const paid = of('paid');
    const sum = entries.reduce((s, e) => s + Number(e.amount_minor), 0);
    counts.ledgerSumMinor += sum;
    if (paid.length > 1) v.push(`payment ${p.out_trade_no}: ${paid.length} 'paid' ledger entries`);
    if (of('created').length > 1 || of('closed').length > 1) v.push(`payment ${p.out_trade_no}: repeated created/closed entries`);
    if (paid[0] && Number(paid[0].amount_minor) !== amount)
      v.push(`payment ${p.out_trade_no}: paid ${paid[0].amount_minor}, order is ${amount}`);
    const refundSum = of('refunded').reduce((s, e) => s - Number(e.amount_minor), 0);
    if (refundSum !== refunded) v.push(`payment ${p.out_trade_no}: refunds in ledger ${refundSum}, refunded_minor ${refunded}`);
    if (sum !== (paid.length > 0 ? amount : 0) - refunded)
      v.push(`payment ${p.out_trade_no}: ledger sums to ${sum}, expected ${(paid.length > 0 ? amount : 0) - refunded}`);
    const expectPaid = ['paid', 'partially_refunded', 'refunded'].includes(p.status);
    if (expectPaid !== paid.length > 0) v.push(`payment ${p.out_trade_no}: status ${p.status} but ${paid.length} paid entries`);
    if (p.status === 'closed' && of('closed').length !== 1) v.push(`payment ${p.out_trade_no}: closed without a closed entry`);
    if (p.status === 'refunded' && refunded !== amount) v.push(`payment ${p.out_trade_no}: refunded status with ${refunded} of ${amount}`);
    if (p.status === 'paid' && refunded !== 0) v.push(`payment ${p.out_trade_no}: paid status with ${refunded} refunded`);
    if (paid.length > 0) counts.paid += 1;
    if (refunded > 0) counts.refunded += 1;

    const trade = sim.trades.get(p.out_trade_no);
    if (p.qr_code && !trade) v.push(`payment ${p.out_trade_no}: has a QR code but no order at the platform`);
    if (trade) {
      if (trade.totalMinor !== amount) v.push(`payment ${p.out_trade_no}: platform order of ${trade.totalMinor}, ours ${amount}`);
      const platformPaid = trade.paidAt !== undefined;
      if (platformPaid !== paid.length > 0)
        v.push(
          `payment ${p.out_trade_no}: platform ${platformPaid ? 'took' : 'did not take'} the money (${trade.state}), ledger has ${paid.length} paid entries`,
        );
      const platformRefunded = sim.trades.refunded(trade);
      if (platformRefunded !== refunded) v.push(`payment ${p.out_trade_no}: platform refunded ${platformRefunded}, ledger ${refunded}`);
      platformNetMinor += (platformPaid ? trade.totalMinor : 0) - platformRefunded;
    }

    const wf = await describe(temporal, `payment/${p.out_trade_no}`);
    if (!wf) v.push(`payment ${p.out_trade_no}: no payment workflow`);
    else if (wf.status.name === 'COMPLETED') {
      const outcome = (await temporal.workflow.getHandle(`payment/${p.out_trade_no}`).result()) as PaymentOutcome;
      // A payment made after its order closed is recorded ('paid', ref 'late') and refunded in full by latePaymentRefund.
      // So is money that made it just before a cancelled payment's close (refunded by the payment workflow itself).
      const lateAndRefunded = outcome.status === 'closed' && paid.length === 1 && refunded === amount;
      if ((outcome.status === 'paid') !== paid.length > 0 && !lateAndRefunded)
        v.push(`payment ${p.out_trade_no}: workflow ended ${outcome.status}, ledger has ${paid.length} paid entries`);
    } else if (wf.status.name === 'RUNNING') {
      if (p.status !== 'created') v.push(`payment ${p.out_trade_no}: workflow still running with status ${p.status}`);
    } else {
      v.push(`payment ${p.out_trade_no}: workflow ${wf.status.name}`);
    }
  }
  if (platformNetMinor !== counts.ledgerSumMinor)
    v.push(`ledger sums to ${counts.ledgerSumMinor}, the platform's trades to ${platformNetMinor}`);
  if (scope.simulatorIsScoped) {
    const ours = new Set(payments.map((p) => p.out_trade_no));
    for (const t of sim.trades.all())
      if (!ours.has(t.outTradeNo)) v.push(`platform order ${t.outTradeNo} (${t.state}) unknown to Causeway`);
  }

  // --- inbox ----------------------------------------------------------------------------------
  const hl7: Array<{ id: string; status: string; error: string | null; message_type: string | null; message_id: string }> = await db.query(
    `SELECT id, status, error, message_type, message_id FROM inbox_messages WHERE channel = 'hl7' AND sender = ANY($1) ORDER BY id`,
    [scope.institutionIds.map((i) => `HIS^${i}`)],
  );
  counts.hl7 = hl7.length;
  for (const m of hl7) {
    if (m.status === 'received') v.push(`HL7 ${m.message_id} (${m.message_type ?? '?'}) stored but never applied`);
    if (m.status === 'failed' && !m.error) v.push(`HL7 ${m.message_id} failed without an error`);
    if (m.status === 'failed' && m.error && !scope.hl7FailuresAllowed)
      v.push(`HL7 ${m.message_id} (${m.message_type ?? '?'}) failed: ${m.error}`);
  }
  const notes: Array<{ message_id: string; status: string; error: string | null; correlation: string }> = await db.query(
    `SELECT message_id, status, error, correlation FROM inbox_messages WHERE channel = 'payment_notification' AND correlation = ANY($1)`,
    [payments.map((p) => p.out_trade_no)],
  );
  counts.notifications = notes.length;
  for (const n of notes) {
    if (n.status === 'received') v.push(`payment notification ${n.message_id} for ${n.correlation} stored but never applied`);
    if (n.status === 'failed' && !n.error) v.push(`payment notification ${n.message_id} failed without an error`);
  }
  return { violations: v, counts };
}

/** Checks until the violations are gone (journeys settle after the fault is lifted) or the deadline passes. */
export async function settledInvariants(scope: InvariantScope, timeoutMs = 20_000): Promise<InvariantReport> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const report = await checkInvariants(scope);
    if (report.violations.length === 0 || Date.now() >= end) return report;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * The shared money invariant: every fen the payment platform captured is either tied to a delivered
 * service or refunded. Delivered: the registration fee of a visit whose patient arrived (queued,
 * called, closed) or that ended by the hospital's own rule (a no-show keeps the fee; a patient's late
 * cancel keeps the fee that rule decided); an order whose results reached the patient. Anything else
 * kept — a failed, operator-cancelled, expired, swept or unknown journey — is a violation.
 */
export async function checkMoneyNeverKept(scope: Pick<InvariantScope, 'db' | 'temporal' | 'paymentSim'>): Promise<string[]> {
  const v: string[] = [];
  for (const trade of scope.paymentSim.trades.all()) {
    if (trade.paidAt === undefined) continue;
    const kept = trade.totalMinor - scope.paymentSim.trades.refunded(trade);
    if (kept <= 0) continue;
    const rows: Array<{ step: string; journey_id: string; stage: string | null; booking_ref: string | null }> = await scope.db.query(
      `SELECT p.step, p.journey_id, v.stage, v.booking_ref FROM payments p LEFT JOIN visits v ON v.workflow_id = p.journey_id
        WHERE p.out_trade_no = $1`,
      [trade.outTradeNo],
    );
    const row = rows[0];
    const say = (why: string): void => void v.push(`${kept} fen kept on ${trade.outTradeNo} (${row?.step ?? 'no payment row'}): ${why}`);
    if (!row?.stage) {
      say('no visit delivers anything for it');
      continue;
    }
    const live = await scope.temporal.workflow
      .getHandle(row.journey_id)
      .query(visitStatusQuery)
      .catch(() => undefined);
    if (row.step === 'registration') {
      if (['queued', 'called', 'closed', 'no_show'].includes(row.stage)) continue;
      const policyFee = live && row.stage === 'cancelled' && !live.failureReason ? trade.totalMinor - live.registration.refundedMinor : 0;
      if (policyFee > 0 && kept === policyFee) continue;
      say(`the visit is ${row.stage}${live?.failureReason ? ` (${live.failureReason})` : ''}`);
      continue;
    }
    const orderId = row.step.replace(/^order-/, '');
    const order = live?.orders.find((o) => o.orderId === orderId);
    if (order?.resultsDelivered) continue;
    say(`the visit is ${row.stage} and order ${orderId} was never delivered`);
  }
  return v;
}
