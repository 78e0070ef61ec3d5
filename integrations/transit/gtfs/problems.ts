import { DomainError, ErrorCode } from '../../../domain/errors';

/** One thing wrong with a feed, precise enough for the operator to fix it without guessing. */
export interface FeedProblem {
  file: string;
  /** 1-based line in the file; the header is line 1. 0 when the whole file is missing. */
  line: number;
  field: string;
  message: string;
}

export function feedRejected(problems: readonly FeedProblem[]): DomainError {
  return new DomainError(ErrorCode.ValidationFailed, `GTFS feed refused: ${problems.length} problem(s)`, {
    fields: problems.map((p) => ({ field: `${p.file}:${p.line}:${p.field}`, message: p.message })),
    problems,
  });
}
