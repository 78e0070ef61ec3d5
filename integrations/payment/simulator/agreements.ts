import { randomInt } from 'node:crypto';
import { z } from 'zod';
import { toPlatformTime } from '../alipay/time';
import type { Answer } from './trades';

/**
 * Withholding agreements as the platform keeps them, in memory. The merchant's signed page link
 * (alipay.user.agreement.page.sign) opens a sign request; the user confirms it on the phone (a
 * control endpoint here), which creates the agreement and notifies the merchant (dut_user_sign).
 * Query, unsign (dut_user_unsign) and the check before a charge by agreement follow.
 */
export type AgreementState = 'NORMAL' | 'UNSIGN';

export interface SimAgreement {
  agreementNo: string;
  externalAgreementNo: string;
  personalProductCode: string;
  signScene: string;
  /** The platform's id of the user who signed (2088…): faults are scoped to it. */
  buyerId: string;
  state: AgreementState;
  notifyUrl?: string | undefined;
  signedAt: Date;
  invalidAt: Date;
  unsignedAt?: Date;
}

interface SignRequest {
  externalAgreementNo: string;
  personalProductCode: string;
  signScene: string;
  notifyUrl?: string | undefined;
}

export interface AgreementEvent {
  agreement: SimAgreement;
  kind: 'sign' | 'unsign';
}

const refused = (subCode: string, subMsg: string): Answer => ({
  code: '40004',
  msg: 'Business Failed',
  sub_code: subCode,
  sub_msg: subMsg,
});
const NOT_EXIST = (): Answer => refused('USER_AGREEMENT_NOT_EXIST', 'agreement does not exist');
/** The agreements accepted by alipay.trade.pay: general withholding and periodic deduction. */
export const WITHHOLDING_PRODUCTS = new Set(['GENERAL_WITHHOLDING', 'CYCLE_PAY_AUTH']);

const SignBiz = z.object({
  personal_product_code: z.string().min(1),
  sign_scene: z.string().min(1).optional(),
  external_agreement_no: z.string().regex(/^[A-Za-z0-9]{1,32}$/),
  external_logon_id: z.string().min(1).max(100).optional(),
  access_params: z.object({ channel: z.string().min(1) }),
});
const RefBiz = z.object({
  agreement_no: z.string().min(1).optional(),
  external_agreement_no: z.string().min(1).optional(),
  personal_product_code: z.string().optional(),
  sign_scene: z.string().optional(),
});
const SIGN_VALIDITY_MS = 10 * 365 * 86_400_000;

export class AgreementBook {
  private readonly byNo = new Map<string, SimAgreement>();
  private readonly byExternal = new Map<string, SimAgreement>();
  private readonly requests = new Map<string, SignRequest>();

  constructor(private readonly deps: { now: () => Date; onEvent: (e: AgreementEvent) => void }) {}

  get(agreementNo: string): SimAgreement | undefined {
    return this.byNo.get(agreementNo);
  }

  byExternalNo(externalAgreementNo: string): SimAgreement | undefined {
    return this.byExternal.get(externalAgreementNo);
  }

  /** The sign page was opened with a verified merchant request: the user may now confirm it. */
  openSignPage(
    raw: unknown,
    notifyUrl?: string,
  ): { ok: true; externalAgreementNo: string; signed: boolean } | { ok: false; error: string } {
    const biz = SignBiz.safeParse(raw);
    if (!biz.success) return { ok: false, error: `invalid biz_content: ${biz.error.issues[0]?.path.join('.') ?? ''}` };
    const b = biz.data;
    const existing = this.byExternal.get(b.external_agreement_no);
    if (existing) return { ok: true, externalAgreementNo: b.external_agreement_no, signed: existing.state === 'NORMAL' };
    this.requests.set(b.external_agreement_no, {
      externalAgreementNo: b.external_agreement_no,
      personalProductCode: b.personal_product_code,
      signScene: b.sign_scene ?? 'DEFAULT|DEFAULT',
      notifyUrl,
    });
    return { ok: true, externalAgreementNo: b.external_agreement_no, signed: false };
  }

