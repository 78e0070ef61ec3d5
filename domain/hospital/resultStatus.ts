/**
 * Which version of an order's results stands. A laboratory sends preliminary results, then the
 * final ones, and sometimes a correction; messages can reach us late or be reprocessed out of
 * order, so a version only replaces a stored one that it supersedes: corrected over final over
 * preliminary, and among equals the later message (higher inbox id). The rule is a total order, so
 * the stored version ends the same whatever order the versions arrive in.
 */
export type ResultStage = 'preliminary' | 'final' | 'corrected';

/** Stored as visit_results.status_rank; the upsert in db/repositories/visitResults.ts compares it. */
export const RESULT_RANK: Readonly<Record<ResultStage, number>> = { preliminary: 1, final: 2, corrected: 3 };

/** OBR-25 (HL7 table 0123): C corrected, F final; anything else (P, R, S, A, I, O…) is not yet final. */
function fromReportStatus(code: string): ResultStage {
  if (code === 'C') return 'corrected';
  if (code === 'F') return 'final';
  return 'preliminary';
}

/**
 * A report's stage: its OBR-25 when sent, else its observations' OBX-11 (table 0085): any C makes a
 * correction, all F (or U, changed to final) make it final, anything else is preliminary.
 */
export function resultStageOf(report: { resultStatus?: string; observations: ReadonlyArray<{ status: string }> }): ResultStage {
  const reported = report.resultStatus?.trim().toUpperCase();
  if (reported) return fromReportStatus(reported);
  const codes = report.observations.map((o) => o.status.trim().toUpperCase());
  if (codes.includes('C')) return 'corrected';
  if (codes.length > 0 && codes.every((c) => c === 'F' || c === 'U')) return 'final';
  return 'preliminary';
}

export interface ResultVersion {
  stage: ResultStage;
  /** inbox_messages.id of the message that carried it (a decimal string: ids are bigint). */
  inboxId: string;
}

/** Whether `incoming` replaces `stored`. A redelivery of the stored version does (it writes the same). */
export function supersedes(incoming: ResultVersion, stored: ResultVersion | undefined): boolean {
  if (stored === undefined) return true;
  const byRank = RESULT_RANK[incoming.stage] - RESULT_RANK[stored.stage];
  if (byRank !== 0) return byRank > 0;
  return BigInt(incoming.inboxId) >= BigInt(stored.inboxId);
}
