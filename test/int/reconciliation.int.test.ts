import { randomUUID } from 'node:crypto';
import { previousDay } from '../../domain/reconciliation';
import { recordHistory } from '../helpers/histories';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/poll';

/** The daily reconciliation on the real stack, with the payment platform slow to hand out its bill. */
let p: TestPlatform;

beforeAll(async () => {
  p = await startTestPlatform();
});
afterAll(async () => {
  await p?.stop();
});

describe('daily reconciliation', () => {
  it('heartbeats while the bill is slow to come (a lost worker is noticed in 30 s, not 5 minutes) and reports the day', async () => {
    p.payment.sim.faults.inject({ kind: 'delay', ms: 4_000, method: 'alipay.data.dataservice.bill.downloadurl.query' });
    const date = previousDay(Date.now());
    const handle = await p.services.temporal.workflow.start('dailyReconciliation', {
      taskQueue: p.services.config.TEMPORAL_TASK_QUEUE,
      workflowId: `reconciliation/test-${randomUUID()}`,
      args: [{ version: 1, date }],
    });
    const beating = await until(
      'the reconciliation activity to heartbeat',
      async () => {
        const pending = (await handle.describe()).raw.pendingActivities?.[0];
        return pending?.lastHeartbeatTime ? pending : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(beating.activityType?.name).toBe('reconcileDay');
    expect(await handle.result()).toEqual({ date, mismatches: expect.any(Number) });

    const scheduled = (await handle.fetchHistory()).events?.find(
      (e) => e.activityTaskScheduledEventAttributes,
    )?.activityTaskScheduledEventAttributes;
    expect(Number(scheduled?.heartbeatTimeout?.seconds ?? 0)).toBe(30);
    const [report] = await p.services.db.query('SELECT bill_date::text AS d FROM reconciliation_reports WHERE bill_date = $1', [date]);
    expect(report).toEqual({ d: date });
    await recordHistory(handle, 'reported');
  });
});
