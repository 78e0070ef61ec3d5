/**
 * Who may send HL7 for a hospital. MLLP has no authentication of its own, so a message counts as
 * the hospital's when the connection proves it: a verified client certificate naming the hospital
 * (mutual TLS), or a source address registered for it. The HMAC-signed HTTP route authenticates
 * before the message gets here.
 */

export interface SenderInstitution {
  id: string;
  kind: string;
  /** Source addresses registered for the hospital (its `mllp_allowed_sources` and its MLLP host). */
  allowedAddresses: readonly string[];
}

export interface SenderConnection {
  remoteAddress: string;
  peerCertificateCn?: string;
  authenticatedInstitution?: string;
}

/** On success, the institution the connection proved it is: what the message is stored and dispatched under. */
export type SenderVerdict = { ok: true; institutionId: string } | { ok: false; reason: string };

/** `::ffff:10.0.0.5` (an IPv4 peer on a dual-stack socket) is the same sender as `10.0.0.5`. */
export function normaliseAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  return lower.startsWith('::ffff:') && lower.includes('.') ? lower.slice(7) : lower;
}

export function checkSender(
  facility: string | undefined,
  institution: SenderInstitution | undefined,
  conn: SenderConnection,
): SenderVerdict {
  if (!facility) return { ok: false, reason: 'MSH-4 (sending facility) is empty' };
  if (!institution || institution.kind !== 'hospital') return { ok: false, reason: `unknown sending facility ${facility}` };
  if (conn.authenticatedInstitution !== undefined) {
    return conn.authenticatedInstitution === institution.id
      ? { ok: true, institutionId: institution.id }
      : { ok: false, reason: 'MSH-4 names another institution' };
  }
  if (conn.peerCertificateCn !== undefined) {
    return conn.peerCertificateCn === institution.id
      ? { ok: true, institutionId: institution.id }
      : { ok: false, reason: `client certificate is not ${institution.id}'s` };
  }
  const from = normaliseAddress(conn.remoteAddress);
  if (institution.allowedAddresses.some((a) => normaliseAddress(a) === from)) return { ok: true, institutionId: institution.id };
  return { ok: false, reason: `source address ${from} is not registered for ${institution.id}` };
}
