import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

const STARTED = temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED;

/** `worker` is the identity of the worker running it (`<pid>@<host>` by default); `startedMs` when this attempt was picked up. */
export interface InFlight {
  workflowId: string;
  activity: string;
  attempt: number;
  worker: string;
  startedMs: number;
}

/** Activities a worker is executing right now (picked up, not finished) in these workflows. */
export async function activitiesInFlight(client: Client, workflowIds: string[]): Promise<InFlight[]> {
  const described = await Promise.all(
    workflowIds.map((workflowId) =>
      client.workflow
        .getHandle(workflowId)
        .describe()
        .then(
          (d) => ({ workflowId, d }),
          () => undefined,
        ),
    ),
  );
  const out: InFlight[] = [];
  for (const one of described) {
    if (!one) continue; // not started yet
    for (const a of one.d.raw.pendingActivities ?? []) {
      if (a.state !== STARTED) continue;
      out.push({
        workflowId: one.workflowId,
        activity: a.activityType?.name ?? '?',
        attempt: a.attempt ?? 1,
        worker: a.lastWorkerIdentity ?? '',
        startedMs: a.lastStartedTime?.seconds
          ? Number(a.lastStartedTime.seconds) * 1000 + Math.floor((a.lastStartedTime.nanos ?? 0) / 1e6)
          : 0,
      });
    }
  }
  return out;
}

/** Activities whose history shows they ran more than once (a retry: the first attempt failed or timed out). */
export async function retriedActivities(
  client: Client,
  workflowIds: string[],
): Promise<Array<{ workflowId: string; activity: string; attempt: number; failure?: string }>> {
  const out: Array<{ workflowId: string; activity: string; attempt: number; failure?: string }> = [];
  for (const workflowId of workflowIds) {
    let history;
    try {
      history = await client.workflow.getHandle(workflowId).fetchHistory();
    } catch {
      continue;
    }
    const scheduled = new Map<string, string>();
    for (const e of history.events ?? []) {
      const s = e.activityTaskScheduledEventAttributes;
      if (s && e.eventId) scheduled.set(e.eventId.toString(), s.activityType?.name ?? '?');
      const st = e.activityTaskStartedEventAttributes;
      if (st && (st.attempt ?? 1) > 1) {
        out.push({
          workflowId,
          activity: scheduled.get(st.scheduledEventId?.toString() ?? '') ?? '?',
          attempt: st.attempt ?? 1,
          ...(st.lastFailure?.message ? { failure: st.lastFailure.message } : {}),
        });
      }
    }
  }
  return out;
}

/** Workflow ids of the visits and payments of these institutions, from PostgreSQL. */
export async function journeyWorkflowIds(
  db: { query(sql: string, params: unknown[]): Promise<unknown> },
  institutionIds: string[],
): Promise<string[]> {
  const visits = (await db.query('SELECT workflow_id FROM visits WHERE institution_id = ANY($1)', [institutionIds])) as Array<{
    workflow_id: string;
  }>;
  const payments = (await db.query('SELECT out_trade_no FROM payments WHERE institution_id = ANY($1)', [institutionIds])) as Array<{
    out_trade_no: string;
  }>;
  return [...visits.map((v) => v.workflow_id), ...payments.map((p) => `payment/${p.out_trade_no}`)];
}

/** The pending activity of this type in a workflow, if any: how many attempts so far and why the last failed. */
export async function pendingActivity(
  client: Client,
  workflowId: string,
  activity: string,
): Promise<{ attempt: number; lastFailure: string | undefined } | undefined> {
  const d = await client.workflow.getHandle(workflowId).describe();
  const a = (d.raw.pendingActivities ?? []).find((x) => x.activityType?.name === activity);
  return a ? { attempt: a.attempt ?? 1, lastFailure: a.lastFailure?.message ?? undefined } : undefined;
}
