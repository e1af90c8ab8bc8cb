// `npm run screenshots`: the dashboard's main pages in headless Chromium against the same seeded
// server the browser tests use, saved to docs/screenshots/ (referenced from docs/dashboard.md).
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { launchChromium } from '../test/support/browser.js';
import { startDashboardStack } from '../test/integration/dashboard-stack.js';
import { seedDeliveries, startReceiver } from '../test/integration/dashboard-webhooks-fixtures.js';
import {
  HOUR,
  STATS_PASSWORD,
  simulateDay,
  startStatsStack,
  waitFor,
} from '../test/integration/stats-stack.js';

const outDir = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
mkdirSync(outDir, { recursive: true });

const stack = await startDashboardStack();
const browser = await launchChromium();

async function shot(page: Page, name: string): Promise<void> {
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page.screenshot({ path: `${outDir}${name}.png`, fullPage: true });
  console.log(`docs/screenshots/${name}.png`);
}

async function signIn(page: Page, email: string): Promise<void> {
  await page.goto(`${stack.url}/dashboard/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Apps', exact: true }).waitFor();
}

try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await signIn(page, stack.startup.email);
  await shot(page, 'apps');

  const appBase = `${stack.url}/dashboard/apps/${stack.startup.appId}`;
  // Some live traffic: two clients on public, private and presence channels.
  const clients = [
    await stack.openClient(['orders', 'private-inventory', 'presence-support'], 'alice'),
    await stack.openClient(['orders', 'presence-support', 'private-cache-prices'], 'bob'),
  ];
  await page.goto(`${appBase}/keys`);
  const panel = page.getByTestId('encryption-panel');
  await panel.getByRole('button', { name: 'Generate', exact: true }).click();
  const key = (await page.getByTestId('new-master-key').textContent())?.trim() ?? '';
  await shot(page, 'keys-generated');
  await page.reload();
  await page.getByTestId('active-fingerprint').waitFor();
  await shot(page, 'keys');

  await page.goto(`${appBase}/debug`);
  await page.getByRole('status').getByText('live', { exact: true }).waitFor();
  const late = await stack.openClient(['orders', 'presence-support'], 'carol');
  await stack.publishPlain('orders', 'order.created', { orderId: 'A-1', total: 42 }).catch(() => undefined);
  await stack
    .publishEncrypted(key, 'private-encrypted-orders.42', 'order.shipped', {
      orderId: '12345',
      trackingNumber: 'PII_HERE',
    })
    .catch(() => undefined);
  await page.getByLabel('Decrypt with master key').fill(key);
  await page
    .getByTestId('plaintext')
    .first()
    .waitFor({ timeout: 5000 })
    .catch(() => undefined);
  await page.getByLabel('Decrypt with master key').blur();
  await shot(page, 'debug-console');
  late.close();

  await page.goto(`${appBase}/channels`);
  await page.getByRole('button', { name: 'Members' }).click();
  await page.getByRole('list', { name: 'Members of presence-support' }).waitFor();
  await shot(page, 'channels');

  await page.goto(`${appBase}/getting-started`);
  await shot(page, 'getting-started');

  // Webhooks: an endpoint on a local receiver, a test send, a delivered and a dead-lettered batch.
  const receiver = await startReceiver(stack.startup);
  try {
    await page.goto(`${appBase}/webhooks`);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('Channel prefix filter (optional)').fill('presence-');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByText('disabled', { exact: true }).waitFor();
    const [endpoint] = await stack.management.store.webhooks.listEndpoints(stack.startup.appId);
    if (endpoint) await seedDeliveries(stack.management, stack.startup.appId, endpoint.id);
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByText('enabled', { exact: true }).waitFor();
    const result = page.getByTestId('webhook-test-result');
    await page.getByRole('button', { name: 'Send test' }).click();
    await result.waitFor();
    await result.getByText('receiver answered').waitFor();
    await page.getByRole('button', { name: 'Refresh log' }).click();
    await page.getByRole('button', { name: 'Body' }).last().click();
    await shot(page, 'webhooks');
  } finally {
    await receiver.close();
  }

  const mobile = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 });
  const phone = await mobile.newPage();
  await signIn(phone, stack.startup.email);
  await phone.goto(`${appBase}/keys`);
  await phone.getByTestId('active-fingerprint').waitFor();
  await shot(phone, 'keys-390px');

  const freeContext = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const free = await freeContext.newPage();
  await signIn(free, stack.free.email);
  await free.goto(`${stack.url}/dashboard/apps/${stack.free.appId}/keys`);
  await free.getByTestId('encryption-upgrade').waitFor();
  await shot(free, 'keys-free-plan');
  for (const c of clients) c.close();
} finally {
  await browser.close();
  await stack.close();
}

// The Overview page with a day of usage history: traffic simulated on the server's injected clock
// (as in test/integration/dashboard-stats.test.ts), one step per hour of the last 24.
{
  const dayStart = Math.floor(Date.now() / HOUR) * HOUR - 24 * HOUR;
  const stats = await startStatsStack({ startAt: dayStart });
  const chromium = await launchChromium();
  try {
    await simulateDay(stats, dayStart);
    stats.clock.at = Date.now();
    await waitFor(async () => {
      const res = await stats.api(
        `/api/v1/apps/${stats.appId}/stats?from=${new Date(dayStart + 23 * HOUR).toISOString()}&resolution=hour`,
      );
      return (res.json.points[0]?.messages ?? 0) > 0;
    });
    const context = await chromium.newContext({ viewport: { width: 1280, height: 860 } });
    const page = await context.newPage();
    await page.goto(`${stats.url}/dashboard/`);
    await page.getByLabel('Email').fill(stats.email);
    await page.getByLabel('Password').fill(STATS_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Storefront' }).click();
    await page.locator('figure[data-chart="Activity"] polyline').first().waitFor();
    await shot(page, 'overview');
  } finally {
    await chromium.close();
    await stats.close();
  }
}
