import { parse } from 'csv-parse/sync';
import type { z } from 'zod';
import type { FeedProblem } from './problems';

/**
 * Reads one GTFS CSV file into validated rows, each with its line number. Problems are collected,
 * never thrown, so one bad row does not hide the next; rows with problems are left out.
 */

export interface Row<T> {
  line: number;
  value: T;
}

export function readCsv<S extends z.ZodType<unknown, Record<string, string>>>(
  file: string,
  text: string,
  schema: S,
  requiredColumns: readonly string[],
  problems: FeedProblem[],
): Row<z.output<S>>[] {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = parse(text, { bom: true, info: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as typeof records;
  } catch (err) {
    const e = err as { lines?: number; message?: string };
    problems.push({ file, line: e.lines ?? 0, field: '', message: `not valid CSV: ${e.message ?? String(err)}` });
    return [];
  }
  const [header, ...body] = records;
  if (!header) {
    problems.push({ file, line: 1, field: '', message: 'empty file: a header line is required' });
    return [];
  }
  const columns = header.record;
  const missing = requiredColumns.filter((c) => !columns.includes(c));
  for (const column of missing) problems.push({ file, line: 1, field: column, message: 'required column is missing' });
  if (missing.length > 0) return [];

  const rows: Row<z.output<S>>[] = [];
  for (const { record, info } of body) {
    const line = info.lines;
    if (record.length !== columns.length) {
      problems.push({ file, line, field: '', message: `expected ${columns.length} fields, found ${record.length}` });
      continue;
    }
    const raw: Record<string, string> = {};
    columns.forEach((c, i) => (raw[c] = record[i]!));
    const parsed = schema.safeParse(raw);
    if (parsed.success) rows.push({ line, value: parsed.data });
    else for (const issue of parsed.error.issues) problems.push({ file, line, field: String(issue.path[0] ?? ''), message: issue.message });
  }
  return rows;
}
