import { InstitutionHttpClient } from '../../../clients/institution/signedHttp';
import type { GateTap } from './gate';

/** What can go wrong between the gates and Causeway, as operators' AFC systems really behave. */
export interface AfcFaults {
  /** Every tap is sent twice (a retried upload whose first answer was lost). */
  duplicate?: boolean;
  /** Each upload sends its taps in reverse order. */
  reorder?: boolean;
  /** Tap-offs are lost (a gate left open, a validator that missed the exit). */
  dropTapOffs?: boolean;
}

export interface UploadReport {
  sent: number;
  status: number;
  counts: { accepted: number; duplicate: number; unknownRider: number; rejected: number } | null;
}

export interface AfcOptions {
  baseUrl: string;
  operatorId: string;
  secret: string;
  /** Taps per request; Causeway refuses batches over its configured limit. */
  batchSize?: number;
}

/**
 * The operator's fare collection back office: it gathers taps from its gates and posts them to
 * Causeway in signed batches. While "offline" it keeps them (as gates do for hours) and uploads
 * them all later; a failed upload keeps its taps for the next one. Faults make it behave like the
 * systems Causeway must tolerate: duplicates, reordering, lost tap-offs.
 */
export class AfcSimulator {
  private readonly pending: GateTap[] = [];
  private readonly http: InstitutionHttpClient;
  online = true;
  faults: AfcFaults = {};

  constructor(private readonly opts: AfcOptions) {
    this.http = new InstitutionHttpClient({ baseUrl: opts.baseUrl, institutionId: opts.operatorId, secret: opts.secret });
  }

  /** A gate hands over a tap (null when its code named nobody). */
  collect(tap: GateTap | null): void {
    if (!tap) return;
    if (this.faults.dropTapOffs && tap.tapType === 'off') return;
    this.pending.push(tap);
    if (this.faults.duplicate) this.pending.push({ ...tap });
  }

  get backlog(): number {
    return this.pending.length;
  }

  /** Uploads everything kept, batch by batch; nothing while offline. Stops at the first refused batch. */
  async upload(): Promise<UploadReport[]> {
    const reports: UploadReport[] = [];
    const size = this.opts.batchSize ?? 500;
    while (this.online && this.pending.length > 0) {
      const batch = this.pending.slice(0, size);
      const taps = this.faults.reorder ? [...batch].reverse() : batch;
      let res;
      try {
        res = await this.http.post<{ counts?: UploadReport['counts'] }>(`/v1/institutions/${this.opts.operatorId}/transit/taps`, { taps });
      } catch {
        reports.push({ sent: taps.length, status: 0, counts: null });
        break;
      }
      reports.push({ sent: taps.length, status: res.status, counts: res.body?.counts ?? null });
      if (res.status !== 200) break;
      this.pending.splice(0, batch.length);
    }
    return reports;
  }
}
