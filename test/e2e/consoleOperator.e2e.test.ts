import type { Browser, BrowserContext, Page } from 'playwright-core';
import { saveConsoleAccount } from '../../db/repositories/consoleAccounts';
import { consoleContext, launchChromium, readTable, screenshot, signIn } from '../helpers/consoleBrowser';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { until } from '../helpers/poll';
import { createTestMerchant } from '../helpers/retailFactories';

/**
 * The console's operator pages in Debian's Chromium: journeys by vertical and stage linked to the
 * Temporal Web UI, stuck journeys, failed inbox messages replayed through the operator route's own code
 * path, reconciliation mismatches, the transit deny list and campaign budgets.
 */
let p: TestPlatform;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let problems: string[];
let base: string;
let merchant: string;
let operatorAccount: string;
let inboxId: string;
const tag = Date.now().toString(36);
const PASSWORD = 'operators need long passwords';
const orderRef = `STUCK-${tag}`;
const bookingRef = `BK${tag.toUpperCase()}`;
const riderRef = `rider-${tag}`;
const billDate = new Date(Date.UTC(2001, 0, 1) + (Date.now() % 5000) * 86_400_000).toISOString().slice(0, 10);

beforeAll(async () => {
  p = await startTestPlatform();
  // Loopback by address: Chromium treats it as a secure context too, so the Secure cookie is kept.
  base = p.api.url;
  const db = p.services.db;
  merchant = await createTestMerchant(db, p.services.pii);
  const transit = `t${tag}`;
  await db.query(
    `INSERT INTO institutions (id, kind, name, time_zone, hmac_secret_enc) VALUES ($1, 'transit', 'Test metro', 'Asia/Shanghai', $2)`,
    [transit, p.services.pii.encrypt('t')],
  );
  // Journeys left behind: an order paying for two hours, a rider-day still riding after three days, a booking whose slot began 3 h ago.
  await db.query(
    `INSERT INTO retail_order_views (merchant_id, order_ref, user_id, request_hash, stage, seq, view, updated_at)
     VALUES ($1, $2, NULL, 'h', 'paying', 1, '{}', now() - interval '2 hours')`,
    [merchant, orderRef],
  );
  await db.query(
    `INSERT INTO rider_day_views (operator_id, rider_ref, service_day, stage, revision, seq, view, updated_at)
     VALUES ($1, $2, '2026-01-02', 'priced', 1, 1, '{}', now() - interval '3 days')`,
    [transit, riderRef],
  );
  await db.query(
    `INSERT INTO visit_views (booking_ref, institution_id, stage, status, seq, updated_at) VALUES ($1, 'h-console', 'booked', $2, 1, now())`,
    [bookingRef, JSON.stringify({ slotStartMs: Date.now() - 3 * 3_600_000 })],
  );
  const inbox: Array<{ id: string }> = await db.query(
    `INSERT INTO inbox_messages (channel, sender, message_id, message_type, correlation, body_enc, status, error, attempts)
     VALUES ('hl7', 'HIS^h-console', $1, 'SIU^S12', $2, $3, 'failed', 'parse: not HL7', 1) RETURNING id::text`,
    [`CTRL-${tag}`, bookingRef, p.services.pii.encrypt('this is not an HL7 message')],
  );
  inboxId = inbox[0]!.id;
  await db.query(`INSERT INTO reconciliation_reports (bill_date, mismatches, ledger_count, bill_count) VALUES ($1, $2, 3, 2)`, [
    billDate,
    JSON.stringify([{ kind: 'missing_in_bill', line: { outTradeNo: `OTN_${tag}`, kind: 'payment', ref: '', amountMinor: 2500 } }]),
  ]);
  await db.query(
    `INSERT INTO transit_deny_list_changes (operator_id, version, pseudonym, action, rider_ref) VALUES ($1, 1, $2, 'add', $3)`,
    [transit, `pseudo${tag}abcdef`, riderRef],
  );
  await db.query(
    `INSERT INTO transit_debts (operator_id, rider_ref, service_day, amount_minor, currency, reason, status) VALUES ($1, $2, '2026-01-01', 2400, 'CNY', 'charge_refused', 'open')`,
    [transit, riderRef],
  );
  await db.query(
    `INSERT INTO retail_campaigns (id, funder_id, name, kind, value, merchant_ids, below_minimum, valid_from, valid_until, time_zone,
       budget_money_minor, budget_count, per_user_limit, status, issued_count, reserved_minor, committed_minor)
     VALUES (gen_random_uuid(), $1, $2, 'fixed', 500, ARRAY[$1], 'keep', now(), now() + interval '30 days', 'Asia/Shanghai',
       100000, 100, 1, 'active', 10, 1000, 4000)`,
    [merchant, `Console campaign ${tag}`],
  );
  operatorAccount = (await saveConsoleAccount(db, { login: `ops.${tag}`, password: PASSWORD, role: 'operator', institutionId: null })).id;
  browser = await launchChromium();
  ({ context, problems } = await consoleContext(browser));
  page = await context.newPage();
  await signIn(page, base, `ops.${tag}`, PASSWORD);
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await p?.stop();
});

