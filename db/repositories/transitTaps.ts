import type { DataSource } from 'typeorm';
import { z } from 'zod';
import type { RiderDayTap } from '../../workflows/transit/riderDay/types';
import { updateResult } from '../updateResult';

/**
 * The AFC's taps, stored before the operator gets its answer. One row per (operator, tap id): a
 * resent tap is a duplicate and changes nothing. A tap whose pseudonym no credential of the operator
 * names yet is kept `unresolved` (an enrolment may be a moment behind the gate) and resolved later.
 */

export interface IncomingTap {
  tapId: string;
  pseudonym: string;
  stopId?: string;
  routeId?: string;
  deviceId: string;
  tapType: 'on' | 'off' | 'unknown';
  gateDecision: 'allow' | 'deny';
  transactionAt: number;
  serviceDay: string;
}

export type StoredTapStatus = 'accepted' | 'duplicate' | 'unknown_rider' | 'foreign_pseudonym';

const CredentialRow = z.object({ pseudonym: z.string(), operator_id: z.string(), rider_id: z.string() });
const Inserted = z.object({ tap_id: z.string() });

/**
 * Stores a batch in one statement. A pseudonym that only another operator's credential names is
 * refused and not stored: an operator posts taps of its own riders only.
 */
export async function storeTaps(
  db: Pick<DataSource, 'query'>,
  operatorId: string,
  taps: readonly IncomingTap[],
): Promise<Map<string, StoredTapStatus>> {
  const result = new Map<string, StoredTapStatus>();
  if (taps.length === 0) return result;
  const pseudonyms = [...new Set(taps.map((t) => t.pseudonym))];
  const creds = z
    .array(CredentialRow)
    .parse(
      await db.query(
        'SELECT pseudonym, operator_id, rider_id::text AS rider_id FROM transit_credentials WHERE pseudonym = ANY($1::text[])',
        [pseudonyms],
      ),
    );
  const own = new Map(creds.filter((c) => c.operator_id === operatorId).map((c) => [c.pseudonym, c.rider_id]));
  const foreign = new Set(creds.filter((c) => c.operator_id !== operatorId).map((c) => c.pseudonym));

  const rows: Array<IncomingTap & { riderId: string | null }> = [];
  const seen = new Set<string>();
  for (const t of taps) {
    if (!own.has(t.pseudonym) && foreign.has(t.pseudonym)) {
      result.set(t.tapId, 'foreign_pseudonym');
      continue;
    }
    // The same tap twice in one batch: the first copy is the one stored.
    if (seen.has(t.tapId)) continue;
    seen.add(t.tapId);
    rows.push({ ...t, riderId: own.get(t.pseudonym) ?? null });
  }
  const inserted = new Set(
    z
      .array(Inserted)
      .parse(
        await db.query(
          `INSERT INTO transit_taps (operator_id, tap_id, pseudonym, rider_id, stop_id, route_id, device_id, tap_type, gate_decision,
                                     transaction_at, service_day, status)
           SELECT $1, u.tap_id, u.pseudonym, u.rider_id, u.stop_id, u.route_id, u.device_id, u.tap_type, u.gate_decision,
                  to_timestamp(u.at_ms / 1000.0), u.service_day, CASE WHEN u.rider_id IS NULL THEN 'unresolved' ELSE 'pending' END
             FROM unnest($2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::bigint[], $11::text[])
               AS u(tap_id, pseudonym, rider_id, stop_id, route_id, device_id, tap_type, gate_decision, at_ms, service_day)
           ON CONFLICT (operator_id, tap_id) DO NOTHING
           RETURNING tap_id`,
          [
            operatorId,
            rows.map((r) => r.tapId),
            rows.map((r) => r.pseudonym),
            rows.map((r) => r.riderId),
            rows.map((r) => r.stopId ?? null),
            rows.map((r) => r.routeId ?? null),
            rows.map((r) => r.deviceId),
            rows.map((r) => r.tapType),
            rows.map((r) => r.gateDecision),
            rows.map((r) => r.transactionAt),
            rows.map((r) => r.serviceDay),
          ],
        ),
      )
      .map((r) => r.tap_id),
  );
  for (const t of taps) {
    if (result.has(t.tapId)) continue;
    result.set(t.tapId, !inserted.has(t.tapId) ? 'duplicate' : own.has(t.pseudonym) ? 'accepted' : 'unknown_rider');
  }
  return result;
}

