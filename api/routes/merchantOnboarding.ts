import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router, type Request } from 'express';
import { startMerchantOnboarding, sendReviewDecision } from '../../clients/retail/onboarding';
import { readMerchantApplication, type MerchantApplicationView } from '../../db/queries/merchantApplications';
import { collectCredentials, insertApplication } from '../../db/repositories/merchantApplications';
import { DomainError, ErrorCode } from '../../domain/errors';
import { hashApiKey, operatorAuth } from '../auth/middleware';
import { requireOperator } from '../auth/principal';
import type { ApiDeps } from '../deps';
import { bucketLimiter } from '../http/limits';
import { audited } from '../http/operatorAudit';
import { addRoute } from '../http/route';
import {
  ApplicationParam,
  MerchantApplicationAnswer,
  MerchantApplicationRequest,
  MerchantApplicationView as ViewSchema,
  MerchantCredentials,
  ReviewAnswer,
  ReviewBody,
} from '../schemas/merchantOnboarding';

const TOKEN_PREFIX = 'mat_';

function bearer(req: Request): string {
  return /^Bearer\s+(\S{1,200})$/i.exec(req.header('authorization') ?? '')?.[1] ?? '';
}

/**
 * Merchant onboarding (issue 12): applications run as `merchant-onboarding/<application-id>`
 * journeys; every read here comes from PostgreSQL (db/queries/merchantApplications.ts).
 *
 * Who applies: an operator, for the district or the prospective merchant whose paperwork it holds.
 * A merchant has no credentials before it is onboarded, and an open route that takes a resident ID
 * and a name would let anyone ask the identity provider whether they match; operator authentication
 * keeps that question for people the platform trusts (a district signing applications for its
 * merchants would fit the same route later). The applicant gets an application token back: with it,
 * and only it, it reads its status and collects its credentials, once.
 */
