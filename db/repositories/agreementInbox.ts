import type { SqlRunner } from './slots';

/**
 * Withholding-agreement notifications in the inbox (channel `agreement_notification`): stored
 * before they are answered, unique per (app, notify_id), applied at most once.
 */
export interface StoredAgreementNotification {
  sender: string;
  notifyId: string;
  notifyType: string;
  correlation: string;
  bodyEnc: string;
}

/** The row to apply: a new one, or one a crash left `received`; undefined when it was already applied. */
export async function storeAgreementNotification(db: SqlRunner, n: StoredAgreementNotification): Promise<string | undefined> {
  const stored: Array<{ id: string }> = await db.query(
    `INSERT INTO inbox_messages (channel, sender, message_id, message_type, correlation, body_enc, status)
     VALUES ('agreement_notification', $1, $2, $3, $4, $5, 'received')
     ON CONFLICT (channel, sender, message_id) DO NOTHING RETURNING id`,
    [n.sender, n.notifyId, n.notifyType, n.correlation, n.bodyEnc],
  );
  if (stored[0]) return stored[0].id;
  const pending: Array<{ id: string }> = await db.query(
    `SELECT id FROM inbox_messages WHERE channel = 'agreement_notification' AND sender = $1 AND message_id = $2 AND status = 'received'`,
    [n.sender, n.notifyId],
  );
  return pending[0]?.id;
}

/** Applied, or kept for an operator with the reason (`failed`). */
export async function markAgreementNotification(db: SqlRunner, id: string, problem: string | null): Promise<void> {
  await db.query(`UPDATE inbox_messages SET status = $2, error = $3, applied_at = now() WHERE id = $1`, [
    id,
    problem ? 'failed' : 'applied',
    problem,
  ]);
}
