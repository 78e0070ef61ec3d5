/**
 * The Unified Social Credit Code of a Chinese organisation (GB 32100-2015): 18 characters from a
 * 31-character alphabet that leaves out I, O, Z, S and V. The 18th is a check character: each of the
 * first 17 characters' values is multiplied by 3^(i) mod 31 (the weights below), the products are
 * summed, and the check value is 31 minus the sum mod 31 (31 counts as 0). Offline checking catches
 * typing mistakes before the registry is asked; it says nothing about whether the merchant exists.
 */

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28] as const;

export type UsccProblem = 'length' | 'character' | 'division' | 'check_character';

export type UsccResult =
  | { ok: true; code: string; registrationAuthority: string; category: string; divisionCode: string; organizationCode: string }
  | { ok: false; problem: UsccProblem; message: string };

/** The check character the first 17 characters call for. */
export function usccCheckCharacter(first17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += ALPHABET.indexOf(first17[i] ?? '') * WEIGHTS[i]!;
  const value = 31 - (sum % 31);
  return ALPHABET[value === 31 ? 0 : value]!;
}

/** Checks a code as typed (spaces and lower case are forgiven, nothing else). */
export function parseUscc(input: string): UsccResult {
  const code = input.replace(/\s+/g, '').toUpperCase();
  if (code.length !== 18) return { ok: false, problem: 'length', message: `18 characters expected, got ${code.length}` };
  const bad = [...code].findIndex((c) => !ALPHABET.includes(c));
  if (bad >= 0) return { ok: false, problem: 'character', message: `character ${bad + 1} (${code[bad]}) is not allowed` };
  // Characters 3–8 are the administrative division where the organisation registered: digits only.
  if (!/^\d{6}$/.test(code.slice(2, 8))) return { ok: false, problem: 'division', message: 'characters 3-8 must be a division code' };
  const expected = usccCheckCharacter(code.slice(0, 17));
  if (code[17] !== expected) return { ok: false, problem: 'check_character', message: `check character should be ${expected}` };
  return {
    ok: true,
    code,
    registrationAuthority: code[0]!,
    category: code[1]!,
    divisionCode: code.slice(2, 8),
    organizationCode: code.slice(8, 17),
  };
}

export const USCC_ALPHABET = ALPHABET;
