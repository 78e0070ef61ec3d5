import { DomainError, ErrorCode } from '../errors';
import {
  DEFAULT_QUEUE_ETA_CONFIG,
  estimateWaitMinutes,
  initialStats,
  isTurnNear,
  msUntilNearByEta,
  observeConsultation,
  type ConsultationStats,
  type QueueEtaConfig,
} from './queueEta';

/**
 * A doctor's queue for one session as plain data plus the rules that move it. The queue workflow
 * holds one of these and carries its state across continue-as-new; nothing here does I/O or reads
 * a clock, so every rule is unit-tested directly. Patients appear only as opaque booking refs.
 * Plain types only: workflow code runs this, and zod would be evaluated in every workflow run; the
 * queue workflow checks its input by hand (`workflows/hospital/queue/validate.ts`).
 */
/** An opaque booking reference ([A-Za-z0-9_-]{1,64}). */
export type BookingRef = string;
export const BOOKING_REF_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface QueueConfig extends QueueEtaConfig {
  /** A skipped patient who comes back is seated behind this many of those waiting (fewer if fewer wait). */
  returnAfter: number;
}

export const DEFAULT_QUEUE_CONFIG: QueueConfig = { ...DEFAULT_QUEUE_ETA_CONFIG, returnAfter: 2 };

export interface WaitingEntry {
  ref: BookingRef;
  arrivedAtMs: number;
  /** Came back after being skipped; later returners queue behind earlier ones. */
  returned: boolean;
  /** "Your turn is near" already sent, so it is sent once. */
  nearNotified: boolean;
}

export interface QueueState {
  waiting: WaitingEntry[];
  skipped: Array<{ ref: BookingRef; skippedAtMs: number }>;
  current: { ref: BookingRef; calledAtMs: number } | null;
  /** Refs that are done, so a late or repeated join cannot put them back in line. */
  closed: Record<string, 'served' | 'left'>;
  stats: ConsultationStats;
  /** The last callNext, so that a repeated call (double click, client retry) calls nobody new. */
  lastCall: { callId: string; ref: BookingRef | null; calledAtMs: number } | null;
}

export type QueuePosition =
  | { status: 'waiting'; position: number; etaMinutes: number; near: boolean }
  | { status: 'called'; calledAtMs: number }
  | { status: 'skipped' | 'served' | 'left' | 'unknown' };

export interface JoinResult {
  /** True when the ref was already known: nothing changed. */
  duplicate: boolean;
  position: QueuePosition;
}

export interface CallNextResult {
  /** The patient now called, or null when nobody is waiting. */
  bookingRef: string | null;
  calledAtMs: number;
  /** The consultation this call ended, whose length was observed for the ETA. */
  finishedRef: string | null;
  waiting: number;
  /** True when this answers a repeated callId: nobody new was called. */
  repeated: boolean;
}

export type QueueNotice =
  | { kind: 'turnNear'; bookingRef: string; position: number; etaMinutes: number }
  | { kind: 'called'; bookingRef: string; calledAtMs: number };

export interface QueueSummary {
  current: string | null;
  waiting: string[];
  skipped: string[];
  served: number;
  left: number;
  avgConsultationMinutes: number;
  observedConsultations: number;
}

export function emptyQueueState(config: QueueConfig): QueueState {
  return { waiting: [], skipped: [], current: null, closed: {}, stats: initialStats(config), lastCall: null };
}

export class DoctorQueue {
  readonly state: QueueState;

  constructor(
    readonly config: QueueConfig,
    state?: QueueState,
  ) {
    this.state = state ?? emptyQueueState(config);
  }

  /** Throws when a join must be refused (a cancelled booking cannot queue again). */
  assertCanJoin(ref: string): void {
    if (this.state.closed[ref] === 'left')
      throw new DomainError(ErrorCode.InvalidState, 'booking left this queue and cannot rejoin', { bookingRef: ref });
  }

  join(ref: BookingRef, arrivedAtMs: number, nowMs: number): JoinResult {
    this.assertCanJoin(ref);
    const known = this.positionOf(ref, nowMs);
    if (known.status !== 'unknown') return { duplicate: true, position: known };
    const w = this.state.waiting;
    // In arrival order (check-in reports can arrive late), but never ahead of a returner or of
    // someone already told their turn is near.
    let at = w.length;
    while (at > 0) {
      const prev = w[at - 1];
      if (!prev || prev.arrivedAtMs <= arrivedAtMs || prev.nearNotified || prev.returned) break;
      at--;
    }
    w.splice(at, 0, { ref, arrivedAtMs, returned: false, nearNotified: false });
    return { duplicate: false, position: this.positionOf(ref, nowMs) };
  }

