import type { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';

/** Parse a request part with its schema; a failure names every bad field (`body.patient.idNumber`). */
export function parseOr422<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params' | 'headers'): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const fields = parsed.error.issues.map((i) => ({
    field: [where, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  // A body of the wrong shape altogether (not an object) is a 400; a well-formed body with bad fields is a 422.
  const code = ErrorCode.ValidationFailed;
  throw new DomainError(code, `invalid ${where}: ${fields.map((f) => f.field).join(', ')}`, { fields });
}
