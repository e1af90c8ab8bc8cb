// The dashboard in real headless Chromium against the real server: sign-in, the Keys page's
// encryption master key lifecycle (generate → use with the official SDKs → reload → rotate), the Free
// plan's refusal, the debug console (live events, in-browser decryption) — and that the key never
// leaves the page (no request carries it, no browser storage holds it).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { startDashboardStack, type DashboardStack } from './dashboard-stack.js';

const PASSWORD = 'correct horse battery';
function fingerprintOf(keyBase64: string): string {
  const digest = createHash('sha256')
    .update(Buffer.from('mawjly-encryption-key-fingerprint-v1\0', 'ascii'))
    .update(Buffer.from(keyBase64, 'base64'))
    .digest('hex');
  return (digest.slice(0, 32).match(/.{4}/g) ?? []).join(':');
}

/** Every request the page makes (URL, headers and body), to prove a key never leaves it. */
function recordRequests(page: Page): string[] {
  const seen: string[] = [];
  page.on('request', (req) => {
    seen.push(`${req.method()} ${req.url()}\n${JSON.stringify(req.headers())}\n${req.postData() ?? ''}`);
  });
  return seen;
}

function assertNotLeaked(seen: readonly string[], key: string): void {
  const forms = [
    key,
    encodeURIComponent(key),
    key.replace(/=+$/, ''),
    Buffer.from(key, 'base64').toString('hex'),
  ];
  for (const entry of seen) {
    for (const form of forms)
      assert.ok(!entry.includes(form), `a request carried the key: ${entry.slice(0, 200)}`);
  }
}

async function assertNotStored(page: Page, key: string): Promise<void> {
  // A string, not a function: tsx's helpers (__name) do not exist in the page.
  const stored = await page.evaluate<string>(`(() => {
    const dump = (s) => JSON.stringify(Array.from({ length: s.length }, (_, i) => [s.key(i), s.getItem(s.key(i))]));
    return dump(localStorage) + dump(sessionStorage) + document.cookie;
  })()`);
  assert.ok(!stored.includes(key), 'browser storage holds the key');
  assert.ok(
    !page.url().includes(encodeURIComponent(key)) && !page.url().includes(key),
    'the URL holds the key',
  );
}

