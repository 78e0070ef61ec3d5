/**
 * CSV as RFC 4180 writes it (CRLF line ends; a field with a comma, quote or line break is quoted and
 * its quotes doubled), with spreadsheet formula injection defused: a text field that a spreadsheet
 * would run as a formula (=, +, -, @, tab, CR first) is prefixed with a single quote. Numbers are
 * written as numbers.
 */
export type CsvField = string | number | null;

export function csvField(v: CsvField): string {
  if (v === null) return '';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  const text = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(rows: ReadonlyArray<ReadonlyArray<CsvField>>): string {
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
