import type { DataSource } from 'typeorm';
import { DomainError, ErrorCode } from '../domain/errors';
import { MllpHisGateway } from '../integrations/hospital/gateway';
import type { HisGateway } from '../integrations/hospital/gateway/types';

/** One MLLP gateway per hospital, from its row in `institutions` (host, port), opened on first use. */
export function hisGateways(db: DataSource, opts: { timeoutMs: number; connections?: number }) {
  const open = new Map<string, MllpHisGateway>();
  const get = async (institutionId: string): Promise<HisGateway> => {
    const cached = open.get(institutionId);
    if (cached) return cached;
    const rows: Array<{ mllp_host: string | null; mllp_port: number | null }> = await db.query(
      `SELECT mllp_host, mllp_port FROM institutions WHERE id = $1 AND kind = 'hospital'`,
      [institutionId],
    );
    const row = rows[0];
    if (!row?.mllp_host || !row.mllp_port) throw new DomainError(ErrorCode.NotFound, `hospital ${institutionId} has no MLLP endpoint`);
    const gateway = new MllpHisGateway({
      mllp: { host: row.mllp_host, port: row.mllp_port, timeoutMs: opts.timeoutMs },
      hospital: { facility: institutionId },
      connections: opts.connections ?? 2,
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