  /** The user confirms on the sign page. Repeating it answers the same agreement. */
  userSign(externalAgreementNo: string, buyerId?: string): SimAgreement | string {
    const existing = this.byExternal.get(externalAgreementNo);
    if (existing) return existing.state === 'NORMAL' ? existing : 'agreement was unsigned; sign a new one';
    const request = this.requests.get(externalAgreementNo);
    if (!request) return 'no sign page was opened for this agreement';
    const signedAt = this.deps.now();
    const agreement: SimAgreement = {
      agreementNo: `2026${String(randomInt(1e8)).padStart(8, '0')}${String(randomInt(1e8)).padStart(8, '0')}`,
      externalAgreementNo,
      personalProductCode: request.personalProductCode,
      signScene: request.signScene,
      buyerId: buyerId ?? `2088${String(randomInt(1e12)).padStart(12, '0')}`,
      state: 'NORMAL',
      notifyUrl: request.notifyUrl,
      signedAt,
      invalidAt: new Date(signedAt.getTime() + SIGN_VALIDITY_MS),
    };
    this.requests.delete(externalAgreementNo);
    this.byNo.set(agreement.agreementNo, agreement);
    this.byExternal.set(externalAgreementNo, agreement);
    this.deps.onEvent({ agreement, kind: 'sign' });
    return agreement;
  }

  /** The user ends the agreement in the platform's app (or the merchant asked, through `unsign`). */
  userUnsign(agreementNo: string): SimAgreement | string {
    const a = this.byNo.get(agreementNo);
    if (!a || a.state !== 'NORMAL') return 'agreement does not exist';
    a.state = 'UNSIGN';
    a.unsignedAt = this.deps.now();
    this.deps.onEvent({ agreement: a, kind: 'unsign' });
    return a;
  }

  query(raw: unknown): Answer {
    const a = this.find(raw);
    // An unsigned agreement is gone as far as the API is concerned.
    if (!a || a.state !== 'NORMAL') return NOT_EXIST();
    return {
      code: '10000',
      msg: 'Success',
      agreement_no: a.agreementNo,
      external_agreement_no: a.externalAgreementNo,
      personal_product_code: a.personalProductCode,
      sign_scene: a.signScene,
      principal_id: a.buyerId,
      status: a.state,
      sign_time: toPlatformTime(a.signedAt),
      valid_time: toPlatformTime(a.signedAt),
      invalid_time: toPlatformTime(a.invalidAt),
    };
  }

  unsign(raw: unknown): Answer {
    const a = this.find(raw);
    if (!a) return NOT_EXIST();
    const r = this.userUnsign(a.agreementNo);
    return typeof r === 'string' ? NOT_EXIST() : { code: '10000', msg: 'Success' };
  }

  /** Why a charge under this agreement must be refused, or undefined when it may go ahead. */
  refusalFor(agreementNo: string): Answer | undefined {
    const a = this.byNo.get(agreementNo);
    if (!a) return refused('ACQ.AGREEMENT_NOT_EXIST', 'agreement does not exist');
    if (a.state !== 'NORMAL') return refused('ACQ.AGREEMENT_INVALID', 'agreement is unsigned');
    if (a.invalidAt <= this.deps.now()) return refused('ACQ.AGREEMENT_INVALID', 'agreement expired');
    return undefined;
  }

  private find(raw: unknown): SimAgreement | undefined {
    const ref = RefBiz.safeParse(raw);
    if (!ref.success) return undefined;
    const { agreement_no: no, external_agreement_no: ext, personal_product_code: product } = ref.data;
    const a = no !== undefined ? this.byNo.get(no) : ext !== undefined ? this.byExternal.get(ext) : undefined;
    if (!a || (product !== undefined && product !== a.personalProductCode)) return undefined;
    return a;
  }
}
