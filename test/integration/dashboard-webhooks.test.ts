// The dashboard's Webhooks tab in real headless Chromium against the real server and a real HTTP
// receiver on 127.0.0.1 that checks every request with the official `pusher` SDK: add an endpoint,
// send a test and see the receiver's answer, edit, disable, the delivery log (body on click, shown as
// text), retry of a dead-lettered batch, the failing badge, delete with confirmation, and the plan's
// endpoint cap (403 webhook_limit_reached) explained.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { startDashboardStack, type DashboardStack } from './dashboard-stack.js';
import { seedDeliveries, startReceiver, type Receiver } from './dashboard-webhooks-fixtures.js';
import { waitUntil } from '../support/wait.js';

const PASSWORD = 'correct horse battery';

async function signIn(page: Page, base: string, email: string): Promise<void> {
  await page.goto(`${base}/dashboard/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Apps', exact: true }).waitFor();
}

async function openWebhooks(page: Page, appName: string): Promise<void> {
  await page.getByRole('link', { name: 'Apps', exact: true }).first().click();
  await page.getByRole('link', { name: appName }).click();
  await page
    .getByRole('navigation', { name: 'App sections' })
    .getByRole('link', { name: 'Webhooks' })
    .click();
  await page.getByRole('heading', { name: 'Webhook endpoints' }).waitFor();
}

/** Polls `check` until it holds (a loaded machine answers late). */
const eventually = (check: () => Promise<boolean> | boolean, what: string, ms = 20_000): Promise<void> =>
  waitUntil(check, what, ms, 100);

describe('dashboard Webhooks tab (Chromium)', { timeout: 120_000 }, () => {
  let stack: DashboardStack | undefined;
  let browser: Browser | undefined;
  /** Set when the server has no webhook worker (this branch before the worker is merged). */
  const receivers: Receiver[] = [];
  const contexts: BrowserContext[] = [];

  before(async () => {
    stack = await startDashboardStack();
    browser = await launchChromium();
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    for (const r of receivers) await r.close();
    await stack?.close();
  });
  const ready = async (): Promise<{ stack: DashboardStack; page: Page; context: BrowserContext }> => {
    assert.ok(stack && browser, 'the stack and browser started');
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    const page = await context.newPage();
    // Customer-controlled text must never run: any dialog (alert) fails the test.
    page.on('dialog', (d) => {
      assert.fail(`a dialog opened: ${d.message()}`);
    });
    return { stack, page, context };
  };

  test('add, test send, edit, disable, delivery log with body and retry, failing badge, delete', async () => {
    const { stack: s, page } = await ready();
    const receiver = await startReceiver(s.startup);
    receivers.push(receiver);
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    const store = s.management.store.webhooks;

    await signIn(page, s.url, s.startup.email);
    await openWebhooks(page, s.startup.appName);
    await page.getByText('No endpoints yet.').waitFor();

    // Add: URL, event types as checkboxes, channel prefix, one extra header; submitted with Enter.
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const addForm = page.getByRole('form', { name: 'Add an endpoint' });
    await addForm.getByLabel('Endpoint URL').fill(receiver.url);
    await addForm.getByRole('checkbox', { name: /cache_miss/ }).uncheck();
    await addForm.getByRole('checkbox', { name: /subscription_count/ }).uncheck();
    await addForm.getByLabel('Channel prefix filter (optional)').fill('presence-');
    await addForm.getByRole('button', { name: 'Add header' }).click();
    await addForm.getByLabel('Header name 1').fill('Authorization');
    await addForm.getByLabel('Header value 1').fill('Bearer s3cret-token-1234');
    await addForm.getByLabel('Endpoint URL').press('Enter');
    await page.getByRole('status').getByText(`Added ${receiver.url}.`).waitFor();

    const [created] = await store.listEndpoints(s.startup.appId);
    assert.ok(created, 'the endpoint was stored');
    assert.equal(created.url, receiver.url);
    assert.deepEqual(created.eventTypes, [
      'channel_occupied',
      'channel_vacated',
      'member_added',
      'member_removed',
      'client_event',
    ]);
    assert.equal(created.channelPrefix, 'presence-');
    assert.deepEqual(created.headers, { Authorization: 'Bearer s3cret-token-1234' });
    assert.equal(created.enabled, true);
    const row = page.locator(`tr[data-webhook-id="${created.id}"]`);
    await row.getByText(receiver.url, { exact: true }).waitFor();
    await row.getByText('+ 1 extra header').waitFor();
    await row.getByText('presence-*').waitFor();
    // The header value never comes back to the page.
    assert.ok(!(await page.content()).includes('s3cret-token-1234'), 'the header value is on the page');

    // Send test: the receiver's status and latency are shown.
    const result = page.getByTestId('webhook-test-result');
    await row.getByRole('button', { name: 'Send test' }).click();
    await result.waitFor();
    await result.getByText('receiver answered 200').waitFor();
    assert.match((await result.textContent()) ?? '', /receiver answered 200 in \d[\d,]* ms/);
    await eventually(() => receiver.received.length > 0, 'the test request');
    const first = receiver.received.at(-1);
    assert.ok(first);
    assert.equal(first.valid, true, 'pusher.webhook().isValid() accepts the test send');
    assert.equal(first.headers['x-pusher-key'], s.startup.appKey);
    assert.equal(first.headers.authorization, 'Bearer s3cret-token-1234');
    await result.getByText('Body sent').click();
    await result.locator('pre').getByText('time_ms').waitFor();

    // A failing receiver: the status and the reason are shown.
    receiver.status = 500;
    await row.getByRole('button', { name: 'Send test' }).click();
    await result.getByText('failed (receiver answered 500)').waitFor();
    receiver.status = 200;

    // Edit: another prefix, one event type less; the saved headers are kept when not replaced.
    await row.getByRole('button', { name: 'Edit' }).click();
    const editForm = page.getByRole('form', { name: 'Edit endpoint' });
    assert.equal(await editForm.getByLabel('Endpoint URL').inputValue(), receiver.url);
    await editForm.getByText('Authorization: ••••1234').waitFor();
    await editForm.getByLabel('Channel prefix filter (optional)').fill('private-');
    await editForm.getByRole('checkbox', { name: /client_event/ }).uncheck();
    await editForm.getByRole('button', { name: 'Save changes' }).click();
    await page.getByRole('status').getByText(`Saved ${receiver.url}.`).waitFor();
    await row.getByText('private-*').waitFor();
    let stored = await store.findEndpoint(created.id);
    assert.ok(stored);
    assert.equal(stored.channelPrefix, 'private-');
    assert.deepEqual(stored.eventTypes, [
      'channel_occupied',
      'channel_vacated',
      'member_added',
      'member_removed',
    ]);
    assert.deepEqual(stored.headers, { Authorization: 'Bearer s3cret-token-1234' });

    // Disable.
    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByText('disabled', { exact: true }).waitFor();
    stored = await store.findEndpoint(created.id);
    assert.equal(stored?.enabled, false);

    // The delivery log: rows written through the server's webhook store (the worker's records).
    const seeded = await seedDeliveries(s.management, s.startup.appId, created.id);
    await page.reload();
    await page.getByRole('heading', { name: 'Delivery log' }).waitFor();
    const tabBadge = page.getByTestId('webhooks-failing-badge');
    await tabBadge.waitFor();
    await row.getByTestId('webhook-failing').waitFor();
    const log = page.getByTestId('delivery-log');
    const deadRow = log.locator(`tr[data-delivery-id="${seeded.dead}"]`);
    const okRow = log.locator(`tr[data-delivery-id="${seeded.delivered}"]`);
    await deadRow.getByText('dead-lettered').waitFor();
    await deadRow.getByText('HTTP 500', { exact: false }).first().waitFor();
    await deadRow.getByText('member_removed').waitFor();
    await okRow.getByText('delivered').waitFor();
    await okRow.getByText('HTTP 200').waitFor();
    await okRow.getByText('14 ms').waitFor();
    assert.equal(
      await okRow.getByRole('button', { name: 'Retry' }).count(),
      0,
      'delivered rows have no Retry',
    );

    // The body on click, as text: the customer's user_id holding markup stays inert.
    await deadRow.getByRole('button', { name: 'Body' }).click();
    const body = log.getByTestId('delivery-body');
    await body.getByText('<img src=x onerror=alert(1)>', { exact: false }).waitFor();
    assert.equal(await page.locator('img').count(), 0, 'markup from the body became an element');
    await deadRow.getByRole('button', { name: 'Hide body' }).click();
    assert.equal(await body.count(), 0);

    // Retry: due again now, no longer failing; the tab's badge goes.
    await deadRow.getByRole('button', { name: 'Retry' }).click();
    await page.getByRole('status').getByText(`Delivery ${seeded.dead} queued again.`).waitFor();
    await deadRow.getByText('pending').waitFor();
    await tabBadge.waitFor({ state: 'detached' });
    assert.equal((await store.findDelivery(seeded.dead))?.state, 'pending');
    assert.notEqual((await deadRow.locator('td').nth(5).textContent())?.trim(), '—', 'next retry is shown');

    // Enable again.
    await row.getByRole('button', { name: 'Enable' }).click();
    await row.getByText('enabled', { exact: true }).waitFor();

    // Delete, with a confirmation (cancel first).
    await row.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this webhook endpoint?' });
    await dialog.getByText(receiver.url).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    assert.ok(await store.findEndpoint(created.id), 'cancel kept the endpoint');
    await row.getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete endpoint' }).click();
    await page.getByText('No endpoints yet.').waitFor();
    assert.equal(await store.findEndpoint(created.id), undefined);
    assert.deepEqual(pageErrors, []);
  });

  test("the plan's endpoint cap: the Add button gives way to an explanation, and a 403 is explained", async () => {
    const { stack: s, page, context } = await ready();
    const receiver = await startReceiver(s.free);
    receivers.push(receiver);
    await signIn(page, s.url, s.free.email);
    await openWebhooks(page, s.free.appName);
    await page.getByText('No endpoints yet.').waitFor();
    await page.getByText('0 of 1 endpoint used (free plan).').waitFor();

    // Two tabs open the form; the second to save is over the cap and gets 403 webhook_limit_reached.
    const other = await context.newPage();
    await other.goto(page.url());
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await other.getByRole('button', { name: 'Add endpoint' }).click();
    await other.getByLabel('Endpoint URL').fill(`${receiver.url}/a`);
    await other.getByRole('button', { name: 'Add endpoint' }).click();
    await other.getByTestId('webhook-cap').waitFor();
    await other.getByText('1 of 1 endpoint used (free plan).').waitFor();

    await page.getByLabel('Endpoint URL').fill(`${receiver.url}/b`);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    const cap = page.getByTestId('webhook-cap');
    await cap
      .getByText("This app has reached your plan's webhook endpoint limit (1 per app on free)")
      .waitFor();
    await cap.getByText('The free plan allows 1 webhook endpoint per app').waitFor();
    await cap.getByRole('link', { name: 'Compare plans' }).waitFor();
    const stored = await s.management.store.webhooks.listEndpoints(s.free.appId);
    assert.deepEqual(
      stored.map((e) => e.url),
      [`${receiver.url}/a`],
    );
  });

  test('a viewer sees the endpoints and the log but no buttons that change them', async () => {
    const { stack: s, page } = await ready();
    const receiver = await startReceiver(s.startup);
    receivers.push(receiver);
    const endpoint = await s.management.store.webhooks.createEndpoint({
      id: 'wh_0123456789abcdef01234567',
      appId: s.startup.appId,
      url: receiver.url,
      eventTypes: ['channel_occupied'],
      channelPrefix: null,
      headers: {},
      enabled: false,
    });
    await seedDeliveries(s.management, s.startup.appId, endpoint.id);
    await signIn(page, s.url, s.viewer.email);
    await openWebhooks(page, s.startup.appName);
    const row = page.locator(`tr[data-webhook-id="${endpoint.id}"]`);
    await row.getByText(receiver.url).waitFor();
    await page.getByTestId('webhooks-failing-badge').waitFor();
    await page.getByTestId('delivery-log').getByText('dead-lettered', { exact: true }).waitFor();
    for (const name of ['Send test', 'Edit', 'Enable', 'Delete', 'Add endpoint', 'Retry']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, `a viewer sees ${name}`);
    }
    await s.management.store.webhooks.deleteEndpoint(endpoint.id);
  });
  test('live deliveries from pusher-js appear in the log; a failing receiver shows retrying, then Retry delivers', async () => {
    const { stack: s, page } = await ready();
    const receiver = await startReceiver(s.startup);
    receivers.push(receiver);
    await signIn(page, s.url, s.startup.email);
    await openWebhooks(page, s.startup.appName);
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByLabel('Endpoint URL').fill(receiver.url);
    await page.getByLabel('Channel prefix filter (optional)').fill('presence-live-');
    await page.getByRole('button', { name: 'Add endpoint' }).click();
    await page.getByRole('status').getByText(`Added ${receiver.url}.`).waitFor();
    const log = page.getByTestId('delivery-log');
    const refreshUntil = async (rows: ReturnType<Page['locator']>, what: string): Promise<void> => {
      await eventually(
        async () => {
          await log.getByRole('button', { name: 'Refresh log' }).click();
          await page.waitForTimeout(300);
          return (await rows.count()) > 0;
        },
        what,
        40_000,
      );
    };

    const client = await s.openClient(['presence-live-1'], 'alice');
    await eventually(
      () => receiver.received.some((r) => r.valid && r.body.includes('member_added')),
      'member_added at the receiver',
      40_000,
    );
    await refreshUntil(
      log.locator('tr', { hasText: 'member_added' }).filter({ hasText: 'delivered' }),
      'a delivered member_added row',
    );

    // The receiver fails: the member_removed batch (after its ~3 s hold) is retried.
    receiver.status = 500;
    client.close();
    const failing = log.locator('tr', { hasText: 'member_removed' }).filter({ hasText: 'retrying' });
    await refreshUntil(failing, 'a retrying member_removed row');
    await failing.getByText('HTTP 500').first().waitFor();
    await page.reload();
    await page.getByTestId('webhooks-failing-badge').waitFor();

    receiver.status = 200;
    const retry = log.locator('tr', { hasText: 'member_removed' }).getByRole('button', { name: 'Retry' });
    if ((await retry.count()) > 0) await retry.first().click();
    await refreshUntil(
      log.locator('tr', { hasText: 'member_removed' }).filter({ hasText: 'delivered' }),
      'the member_removed row delivered',
    );
    const [endpoint] = await s.management.store.webhooks.listEndpoints(s.startup.appId);
    if (endpoint) await s.management.store.webhooks.deleteEndpoint(endpoint.id);
  });
});
