import type { NamedCheck } from '../../../domain/retail/onboarding';

/**
 * A merchant's application (`merchant-onboarding/<application-id>`). The input carries the
 * application id only: the legal representative's name and ID number and the settlement account
 * stay encrypted in PostgreSQL, and the HMAC secret issued at the end never leaves its activity.
 */
export interface MerchantOnboardingInput {
  version: 1;
  applicationId: string;
  /** How long an unreachable registry or identity provider is retried before a person reviews the application. */
  checkWindowMs: number;
  /** How long a review waits for an operator's decision before the application expires. */
  reviewTimeoutMs: number;
}

/** An operator's decision on an application in review (a signal, visible in the Web UI). */
export interface ReviewDecision {
  version: 1;
  decision: 'approve' | 'reject';
  operatorId: string;
  /** A short note for the applicant when rejecting (never personal data). */
  note?: string;
}

/** Where an application ends: always one of these named stages, never a failed workflow. */
export type MerchantOnboardingOutcome =
  { stage: 'active'; merchantId: string } | { stage: 'rejected'; failed: NamedCheck[] } | { stage: 'expired'; reason: string };