it('lists journeys by vertical and stage, each linked to its workflow in the Temporal Web UI', async () => {
  expect(new URL(page.url()).pathname).toBe('/console/ops/journeys');
  // Other test files share the database and move orders along: poll until the page and a count agree.
  await until('the page’s count to equal the read model’s', async () => {
    await page.reload();
    const counts = await readTable(page, 'journeys-by-stage');
    const paying = counts.rows.find((r) => r.label === 'retail' && r.cells[0] === 'paying');
    const inDb: Array<{ n: string }> = await p.services.db.query(`SELECT count(*) AS n FROM retail_order_views WHERE stage = 'paying'`);
    return paying?.cells[1] === inDb[0]!.n;
  });
  await screenshot(page, 'ops-journeys');
  await page.locator('table#journeys-by-stage a[href$="vertical=retail&stage=paying"]').click();
  const workflowId = `retail-order/${merchant}/${orderRef}`;
  const link = page.locator('table#journeys-at-stage a', { hasText: workflowId });
  expect(await link.getAttribute('href')).toBe(
    `${p.services.config.TEMPORAL_UI_URL}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`,
  );
  await screenshot(page, 'ops-journeys-at-stage');
});

it('lists journeys stuck past their stage’s expected time', async () => {
  await page.getByRole('link', { name: 'Stuck journeys' }).click();
  const stuck = await readTable(page, 'stuck-journeys');
  const refs = stuck.rows.map((r) => r.cells[1]);
  expect(refs).toEqual(expect.arrayContaining([orderRef, `${riderRef} 2026-01-02`, bookingRef]));
  const order = stuck.rows.find((r) => r.cells[1] === orderRef)!;
  expect(order.cells[4]).toBe('90 min'); // two hours in `paying`, expected within 30 minutes
  await screenshot(page, 'ops-stuck');
});

it('replays a failed inbox message through the operator route’s code path, audited, and refuses a replay without the CSRF token', async () => {
  await page.getByRole('link', { name: 'Failed inbox messages' }).click();
  // Other test files leave failed messages too: the page after the one before ours starts with ours.
  await page.goto(`${base}/console/ops/inbox?after=${BigInt(inboxId) - 1n}`);
  const token = await page.locator('form[action="/console/logout"] input[name="_csrf"]').getAttribute('value');
  const forged = await page.request.post(`${base}/console/ops/inbox/${inboxId}/replay`, {
    form: {},
    headers: { origin: base },
    maxRedirects: 0,
  });
  expect(forged.status()).toBe(403);
  const elsewhere = await page.request.post(`${base}/console/ops/inbox/${inboxId}/replay`, {
    form: { _csrf: token! },
    headers: { origin: 'http://evil.example' },
    maxRedirects: 0,
  });
  expect(elsewhere.status()).toBe(403);
  const audits = async (): Promise<Array<{ actor: string; details: { outcome: string; status?: string } }>> =>
    p.services.db.query(`SELECT actor, details FROM audit_log WHERE action = 'inbox.replay' AND subject = $1`, [`inbox:${inboxId}`]);
  expect(await audits()).toEqual([]);
  await screenshot(page, 'ops-inbox');
  await page.getByRole('button', { name: `Replay message ${inboxId}` }).click();
  await page.waitForURL(/replayed=/);
  // The body still does not parse: the replay runs, the message stays failed, and the audit names the console account.
  expect(await page.getByRole('status').innerText()).toBe(`Message ${inboxId} replayed: failed.`);
  const row: Array<{ status: string; attempts: number }> = await p.services.db.query(
    'SELECT status, attempts FROM inbox_messages WHERE id = $1',
    [inboxId],
  );
  expect(row[0]?.status).toBe('failed');
  expect(await audits()).toEqual([
    { actor: `operator:console:${operatorAccount}`, details: { outcome: 'ok', status: 'failed', attempts: row[0]!.attempts } },
  ]);
  await screenshot(page, 'ops-inbox-replayed');
});

