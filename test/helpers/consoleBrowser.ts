import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/**
 * Debian's Chromium (/usr/bin/chromium, `apt-get install chromium`) driven by playwright-core for the
 * console's browser tests; playwright's own browser download is never used.
 */
export const CHROMIUM = '/usr/bin/chromium';
export const CONSOLE_OUTPUT = path.join(__dirname, '..', '..', 'test-output', 'console');
const DOCS = path.join(__dirname, '..', '..', 'docs');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A fresh browser profile at a laptop's screen size; CSP violations and script errors are collected. */
export async function consoleContext(browser: Browser): Promise<{ context: BrowserContext; problems: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true });
  const problems: string[] = [];
  context.on('page', (p) => watch(p, problems));
  return { context, problems };
}

function watch(page: Page, problems: string[]): void {
  page.on('console', (m) => {
    // The pages' own 401 and 404 answers show up as failed loads: only script and policy errors count.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(e.message));
}

export async function signIn(page: Page, baseUrl: string, login: string, password: string): Promise<void> {
  await page.goto(`${baseUrl}/console/login`);
  await page.getByLabel('Login').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState('load');
}

/** Saves the page under test-output/console/, and under docs/ too when CAUSEWAY_WRITE_SCREENSHOTS=1 and `docsName` is given. */
export async function screenshot(page: Page, name: string, docsName?: string): Promise<void> {
  mkdirSync(CONSOLE_OUTPUT, { recursive: true });
  const file = path.join(CONSOLE_OUTPUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (docsName && process.env.CAUSEWAY_WRITE_SCREENSHOTS === '1') {
    // What a new user sees first: the viewport of a laptop screen, not the whole scroll.
    await page.screenshot({ path: path.join(DOCS, docsName) });
  }
  expect(readFileSync(file).subarray(1, 4).toString()).toBe('PNG');
}

/** A table on the page as text: header and rows, each cell as shown, withheld cells by their reason. */
export async function readTable(
  page: Page,
  id: string,
): Promise<{ head: string[]; rows: Array<{ label: string; cells: Array<number | string> }> }> {
  const text = async (l: Locator) => ((await l.textContent()) ?? '').trim();
  const head = await Promise.all((await page.locator(`table#${id} thead th`).all()).map(text));
  const rows = [];
  for (const tr of await page.locator(`table#${id} tbody tr`).all()) {
    const cells: Array<number | string> = [];
    for (const td of await tr.locator('td').all()) {
      const v = await td.getAttribute('data-value');
      cells.push(v !== null ? Number(v) : ((await td.getAttribute('data-why')) ?? (await text(td))));
    }
    rows.push({ label: await text(tr.locator('th')), cells });
  }
  return { head, rows };
}
