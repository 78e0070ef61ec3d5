import { randomBytes, randomUUID } from 'node:crypto';
import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { Router, type Request } from 'express';
import {
  activateRider,
  findRider,
  insertCredentialIfAllowed,
  insertPendingRider,
  reenrolRider,
  requestRiderCancel,
  type RiderRecord,
} from '../../db/repositories/transitRiders';
import { currentIssuerKey, issuerKeySetSource } from '../../db/repositories/transitIssuerKeys';
import { DomainError, ErrorCode } from '../../domain/errors';
import { afterCancelRequest, credentialRefusal, credentialWindow } from '../../domain/transit/enrolment';
import { issueCredential, publicKeyFromRaw, signKeySet } from '../../domain/transit/rideCode';
import { institutionAuth, partnerAuth } from '../auth/middleware';
import { requirePartner } from '../auth/principal';
import type { ApiDeps } from '../deps';
import { idempotency } from '../http/idempotency';
import { rateLimited } from '../http/limits';
import { addRoute } from '../http/route';
import { enrolledRider, ownOperator } from '../transit/operator';
import { readTransitOperator } from '../../db/repositories/transitOperators';
import { CredentialIssued, CredentialRequest, EnrolmentView, EnrolRequest, IssuerKeySetView, OperatorParam } from '../schemas/transit';

/** Credentials a rider may be issued per rolling 24 h: a phone refreshes a few times a day at most. */
export const MAX_CREDENTIALS_PER_DAY = 24;

/** Our number for a withholding agreement: the platform allows 32 letters and digits; random, so it says nothing. */
const newExternalAgreementNo = (): string => `T${randomBytes(15).toString('hex')}`;

/**
 * Enrolment with a transit operator (partner apps, for their verified users), the ride credential
 * the app makes codes with, and the signed issuer key set the operator's gates fetch. A user only
 * ever reaches their own rider: the rider is found by (operator, authenticated user).
 */
