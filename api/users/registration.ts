import { randomUUID, timingSafeEqual } from 'node:crypto';
import { WorkflowIdConflictPolicy } from '@temporalio/common';
import { writeAudit } from '../../db/repositories/audit';
import {
  findPartnerUserByIdNumber,
  insertPendingUser,
  restartRejectedUser,
  type NewUser,
  type UserRecord,
} from '../../db/repositories/users';
import { DomainError, ErrorCode } from '../../domain/errors';
import { workflowIds } from '../../domain/ids';
import type { ApiDeps } from '../deps';

export interface Registration {
  partnerId: string;
  legalName: string;
  idNumber: string;
  phone: string;
  facts: { birthDate: string; sex: 'M' | 'F'; provinceCode: string };
}

export type RegistrationOutcome = { kind: 'created'; user: UserRecord } | { kind: 'existing'; user: UserRecord };

/**
 * The ONE refusal a registration can get (besides field validation), whatever the cause: the identity
 * provider says the name does not belong to the number (true for any number, registered or not), or
 * the partner already has this number with another name or phone. Same status, type, title and
 * detail, and both paths have asked the provider before looking anything up, so neither the body nor
 * the timing tells a caller who knows only an ID number whether it is registered. (Someone who knows
 * the right name AND number can still tell "refused" from "accepted": that is inherent in refusing
 * to hand over an account, and they already hold what real-name verification checks.)
 */
export function identityRefusal(): DomainError {
  return new DomainError(ErrorCode.IdentityRejected, 'the identity could not be verified with the details given');
}

const sameHash = (a: string | null, b: string): boolean =>
  a !== null && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * Real-name registration for one partner app. Users are per partner (see the TrustBoundary
 * migration): another partner's registration of the same person makes its own record and its own
 * verification, so nothing here can reveal that the number is known elsewhere.
 */
export async function registerUser(deps: ApiDeps, r: Registration): Promise<RegistrationOutcome> {
  const { db, pii } = deps;
  const idHash = pii.lookupHash('id_number', r.idNumber);
  const refuse = async (reason: string, existing?: UserRecord): Promise<never> => {
    await writeAudit(db, {
      actor: `partner:${r.partnerId}`,
      action: 'user.register.refused',
      // A keyed hash of its own kind: lets operators group attempts on one number, matches no lookup hash.
      subject: `idref:${pii.lookupHash('audit_id_number', r.idNumber).slice(0, 24)}`,
      details: { reason, ...(existing ? { userRef: existing.user_ref, existingStatus: existing.identity_status } : {}) },
    });
    throw identityRefusal();
  };

  // Asked first, for every registration: a wrong name is refused the same way for any number.
  // Provider down: the workflow verifies later, as before.
  const answer = await deps.identity.verify({ legalName: r.legalName, idNumber: r.idNumber }).catch((err: unknown) => {
    deps.logger.warn({ code: err instanceof DomainError ? err.code : 'error' }, 'identity pre-check unavailable; verifying later');
    return 'unavailable' as const;
  });
  if (answer === 'mismatch') return refuse('provider_mismatch');

  const fresh = (): NewUser => {
    const id = randomUUID();
    return {
      id,
      partnerId: r.partnerId,
      idNumberHash: idHash,
      idNumberEnc: pii.encrypt(r.idNumber.toUpperCase()),
      legalNameEnc: pii.encrypt(r.legalName),
      legalNameHash: pii.lookupHash('legal_name', r.legalName),
      phoneEnc: pii.encrypt(r.phone),
      phoneHash: pii.lookupHash('phone', r.phone),
      userRef: pii.lookupHash('user_ref', id).slice(0, 32),
      birthYear: Number(r.facts.birthDate.slice(0, 4)),
      sex: r.facts.sex,
      provinceCode: r.facts.provinceCode,
    };
  };
  // Starts (or finds running) the user's identity check. Called again for a pending user, so a
  // registration retried after a crash between the insert and the start is not pending forever, and
  // for an unverified one (the provider was down for the whole window), so a retry decides them.
  const startVerification = async (user: UserRecord): Promise<void> => {
    await deps.temporal.workflow.start('verifyIdentity', {
      taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
      workflowId: workflowIds.identity(user.id),
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      args: [{ version: 1, userId: user.id, windowMs: deps.config.IDENTITY_VERIFY_WINDOW_MS }],
    });
  };
  const verify = async (user: UserRecord): Promise<RegistrationOutcome> => {
    await startVerification(user);
    return { kind: 'created', user };
  };

  // Two attempts: a concurrent registration of the same number may win the insert or the restart.
  for (let attempt = 0; attempt < 2; attempt++) {
    const existing = await findPartnerUserByIdNumber(db, r.partnerId, idHash);
    if (!existing) {
      const created = await insertPendingUser(db, fresh());
      if (created) return verify(created);
      continue;
    }
    if (existing.identity_status === 'rejected') {
      const restarted = await restartRejectedUser(db, existing.id, fresh());
      if (restarted) {
        await writeAudit(db, {
          actor: `partner:${r.partnerId}`,
          action: 'user.register.restarted',
          subject: restarted.user_ref,
          details: { previousUserRef: existing.user_ref },
        });
        return verify(restarted);
      }
      continue;
    }
    // Rows from before the name hash existed are compared on the decrypted name.
    const storedName = existing.legal_name_hash ?? pii.lookupHash('legal_name', pii.decrypt(existing.legal_name_enc));
    const same =
      sameHash(storedName, pii.lookupHash('legal_name', r.legalName)) && sameHash(existing.phone_hash, pii.lookupHash('phone', r.phone));
    if (!same) return refuse('details_differ', existing);
    if (existing.identity_status === 'pending' || existing.identity_status === 'unverified') await startVerification(existing);
    return { kind: 'existing', user: existing };
  }
  throw new DomainError(ErrorCode.Conflict, 'a registration for these details is already in progress; retry');
}
