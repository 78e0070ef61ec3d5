import { z } from 'zod';

/** typeorm's `query` answers an UPDATE or DELETE (with or without RETURNING) as [rows, affected]; a SELECT or INSERT as rows. */
const UpdateResult = z.tuple([z.array(z.unknown()), z.number()]);

export function updateResult(result: unknown): { rows: unknown[]; affected: number } {
  const [rows, affected] = UpdateResult.parse(result);
  return { rows, affected };
}
