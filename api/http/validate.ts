import type { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';

/** Deeper than any request Causeway defines; a deeper body is refused before anything walks it. */
export const MAX_DEPTH = 32;

/**
 * Paths of strings holding NUL, which no text column can store: refused up front, naming the field.
 * Walks with an explicit stack (a JSON body of 100k nested arrays parses fine and would overflow a
 * recursive walk); `tooDeep` is set instead of descending past MAX_DEPTH.
 */
function inspect(value: unknown, root: string): { nul: string[]; tooDeep: boolean } {
  const nul: string[] = [];
  const stack: Array<{ v: unknown; path: string[] }> = [{ v: value, path: [root] }];
  while (stack.length > 0) {
    const { v, path } = stack.pop() as { v: unknown; path: string[] };
    if (typeof v === 'string') {
      if (v.includes('\u0000')) nul.push(path.join('.'));
    } else if (v !== null && typeof v === 'object') {
      if (path.length > MAX_DEPTH) return { nul, tooDeep: true };
      const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v);
      for (const [k, x] of entries) stack.push({ v: x, path: [...path, k] });
    }
  }
  return { nul: nul.reverse(), tooDeep: false };
}

/** Parse a request part with its schema; a failure names every bad field (`body.patient.idNumber`). */
export function parseOr422<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params' | 'headers'): z.infer<S> {
  const { nul: withNul, tooDeep } = inspect(value, where);
  if (tooDeep)
    throw new DomainError(ErrorCode.ValidationFailed, `invalid ${where}: nested too deeply`, {
      fields: [{ field: where, message: `nested deeper than ${MAX_DEPTH} levels` }],
    });
  const parsed = schema.safeParse(value);
  if (parsed.success && withNul.length === 0) return parsed.data;
  const fields = withNul.map((field) => ({ field, message: 'NUL characters are not allowed' }));
  for (const issue of parsed.success ? [] : parsed.error.issues) {
    const field = [where, ...issue.path.map(String)].join('.');
    if (!withNul.includes(field)) fields.push({ field, message: issue.message });
  }
  throw new DomainError(ErrorCode.ValidationFailed, `invalid ${where}: ${fields.map((f) => f.field).join(', ')}`, { fields });
}
