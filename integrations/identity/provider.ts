import { z } from 'zod';

export const IdentityQuery = z.object({ legalName: z.string().min(1), idNumber: z.string().min(1) });
export type IdentityQuery = z.infer<typeof IdentityQuery>;

export const IdentityAnswer = z.enum(['match', 'mismatch']);
export type IdentityAnswer = z.infer<typeof IdentityAnswer>;

/**
 * A real-name identity provider: does this legal name belong to this resident ID number?
 * Unreachable or failing providers throw DomainError(IdentityProviderDown), which is retryable.
 */
export interface IdentityProvider {
  verify(query: IdentityQuery): Promise<IdentityAnswer>;
}
