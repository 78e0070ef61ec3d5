import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  activateMerchant,
  applicationFacts,
  recordCredentials,
  setApplicationStatus,
  type ApplicationFacts,
} from '../db/repositories/merchantApplications';
import { DomainError, ErrorCode } from '../domain/errors';
import { compareNames, type CheckResult, type NamedCheck } from '../domain/retail/onboarding';
import { parseUscc } from '../domain/retail/uscc';
import type { IdentityProvider } from '../integrations/identity/provider';
import type { CompanyRegistry } from '../integrations/registry/provider';
import { withFailureMapping } from './failures';

export interface MerchantOnboardingDeps {
  db: DataSource;
  registry: CompanyRegistry;
  identity: IdentityProvider;
  secrets: { encrypt(plaintext: string): string; decrypt(ciphertext: string): string };
}

/** Every activity takes the application id only: the PII is read here, sent to its counterpart, and never returned. */
export interface ApplicationRef {
  applicationId: string;
}

/** The merchant's institution id, derived from the application so a retry names the same merchant. */
export function merchantIdOf(applicationId: string): string {
  return `m${applicationId.replace(/-/g, '').slice(0, 24)}`;
}

export function createMerchantOnboardingActivities(deps: MerchantOnboardingDeps) {
  const facts = async (applicationId: string): Promise<ApplicationFacts> => {
    const f = await applicationFacts(deps.db, applicationId);
    if (!f) throw new DomainError(ErrorCode.NotFound, `no merchant application ${applicationId}`);
    return f;
  };
  return withFailureMapping({
    /** GB 32100's check character and alphabet, offline: catches typing mistakes before the registry is asked. */
    async checkUsccFormat(input: ApplicationRef): Promise<CheckResult> {
      const parsed = parseUscc((await facts(input.applicationId)).uscc);
      return parsed.ok
        ? { check: 'uscc_format', outcome: 'pass', reason: null }
        : { check: 'uscc_format', outcome: 'fail', reason: parsed.problem };
    },
    /** The registry: the code must be registered, not revoked, and its legal representative the applicant's. */
    async checkRegistry(input: ApplicationRef): Promise<CheckResult> {
      const f = await facts(input.applicationId);
      // Down: CounterpartUnavailable, retried by the workflow for its window.
      const answer = await deps.registry.lookup(f.uscc);
      if (answer.status !== 'found') return { check: 'registry', outcome: 'fail', reason: answer.status };
      switch (compareNames(deps.secrets.decrypt(f.rep_name_enc), answer.legalRepresentative)) {
        case 'same':
          return { check: 'registry', outcome: 'pass', reason: null };
        case 'close':
          return { check: 'registry', outcome: 'review', reason: 'name_close' };
        case 'different':
          return { check: 'registry', outcome: 'fail', reason: 'name_mismatch' };
      }
    },
    /** The legal representative's name and resident ID, checked by the identity provider like a user's. */
    async checkLegalRepresentative(input: ApplicationRef): Promise<CheckResult> {
      const f = await facts(input.applicationId);
      const answer = await deps.identity.verify({
        legalName: deps.secrets.decrypt(f.rep_name_enc),
        idNumber: deps.secrets.decrypt(f.rep_id_number_enc),
      });
      return answer === 'match'
        ? { check: 'legal_representative', outcome: 'pass', reason: null }
        : { check: 'legal_representative', outcome: 'fail', reason: 'identity_mismatch' };
    },
    /** The district named, if any, is one. */
    async checkDistrict(input: ApplicationRef): Promise<CheckResult> {
      const f = await facts(input.applicationId);
      if (f.district_id === null) return { check: 'district', outcome: 'pass', reason: null };
      const rows: unknown[] = await deps.db.query(`SELECT 1 FROM institutions WHERE id = $1 AND kind = 'district'`, [f.district_id]);
      return rows.length > 0
        ? { check: 'district', outcome: 'pass', reason: null }
        : { check: 'district', outcome: 'fail', reason: 'unknown_district' };
    },
    async recordApplicationStatus(
      input: ApplicationRef & {
        status: 'checking' | 'review' | 'approved' | 'rejected' | 'expired';
        failed?: NamedCheck[];
        reviewReasons?: NamedCheck[];
        reason?: string;
        reviewedBy?: string;
      },
    ): Promise<void> {
      await setApplicationStatus(deps.db, input.applicationId, {
        status: input.status,
        ...(input.failed ? { failed: input.failed } : {}),
        ...(input.reviewReasons ? { reviewReasons: input.reviewReasons } : {}),
        ...(input.reason ? { reason: input.reason } : {}),
        ...(input.reviewedBy ? { reviewedBy: input.reviewedBy } : {}),
      });
    },
    /**
     * The POS API credentials: the merchant id and an HMAC secret generated here and stored only
     * encrypted. Only the id goes back to the workflow, so the secret is in no payload or history.
     */
    async issueMerchantCredentials(input: ApplicationRef): Promise<{ merchantId: string }> {
      const secretEnc = deps.secrets.encrypt(randomBytes(32).toString('base64url'));
      return { merchantId: await recordCredentials(deps.db, input.applicationId, merchantIdOf(input.applicationId), secretEnc) };
    },
    /** The merchant becomes an institution (its service window opens) and its store active. */
    async activateMerchantStore(input: ApplicationRef): Promise<{ merchantId: string }> {
      return { merchantId: await activateMerchant(deps.db, input.applicationId) };
    },
  });
}

export type MerchantOnboardingActivities = ReturnType<typeof createMerchantOnboardingActivities>;
