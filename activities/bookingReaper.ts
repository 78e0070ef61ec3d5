import { heartbeat } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { DataSource } from 'typeorm';
import { createSlotRepository } from '../db/repositories/slots';
import { createVisitRepository } from '../db/repositories/visits';
import { withFailureMapping } from './failures';

export interface ReapInput {
  /** Only bookings older than this are looked at: younger ones may still be starting. */
  graceSeconds: number;
  /** Bookings per run; the next run takes the rest. */
  limit?: number;
}

export interface ReapResult {
  /** Visit rows without a running workflow, released and marked abandoned. */
  abandoned: number;
  /** Holds without any visit row, released. */
  releasedHolds: number;
}

/**
 * The recovery side of booking across two stores (PostgreSQL, Temporal): a booking request that
 * died between holding the slot and starting the visit workflow leaves a hold and maybe a row.
 * A retry with the same Idempotency-Key finishes the job; this releases what nobody retried.
 */
export function createBookingReaperActivities(deps: { db: DataSource; temporal: Client }) {
  const slots = createSlotRepository(deps.db);
  const visits = createVisitRepository(deps.db);
  const running = async (workflowId: string): Promise<boolean> => {
    try {
      const d = await deps.temporal.workflow.getHandle(workflowId).describe();
      return d.status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  };
  return withFailureMapping({
    async reapOrphanBookings(input: ReapInput): Promise<ReapResult> {
      const limit = input.limit ?? 200;
      let abandoned = 0;
      for (const v of await visits.holdingSince(input.graceSeconds, limit)) {
        heartbeat();
        if (await running(v.workflow_id)) continue;
        // Row first: a workflow started meanwhile moves the stage on and keeps its slot.
        if (!(await visits.markAbandoned(v.booking_ref))) continue;
        if (await running(v.workflow_id)) continue; // started between the two looks: the workflow owns the hold
        await slots.releaseSlot(v.slot_id, v.booking_ref);
        abandoned++;
      }
      const releasedHolds = await slots.releaseUnrecordedHolds(input.graceSeconds, limit);
      return { abandoned, releasedHolds };
    },
  });
}
export type BookingReaperActivities = ReturnType<typeof createBookingReaperActivities>;
