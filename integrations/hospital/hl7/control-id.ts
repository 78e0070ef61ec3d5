import { randomBytes } from 'node:crypto';

/**
 * A fresh MSH-10: `CW` + time (base 36) + 40 random bits, 20 characters, the v2.5 ST limit for
 * MSH-10. Time first so ids sort roughly by creation in logs; randomness makes clashes across
 * processes negligible without coordination.
 */
export function newControlId(now: number = Date.now()): string {
  const time = now.toString(36).toUpperCase().padStart(8, '0').slice(-8);
  return `CW${time}${randomBytes(5).toString('hex').toUpperCase()}`;
}
