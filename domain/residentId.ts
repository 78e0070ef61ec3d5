/**
 * The 18-character mainland resident ID (GB 11643-1999): 6-digit region code, 8-digit birth date,
 * 3-digit sequence (odd for men), and an ISO 7064 MOD 11-2 check character (`X` stands for 10).
 * Checked offline before any identity provider is asked.
 */
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
/** Province-level codes in use (the first two digits of the region code). */
const PROVINCES = new Set([
  '11',
  '12',
  '13',
  '14',
  '15',
  '21',
  '22',
  '23',
  '31',
  '32',
  '33',
  '34',
  '35',
  '36',
  '37',
  '41',
  '42',
  '43',
  '44',
  '45',
  '46',
  '50',
  '51',
  '52',
  '53',
  '54',
  '61',
  '62',
  '63',
  '64',
  '65',
  '71',
  '81',
  '82',
  '83',
]);

export type ResidentIdCheck = { ok: true; birthDate: string; sex: 'M' | 'F'; provinceCode: string } | { ok: false; reason: string };

export function checkCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += Number(first17[i]) * (WEIGHTS[i] ?? 0);
  return CHECK_CHARS[sum % 11] ?? '?';
}

function isRealDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

export function checkResidentId(raw: string, today: Date): ResidentIdCheck {
  const id = raw.trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(id)) return { ok: false, reason: 'must be 17 digits followed by a digit or X' };
  const province = id.slice(0, 2);
  if (!/^[1-8]/.test(id) || !PROVINCES.has(province)) return { ok: false, reason: 'region code is not a valid province' };
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  if (!isRealDate(y, m, d)) return { ok: false, reason: 'birth date is not a real date' };
  if (y < 1900) return { ok: false, reason: 'birth date is before 1900' };
  const birth = Date.UTC(y, m - 1, d);
  if (birth > today.getTime()) return { ok: false, reason: 'birth date is in the future' };
  if (checkCharacter(id.slice(0, 17)) !== id[17]) return { ok: false, reason: 'check character does not match (ISO 7064 MOD 11-2)' };
  const birthDate = `${id.slice(6, 10)}-${id.slice(10, 12)}-${id.slice(12, 14)}`;
  return { ok: true, birthDate, sex: Number(id[16]) % 2 === 1 ? 'M' : 'F', provinceCode: province };
}

/** Age bands for aggregate analytics; nobody is identified by a band. */
export function ageBand(birthDate: string, today: Date): '0-17' | '18-29' | '30-44' | '45-59' | '60+' {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  let age = today.getUTCFullYear() - y;
  if (today.getUTCMonth() + 1 < m || (today.getUTCMonth() + 1 === m && today.getUTCDate() < d)) age--;
  if (age < 18) return '0-17';
  if (age < 30) return '18-29';
  if (age < 45) return '30-44';
  if (age < 60) return '45-59';
  return '60+';
}
