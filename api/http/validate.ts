import type { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';

/** Paths of strings holding NUL, which no text column can store: refused up front, naming the field. */
function nulFields(value: unknown, path: string[], out: string[]): string[] {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) out.push(path.join('.'));
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => nulFields(v, [...path, String(i)], out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) nulFields(v, [...path, k], out);
  }
  return out;
}

/** Parse a request part with its schema; a failure names every bad field (`body.patient.idNumber`). */
export function parseOr422<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params' | 'headers'): z.infer<S> {
  const withNul = nulFields(value, [where], []);
  const parsed = schema.safeParse(value);
  if (parsed.success && withNul.length === 0) return parsed.data;
  const fields = withNul.map((field) => ({ field, message: 'NUL characters are not allowed' }));
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    const field = [where, ...issue.path.map(String)].join('.');
    if (!withNul.includes(field)) fields.push({ field, message: issue.message });
  }
  throw new DomainError(ErrorCode.ValidationFailed, `invalid ${where}: ${fields.map((f) => f.field).join(', ')}`, { fields });
}