export function merchantOnboardingRoutes(deps: ApiDeps) {
  const { db, pii, temporal, config } = deps;
  const asOperator = operatorAuth(config.OPERATOR_TOKENS);
  // Per operator (applications) and per application (the applicant's token guesses go nowhere fast).
  const applyLimit = bucketLimiter('operator', 5, 50);
  const applicantLimit = bucketLimiter('merchant application', 2, 10);

  /** The application, when the bearer is its token (an unknown application and a wrong token look alike). */
  const asApplicant = async (req: Request, applicationId: string): Promise<MerchantApplicationView> => {
    await applicantLimit.take(applicationId);
    const token = bearer(req);
    const found = await readMerchantApplication(db, applicationId);
    const given = Buffer.from(hashApiKey(token), 'hex');
    const expected = Buffer.from(found?.tokenHash ?? hashApiKey(randomUUID()), 'hex');
    if (!token.startsWith(TOKEN_PREFIX) || !found || !timingSafeEqual(given, expected))
      throw new DomainError(ErrorCode.Unauthenticated, 'application token required (Authorization: Bearer mat_…)');
    return found.view;
  };

  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/operator/merchant-applications',
      summary:
        "A merchant applies (through an operator): checked by the workflow `merchant-onboarding/<application-id>`; answers the application's id and token (the same ones again for the same requestId and details)",
      tags: ['operator', 'retail'],
      audience: 'operator',
      body: MerchantApplicationRequest,
      response: MerchantApplicationAnswer,
      status: 201,
      middleware: [asOperator],
      handler: async ({ body }, req) => {
        const { operatorId } = requireOperator(req);
        await applyLimit.take(operatorId);
        return audited(
          db,
          req,
          'merchant_application.submit',
          `request:${body.requestId}`,
          async () => {
            const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
            // A keyed hash of the details (they hold PII): the same request id with other details is refused.
            const requestHash = pii.lookupHash('merchant-application', JSON.stringify(body));
            const stored = await insertApplication(db, {
              id: randomUUID(),
              requestId: body.requestId,
              requestHash,
              submittedBy: `operator:${operatorId}`,
              uscc: body.uscc,
              repNameEnc: pii.encrypt(body.legalRepresentative.name),
              repIdNumberEnc: pii.encrypt(body.legalRepresentative.idNumber.toUpperCase()),
              settlementAccountEnc: pii.encrypt(body.settlementAccount),
              districtId: body.districtId ?? null,
              storeName: body.storeName,
              timeZone: body.timeZone,
              tokenHash: hashApiKey(token),
              tokenEnc: pii.encrypt(token),
            });
            if (stored.request_hash !== requestHash)
              throw new DomainError(ErrorCode.Conflict, 'this requestId was used for an application with other details');
            // Started on every (repeated) call: a start that was lost after the row was written happens now.
            await startMerchantOnboarding(temporal, config.TEMPORAL_TASK_QUEUE, {
              version: 1,
              applicationId: stored.id,
              checkWindowMs: config.MERCHANT_CHECK_WINDOW_SECONDS * 1000,
              reviewTimeoutMs: config.MERCHANT_REVIEW_TIMEOUT_SECONDS * 1000,
            });
            const status = (await readMerchantApplication(db, stored.id))?.view.status ?? 'checking';
            return { applicationId: stored.id, applicationToken: pii.decrypt(stored.token_enc), status, repeated: !stored.created };
          },
          (r) => ({ applicationId: r.applicationId, repeated: r.repeated }),
        );
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/operator/merchant-applications/:applicationId',
      summary: 'An application as it stands: status, every failed check by name, review reasons, times',
      tags: ['operator', 'retail'],
      audience: 'operator',
      params: ApplicationParam,
      response: ViewSchema,
      middleware: [asOperator],
      handler: async ({ params }, req) =>
        audited(db, req, 'merchant_application.read', `merchant-application:${params.applicationId}`, async () => {
          const found = await readMerchantApplication(db, params.applicationId);
          if (!found) throw new DomainError(ErrorCode.NotFound, `no merchant application ${params.applicationId}`);
          return found.view;
        }),
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/operator/merchant-applications/:applicationId/review',
      summary: "An operator approves or rejects an application in review: a signal to its workflow (seen in the Web UI's history)",
      tags: ['operator', 'retail'],
      audience: 'operator',
      params: ApplicationParam,
      body: ReviewBody,
      response: ReviewAnswer,
      status: 202,
      middleware: [asOperator],
      handler: async ({ params, body }, req) => {
        const { operatorId } = requireOperator(req);
        return audited(db, req, `merchant_application.${body.decision}`, `merchant-application:${params.applicationId}`, async () => {
          const found = await readMerchantApplication(db, params.applicationId);
          if (!found) throw new DomainError(ErrorCode.NotFound, `no merchant application ${params.applicationId}`);
          if (found.view.status !== 'review')
            throw new DomainError(ErrorCode.InvalidState, `application is ${found.view.status}, not in review`, {
              status: found.view.status,
            });
          const sent = await sendReviewDecision(temporal, params.applicationId, {
            version: 1,
            decision: body.decision,
            operatorId,
            ...(body.note ? { note: body.note } : {}),
          });
          if (!sent) throw new DomainError(ErrorCode.InvalidState, 'the application has already ended');
          return { applicationId: params.applicationId, decision: body.decision, accepted: true as const };
        });
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/merchant-applications/:applicationId',
      summary: "The applicant's view of its application (Authorization: Bearer <application token>)",
      tags: ['retail'],
      audience: 'public',
      params: ApplicationParam,
      response: ViewSchema,
      handler: async ({ params }, req) => asApplicant(req, params.applicationId),
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/merchant-applications/:applicationId/credentials',
      summary:
        'The POS credentials of an active merchant (Authorization: Bearer <application token>): the HMAC secret is shown once; later calls answer 409',
      tags: ['retail'],
      audience: 'public',
      params: ApplicationParam,
      response: MerchantCredentials,
      handler: async ({ params }, req, res) => {
        const view = await asApplicant(req, params.applicationId);
        if (view.status !== 'active')
          throw new DomainError(ErrorCode.InvalidState, `application is ${view.status}: credentials are issued once it is active`);
        const got = await collectCredentials(db, params.applicationId);
        if (!got) throw new DomainError(ErrorCode.Conflict, 'the credentials were already collected');
        res.setHeader('cache-control', 'no-store');
        return { merchantId: got.merchantId, hmacSecret: pii.decrypt(got.secretEnc) };
      },
    });
    return router;
  };
}
