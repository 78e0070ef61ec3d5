import { readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { WHY_TEXT } from '../../api/console/tables';
import { InstitutionHttpClient } from '../../clients/institution/signedHttp';
import { saveConsoleAccount } from '../../db/repositories/consoleAccounts';
import { createDemoConsoleLogins } from '../../scripts/demo/consoleLogins';
import { addDays, serviceDayOf } from '../../domain/hospital/serviceDay';
import { consoleContext, launchChromium, readTable, screenshot, signIn } from '../helpers/consoleBrowser';
import { startTestPlatform, type TestPlatform } from '../helpers/platform';
import { createTestMerchant } from '../helpers/retailFactories';
import { seedRetailEvents, type ReleasedEntry, type ReleasedTable } from '../helpers/reports';

/**
 * The console as institution staff use it, in Debian's Chromium: sign in, read the dashboard, the
 * funnel and the demographics, compare every number shown with the signed API's report, export CSV,
 * and find another institution's pages and CSV unreachable. Wrong passwords and forged POSTs fail.
 */
let p: TestPlatform;
let browser: Browser;
let base: string;
let shop: string;
let other: string;
let district: string;
let till: InstitutionHttpClient;
const SECRET = 'console-shop-secret';
const PASSWORD = 'a long enough password';
const today = serviceDayOf(Date.now(), 'Asia/Shanghai');
const day = (n: number) => addDays(today, -n);
const window = { from: day(7), to: day(1) };
const tag = Date.now().toString(36);
const login = (who: string) => (who === 'shop' ? `jade.staff.${tag}` : `${who}.${tag}`);

type Entry = ReleasedEntry;
type Table = ReleasedTable;

/** `n` people in one demographic cell whose order reached `stage` at noon (Shanghai) on `serviceDay`. */
const seed = (merchantId: string, serviceDay: string, stage: string, ageBand: string, gender: string, n: number) =>
  seedRetailEvents(p.services.db, { merchantId, serviceDay, stage, ageBand, gender, n });

const fromApi = async (path: string): Promise<Table> => {
  const r = await till.get<Table>(`/v1/institutions/${shop}/reports/${path}`);
  expect(r.status).toBe(200);
  return r.body;
};
const shown = (e: Entry): number | string => (e.value === null ? e.why : e.value);

beforeAll(async () => {
  p = await startTestPlatform();
  // Chromium keeps Secure cookies for http://localhost (a secure context), as it would for https; the operator test uses 127.0.0.1.
  base = p.api.url.replace('127.0.0.1', 'localhost');
  district = await createTestMerchant(p.services.db, p.services.pii, { kind: 'district', secret: 'd' });
  shop = await createTestMerchant(p.services.db, p.services.pii, { secret: SECRET, settings: { retail: { districtId: district } } });
  other = await createTestMerchant(p.services.db, p.services.pii, { secret: 'o' });
  till = new InstitutionHttpClient({ baseUrl: p.api.url, institutionId: shop, secret: SECRET });
  await p.services.db.query(`UPDATE institutions SET name = 'Jade Noodle Bar' WHERE id = $1`, [shop]);
  // Seven days of orders: large groups, and on two days a group of 3 that must stay hidden.
  for (let d = 1; d <= 7; d++)
    for (const [band, gender, n] of [
      ['30-44', 'female', 30 + d],
      ['30-44', 'male', 25 + d],
      ['18-29', 'female', 14],
      ['18-29', 'male', d % 3 === 0 ? 3 : 12],
      ['45-59', 'female', 20],
    ] as const) {
      await seed(shop, day(d), 'pricing', band, gender, n + 4);
      await seed(shop, day(d), 'paying', band, gender, n + 2);
      await seed(shop, day(d), 'paid', band, gender, n);
    }
  // A group seen on one day only: 4 people, a small cell in any window that holds that day.
  await seed(shop, day(2), 'paid', '60+', 'male', 4);
  for (let d = 1; d <= 7; d++) await seed(other, day(d), 'paid', '30-44', 'female', 977);
  for (const [who, institutionId] of [
    ['shop', shop],
    ['other', other],
    ['district', district],
  ] as const)
    await saveConsoleAccount(p.services.db, { login: login(who), password: PASSWORD, role: 'institution_staff', institutionId });
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await p?.stop();
});

describe('institution staff', () => {
  let context: BrowserContext;
  let page: Page;
  let problems: string[];

  beforeAll(async () => {
    ({ context, problems } = await consoleContext(browser));
    page = await context.newPage();
  });
  afterAll(async () => {
    await context?.close();
  });

  it('refuses a wrong password and an unknown login alike, and sets no session', async () => {
    await signIn(page, base, login('shop'), 'not the password at all');
    expect(await page.locator('#login-error').innerText()).toBe('Wrong login or password.');
    await signIn(page, base, `nobody.${tag}`, PASSWORD);
    expect(await page.locator('#login-error').innerText()).toBe('Wrong login or password.');
    expect((await context.cookies()).some((c) => c.name === 'causeway_console')).toBe(false);
    await screenshot(page, 'login-refused');
    // Without a session, pages and CSV answer with the sign-in form, never data.
    const csv = await page.request.get(`${base}/console/i/${shop}/funnel/csv?from=${window.from}&to=${window.to}&table=funnel-days`, {
      maxRedirects: 0,
    });
    expect(csv.status()).toBe(303);
    expect(csv.headers().location).toMatch(/^\/console\/login\?next=/);
  });

  it('signs in to the dashboard with a secure session cookie, and shows the numbers the API reports', async () => {
    await signIn(page, base, login('shop'), PASSWORD);
    expect(new URL(page.url()).pathname).toBe(`/console/i/${shop}`);
    const cookie = (await context.cookies()).find((c) => c.name === 'causeway_console');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict', path: '/console' });
    await page.locator('canvas#dashboard-chart[data-chart-ready="true"]').waitFor();
    const api = await fromApi(`funnel?from=${window.from}&to=${window.to}`);
    const paid = api.cols.indexOf('paid');
    const card = async (id: string) => {
      const v = await page.locator(`#${id} .value`).getAttribute('data-value');
      return v === null ? null : Number(v);
    };
    expect(await card('card-started')).toBe(api.colTotals[0]!.value);
    expect(await card('card-completed')).toBe(api.colTotals[paid]!.value);
    expect(api.colTotals[paid]!.value).toBeGreaterThan(0);
    await screenshot(page, 'dashboard', 'console-dashboard.png');
  });

  it('shows the funnel table and its steps exactly as released, with a chart', async () => {
    await page.getByRole('link', { name: 'Funnel' }).first().click();
    await page.locator('canvas#funnel-chart[data-chart-ready="true"]').waitFor();
    const api = await fromApi(`funnel?from=${window.from}&to=${window.to}`);
    const days = await readTable(page, 'funnel-days');
    expect(days.rows.map((r) => r.label)).toEqual([...api.rows, 'All days']);
    expect(days.rows.map((r) => r.cells)).toEqual([...api.cells.map((row) => row.map(shown)), api.colTotals.map(shown)]);
    const steps = await readTable(page, 'funnel-steps');
    expect(steps.rows.map((r) => r.cells[0])).toEqual(api.colTotals.map(shown));
    // Completion from the step before, from released counts only.
    const [pricing, paying] = [api.colTotals[0]!.value!, api.colTotals[1]!.value!];
    expect(steps.rows[1]!.cells[1]).toBe(Math.round((paying / pricing) * 1000) / 10);
    expect(steps.rows[1]!.cells[2]).toBe(Math.round((100 - Math.round((paying / pricing) * 1000) / 10) * 10) / 10);
    await screenshot(page, 'funnel', 'console-funnel.png');
  });

  it('shows which demographic cells are withheld and why, with the released ones equal to the API’s', async () => {
    await page.getByRole('link', { name: 'Demographics' }).first().click();
    const table = await readTable(page, 'demographics');
    const api = await fromApi(`demographics?stage=paid&from=${window.from}&to=${window.to}`);
    expect(table.rows.map((r) => r.cells)).toEqual([
      ...api.cells.map((row, i) => [...row.map(shown), shown(api.rowTotals[i]!)]),
      [...api.colTotals.map(shown), shown(api.total)],
    ]);
    const all = table.rows.flatMap((r) => r.cells);
    // Every count shown is 0 or at least k; the groups of 3 are withheld, each saying why.
    for (const c of all) if (typeof c === 'number') expect(c === 0 || c >= 11).toBe(true);
    expect(all).toContain('small');
    expect(all.filter((c) => c === 'complementary' || c === 'earlier_release').length).toBeGreaterThan(0);
    expect(await page.locator('td.withheld').first().innerText()).toMatch(/^withheld: /);
    await screenshot(page, 'demographics');
  });

  it('exports each table as CSV, withheld cells marked and never a number', async () => {
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page
        .getByRole('link', { name: /Download CSV/ })
        .first()
        .click(),
    ]);
    expect(download.suggestedFilename()).toMatch(new RegExp(`^${shop}_demographics_.*\\.csv$`));
    const lines = readFileSync(await download.path(), 'utf8')
      .trimEnd()
      .split('\r\n');
    const shownTable = await readTable(page, 'demographics');
    expect(lines[0]).toBe(shownTable.head.join(','));
    const rows = lines.slice(1).map((l) => l.split(','));
    expect(rows.map((r) => r[0])).toEqual(shownTable.rows.map((r) => r.label));
    rows.forEach((r, i) =>
      r.slice(1).forEach((field, j) => {
        const cell = shownTable.rows[i]!.cells[j]!;
        if (typeof cell === 'number') expect(Number(field)).toBe(cell);
        else expect(field).toBe(WHY_TEXT[cell as keyof typeof WHY_TEXT]);
      }),
    );
    expect(lines.join('\n')).not.toMatch(/(^|,)([1-9]|10)(,|$)/m);
    // The funnel's tables too, through the page's own links.
    await page.goto(`${base}/console/i/${shop}/funnel`);
    for (const id of ['funnel-steps', 'funnel-days']) {
      const [d] = await Promise.all([page.waitForEvent('download'), page.locator(`table#${id} caption a`).click()]);
      const csv = readFileSync(await d.path(), 'utf8')
        .trimEnd()
        .split('\r\n');
      const t = await readTable(page, id);
      expect(csv.length).toBe(t.rows.length + 1);
      expect(csv.slice(1).map((l) => l.split(',')[0])).toEqual(t.rows.map((r) => r.label));
    }
  });

  it('shows the channel share and the spending bands exactly as the API releases them, and exports them', async () => {
    // The till's POS totals for the week: every tender, Causeway's among them.
    for (let d = 1; d <= 7; d++) {
      const posted = await till.post(`/v1/institutions/${shop}/channel-totals/pos`, {
        day: day(d),
        tenders: [
          { tender: 'cash', count: 120 + d },
          { tender: 'card', count: 200 },
          { tender: 'causeway', count: 90 },
        ],
      });
      expect(posted.status).toBe(200);
    }
    await page.goto(`${base}/console/i/${shop}`);
    await page.getByRole('link', { name: 'Channel share' }).first().click();
    await page.locator('canvas#channel-share-chart[data-chart-ready="true"]').waitFor();
    const api = (
      await till.get<{
        days: Array<{
          day: string;
          causeway: Entry;
          total: Entry;
          share: number | null;
          peakHour: number | null;
          peakShare: number | null;
        }>;
        overall: { causeway: Entry; total: Entry; share: number | null };
      }>(`/v1/institutions/${shop}/reports/channel-share?from=${window.from}&to=${window.to}`)
    ).body;
    const hour = (h: number | null) => (h === null ? '—' : `${String(h).padStart(2, '0')}:00`);
    const pct = (v: number | null) => (v === null ? 'derived' : v);
    const days = await readTable(page, 'channel-share-days');
    expect(days.rows.map((r) => r.label)).toEqual([...api.days.map((d) => d.day), 'All days']);
    expect(days.rows.slice(0, -1).map((r) => r.cells)).toEqual(
      api.days.map((d) => [shown(d.causeway), shown(d.total), pct(d.share), hour(d.peakHour), pct(d.peakShare)]),
    );
    expect(days.rows.at(-1)!.cells.slice(0, 3)).toEqual([shown(api.overall.causeway), shown(api.overall.total), pct(api.overall.share)]);
    // Something was released: the week's paid sales are large groups.
    expect(api.days.some((d) => d.share !== null && d.share > 0)).toBe(true);
    await screenshot(page, 'channel-share');
    const [download] = await Promise.all([page.waitForEvent('download'), page.locator('table#channel-share-days caption a').click()]);
    const csv = readFileSync(await download.path(), 'utf8')
      .trimEnd()
      .split('\r\n');
    expect(csv.length).toBe(days.rows.length + 1);

    await page.getByRole('link', { name: 'Spending bands' }).first().click();
    const year = Number(today.slice(0, 4));
    const bands = await readTable(page, 'spending-bands');
    const spend = await fromApi(`spending-bands?year=${year}`);
    expect(bands.rows.map((r) => r.cells)).toEqual([
      ...spend.cells.map((row, i) => [...row.map(shown), shown(spend.rowTotals[i]!)]),
      [...spend.colTotals.map(shown), shown(spend.total)],
    ]);
    for (const c of bands.rows.flatMap((r) => r.cells)) if (typeof c === 'number') expect(c === 0 || c >= 11).toBe(true);
    await screenshot(page, 'spending-bands');
    // A year to come is refused, naming the field, never a table.
    const future = await page.request.get(`${base}/console/i/${shop}/spending-bands?year=${year + 1}`);
    expect(future.status()).toBe(422);
    expect(await future.text()).not.toContain('<table');
  });

  it('answers another institution’s pages and CSV with 404, never its data', async () => {
    for (const path of [
      `/console/i/${other}`,
      `/console/i/${other}/funnel`,
      `/console/i/${other}/demographics`,
      `/console/i/${other}/funnel/csv?table=funnel-days&from=${window.from}&to=${window.to}`,
      `/console/i/${other}/demographics/csv?table=demographics`,
      `/console/i/${district}`,
      `/console/i/no-such-place`,
      `/console/ops/journeys`,
    ]) {
      const r = await page.request.get(`${base}${path}`, { maxRedirects: 0 });
      expect([path, r.status()]).toEqual([path, 404]);
      const body = await r.text();
      expect(body).not.toContain('977');
      expect(body).not.toContain('<table');
    }
    const res = await page.goto(`${base}/console/i/${other}/funnel`);
    expect(res?.status()).toBe(404);
    expect(await page.locator('h1').innerText()).toBe('Not found');
    await screenshot(page, 'other-institution-404');
  });

  it('refuses a POST without the CSRF token or from another origin, and signs out with both', async () => {
    await page.goto(`${base}/console/i/${shop}`);
    const token = await page.locator('form[action="/console/logout"] input[name="_csrf"]').getAttribute('value');
    expect(token).toBeTruthy();
    const post = (form: Record<string, string>, origin: string) =>
      page.request.post(`${base}/console/logout`, { form, headers: { origin }, maxRedirects: 0 });
    expect((await post({}, base)).status()).toBe(403);
    expect((await post({ _csrf: 'forged' }, base)).status()).toBe(403);
    expect((await post({ _csrf: token! }, 'http://evil.example')).status()).toBe(403);
    // Still signed in after the refusals.
    expect((await page.request.get(`${base}/console/i/${shop}`, { maxRedirects: 0 })).status()).toBe(200);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(/\/console\/login$/);
    expect((await page.request.get(`${base}/console/i/${shop}`, { maxRedirects: 0 })).status()).toBe(303);
    expect(problems).toEqual([]);
  });
});

