import type { DataSource } from 'typeorm';
import { z } from 'zod';
import { DomainError, ErrorCode } from '../domain/errors';
import { MllpHisGateway } from '../integrations/hospital/gateway';
import type { HisGateway } from '../integrations/hospital/gateway/types';

/**
 * What `institutions.settings` says about the link to a hospital's HIS. `mllpConnections`: how many
 * MLLP connections each worker opens to it (MLLP carries one message at a time per connection).
 * Many HIS interfaces accept only one, so 1 is the default, and a value that does not parse falls
 * back to it rather than failing every HIS step of the hospital's visits.
 */
export const HisLinkSettings = z
  .object({ mllpConnections: z.number().int().min(1).max(16).catch(1).default(1) })
  .loose()
  .catch({ mllpConnections: 1 });
export type HisLinkSettings = z.infer<typeof HisLinkSettings>;

/** One MLLP gateway per hospital, from its row in `institutions` (host, port, settings), opened on first use. */
export function hisGateways(db: DataSource, opts: { timeoutMs: number }) {
  const open = new Map<string, MllpHisGateway>();
  const get = async (institutionId: string): Promise<HisGateway> => {
    const cached = open.get(institutionId);
    if (cached) return cached;
    const rows: Array<{ mllp_host: string | null; mllp_port: number | null; settings: unknown }> = await db.query(
      `SELECT mllp_host, mllp_port, settings FROM institutions WHERE id = $1 AND kind = 'hospital'`,
      [institutionId],
    );
    const row = rows[0];
    if (!row?.mllp_host || !row.mllp_port) throw new DomainError(ErrorCode.NotFound, `hospital ${institutionId} has no MLLP endpoint`);
    // Another activity may have opened it during the read: a second gateway would exceed the connection count.
    const raced = open.get(institutionId);
    if (raced) return raced;
    const gateway = new MllpHisGateway({
      mllp: { host: row.mllp_host, port: row.mllp_port, timeoutMs: opts.timeoutMs },
      hospital: { facility: institutionId },
      connections: HisLinkSettings.parse(row.settings ?? {}).mllpConnections,
    });
    open.set(institutionId, gateway);
    return gateway;
  };
  return {
    get,
    close: async () => {
      for (const g of open.values()) await g.close();
      open.clear();
    },
  };
}
