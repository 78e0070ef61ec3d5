import { sha256Hex } from '../../../domain/hash';

/**
 * MSH-10 for a Causeway → HIS step: `CD` + 18 hex digits of SHA-256(booking ref, step), 20
 * characters (the v2.5 ST limit). Deterministic, so a retried activity resends the very message
 * the HIS may already have processed and the HIS's MSH-10 dedupe makes the retry harmless. `CD`
 * keeps these apart from newControlId()'s random `CW` ids; 72 bits make a clash between two
 * bookings negligible.
 *
 * The step names what the message does to what (`hold:<slot>`, `payment:<order>`), so a second
 * hold on another slot after a refusal is a new message, not a repeat of the refused one.
 */
export function hisControlId(bookingRef: string, step: string): string {
  // The same pure-JS SHA-256 that derives merchant order numbers in workflow code.
  const digest = sha256Hex(`${bookingRef}\u0000${step}`);
  return `CD${digest.slice(0, 18).toUpperCase()}`;
}

export const HisStep = {
  hold: (slotId: string) => `hold:${slotId}`,
  confirm: (slotId: string) => `confirm:${slotId}`,
  cancel: (slotId: string) => `cancel:${slotId}`,
  noShow: (slotId: string) => `no-show:${slotId}`,
  arrival: () => 'arrival',
  payment: (orderId: string) => `payment:${orderId}`,
} as const;
