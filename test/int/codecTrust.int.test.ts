import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { workflowIds } from '../../domain/ids';
import type { CollectPaymentInput } from '../../workflows/payment/types';
import { createTestPaymentInput } from '../helpers/factories';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/poll';

/**
 * The payload codec as a trust boundary, on the real stack (Temporal dev server, the real worker and
 * payment workflow, PostgreSQL, the payment simulator): a payload that was not encrypted with our key is
 * refused, and failure messages are stored encrypted like every other payload.
 */
let p: TestPlatform;
let raw: Client;

beforeAll(async () => {
  p = await startTestPlatform();
  // What anyone who can reach the Temporal frontend has: a client without Causeway's codec.
  raw = new Client({ connection: await Connection.connect({ address: process.env.TEMPORAL_ADDRESS ?? '' }), namespace: 'default' });
});
afterAll(async () => {
  await raw?.connection.close();
  await p?.stop();
});

const input = (amountMinor: number): CollectPaymentInput => createTestPaymentInput({ amountMinor, deadlineInMs: 30 * 60_000, prefix: 'T' });

async function rawHistory(workflowId: string): Promise<temporal.api.history.v1.IHistoryEvent[]> {
  const res = await p.services.temporal.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
  return res.history?.events ?? [];
}

/** A failure's message as the codec-holding side reads it: from the encrypted encodedAttributes. */
async function decodedMessage(failure: temporal.api.failure.v1.IFailure | null | undefined): Promise<string> {
  const attrs = failure?.encodedAttributes;
  if (!attrs) return failure?.message ?? '';
  const [plain] = await p.services.codec.decode([attrs]);
  const parsed: unknown = JSON.parse(Buffer.from(plain?.data ?? new Uint8Array()).toString('utf8'));
  return typeof parsed === 'object' && parsed !== null && 'message' in parsed ? String(parsed.message) : '';
}

describe('payload codec', () => {
  it('refuses a "paid" signal sent in the clear by a client without the codec: the payment stays unpaid', async () => {
    const i = input(4200);
    const workflowId = workflowIds.payment(i.outTradeNo);
    const handle = await p.services.temporal.workflow.start('collectPayment', {
      taskQueue: p.services.config.TEMPORAL_TASK_QUEUE,
      workflowId,
      args: [i],
    });
    try {
      await until('the order exists', async () => {
        const rows: unknown[] = await p.services.db.query('SELECT 1 FROM payments WHERE out_trade_no = $1 AND qr_code IS NOT NULL', [
          i.outTradeNo,
        ]);
        return rows.length > 0;
      });
      await raw.workflow
        .getHandle(workflowId)
        .signal('paymentNotified', { version: 1, tradeStatus: 'TRADE_SUCCESS', tradeNo: 'FORGED', amountMinor: 4200 });

      // The worker received the signal and refused it: the workflow task carrying it fails. (Had it acted
      // on the signal, the payment would be paid: that ends the wait too, and fails the expectation.)
      const refusal = await until('the worker to refuse or act on the plain signal', async () => {
        const paid: unknown[] = await p.services.db.query("SELECT 1 FROM payments WHERE out_trade_no = $1 AND status = 'paid'", [
          i.outTradeNo,
        ]);
        if (paid.length > 0) return 'the forged signal was acted on: payment marked paid';
        const events = await rawHistory(workflowId);
        const signalled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes);
        if (signalled < 0) return undefined;
        for (const e of events.slice(signalled)) {
          const failure = e.workflowTaskFailedEventAttributes?.failure;
          if (failure) return decodedMessage(failure);
        }
        return undefined;
      });
      expect(refusal).toContain('without Causeway encryption metadata');

      const rows: Array<{ status: string; trade_no: string | null }> = await p.services.db.query(
        'SELECT status, trade_no FROM payments WHERE out_trade_no = $1',
        [i.outTradeNo],
      );
      expect(rows).toEqual([{ status: 'created', trade_no: null }]);
      const paid: unknown[] = await p.services.db.query("SELECT 1 FROM ledger_entries WHERE out_trade_no = $1 AND kind = 'paid'", [
        i.outTradeNo,
      ]);
      expect(paid).toEqual([]);
    } finally {
      await handle.terminate('test over');
    }
  });

  it('stores failure messages and stack traces encrypted; the codec-holding client reads them back', async () => {
    const i = input(200);
    // An order of another amount under the same number: createPaymentOrder refuses it (non-retryable Conflict).
    await p.services.db.query(
      `INSERT INTO payments (out_trade_no, journey_id, step, institution_id, user_ref, amount_minor, currency, status)
       VALUES ($1, $2, $3, $4, $5, 100, 'CNY', 'created')`,
      [i.outTradeNo, i.journeyId, i.step, i.institutionId, i.userRef],
    );
    const workflowId = workflowIds.payment(i.outTradeNo);
    const handle = await p.services.temporal.workflow.start('collectPayment', {
      taskQueue: p.services.config.TEMPORAL_TASK_QUEUE,
      workflowId,
      args: [i],
    });
    const err: unknown = await handle.result().then(
      () => undefined,
      (e: unknown) => e,
    );
    // Through the client with the codec: the original message, as before.
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const activity = (err as WorkflowFailedError).cause;
    expect(activity).toBeInstanceOf(ActivityFailure);
    const cause = (activity as ActivityFailure).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause?.message).toBe(`payment ${i.outTradeNo} exists with another amount`);

    // As the server stores it: no message text, no stack trace, in any event.
    const events = await rawHistory(workflowId);
    const failed = events.find((e) => e.workflowExecutionFailedEventAttributes)?.workflowExecutionFailedEventAttributes?.failure;
    const activityFailed = events.find((e) => e.activityTaskFailedEventAttributes)?.activityTaskFailedEventAttributes?.failure;
    expect(failed?.message).toBe('Encoded failure');
    expect(failed?.cause?.message).toBe('Encoded failure');
    expect(activityFailed?.message).toBe('Encoded failure');
    expect(activityFailed?.stackTrace ?? '').toBe('');
    const stored = JSON.stringify(events, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('latin1') : v));
    expect(stored).not.toContain('exists with another amount');
    expect(stored).not.toMatch(/activities[/\\]payment/);
    expect(await decodedMessage(activityFailed)).toBe(`payment ${i.outTradeNo} exists with another amount`);
  });
});
