/**
 * Waiting-time estimate for a doctor's queue. The typical consultation length is an exponentially
 * weighted moving average of observed consultations, seeded with a per-doctor prior, so the first
 * few patients get a sensible ETA and one unusual consultation moves it only partly. Observations
 * are clamped: a 2-minute "consultation" that was really a no-show, or a 3-hour one that spans the
 * lunch break, must not swing everyone's ETA.
 *
 * Plain types here (workflow code runs this); input is checked in `workflows/hospital/queue/validate.ts`.
 */
export interface QueueEtaConfig {
  /** The doctor's usual consultation length, used until consultations are observed. */
  priorConsultationMinutes: number;
  /** Weight of the newest observation (0 < α ≤ 1). */
  ewmaAlpha: number;
  minObservedMinutes: number;
  maxObservedMinutes: number;
  /** "Your turn is near" when at most this many places from the front (1 = next) … */
  nearPosition: number;
  /** … or when the estimated wait is at most this many minutes. */
  nearMinutes: number;
}

export const DEFAULT_QUEUE_ETA_CONFIG: QueueEtaConfig = {
  priorConsultationMinutes: 10,
  ewmaAlpha: 0.3,
  minObservedMinutes: 1,
  maxObservedMinutes: 60,
  nearPosition: 3,
  nearMinutes: 15,
};

export interface ConsultationStats {
  /** Current estimate of one consultation, whole milliseconds. */
  avgMs: number;
  samples: number;
}

const MINUTE = 60_000;

export function initialStats(config: QueueEtaConfig): ConsultationStats {
  return { avgMs: Math.max(1, Math.round(config.priorConsultationMinutes * MINUTE)), samples: 0 };
}

export function observeConsultation(stats: ConsultationStats, durationMs: number, config: QueueEtaConfig): ConsultationStats {
  if (!Number.isFinite(durationMs)) return stats;
  const clamped = Math.min(Math.max(durationMs, config.minObservedMinutes * MINUTE), config.maxObservedMinutes * MINUTE);
  const avg = config.ewmaAlpha * clamped + (1 - config.ewmaAlpha) * stats.avgMs;
  return { avgMs: Math.max(1, Math.round(avg)), samples: stats.samples + 1 };
}

export interface WaitEstimateInput {
  /** 1 = next to be called. */
  position: number;
  avgMs: number;
  /** When the consultation in progress started; null when the doctor is between patients. */
  currentStartedAtMs: number | null;
  nowMs: number;
}

/**
 * Wait until this patient is called: what is left of the consultation in progress (never negative,
 * an overrun just means "any moment now") plus one average consultation per patient ahead.
 */
export function estimateWaitMs(input: WaitEstimateInput): number {
  const ahead = Math.max(0, Math.floor(input.position) - 1);
  const remaining = input.currentStartedAtMs === null ? 0 : Math.max(0, input.avgMs - (input.nowMs - input.currentStartedAtMs));
  return remaining + ahead * input.avgMs;
}

/** Whole minutes, rounded up: "3 minutes" shown for 2 m 10 s is better than "2" (patients come early). */
export function estimateWaitMinutes(input: WaitEstimateInput): number {
  return Math.ceil(estimateWaitMs(input) / MINUTE);
}

export function isTurnNear(
  at: { position: number; etaMinutes: number },
  config: Pick<QueueEtaConfig, 'nearPosition' | 'nearMinutes'>,
): boolean {
  return at.position <= config.nearPosition || at.etaMinutes <= config.nearMinutes;
}

/**
 * Milliseconds from `nowMs` until the patient at `position` becomes near by ETA alone as the
 * consultation in progress runs on; undefined when time alone will not get them there (no
 * consultation in progress, or too many patients ahead). 0 when already near.
 */
export function msUntilNearByEta(input: WaitEstimateInput, config: Pick<QueueEtaConfig, 'nearMinutes'>): number | undefined {
  const nearMs = config.nearMinutes * MINUTE;
  // ceil(wait / 1 min) ≤ nearMinutes  ⇔  wait ≤ nearMinutes × 1 min, since nearMinutes is whole.
  if (estimateWaitMs(input) <= nearMs) return 0;
  if (input.currentStartedAtMs === null) return undefined;
  const budgetMs = nearMs - Math.max(0, Math.floor(input.position) - 1) * input.avgMs;
  if (budgetMs < 0) return undefined;
  // remaining(t) = avg − (t − start) ≤ budget  ⇔  t ≥ start + avg − budget
  return Math.max(0, input.currentStartedAtMs + input.avgMs - budgetMs - input.nowMs);
}
