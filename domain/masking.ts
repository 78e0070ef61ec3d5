/**
 * Masked forms: what the API may show of personal data. Each keeps only what a person needs to
 * recognise their own record, and never reveals more on short or odd input.
 */
export function maskIdNumber(id: string): string {
  const v = id.trim();
  if (v.length < 10) return '*'.repeat(Math.max(4, v.length));
  return `${v.slice(0, 4)}${'*'.repeat(v.length - 8)}${v.slice(-4)}`;
}

export function maskName(name: string): string {
  const v = name.trim();
  if (!v) return '*';
  const space = v.indexOf(' ');
  // Latin names: the first word; Chinese names: the family name (first character).
  if (space > 0) return `${v.slice(0, space)} *`;
  return `${Array.from(v)[0] ?? ''}*`;
}

export function maskPhone(phone: string): string {
  const v = phone.trim();
  if (v.length < 7) return '*'.repeat(Math.max(4, v.length));
  return `${v.slice(0, 3)}${'*'.repeat(v.length - 7)}${v.slice(-4)}`;
}