export function transitEnrolmentRoutes(deps: ApiDeps) {
  const { db, payments, pii } = deps;
  const now = (): number => deps.now?.() ?? Date.now();
  const asUser = partnerAuth(db, { userRequired: true, limits: deps.limits });
  const once = idempotency(db, deps.config);
  const notifyUrl = (): string =>
    `${deps.publicBaseUrl ?? deps.config.PUBLIC_BASE_URL ?? `http://${deps.config.API_HOST}:${deps.config.API_PORT}`}/v1/payments/agreement-notifications`;

  const operatorOf = (operatorId: string) => readTransitOperator(db, operatorId);
  const ownRider = (req: Request, operatorId: string): Promise<RiderRecord> => enrolledRider(db, req, operatorId);
  /** The sign page link is made fresh each time it is shown (it is signed with a timestamp). */
  const view = async (r: RiderRecord, returnUrl?: string): Promise<EnrolmentView> => {
    const signUrl =
      r.status === 'pending' && r.external_agreement_no
        ? (
            await payments.agreementSignPage({
              externalAgreementNo: r.external_agreement_no,
              // Shown on the platform's sign page: our reference, never the user's name or phone.
              externalLogonId: `rider-${r.rider_ref.slice(0, 12)}`,
              notifyUrl: notifyUrl(),
              ...(returnUrl ? { returnUrl } : {}),
            })
          ).signUrl
        : undefined;
    return {
      operatorId: r.operator_id,
      riderRef: r.rider_ref,
      status: r.status,
      riderCategory: r.rider_category,
      inDebt: r.in_debt,
      enrolledAt: r.created_at.toISOString(),
      agreement: {
        externalAgreementNo: r.external_agreement_no,
        signed: r.agreement_signed_at !== null,
        signedAt: r.agreement_signed_at?.toISOString() ?? null,
        ...(signUrl ? { signUrl } : {}),
      },
      cancelRequestedAt: r.cancel_requested_at?.toISOString() ?? null,
    };
  };

  return (registry: OpenAPIRegistry): Router => {
    const router = Router();
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/transit/:operatorId/enrolment',
      summary: 'Enrol the user with a transit operator (verified real-name users only); answers the agreement sign link',
      tags: ['transit'],
      audience: 'partner',
      params: OperatorParam,
      body: EnrolRequest,
      response: EnrolmentView,
      middleware: [asUser, once],
      handler: async ({ params, body }, req) => {
        const { userId, user } = requirePartner(req);
        await operatorOf(params.operatorId);
        if (user?.identityStatus !== 'verified')
          throw new DomainError(ErrorCode.Forbidden, 'only a user whose real-name identity is verified may enrol');
        let rider = await findRider(db, params.operatorId, userId);
        if (!rider) {
          rider =
            (await insertPendingRider(db, {
              id: randomUUID(),
              operatorId: params.operatorId,
              userId,
              // Keyed by the PII HMAC key: stable for this user and operator, unlinkable without the key.
              riderRef: pii.lookupHash('transit_rider_ref', `${params.operatorId}\u0000${userId}`).slice(0, 32),
              externalAgreementNo: newExternalAgreementNo(),
            })) ?? (await findRider(db, params.operatorId, userId));
        } else if (rider.status === 'cancelled') {
          rider = (await reenrolRider(db, rider.id, newExternalAgreementNo())) ?? (await findRider(db, params.operatorId, userId));
        }
        if (!rider) throw new DomainError(ErrorCode.Conflict, 'enrolment changed concurrently; retry');
        deps.logger.info({ operatorId: params.operatorId, riderRef: rider.rider_ref, status: rider.status }, 'transit enrolment');
        return view(rider, body.returnUrl);
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/transit/:operatorId/enrolment',
      summary: "The user's enrolment with a transit operator",
      tags: ['transit'],
      audience: 'partner',
      params: OperatorParam,
      response: EnrolmentView,
      middleware: [asUser],
      handler: async ({ params }, req) => view(await ownRider(req, params.operatorId)),
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/transit/:operatorId/enrolment/confirm',
      summary: 'After the user signed: asks the payment platform and activates the enrolment (when the notification is late)',
      tags: ['transit'],
      audience: 'partner',
      params: OperatorParam,
      response: EnrolmentView,
      middleware: [asUser],
      handler: async ({ params }, req) => {
        const rider = await ownRider(req, params.operatorId);
        if (rider.status !== 'pending' || !rider.external_agreement_no) return view(rider);
        const found = await payments.queryAgreement({ externalAgreementNo: rider.external_agreement_no });
        if (found.status !== 'NORMAL') return view(rider);
        const activated = await activateRider(db, {
          externalAgreementNo: rider.external_agreement_no,
          agreementNo: found.agreementNo,
          signedAt: new Date(found.signedAt ?? now()),
        });
        return view(activated ?? (await ownRider(req, params.operatorId)));
      },
    });
    addRoute(router, registry, {
      method: 'delete',
      path: '/v1/transit/:operatorId/enrolment',
      summary: 'Cancel: no new credentials from now; the agreement is unsigned once the unsettled days are charged',
      tags: ['transit'],
      audience: 'partner',
      params: OperatorParam,
      response: EnrolmentView,
      middleware: [asUser],
      handler: async ({ params }, req) => {
        const rider = await ownRider(req, params.operatorId);
        const next = afterCancelRequest(rider.status);
        if (next === rider.status) return view(rider);
        if (rider.status === 'pending' && rider.external_agreement_no) {
          // The user may have signed a moment ago: an agreement nobody will use must not stay behind.
          const found = await payments.queryAgreement({ externalAgreementNo: rider.external_agreement_no });
          if (found.status === 'NORMAL') await payments.unsignAgreement({ agreementNo: found.agreementNo });
        }
        const changed = await requestRiderCancel(db, rider.id, rider.status, next);
        return view(changed ?? (await ownRider(req, params.operatorId)));
      },
    });
    addRoute(router, registry, {
      method: 'post',
      path: '/v1/transit/:operatorId/credential',
      summary: "Certify the device's public key: a level-1 ride credential (at most 24 h, a fresh pseudonym)",
      tags: ['transit'],
      audience: 'partner',
      status: 201,
      params: OperatorParam,
      body: CredentialRequest,
      response: CredentialIssued,
      middleware: [asUser, once],
      handler: async ({ params, body }, req) => {
        const rider = await ownRider(req, params.operatorId);
        const refusal = credentialRefusal({ status: rider.status, inDebt: rider.in_debt });
        if (refusal) throw new DomainError(ErrorCode.InvalidState, `no credential: ${refusal.replaceAll('_', ' ')}`, { reason: refusal });
        const at = now();
        const key = await currentIssuerKey(db, pii, params.operatorId, new Date(at));
        if (!key) throw new DomainError(ErrorCode.CounterpartUnavailable, `operator ${params.operatorId} has no issuing key in force`);
        const window = credentialWindow(at, key.notAfter?.getTime() ?? null);
        if (!window) throw new DomainError(ErrorCode.CounterpartUnavailable, 'the issuing key is about to retire; retry shortly');
        // Whole seconds, as the credential carries them, so the stored window equals the signed one.
        const validFrom = Math.floor(window.validFrom / 1000) * 1000;
        const validUntil = Math.floor(window.validUntil / 1000) * 1000;
        // Random, never derived from the user: two credentials of one rider cannot be linked by a gate.
        const pseudonym = randomBytes(16).toString('base64url');
        const credential = issueCredential({
          keyId: key.keyId,
          operatorId: params.operatorId,
          pseudonym,
          riderCategoryId: rider.rider_category,
          issuerPrivateKey: key.privateKey,
          devicePublicKey: Buffer.from(body.devicePublicKey, 'base64url'),
          validFrom,
          validUntil,
        });
        const outcome = await insertCredentialIfAllowed(
          db,
          {
            pseudonym,
            operatorId: params.operatorId,
            riderId: rider.id,
            keyId: key.keyId,
            devicePublicKey: body.devicePublicKey,
            validFrom: new Date(validFrom),
            validUntil: new Date(validUntil),
          },
          MAX_CREDENTIALS_PER_DAY,
        );
        if (outcome === 'limited') throw rateLimited(`at most ${MAX_CREDENTIALS_PER_DAY} credentials a day`, 3600);
        if (outcome === 'refused') throw new DomainError(ErrorCode.InvalidState, 'no credential: the enrolment changed meanwhile');
        return {
          credential: credential.toString('base64url'),
          keyId: key.keyId,
          pseudonym,
          riderCategory: rider.rider_category,
          validFrom: new Date(validFrom).toISOString(),
          validUntil: new Date(validUntil).toISOString(),
        };
      },
    });
    addRoute(router, registry, {
      method: 'get',
      path: '/v1/transit/:operatorId/key-set',
      summary: "The operator's issuer keys, signed by its root key (gates verify it and keep the newest)",
      tags: ['transit'],
      audience: 'institution',
      params: OperatorParam,
      response: IssuerKeySetView,
      middleware: [institutionAuth(db, pii, { limiter: deps.limits.institution })],
      handler: async ({ params }, req) => {
        await ownOperator(req, params.operatorId, operatorOf, 'an operator reads only its own key set');
        const source = await issuerKeySetSource(db, pii, params.operatorId, new Date(now()));
        if (!source) throw new DomainError(ErrorCode.NotFound, `operator ${params.operatorId} has no keys`);
        const keySet = signKeySet(
          {
            operatorId: params.operatorId,
            version: source.version,
            keys: source.issuers.map((k) => ({
              keyId: k.keyId,
              publicKey: publicKeyFromRaw(Buffer.from(k.publicKey, 'base64url')),
              notBefore: k.notBefore.getTime(),
              ...(k.notAfter ? { notAfter: k.notAfter.getTime() } : {}),
            })),
          },
          source.root.privateKey,
        );
        return { operatorId: params.operatorId, version: source.version, keySet };
      },
    });
    return router;
  };
}