  /**
   * Ends the consultation in progress (observing its length) and calls the next patient, or `ref`
   * when the caller names who was called (the HIS calls a patient of its own choosing: ADT^A08).
   * A named patient who is already called, served or gone calls nobody new, so a redelivered
   * call changes nothing even when its call id is no longer the last one.
   */
  callNext(nowMs: number, callId?: string, ref?: BookingRef): CallNextResult {
    const s = this.state;
    if (callId !== undefined && s.lastCall?.callId === callId) {
      return {
        bookingRef: s.lastCall.ref,
        calledAtMs: s.lastCall.calledAtMs,
        finishedRef: null,
        waiting: s.waiting.length,
        repeated: true,
      };
    }
    if (ref !== undefined && (s.current?.ref === ref || s.closed[ref] !== undefined)) {
      const calledAtMs = s.current?.ref === ref ? s.current.calledAtMs : nowMs;
      return { bookingRef: s.current?.ref === ref ? ref : null, calledAtMs, finishedRef: null, waiting: s.waiting.length, repeated: true };
    }
    let finishedRef: string | null = null;
    if (s.current) {
      finishedRef = s.current.ref;
      s.closed[finishedRef] = 'served';
      s.stats = observeConsultation(s.stats, nowMs - s.current.calledAtMs, this.config);
      s.current = null;
    }
    let next: BookingRef | undefined;
    if (ref === undefined) next = s.waiting.shift()?.ref;
    else {
      // Named: taken out of wherever it is (waiting, set aside), or called before its join arrived.
      s.waiting = s.waiting.filter((e) => e.ref !== ref);
      s.skipped = s.skipped.filter((e) => e.ref !== ref);
      next = ref;
    }
    if (next !== undefined) s.current = { ref: next, calledAtMs: nowMs };
    if (callId !== undefined) s.lastCall = { callId, ref: next ?? null, calledAtMs: nowMs };
    return { bookingRef: next ?? null, calledAtMs: nowMs, finishedRef, waiting: s.waiting.length, repeated: false };
  }

  /** The called patient is not there: set aside, and no consultation length is observed. */
  skip(ref: string, nowMs: number): boolean {
    const s = this.state;
    if (s.current?.ref !== ref) return false;
    s.skipped.push({ ref, skippedAtMs: nowMs });
    s.current = null;
    return true;
  }

  /** A skipped patient is back: seated behind the next `returnAfter` patients and earlier returners. */
  returnSkipped(ref: string, nowMs: number): boolean {
    const s = this.state;
    const i = s.skipped.findIndex((e) => e.ref === ref);
    if (i < 0) return false;
    s.skipped.splice(i, 1);
    let at = Math.min(this.config.returnAfter, s.waiting.length);
    while (s.waiting[at]?.returned) at++;
    s.waiting.splice(at, 0, { ref, arrivedAtMs: nowMs, returned: true, nearNotified: false });
    return true;
  }

  /** The booking was cancelled: out of every list, and it stays out (even if its join arrives later). */
  leave(ref: string): boolean {
    const s = this.state;
    if (s.closed[ref]) return false;
    s.waiting = s.waiting.filter((e) => e.ref !== ref);
    s.skipped = s.skipped.filter((e) => e.ref !== ref);
    if (s.current?.ref === ref) s.current = null;
    s.closed[ref] = 'left';
    return true;
  }

  etaMinutes(position: number, nowMs: number): number {
    return estimateWaitMinutes({
      position,
      avgMs: this.state.stats.avgMs,
      currentStartedAtMs: this.state.current?.calledAtMs ?? null,
      nowMs,
    });
  }

  positionOf(ref: string, nowMs: number): QueuePosition {
    const s = this.state;
    if (s.current?.ref === ref) return { status: 'called', calledAtMs: s.current.calledAtMs };
    const i = s.waiting.findIndex((e) => e.ref === ref);
    if (i >= 0) {
      const position = i + 1;
      const etaMinutes = this.etaMinutes(position, nowMs);
      return { status: 'waiting', position, etaMinutes, near: isTurnNear({ position, etaMinutes }, this.config) };
    }
    if (s.skipped.some((e) => e.ref === ref)) return { status: 'skipped' };
    return { status: s.closed[ref] ?? 'unknown' };
  }

  /** "Your turn is near" notices not yet sent; marks them sent. */
  dueNotices(nowMs: number): QueueNotice[] {
    const notices: QueueNotice[] = [];
    for (const [i, entry] of this.state.waiting.entries()) {
      const position = i + 1;
      const etaMinutes = this.etaMinutes(position, nowMs);
      // Position and ETA only grow towards the back, so the first patient not near ends the scan.
      if (!isTurnNear({ position, etaMinutes }, this.config)) break;
      if (entry.nearNotified) continue;
      entry.nearNotified = true;
      notices.push({ kind: 'turnNear', bookingRef: entry.ref, position, etaMinutes });
    }
    return notices;
  }

  /** When the next "near" notice falls due with no event (the consultation in progress running on). */
  msUntilNextNotice(nowMs: number): number | undefined {
    const s = this.state;
    const i = s.waiting.findIndex((e) => !e.nearNotified);
    if (i < 0) return undefined;
    return msUntilNearByEta(
      { position: i + 1, avgMs: s.stats.avgMs, currentStartedAtMs: s.current?.calledAtMs ?? null, nowMs },
      this.config,
    );
  }

  summary(): QueueSummary {
    const s = this.state;
    const closed = Object.values(s.closed);
    return {
      current: s.current?.ref ?? null,
      waiting: s.waiting.map((e) => e.ref),
      skipped: s.skipped.map((e) => e.ref),
      served: closed.filter((c) => c === 'served').length,
      left: closed.filter((c) => c === 'left').length,
      avgConsultationMinutes: Math.round(s.stats.avgMs / 6_000) / 10,
      observedConsultations: s.stats.samples,
    };
  }
}
