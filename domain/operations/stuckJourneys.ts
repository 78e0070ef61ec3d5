/**
 * When a journey has been in a live stage for longer than it should: the operator console's "stuck"
 * list. Each live stage has an expected time from when the journey entered it (its read model's last
 * change); a hospital booking waits for its appointment, so it is late only past the slot's start.
 * Times are generous on purpose: the list is for what no timer will move on its own.
 */
export type Vertical = 'hospital' | 'transit' | 'retail';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** The longest a journey should stay in each live stage (ms since the stage was entered). Ended stages are absent. */
export const EXPECTED_STAGE_MS: Record<Vertical, Readonly<Record<string, number>>> = {
  hospital: {
    // The hold is asked of the HIS at once; the fee is due within the hospital's hold minutes (30 by default).
    holding: 10 * MIN,
    awaiting_payment: 60 * MIN,
    // Measured from the slot's start, not from the booking: no check-in by then is a no-show within the grace.
    booked: 2 * HOUR,
    // Queues close at the end of the service day.
    queued: 16 * HOUR,
    called: 16 * HOUR,
  },
  transit: {
    // A day takes taps until it ends, plus the settlement delay.
    priced: 2 * DAY,
    awaiting_settlement: 6 * HOUR,
    // The default retry schedule's last attempt is 30 days after the first refusal.
    charge_retrying: 31 * DAY,
  },
  retail: {
    pricing: 10 * MIN,
    paying: 30 * MIN,
    // The refund window; merchants' windows are at most 30 days.
    paid: 31 * DAY,
  },
};

export interface JourneyAge {
  vertical: Vertical;
  stage: string;
  /** When the read model last changed: the stage was entered no later than this. */
  updatedAtMs: number;
  /** Hospital bookings: the appointment's start. */
  slotStartMs?: number | null;
}

export interface StageDeadline {
  stage: string;
  /** What the expected time counts from: the last change of the journey's view, or a booking's slot start. */
  from: 'stage_entered' | 'slot_start';
  /** A journey is late when that moment is before this (ms). */
  lateIfBefore: number;
}

/** Per live stage of a vertical, the moment before which a journey in it is late at `nowMs` (what the list's query asks for). */
export function stageDeadlines(vertical: Vertical, nowMs: number): StageDeadline[] {
  return Object.entries(EXPECTED_STAGE_MS[vertical]).map(([stage, ms]) => ({
    stage,
    from: vertical === 'hospital' && stage === 'booked' ? 'slot_start' : 'stage_entered',
    lateIfBefore: nowMs - ms,
  }));
}

/** When the journey should have left its stage, or null for an ended stage. */
export function expectedBy(j: JourneyAge): number | null {
  const limit = EXPECTED_STAGE_MS[j.vertical][j.stage];
  if (limit === undefined) return null;
  const from = j.vertical === 'hospital' && j.stage === 'booked' && typeof j.slotStartMs === 'number' ? j.slotStartMs : j.updatedAtMs;
  return from + limit;
}

/** How long past its expected time the journey is at `nowMs` (ms), or null when it is not late. */
export function overdueMs(j: JourneyAge, nowMs: number): number | null {
  const by = expectedBy(j);
  return by !== null && nowMs > by ? nowMs - by : null;
}