it('shows reconciliation mismatches, the transit deny list and campaign budgets', async () => {
  await page.getByRole('link', { name: 'Reconciliation mismatches' }).click();
  const mismatches = await readTable(page, 'reconciliation-mismatches');
  expect(mismatches.rows.find((r) => r.label === billDate)?.cells.slice(0, 5)).toEqual([
    'missing_in_bill',
    `OTN_${tag}`,
    'payment',
    '',
    '25.00 CNY',
  ]);
  await screenshot(page, 'ops-reconciliation');

  await page.getByRole('link', { name: 'Transit deny list' }).click();
  const denied = await readTable(page, 'deny-list');
  expect(denied.rows.find((r) => r.cells[1] === riderRef)?.cells).toEqual([
    `pseudo${tag}`.slice(0, 8) + '…',
    riderRef,
    '1',
    expect.stringMatching(/UTC$/),
    '24.00 CNY',
  ]);
  await screenshot(page, 'ops-deny-list');

  await page.getByRole('link', { name: 'Campaign budgets' }).click();
  const campaigns = await readTable(page, 'campaign-budgets');
  expect(campaigns.rows.find((r) => r.label === `Console campaign ${tag}`)?.cells.slice(3)).toEqual([
    '1000.00 CNY',
    '10.00 CNY',
    '40.00 CNY',
    '950.00 CNY',
    '10 of 100',
  ]);
  await screenshot(page, 'ops-campaigns');
});

it('gives an operator no institution’s pages, and institution staff no operator pages', async () => {
  for (const path of [
    `/console/i/${merchant}`,
    `/console/i/${merchant}/funnel`,
    `/console/i/${merchant}/demographics/csv?table=demographics`,
  ])
    expect((await page.request.get(`${base}${path}`, { maxRedirects: 0 })).status()).toBe(404);
  await saveConsoleAccount(p.services.db, {
    login: `staff.${tag}`,
    password: PASSWORD,
    role: 'institution_staff',
    institutionId: merchant,
  });
  const staff = await consoleContext(browser);
  const staffPage = await staff.context.newPage();
  await signIn(staffPage, base, `staff.${tag}`, PASSWORD);
  // A merchant without a single journey yet: its dashboard and funnel show zeros, not an error.
  expect(await staffPage.locator('#card-started .value').getAttribute('data-value')).toBe('0');
  expect((await staffPage.goto(`${base}/console/i/${merchant}/funnel`))?.status()).toBe(200);
  expect((await readTable(staffPage, 'funnel-steps')).rows.map((r) => r.cells[0])).toEqual([0, 0, 0, 0]);
  for (const path of ['/console/ops/journeys', '/console/ops/inbox', '/console/ops/campaigns'])
    expect((await staffPage.request.get(`${base}${path}`, { maxRedirects: 0 })).status()).toBe(404);
  const replay = await staffPage.request.post(`${base}/console/ops/inbox/${inboxId}/replay`, {
    form: { _csrf: (await staffPage.locator('form[action="/console/logout"] input[name="_csrf"]').getAttribute('value'))! },
    headers: { origin: base },
    maxRedirects: 0,
  });
  expect(replay.status()).toBe(404);
  await staff.context.close();
  expect(problems).toEqual([]);
});