/** A stored tap on its way to its rider-day workflow. */
export interface PendingTap {
  id: string;
  operatorId: string;
  riderRef: string;
  riderCategoryId: string;
  serviceDay: string;
  tap: RiderDayTap;
}

const TapRow = z.object({
  id: z.coerce.string(),
  operator_id: z.string(),
  tap_id: z.string(),
  stop_id: z.string().nullable(),
  route_id: z.string().nullable(),
  device_id: z.string(),
  tap_type: z.enum(['on', 'off', 'unknown']),
  gate_decision: z.enum(['allow', 'deny']),
  at_ms: z.coerce.number().int(),
  service_day: z.string(),
  rider_ref: z.string(),
  rider_category: z.string(),
});
type TapRow = z.infer<typeof TapRow>;

function toPending(r: TapRow): PendingTap {
  return {
    id: r.id,
    operatorId: r.operator_id,
    riderRef: r.rider_ref,
    riderCategoryId: r.rider_category,
    serviceDay: r.service_day,
    tap: {
      tapId: r.tap_id,
      at: r.at_ms,
      ...(r.stop_id !== null ? { stopId: r.stop_id } : {}),
      ...(r.route_id !== null ? { routeId: r.route_id } : {}),
      tapType: r.tap_type,
      gate: r.gate_decision,
      deviceId: r.device_id,
    },
  };
}

const TAP_COLUMNS = `t.id, t.operator_id, t.tap_id, t.stop_id, t.route_id, t.device_id, t.tap_type, t.gate_decision,
  (extract(epoch FROM t.transaction_at) * 1000)::bigint AS at_ms, t.service_day, r.rider_ref, r.rider_category`;

/**
 * Claims up to `limit` pending taps (`FOR UPDATE SKIP LOCKED`: several API processes each take other
 * rows), hands them to `forward`, and marks forwarded the row ids it returns, in the same
 * transaction. A process that dies mid-way releases its rows with its connection: they stay pending
 * and are forwarded again (the workflow ignores tap ids it has). Returns how many rows were claimed.
 */
/** `'*'` claims every operator's taps; a list only those operators' (an empty list claims nothing). */
export async function claimPendingTaps(
  db: DataSource,
  limit: number,
  forward: (taps: PendingTap[]) => Promise<string[]>,
  operators: readonly string[] | '*' = '*',
): Promise<number> {
  if (operators !== '*' && operators.length === 0) return 0;
  return db.transaction(async (tx) => {
    const rows = z.array(TapRow).parse(
      await tx.query(
        `SELECT ${TAP_COLUMNS}
           FROM transit_taps t JOIN transit_riders r ON r.id = t.rider_id
          WHERE t.status = 'pending' AND ($2::text[] IS NULL OR t.operator_id = ANY($2::text[]))
          ORDER BY t.id LIMIT $1
          FOR UPDATE OF t SKIP LOCKED`,
        [limit, operators === '*' ? null : operators],
      ),
    );
    if (rows.length === 0) return 0;
    const done = await forward(rows.map(toPending));
    if (done.length > 0)
      await tx.query(`UPDATE transit_taps SET status = 'forwarded', forwarded_at = now() WHERE id = ANY($1::bigint[])`, [done]);
    return rows.length;
  });
}

/** Unresolved taps whose pseudonym a credential of their operator now names become pending. */
export async function resolveLateRiders(db: Pick<DataSource, 'query'>): Promise<number> {
  const result: unknown = await db.query(
    `UPDATE transit_taps t SET rider_id = c.rider_id, status = 'pending'
       FROM transit_credentials c
      WHERE t.status = 'unresolved' AND c.operator_id = t.operator_id AND c.pseudonym = t.pseudonym
      RETURNING t.id`,
  );
  return updateResult(result).affected;
}

/** The taps of a rider-day that already reached a workflow run: a new run of that day starts from them. */
export async function forwardedTapsOfDay(
  db: Pick<DataSource, 'query'>,
  k: { operatorId: string; riderRef: string; serviceDay: string },
): Promise<RiderDayTap[]> {
  const rows = z.array(TapRow).parse(
    await db.query(
      `SELECT ${TAP_COLUMNS}
         FROM transit_taps t JOIN transit_riders r ON r.id = t.rider_id
        WHERE t.operator_id = $1 AND r.rider_ref = $2 AND t.service_day = $3 AND t.status = 'forwarded'
        ORDER BY t.id`,
      [k.operatorId, k.riderRef, k.serviceDay],
    ),
  );
  return rows.map((r) => toPending(r).tap);
}
