import { ageBand, checkResidentId } from '../residentId';

/**
 * What analytics may know of a person, derived once from the resident ID (GB 11643) when their identity
 * is verified: an age band from the birth date, a gender from the sequence code's parity, and the
 * province of the GB/T 2260 division code. Nothing else is kept; the number itself is never read again
 * for analytics.
 */
export interface Demographics {
  ageBand: ReturnType<typeof ageBand>;
  gender: 'female' | 'male';
  /** Six-digit province code (`310000`), or `unknown` when the division data does not list it. */
  regionCode: string;
}

export function demographicsOf(idNumber: string, today: Date, isProvince: (code: string) => boolean): Demographics | null {
  const id = checkResidentId(idNumber, today);
  if (!id.ok) return null;
  const province = `${id.provinceCode}0000`;
  return {
    ageBand: ageBand(id.birthDate, today),
    gender: id.sex === 'F' ? 'female' : 'male',
    regionCode: isProvince(province) ? province : 'unknown',
  };
}
