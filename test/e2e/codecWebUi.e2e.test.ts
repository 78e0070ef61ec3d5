import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { DataSource } from 'typeorm';
import { recentAudit, writeAudit } from '../../db/repositories/audit';
import { codecDataConverter } from '../../platform/codecDataConverter';
import { startCodecListener, type CodecListener } from '../../platform/codecServerListener';
import { createLogger } from '../../platform/logger';
import { createPayloadCodec } from '../../platform/payloadCodec';
import { startDevServer, type DevServer } from '../../platform/temporal/devServer';
import { openTestDb } from '../helpers/db';
import { TEST_KEYS } from '../helpers/platform';

/**
 * The Web UI as an operator uses it: a Temporal dev server whose UI is configured with the loopback
 * codec listener (as `npm start` does), a workflow whose input is encrypted, and Debian's Chromium
 * (headless, driven by playwright-core; never playwright's own browser download) opening the
 * workflow's page. Without the codec the input stays ciphertext; with it the decoded text shows.
 */
const CHROMIUM = '/usr/bin/chromium';
const OUTPUT = path.join(__dirname, '..', '..', 'test-output');
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

const codec = createPayloadCodec({ keys: { tc1: TEST_KEYS.codec }, activeKeyId: 'tc1' });
const logger = createLogger({ level: 'silent', name: 'codec-ui-test' });
let db: DataSource;
let listener: CodecListener;
let server: DevServer;
let client: Client;
let browser: BrowserContext;
let profileDir: string;
let uiUrl: string;

beforeAll(async () => {
  db = await openTestDb(2);
  const uiPort = await freePort();
  uiUrl = `http://localhost:${uiPort}`;
  listener = await startCodecListener({
    port: 0,
    codec,
    corsOrigins: [uiUrl, `http://127.0.0.1:${uiPort}`],
    audit: (e) => writeAudit(db, e),
    maxBodyBytes: 4 * 1024 * 1024,
    maxPayloads: 1000,
    logger,
  });
  server = await startDevServer({ pathVar: process.env.PATH ?? '', uiPort, uiCodecEndpoint: listener.url });
  client = new Client({ connection: server.env.connection, namespace: 'default', dataConverter: codecDataConverter(codec) });
  profileDir = mkdtempSync(path.join(tmpdir(), 'causeway-chromium-'));
  // A fresh profile per run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    viewport: { width: 1400, height: 1000 },
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  await listener?.close();
  await db?.destroy();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
});

async function startEncryptedWorkflow(secret: string): Promise<{ workflowId: string; runId: string }> {
  const workflowId = `codec-ui-${randomUUID()}`;
  // No worker polls this queue: the input sits in the first history event, which is all the page needs.
  const handle = await client.workflow.start('collectPayment', {
    taskQueue: `codec-ui-${randomUUID()}`,
    workflowId,
    args: [{ note: secret }],
  });
  return { workflowId, runId: handle.firstExecutionRunId };
}

async function openWorkflow(page: Page, wf: { workflowId: string; runId: string }): Promise<void> {
  await page.goto(`${uiUrl}/namespaces/default/workflows/${encodeURIComponent(wf.workflowId)}/${wf.runId}/history`);
}

it('shows the decoded input on the workflow page through the codec listener, ciphertext without it, and audits each decode', async () => {
  const startedAt = new Date(Date.now() - 1000);
  const secret = `decoded-by-codec-${randomUUID().slice(0, 8)}`;
  const wf = await startEncryptedWorkflow(secret);
  mkdirSync(OUTPUT, { recursive: true });
  const page = await browser.newPage();

  // Without the codec (its requests fail): the page shows the encrypted payload, never the text.
  await page.route(`${listener.url}/**`, (route) => route.abort());
  await openWorkflow(page, wf);
  await page.getByText('"encryption-key-id"').first().waitFor({ timeout: 60_000 });
  expect(await page.locator('body').innerText()).not.toContain(secret);
  await page.screenshot({ path: path.join(OUTPUT, 'codec-web-ui-without-codec.png'), fullPage: true });

  // With the codec listener the UI is configured with: the decoded input.
  await page.unroute(`${listener.url}/**`);
  await page.reload();
  await page.getByText(secret).first().waitFor({ timeout: 60_000 });
  await page.screenshot({ path: path.join(OUTPUT, 'codec-web-ui-decoded.png'), fullPage: true });
  await page.close();

  const decodes = (await recentAudit(db, { action: 'codec.decode', limit: 50 })).filter((a) => a.at >= startedAt);
  expect(decodes.length).toBeGreaterThan(0);
  expect(decodes[0]).toMatchObject({
    actor: 'operator:loopback',
    subject: 'namespace:default',
    details: expect.objectContaining({ via: 'operator-listener', namespace: 'default', origin: uiUrl }),
  });
  expect(decodes.some((a) => Number(a.details.decrypted) >= 1)).toBe(true);
  expect(JSON.stringify(decodes)).not.toContain(secret);
});