it('lets a district’s staff see its merchants, and only those', async () => {
  const { context, problems } = await consoleContext(browser);
  const page = await context.newPage();
  await signIn(page, base, login('district'), PASSWORD);
  expect(new URL(page.url()).pathname).toBe(`/console/i/${district}`);
  await page.getByRole('link', { name: 'Jade Noodle Bar' }).click();
  expect(new URL(page.url()).pathname).toBe(`/console/i/${shop}`);
  await page.locator('canvas#dashboard-chart[data-chart-ready="true"]').waitFor();
  expect((await page.request.get(`${base}/console/i/${other}/funnel`)).status()).toBe(404);
  await screenshot(page, 'district-merchant-dashboard');
  expect(problems).toEqual([]);
  await context.close();
});

it('rotates the session at sign-in: a token held before it does not sign anyone in', async () => {
  const { context } = await consoleContext(browser);
  const page = await context.newPage();
  await signIn(page, base, login('other'), PASSWORD);
  const first = (await context.cookies()).find((c) => c.name === 'causeway_console')!.value;
  await signIn(page, base, login('other'), PASSWORD);
  const second = (await context.cookies()).find((c) => c.name === 'causeway_console')!.value;
  expect(second).not.toBe(first);
  const stale = await fetch(`${p.api.url}/console/i/${other}`, { headers: { cookie: `causeway_console=${first}` }, redirect: 'manual' });
  expect(stale.status).toBe(303);
  await context.close();
});

