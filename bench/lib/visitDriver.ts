import type { HisSimulator } from '../../integrations/hospital/simulator';
import type { PaymentSimulator } from '../../integrations/payment/simulator';
import { workflowIds } from '../../domain/ids';
import { partnerHeaders, type JsonHttp } from './http';
import type { Watcher } from './watch';

/**
 * A partner app and a patient going through one hospital visit, step by step, through the public API
 * (book, fetch the QR code, check in, read the results), the payment platform (scan and pay on the
 * phone) and the hospital's HIS (orders, call-in; results come back by themselves once paid).
 */
/** What the doctor orders for every patient: one blood count. */
export const ORDER_PRICE_MINOR = 4500;

export interface VisitRef {
  bookingRef: string;
  journeyId: string;
  userId: string;
}

export class VisitDriver {
  constructor(
    private readonly http: JsonHttp,
    private readonly watcher: Watcher,
    private readonly payment: PaymentSimulator,
    private readonly his: HisSimulator,
    private readonly institutionId: string,
    private readonly apiKey: string,
  ) {}

  /** POST /v1/visits: the slot is held at once (201) or taken (409). */
  async book(userId: string, slotId: string): Promise<VisitRef> {
    const res = await this.http.request<{ bookingRef?: string }>('POST', '/v1/visits', {
      headers: partnerHeaders(this.apiKey, userId),
      body: { institutionId: this.institutionId, slotId },
    });
    if (res.status !== 201 || !res.body.bookingRef) throw new Error(`booking answered ${res.status}`);
    const bookingRef = res.body.bookingRef;
    return { bookingRef, journeyId: workflowIds.hospitalVisit(this.institutionId, bookingRef), userId };
  }

  /** Waits for the payment order of `step`, reads its QR code from the API, and pays it on the simulated phone. */
  async pay(v: VisitRef, step: string): Promise<void> {
    await this.watcher.payment(v.journeyId, step);
    const res = await this.http.request<{ payments: Array<{ outTradeNo: string; step: string; qrCode: string | null }> }>(
      'GET',
      `/v1/visits/${v.bookingRef}/payments`,
      { headers: partnerHeaders(this.apiKey, v.userId) },
    );
    const due = res.body.payments.find((p) => p.step === step && p.qrCode);
    if (res.status !== 200 || !due) throw new Error(`payments of ${v.bookingRef} answered ${res.status} without a QR code for ${step}`);
    this.payment.buyer.scan(due.outTradeNo);
    this.payment.buyer.pay(due.outTradeNo);
  }

  /** Paid registration → booked → checked in (the update answers once the patient is in the doctor's queue). */
  async bookPayCheckIn(userId: string, slotId: string): Promise<VisitRef> {
    const v = await this.book(userId, slotId);
    await this.pay(v, 'registration');
    await this.watcher.stage(v.bookingRef, 'booked');
    const res = await this.http.request<{ stage?: string; pending?: boolean }>('POST', `/v1/visits/${v.bookingRef}/check-in`, {
      headers: partnerHeaders(this.apiKey, v.userId),
      body: {},
    });
    // On a loaded machine the visit may answer within its bound before the queue took the patient
    // (`pending: true`, still `booked`): the app then waits for the queue, and so does the driver.
    const pending = res.status === 200 && res.body.pending === true && res.body.stage === 'booked';
    if (pending) await this.watcher.stage(v.bookingRef, 'queued');
    else if (res.status !== 200 || res.body.stage !== 'queued')
      throw new Error(`check-in of ${v.bookingRef} answered ${res.status} ${res.body.stage ?? ''}`);
    return v;
  }

  /**
   * The doctor orders a blood count (ORM/OML from the HIS), the patient pays it, the HIS posts the
   * payment and sends the results (ORU), the doctor calls the patient in (ADT^A08), the visit closes
   * and the patient reads the results. Orders come before the call so that the visit, which closes
   * once it is called and settled, cannot close between the call and the order.
   */
  async treatAndClose(v: VisitRef, doctorId: string): Promise<void> {
    const orderId = `L${v.bookingRef.slice(1)}`;
    const placed = await this.his.placeOrders(v.bookingRef, {
      items: [{ code: 'CBC', text: 'Blood count', priceMinor: ORDER_PRICE_MINOR }],
      orderId,
    });
    if (placed.sent.outcome !== 'AA') throw new Error(`orders for ${v.bookingRef} were answered ${placed.sent.outcome}`);
    await this.pay(v, `order-${orderId}`);
    await this.watcher.notice(v.journeyId, 'results_ready');
    const called = await this.his.callNext(doctorId);
    if (called?.bookingRef !== v.bookingRef || called.sent.outcome !== 'AA') {
      throw new Error(`the HIS called ${called?.bookingRef ?? 'nobody'} (${called?.sent.outcome ?? '-'}) instead of ${v.bookingRef}`);
    }
    await this.watcher.stage(v.bookingRef, 'closed');
    const results = await this.http.request<{ results?: unknown[] }>('GET', `/v1/visits/${v.bookingRef}/results`, {
      headers: partnerHeaders(this.apiKey, v.userId),
    });
    if (results.status !== 200 || results.body.results?.length !== 1)
      throw new Error(`results of ${v.bookingRef} answered ${results.status}`);
  }
}