async function signIn(page: Page, base: string, email: string): Promise<void> {
  await page.goto(`${base}/dashboard/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Apps', exact: true }).waitFor();
}

async function openKeys(page: Page, appName: string): Promise<void> {
  await page.getByRole('link', { name: 'Apps', exact: true }).first().click();
  await page.getByRole('link', { name: appName }).click();
  await page.getByRole('navigation', { name: 'App sections' }).getByRole('link', { name: 'Keys' }).click();
  await page.getByRole('heading', { name: 'Encryption master key' }).waitFor();
}

describe('dashboard (Chromium)', { timeout: 90_000 }, () => {
  let stack: DashboardStack | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  before(async () => {
    stack = await startDashboardStack();
    browser = await launchChromium();
  });
  /** A fresh browser context (own cookies and storage) per test. */
  const ready = async (): Promise<{ stack: DashboardStack; page: Page }> => {
    assert.ok(stack && browser, 'the stack and browser started');
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    contexts.push(context);
    return { stack, page: await context.newPage() };
  };
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await stack?.close();
  });

  test('generate the master key once, use it with the SDKs, reload, verify, rotate; the key never leaves the page', async () => {
    const { stack: s, page } = await ready();
    const requests = recordRequests(page);
    const consoleText: string[] = [];
    page.on('console', (m) => consoleText.push(m.text()));
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));

    await signIn(page, s.url, s.startup.email);
    await openKeys(page, s.startup.appName);
    const panel = page.getByTestId('encryption-panel');
    await panel.getByText('This app has no encryption master key.').waitFor();

    await panel.getByRole('button', { name: 'Generate', exact: true }).click();
    const keyText = (await page.getByTestId('new-master-key').textContent())?.trim() ?? '';
    assert.match(keyText, /^[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(keyText, 'base64').length, 32);
    const fingerprint = fingerprintOf(keyText);
    await panel.getByText('Store this key now').waitFor();
    assert.equal(await page.getByTestId('active-fingerprint').textContent(), fingerprint);

    // The key works with the official SDKs: publish with `pusher`, receive and decrypt with pusher-js.
    const received = await s.roundTripEncrypted(keyText, {
      orderId: '12345',
      trackingNumber: 'PII_HERE',
    });
    assert.deepEqual(received, { orderId: '12345', trackingNumber: 'PII_HERE' });

    // Verify a key, computed in the browser.
    await panel.getByLabel('Key to verify (base64)').fill(keyText);
    await page.getByTestId('verify-result').getByText('Matches the active key (version 1).').waitFor();
    assert.match((await page.getByTestId('verify-result').textContent()) ?? '', new RegExp(fingerprint));
    await panel.getByLabel('Key to verify (base64)').fill(Buffer.alloc(32, 7).toString('base64'));
    await page.getByTestId('verify-result').getByText('Does not match the active key.').waitFor();

    // Reload: the key is gone for good, the fingerprint stays.
    await page.reload();
    await page.getByTestId('active-fingerprint').waitFor();
    assert.equal(await page.getByTestId('active-fingerprint').textContent(), fingerprint);
    assert.equal(await page.getByTestId('new-master-key').count(), 0);
    assert.ok(!(await page.content()).includes(keyText), 'the key is on the page after a reload');

    // Rotate: an explicit confirmation saying in-flight messages are invalidated.
    await panel.getByRole('button', { name: 'Rotate', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Rotate the encryption master key?' });
    await dialog.getByText('invalidates in-flight messages').waitFor();
    const confirm = dialog.getByRole('button', { name: 'Rotate key' });
    assert.equal(await confirm.isDisabled(), true, 'rotation needs the acknowledgement ticked');
    await dialog.getByLabel('I understand that in-flight messages will be lost').check();
    await confirm.click();
    await page.getByText('Your new encryption master key (version 2)').waitFor();
    const rotatedKey = (await page.getByTestId('new-master-key').textContent())?.trim() ?? '';
    assert.notEqual(rotatedKey, keyText);
    const rotatedFingerprint = fingerprintOf(rotatedKey);
    await page.getByTestId('active-fingerprint').getByText(rotatedFingerprint).waitFor();
    await page.getByTestId('key-history').getByText(fingerprint).waitFor();
    // The rotation opened a window: the old fingerprint is "previous until …" until finished.
    await page.getByTestId('previous-key').getByText(fingerprint).waitFor();
    assert.match((await page.getByTestId('previous-key').textContent()) ?? '', /previous until/);
    await panel.getByRole('button', { name: 'Finish rotation' }).click();
    await panel.getByRole('button', { name: 'Rotate', exact: true }).waitFor();
    assert.equal(await page.getByTestId('previous-key').count(), 0);

    // Nothing carried either key: no request, no storage, no URL, no console line.
    for (const key of [keyText, rotatedKey]) {
      assertNotLeaked(requests, key);
      await assertNotStored(page, key);
      assert.ok(!consoleText.some((t) => t.includes(key)), 'the console shows the key');
    }
    assert.deepEqual(pageErrors, []);
    assert.ok(!consoleText.some((t) => /Content Security Policy/i.test(t)), consoleText.join('\n'));
    await page.close();
  });

  test('Free plan: no working Generate, the panel explains encrypted channels need Startup', async () => {
    const { stack: s, page } = await ready();
    await signIn(page, s.url, s.free.email);
    await openKeys(page, s.free.appName);
    const panel = page.getByTestId('encryption-panel');
    await panel.getByText('Encrypted channels need the Startup plan or above.').waitFor();
    const generate = panel.getByRole('button', { name: 'Generate', exact: true });
    assert.ok(
      (await generate.count()) === 0 || (await generate.isDisabled()),
      'a working Generate button is shown',
    );
    await page.close();
  });

  test('apps: snippets carry the key, never the secret; creating past the plan cap shows the upgrade prompt', async () => {
    const { stack: s, page } = await ready();
    await signIn(page, s.url, s.free.email);
    await page.getByRole('link', { name: s.free.appName }).click();
    await page
      .getByRole('navigation', { name: 'App sections' })
      .getByRole('link', { name: 'Getting started' })
      .click();
    for (const sdk of ['pusher-js (browser)', 'Laravel Echo', 'Laravel .env', 'pusher (Node server SDK)']) {
      await page.getByRole('button', { name: sdk }).click();
      const snippet = (await page.getByRole('region', { name: `${sdk} snippet` }).textContent()) ?? '';
      assert.ok(snippet.includes(s.free.appKey), `${sdk} snippet has the key`);
      assert.ok(!snippet.includes(s.free.appSecret), `${sdk} snippet shows the secret`);
    }

    // Free allows two apps: the second is created, then the form gives way to the upgrade prompt.
    await page.getByRole('link', { name: 'Apps', exact: true }).first().click();
    await page.getByLabel('App name').fill('Second app');
    await page.getByRole('button', { name: 'Create app' }).click();
    await page.getByRole('heading', { name: 'Second app' }).waitFor();
    await page.getByRole('link', { name: 'Apps', exact: true }).first().click();
    await page.getByText("You have reached your plan's app limit").waitFor();
    assert.equal(await page.getByRole('button', { name: 'Create app' }).count(), 0);
    await page.close();
  });

  test('a viewer never sees the secret, nor reveal, rotate or generate', async () => {
    const { stack: s, page } = await ready();
    await signIn(page, s.url, s.viewer.email);
    await openKeys(page, s.startup.appName);
    await page.getByText('Viewers cannot see the secret.').waitFor();
    assert.match((await page.getByTestId('app-secret').textContent()) ?? '', /^•+/);
    for (const name of ['Reveal', 'Rotate secret', 'Rotate', 'Generate']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).count(), 0, name);
    }
    await page.close();
  });

  test('debug console: API events appear live; encrypted ones show ciphertext, then plaintext with the pasted key', async () => {
    const { stack: s, page } = await ready();
    const requests = recordRequests(page);
    await signIn(page, s.url, s.startup.email);
    await page.getByRole('link', { name: s.startup.appName }).click();
    await page
      .getByRole('navigation', { name: 'App sections' })
      .getByRole('link', { name: 'Debug console' })
      .click();
    await page.getByRole('status').getByText('live', { exact: true }).waitFor();

    // A client connecting and subscribing shows up as it happens.
    const client = await s.openClient(['dash-public', 'private-dash']);
    await page.locator('.debug-entry[data-type="connection"]').first().waitFor();
    await page.locator('.debug-entry[data-type="subscribed"]', { hasText: 'private-dash' }).waitFor();
    client.close();

    await s.publishPlain('dash-public', 'greeting', { hello: 'world' });
    const plainEntry = page.locator('.debug-entry[data-type="api_message"]', { hasText: 'dash-public' });
    await plainEntry.getByText('"hello": "world"').waitFor();

    const key = Buffer.alloc(32, 42).toString('base64');
    await s.publishEncrypted(key, 'private-encrypted-orders.42', 'order.shipped', { orderId: 'A-1' });
    const entry = page.locator('.debug-entry[data-type="api_message"]', {
      hasText: 'private-encrypted-orders.42',
    });
    const cipher = (await entry.getByTestId('ciphertext').textContent()) ?? '';
    assert.match(cipher, /"ciphertext"/);
    assert.ok(!cipher.includes('A-1'), 'the stream shows plaintext');

    // Filters: by type and by channel.
    await page.getByLabel('Channel contains').fill('dash-public');
    assert.equal(await page.locator('.debug-entry', { hasText: 'private-encrypted-orders.42' }).count(), 0);
    await page.getByLabel('Channel contains').fill('');
    await page.getByLabel('Type').selectOption('connections');
    await page.locator('.debug-entry[data-type="connection"]').first().waitFor();
    assert.equal(await page.locator('.debug-entry[data-type="api_message"]').count(), 0);
    await page.getByLabel('Type').selectOption('errors');
    assert.equal(await page.locator('.debug-entry', { hasText: 'dash-public' }).count(), 0);
    await page.getByLabel('Type').selectOption('all');

    await page.getByLabel('Decrypt with master key').fill(Buffer.alloc(32, 1).toString('base64'));
    await entry.getByText('this key does not decrypt the event').waitFor();
    await page.getByLabel('Decrypt with master key').fill(key);
    const plaintext = entry.getByTestId('plaintext');
    await plaintext.waitFor();
    assert.deepEqual(JSON.parse((await plaintext.textContent()) ?? ''), { orderId: 'A-1' });

    assertNotLeaked(requests, key);
    await assertNotStored(page, key);
    await page.close();
  });

  test('channels: the live list with type badges and the presence roster', async () => {
    const { stack: s, page } = await ready();
    const client = await s.openClient(['dash-public', 'private-dash', 'presence-room'], 'alice');
    try {
      await signIn(page, s.url, s.startup.email);
      await page.getByRole('link', { name: s.startup.appName }).click();
      await page
        .getByRole('navigation', { name: 'App sections' })
        .getByRole('link', { name: 'Channels' })
        .click();
      const row = (name: string) =>
        page.getByRole('row').filter({ has: page.getByText(name, { exact: true }) });
      await row('presence-room').waitFor();
      assert.match((await row('dash-public').textContent()) ?? '', /public/);
      assert.match((await row('private-dash').textContent()) ?? '', /private/);
      assert.match((await row('presence-room').textContent()) ?? '', /presence/);
      await row('presence-room').getByRole('button', { name: 'Members' }).click();
      await page
        .getByRole('list', { name: 'Members of presence-room' })
        .getByText('alice', { exact: true })
        .waitFor();
    } finally {
      client.close();
    }
    await page.close();
  });

  test('account: the 80 % banner, reveal of the secret, API error messages, sign out', async () => {
    const { stack: s, page } = await ready();
    await signIn(page, s.url, s.busy.email);
    const banner = page.getByRole('alert').filter({ hasText: "of today's message quota" });
    await banner.getByText('85 %').waitFor();

    await page.getByRole('link', { name: s.busy.appName }).click();
    await page.getByRole('navigation', { name: 'App sections' }).getByRole('link', { name: 'Keys' }).click();
    assert.notEqual(await page.getByTestId('app-secret').textContent(), s.busy.appSecret);
    await page.getByRole('button', { name: 'Reveal' }).click();
    await page.getByTestId('app-secret').getByText(s.busy.appSecret, { exact: true }).waitFor();

    // The API's own message is shown: plaintext is refused on an encrypted channel (and on Free).
    await page
      .getByRole('navigation', { name: 'App sections' })
      .getByRole('link', { name: 'Event creator' })
      .click();
    await page.getByLabel('Channels (comma or space separated, up to 100)').fill('private-encrypted-x');
    await page.getByRole('button', { name: 'Send event' }).click();
    const error = (await page.getByRole('alert').filter({ hasNotText: 'quota' }).textContent()) ?? '';
    assert.ok(error.length > 10 && !/answered \d{3}/.test(error), `an API message, got: ${error}`);

    // Keyboard: Escape closes a confirmation dialog without acting.
    await page
      .getByRole('navigation', { name: 'App sections' })
      .getByRole('link', { name: 'Settings' })
      .click();
    await page.getByRole('button', { name: 'Delete app…' }).focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'Delete this app?' });
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.reload();
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.close();
  });

  test('account pages: team, an API token shown once, the audit log', async () => {
    const { stack: s, page } = await ready();
    await signIn(page, s.url, s.startup.email);
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    await page.getByRole('heading', { name: /Your plan: startup/ }).waitFor();
    // Plan changes are the operator's: the page shows the command, not "contact your operator".
    await page.getByRole('heading', { name: 'Changing plan' }).waitFor();
    assert.equal(
      (await page.getByTestId('set-plan-command').textContent())?.trim(),
      'mawjly accounts set-plan Acme PLAN',
    );
    await page.getByText('free, startup, pro, business').waitFor();
    assert.ok(!(await page.content()).includes('contact your Mawjly operator'));

    await page.getByRole('link', { name: 'Team' }).click();
    await page.getByRole('cell', { name: 'viewer@acme.test' }).waitFor();
    assert.deepEqual(await page.locator('#member-role option').allTextContents(), [
      'owner',
      'admin',
      'developer',
      'viewer',
    ]);

    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Name').fill('ci deploys');
    await page.getByRole('button', { name: 'Create token' }).click();
    const token =
      (await page.getByRole('region', { name: 'Your new API token' }).locator('code').textContent()) ?? '';
    assert.match(token, /^mjly_/);
    await page.getByRole('cell', { name: 'ci deploys' }).waitFor();
    await page.reload();
    await page.getByRole('cell', { name: 'ci deploys' }).waitFor();
    assert.ok(!(await page.content()).includes(token), 'the token is shown again');

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('cell', { name: 'token.created' }).first().waitFor();
    await page.close();
  });

  test('settings persist; the event creator publishes', async () => {
    const { stack: s, page } = await ready();
    await signIn(page, s.url, s.startup.email);
    await page.getByRole('link', { name: s.startup.appName }).click();
    const sections = page.getByRole('navigation', { name: 'App sections' });
    await sections.getByRole('link', { name: 'Settings' }).click();
    const counting = page.getByRole('switch', { name: /Subscription counting/ });
    assert.equal(await counting.isChecked(), false);
    // Channel history is a Pro and Business feature: shown, explained, not switchable here.
    const history = page.getByRole('switch', { name: /Channel history and recovery/ });
    assert.equal(await history.isDisabled(), true);
    await page.getByText('Not available on the startup plan (Pro and Business).').waitFor();
    // Three switches clicked once each, quickly one after another, while the first save's answer is
    // held back (a slow network: the server has the change, the page does not have the answer yet).
    // That answer carries the state it sent; it must not undo the two clicks made meanwhile.
    const encrypted = page.getByRole('switch', { name: /Encrypted client events/ });
    const authorized = page.getByRole('switch', { name: /Authorized connections only/ });
    assert.equal(await encrypted.isChecked(), false);
    assert.equal(await authorized.isChecked(), false);
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    let serverAnsweredFirst!: () => void;
    const firstAnsweredByServer = new Promise<void>((resolve) => (serverAnsweredFirst = resolve));
    let sent = 0;
    let answered = 0;
    await page.route('**/api/v1/apps/*', async (route) => {
      if (route.request().method() !== 'PATCH') {
        await route.fallback();
        return;
      }
      // The server answers the first save before it sees a later one; the page gets that answer last.
      const first = sent++ === 0;
      if (!first) await firstAnsweredByServer;
      const response = await route.fetch();
      if (first) {
        serverAnsweredFirst();
        await firstHeld;
      }
      await route.fulfill({ response });
      answered++;
    });
    await counting.click();
    await encrypted.click();
    await authorized.click();
    releaseFirst();
    for (const deadline = Date.now() + 10_000; answered < 3 && Date.now() < deadline;)
      await page.waitForTimeout(50);
    assert.equal(answered, 3, 'three saves answered');
    await page.unroute('**/api/v1/apps/*');
    await page.waitForTimeout(200);
    for (const toggle of [counting, encrypted, authorized]) assert.equal(await toggle.isChecked(), true);
    // The last answer shown is the last save's.
    await page.getByText('Authorized connections saved.').waitFor({ timeout: 5000 });
    await page.getByLabel(/One origin per line/).fill('https://shop.example\nhttps://admin.example');
    await page.getByRole('button', { name: 'Save origins' }).click();
    await page.getByText('Allowed origins saved.').waitFor();
    await page.reload();
    assert.equal(await page.getByRole('switch', { name: /Subscription counting/ }).isChecked(), true);
    assert.equal(await page.getByRole('switch', { name: /Encrypted client events/ }).isChecked(), true);
    assert.equal(await page.getByRole('switch', { name: /Authorized connections only/ }).isChecked(), true);
    assert.equal(
      await page.getByLabel(/One origin per line/).inputValue(),
      'https://shop.example\nhttps://admin.example',
    );
    await page.getByLabel(/One origin per line/).fill('*');
    await page.getByRole('button', { name: 'Save origins' }).click();
    await page.getByText('Allowed origins saved.').waitFor();

    const client = await s.openClient(['creator-test']);
    try {
      await sections.getByRole('link', { name: 'Event creator' }).click();
      await page.getByLabel('Channels (comma or space separated, up to 100)').fill('creator-test');
      await page.getByRole('button', { name: 'Send event' }).click();
      await page.getByText(/^Sent my-event to creator-test/).waitFor();
    } finally {
      client.close();
    }
    await page.close();
  });
});