it('makes the demo’s logins (npm start prints them), each signing in to its own pages', async () => {
  const logins = await createDemoConsoleLogins(p.services.db, shop);
  expect(logins.map((l) => l.login)).toEqual(['hospital.staff', 'operator']);
  const { context } = await consoleContext(browser);
  const page = await context.newPage();
  await signIn(page, base, logins[0]!.login, logins[0]!.password);
  expect(new URL(page.url()).pathname).toBe(`/console/i/${shop}`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/console\/login$/);
  await signIn(page, base, logins[1]!.login, logins[1]!.password);
  expect(new URL(page.url()).pathname).toBe('/console/ops/journeys');
  // A second start gives new passwords: the first ones stop working.
  const again = await createDemoConsoleLogins(p.services.db, shop);
  expect(again[1]!.password).not.toBe(logins[1]!.password);
  expect((await page.request.get(`${base}/console/ops/journeys`, { maxRedirects: 0 })).status()).toBe(303);
  await context.close();
});

it('locks a login out after five failed sign-ins, even with the right password then, and not the others', async () => {
  await saveConsoleAccount(p.services.db, { login: `limited.${tag}`, password: PASSWORD, role: 'institution_staff', institutionId: other });
  const { context } = await consoleContext(browser);
  const page = await context.newPage();
  for (let i = 0; i < 5; i++) {
    await signIn(page, base, `limited.${tag}`, `wrong password ${i}`);
    expect(await page.locator('#login-error').innerText()).toBe('Wrong login or password.');
  }
  const locked = page.waitForResponse((r) => r.url().endsWith('/console/login') && r.request().method() === 'POST');
  await signIn(page, base, `limited.${tag}`, PASSWORD);
  expect((await locked).status()).toBe(429);
  expect(await page.locator('#login-error').innerText()).toMatch(/^Too many failed sign-ins/);
  expect((await context.cookies()).some((c) => c.name === 'causeway_console')).toBe(false);
  await screenshot(page, 'login-locked');
  await signIn(page, base, login('other'), PASSWORD);
  expect(new URL(page.url()).pathname).toBe(`/console/i/${other}`);
  await context.close();
});

it('can be used with the keyboard alone: a skip link, labelled fields, visible focus', async () => {
  const { context } = await consoleContext(browser);
  const page = await context.newPage();
  await page.goto(`${base}/console/login`);
  await page.keyboard.press('Tab');
  expect(await page.evaluate<string | null>('document.activeElement && document.activeElement.textContent')).toBe('Skip to content');
  await page.getByLabel('Login').focus();
  await page.keyboard.type(login('other'));
  await page.keyboard.press('Tab');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForURL(new RegExp(`/console/i/${other}$`));
  await page.getByRole('link', { name: 'Funnel' }).first().focus();
  const outline = await page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle');
  expect(outline).toBe('solid');
  await context.close();
});
