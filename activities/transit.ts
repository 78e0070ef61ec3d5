import type { DataSource } from 'typeorm';
import { countedByCap, readRiderDayView, upsertRiderDayView, type RiderDayKey } from '../db/queries/riderDayView';
import { effectiveFeedVersion, loadFeedModel } from '../db/repositories/transitFeeds';
import { forwardedTapsOfDay } from '../db/repositories/transitTaps';
import { weekStartOf, type FareModel } from '../domain/transit/fares';
import type { RiderDayTap, RiderDayView } from '../workflows/transit/riderDay/types';
import { withFailureMapping } from './failures';

export interface TransitActivityDeps {
  db: DataSource;
}

/** Stored feed versions never change, so a loaded model is kept by (operator, version); a few suffice. */
const MODEL_CACHE_SIZE = 32;

/**
 * The rider-day journey's steps: all reads of PostgreSQL or seq-guarded writes, so any of them may run
 * twice. The fare model is loaded from the operator's feed version that applies to the day.
 */
export function createTransitActivities(deps: TransitActivityDeps) {
  const models = new Map<string, Promise<FareModel>>();
  const modelOf = (operatorId: string, version: number): Promise<FareModel> => {
    const key = `${operatorId}/${version}`;
    let hit = models.get(key);
    if (!hit) {
      hit = loadFeedModel(deps.db, operatorId, version);
      hit.catch(() => models.delete(key));
      models.set(key, hit);
      if (models.size > MODEL_CACHE_SIZE) models.delete(models.keys().next().value ?? key);
    }
    return hit;
  };
  return withFailureMapping({
    /** Where a run of the day starts: the revision it publishes as, and the taps earlier runs already had. */
    async openRiderDay(k: RiderDayKey): Promise<{ revision: number; priorTaps: RiderDayTap[] }> {
      const stored = await readRiderDayView(deps.db, k);
      // Every run after the first counts up, also after a run that was terminated mid-day: its view's
      // seq is ahead of a new run's, and the seq guard compares (revision, seq).
      const revision = stored ? stored.view.revision + 1 : 1;
      return { revision, priorTaps: stored ? await forwardedTapsOfDay(deps.db, k) : [] };
    },
    /**
     * The fare model that prices the day (only when its version differs from the one the workflow
     * holds) and the week-to-date of each weekly cap from the rider's ended days of that week.
     */
    async riderDayPricing(
      k: RiderDayKey & { knownFeedVersion: number | null },
    ): Promise<{ feedVersion: number | null; model?: FareModel; weekToDate: Record<string, number> }> {
      const version = await effectiveFeedVersion(deps.db, k.operatorId, k.serviceDay);
      if (version === null) return { feedVersion: null, weekToDate: {} };
      const model = await modelOf(k.operatorId, version);
      const weekToDate: Record<string, number> = {};
      for (const cap of model.caps.filter((c) => c.period === 'week')) {
        const fromDay = weekStartOf(k.serviceDay, cap.weekStartDay);
        if (fromDay === k.serviceDay) continue;
        const counted = await countedByCap(deps.db, { ...k, fromDay, beforeDay: k.serviceDay });
        if (counted[cap.capId] !== undefined) weekToDate[cap.capId] = counted[cap.capId]!;
      }
      return { feedVersion: version, ...(version !== k.knownFeedVersion ? { model } : {}), weekToDate };
    },
    async publishRiderDayView(v: { view: RiderDayView; seq: number }): Promise<void> {
      await upsertRiderDayView(deps.db, v);
    },
  });
}
export type TransitActivities = ReturnType<typeof createTransitActivities>;
