import type { DataSource } from 'typeorm';

export interface Notice {
  userRef: string;
  journeyId: string;
  kind: string;
  /** Distinguishes repeatable kinds (the order id of a result); '' otherwise. */
  key: string;
  /** Ids, times and amounts only: the partner app renders the words. */
  data: Record<string, unknown>;
}

/** The service-window inbox. Idempotent on (journey, kind, key): a retried activity sends one notice. */
export function createNotifier(db: DataSource) {
  return {
    async notify(n: Notice): Promise<boolean> {
      const rows: unknown[] = await db.query(
        `INSERT INTO notifications (user_ref, journey_id, kind, key, data) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (journey_id, kind, key) DO NOTHING RETURNING id`,
        [n.userRef, n.journeyId, n.kind, n.key, JSON.stringify(n.data)],
      );
      return rows.length > 0;
    },
  };
}
export type Notifier = ReturnType<typeof createNotifier>;
