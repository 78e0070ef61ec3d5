import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { z } from 'zod';
import { markAgreementNotification, storeAgreementNotification } from '../../db/repositories/agreementInbox';
import { activateRider, findRiderByExternalAgreementNo, markAgreementEnded } from '../../db/repositories/transitRiders';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { AgreementNotification } from '../../integrations/payment/provider';
import type { ApiDeps } from '../deps';
import { addRoute } from '../http/route';
import { AgreementNotificationForm } from '../schemas/transit';

const MAX_NOTIFICATION_AGE_MS = 3 * 24 * 3600_000;

/**
 * The payment platform's withholding-agreement notifications (dut_user_sign, dut_user_unsign).
 * Verified by the SDK (RSA2, our app), stored in the inbox (de-duplicated per app on notify_id)
 * before answering `success`, then applied with conditional updates, so two API processes applying
 * the same row, or a redelivery, change nothing twice.
 */
export function agreementNotificationRoutes(deps: ApiDeps) {
  const { db } = deps;
  const now = (): number => deps.now?.() ?? Date.now();

  /** What the notification changes; a problem string when it is kept for an operator instead. */
  const apply = async (n: AgreementNotification): Promise<string | null> => {
    if (n.notifyType === 'dut_user_unsign') {
      const ended = await markAgreementEnded(db, n.agreementNo);
      if (ended) deps.logger.warn({ riderRef: ended.rider_ref }, 'withholding agreement ended at the payment platform; rider cancelled');
      return null;
    }
    if (n.status !== 'NORMAL' || !n.externalAgreementNo) return `sign notification with status ${n.status}`;
    const activated = await activateRider(db, {
      externalAgreementNo: n.externalAgreementNo,
      agreementNo: n.agreementNo,
      signedAt: new Date(n.signedAt ?? n.notifyTime),
    });
    if (activated) {
      deps.logger.info({ riderRef: activated.rider_ref, operatorId: activated.operator_id }, 'transit rider active: agreement signed');
      return null;
    }
    const rider = await findRiderByExternalAgreementNo(db, n.externalAgreementNo);
    if (rider && rider.agreement_no === n.agreementNo) return null; // already applied (the confirm path, or a redelivery)
    // Signed for an enrolment that was cancelled meanwhile, or that we never made: nobody will charge
    // under it, so it is unsigned rather than left standing in the user's account.
    await deps.payments.unsignAgreement({ agreementNo: n.agreementNo });
    return rider ? `agreement signed for an enrolment that is ${rider.status}; unsigned` : 'agreement for no enrolment; unsigned';
  };

  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/payments/agreement-notifications',
      summary: 'Withholding agreement signed or ended (signed by the payment platform)',
      tags: ['payments'],
      audience: 'public',
      consumes: 'application/x-www-form-urlencoded',
      produces: 'text/plain',
      body: AgreementNotificationForm,
      response: z.literal('success'),
      handler: async ({ body }, _req, res) => {
        const n = deps.payments.verifyAgreementNotification(body);
        if (now() - Date.parse(n.notifyTime) > MAX_NOTIFICATION_AGE_MS)
          throw new DomainError(ErrorCode.ReplayedRequest, 'notification too old');
        // A redelivery of a row still `received` (we failed between storing and applying) applies it again.
        const id = await storeAgreementNotification(db, {
          sender: n.appId ?? deps.config.PAYMENT_APP_ID,
          notifyId: n.notifyId,
          notifyType: n.notifyType,
          correlation: n.externalAgreementNo ?? n.agreementNo,
          bodyEnc: deps.pii.encrypt(JSON.stringify(body)),
        });
        if (id) {
          const problem = await apply(n);
          if (problem) deps.logger.warn({ notifyId: n.notifyId }, `agreement notification kept for review: ${problem}`);
          await markAgreementNotification(db, id, problem);
        }
        res.status(200).type('text/plain').send('success');
        return undefined;
      },
    });
    return router;
  };
}
