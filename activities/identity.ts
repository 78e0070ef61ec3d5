import type { DataSource } from 'typeorm';
import { demographicsOf } from '../domain/analytics/demographics';
import { updateResult } from '../db/updateResult';
import { DomainError, ErrorCode } from '../domain/errors';
import { provinceNames } from '../integrations/divisions/provinces';
import type { IdentityProvider } from '../integrations/identity/provider';
import { withFailureMapping } from './failures';

export interface IdentityActivityDeps {
  db: DataSource;
  identity: IdentityProvider;
  secrets: { decrypt(ciphertext: string): string };
}

export function createIdentityActivities(deps: IdentityActivityDeps) {
  return withFailureMapping({
    /**
     * Asks the identity provider; idempotent: a user already decided keeps its outcome. An `unverified`
     * user (the provider never answered in an earlier window) is asked again.
     */
    async verifyUserIdentity(input: { userId: string }): Promise<'verified' | 'rejected'> {
      const rows: Array<{ identity_status: string; id_number_enc: string; legal_name_enc: string }> = await deps.db.query(
        'SELECT identity_status, id_number_enc, legal_name_enc FROM users WHERE id = $1',
        [input.userId],
      );
      const user = rows[0];
      if (!user) throw new DomainError(ErrorCode.NotFound, `no user ${input.userId}`);
      if (user.identity_status === 'verified' || user.identity_status === 'rejected') return user.identity_status;
      // Provider down throws IdentityProviderDown, which is retryable: the workflow keeps trying.
      const idNumber = deps.secrets.decrypt(user.id_number_enc);
      const answer = await deps.identity.verify({ legalName: deps.secrets.decrypt(user.legal_name_enc), idNumber });
      const status = answer === 'match' ? 'verified' : 'rejected';
      // Analytics gets its band, gender and province here, once, from the number already in hand.
      const facts = status === 'verified' ? demographicsOf(idNumber, new Date(), (code) => provinceNames().has(code)) : null;
      await deps.db.transaction(async (tx) => {
        const updated = updateResult(
          await tx.query(
            `UPDATE users SET identity_status = $2, identity_reason = $3, verified_at = CASE WHEN $2 = 'verified' THEN now() ELSE NULL END
           WHERE id = $1 AND identity_status IN ('pending', 'unverified') RETURNING user_ref`,
            [input.userId, status, answer === 'match' ? null : 'identity provider: name and ID number do not match'],
          ),
        );
        const ref = (updated.rows[0] as { user_ref?: string } | undefined)?.user_ref;
        if (facts && ref)
          await tx.query(
            `INSERT INTO user_demographics (user_ref, age_band, gender, region_code) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_ref) DO NOTHING`,
            [ref, facts.ageBand, facts.gender, facts.regionCode],
          );
      });
      return status;
    },
    /** The verification window closed with the provider unreachable: a named state, with its reason, instead of `pending`. */
    async markIdentityUnverified(input: { userId: string; reason: string }): Promise<void> {
      await deps.db.query(
        `UPDATE users SET identity_status = 'unverified', identity_reason = $2 WHERE id = $1 AND identity_status = 'pending'`,
        [input.userId, input.reason],
      );
    },
  });
}

export type IdentityActivities = ReturnType<typeof createIdentityActivities>;
