import { z } from 'zod';

/**
 * The enterprise credit registry (the national system behind the Unified Social Credit Code): is
 * this code registered, still valid, and who is its legal representative on record?
 */
export const RegistryAnswer = z.discriminatedUnion('status', [
  z.object({ status: z.literal('found'), legalRepresentative: z.string().min(1).max(128) }),
  z.object({ status: z.literal('revoked'), legalRepresentative: z.string().min(1).max(128) }),
  z.object({ status: z.literal('not_found') }),
]);
export type RegistryAnswer = z.infer<typeof RegistryAnswer>;

/**
 * Unreachable or failing registries throw DomainError(CounterpartUnavailable), which is retryable;
 * the onboarding workflow retries it for its window, then hands the application to a person.
 */
export interface CompanyRegistry {
  lookup(uscc: string): Promise<RegistryAnswer>;
}
