import { randomUUID } from 'node:crypto';
import { workflowIds } from '../../domain/ids';
import type { CollectPaymentInput } from '../../workflows/payment/types';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { killed, spawnWorker } from '../helpers/workerProcess';

/**
 * A worker process is SIGKILLed while the payment order is being created at the platform, and a new
 * one takes over: the platform still sees one order, the user pays once, the ledger has one charge.
 */
let p: TestPlatform;
beforeAll(async () => {
  p = await startTestPlatform();
  await p.worker.shutdown(); // this file's journeys run only on the spawned worker processes
});
afterAll(async () => {
  await p?.stop();
});

it('leaves exactly one charge when the worker dies mid-payment and restarts', async () => {
  const ref = randomUUID().replace(/-/g, '').slice(0, 20);
  const input: CollectPaymentInput = {
    version: 1,
    outTradeNo: `K_${ref}`,
    journeyId: `crash/${ref}`,
    step: 'registration',
    institutionId: 'test-hospital',
    userRef: 'u_crash',
    amountMinor: 1500,
    currency: 'CNY',
    subject: 'Registration fee',
    deadlineMs: Date.now() + 120_000,
  };
  // The platform is slow to answer the order creation: the worker will be killed while it waits.
  p.payment.sim.faults.inject({ kind: 'delay', ms: 4_000, times: 1, method: 'alipay.trade.precreate' });
  const extra = { PUBLIC_BASE_URL: p.api.url };
  const first = spawnWorker(p.services.config, extra);
  await first.ready;
  const handle = await p.services.temporal.workflow.start('collectPayment', {
    taskQueue: p.services.config.TEMPORAL_TASK_QUEUE,
    workflowId: workflowIds.payment(input.outTradeNo),
    args: [input],
  });
  await waitFor(async () => (await p.services.db.query('SELECT 1 FROM payments WHERE out_trade_no = $1', [input.outTradeNo])).length > 0);
  first.kill('SIGKILL');
  await killed(first);

  const second = spawnWorker(p.services.config, extra);
  try {
    await second.ready;
    await waitFor(
      async () =>
        (await p.services.db.query('SELECT 1 FROM payments WHERE out_trade_no = $1 AND qr_code IS NOT NULL', [input.outTradeNo])).length >
        0,
      40_000,
    );
    p.payment.sim.buyer.scan(input.outTradeNo);
    p.payment.sim.buyer.pay(input.outTradeNo);
    expect(await handle.result()).toMatchObject({ status: 'paid', amountMinor: 1500 });
  } finally {
    second.kill('SIGTERM');
    await killed(second);
  }
  const ledger: Array<{ kind: string }> = await p.services.db.query('SELECT kind FROM ledger_entries WHERE out_trade_no = $1', [
    input.outTradeNo,
  ]);
  expect(ledger.filter((l) => l.kind === 'paid')).toHaveLength(1);
  const trades = p.payment.sim.trades.all().filter((t) => t.outTradeNo === input.outTradeNo);
  expect(trades).toHaveLength(1);
  expect(trades[0]?.state).toBe('TRADE_SUCCESS');
}, 90_000);

async function waitFor(check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('condition not met in time');
}
