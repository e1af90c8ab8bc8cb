// The dashboard's Getting started page leads with encrypted channels: its snippets, as rendered in
// Chromium (pre-filled with this app and server), run against the real server unchanged — the Node
// auth endpoint and publisher as child processes, the pusher-js/with-encryption and Laravel Echo
// snippets bundled by esbuild into a page that decrypts. Also the rough edges a newcomer met: a clean
// console on the sign-in page, the fingerprint once after Generate, person-friendly actors, human
// event labels, the encrypted badge's colour, the Account page's "current" badge, the 390 px layout,
// the debug console's key field in a form, and its server-side backlog on a fresh page.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { build } from 'esbuild';
import Pusher from 'pusher';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { spawnLines } from '../support/child-process.js';
import { repoRoot } from '../support/client-build.js';
import { channelOccupied } from '../support/server.js';
import { startDashboardStack, type DashboardStack } from './dashboard-stack.js';
import { waitUntil } from '../support/wait.js';
import { freePort } from '../support/ports.js';

const PASSWORD = 'correct horse battery';

async function signIn(page: Page, base: string, email: string): Promise<void> {
  await page.goto(`${base}/dashboard/`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Apps', exact: true }).waitFor();
}

async function openSection(page: Page, appName: string, section: string): Promise<void> {
  await page.getByRole('link', { name: 'Apps', exact: true }).first().click();
  await page.getByRole('link', { name: appName }).click();
  await page.getByRole('navigation', { name: 'App sections' }).getByRole('link', { name: section }).click();
}

/** Console errors and warnings, page errors and failed responses: a clean page has none. */
function watchConsole(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`${r.status()} ${r.url()}`);
  });
  return problems;
}

const until = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> =>
  waitUntil(check, what, timeoutMs, 200);

describe('dashboard Getting started and first-hour fixes (Chromium)', { timeout: 180_000 }, () => {
  let stack: DashboardStack | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  before(async () => {
    stack = await startDashboardStack();
    browser = await launchChromium();
  });
  const ready = async (width = 1280): Promise<{ stack: DashboardStack; page: Page }> => {
    assert.ok(stack && browser, 'the stack and browser started');
    const context = await browser.newContext({ viewport: { width, height: 900 } });
    contexts.push(context);
    return { stack, page: await context.newPage() };
  };
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await stack?.close();
  });

  // Every step is bounded (child processes, fetches, waits), and the test within the file's budget,
  // so a stall fails here naming the step rather than timing out the whole file.
  test(
    'the encrypted-channels snippets, as rendered, run: auth endpoint and publisher in Node, pusher-js and Echo decrypt in Chromium',
    { timeout: 90_000 },
    async () => {
      const { stack: s, page } = await ready();
      await signIn(page, s.url, s.startup.email);
      await openSection(page, s.startup.appName, 'Getting started');
      await page.getByRole('heading', { name: 'Encrypted channels', exact: true }).waitFor();
      const snippet = async (label: string): Promise<string> =>
        (await page
          .getByRole('region', { name: `${label} snippet`, exact: true })
          .locator('code')
          .textContent()) ?? '';
      const auth = await snippet('Auth endpoint (Node, pusher SDK)');
      const publish = await snippet('Publish (Node, pusher SDK)');
      const browserJs = await snippet('Browser: pusher-js/with-encryption');
      const echoJs = await snippet('Laravel Echo: encryptedPrivate');
      const env = await snippet('Laravel .env (encrypted channels)');
      const config = await snippet('config/broadcasting.php');
      const { port } = new URL(s.url);

      // Pre-filled with this app and server; never the secret; the master key only by variable name.
      for (const code of [auth, publish, browserJs, echoJs, env, config])
        assert.ok(!code.includes(s.startup.appSecret), 'a snippet shows the secret');
      for (const code of [browserJs, echoJs]) {
        assert.ok(code.includes(s.startup.appKey));
        assert.ok(code.includes(`wsPort: ${port},`) && code.includes(`wssPort: ${port},`), code);
        assert.ok(code.includes("import Pusher from 'pusher-js/with-encryption';"), code);
      }
      assert.ok(echoJs.includes(".encryptedPrivate('orders.42')"));
      for (const code of [auth, publish]) {
        assert.ok(code.includes('encryptionMasterKeyBase64: process.env.MAWJLY_ENCRYPTION_KEY'), code);
        assert.ok(code.includes(`port: ${JSON.stringify(port)}`) && code.includes(s.startup.appKey), code);
      }
      assert.ok(
        env.includes(`PUSHER_APP_KEY=${s.startup.appKey}\n`) && env.includes(`PUSHER_PORT=${port}\n`),
      );
      assert.match(env, /^PUSHER_ENCRYPTION_MASTER_KEY_BASE64=$/m);
      assert.ok(
        config.includes("'encryption_master_key_base64' => env('PUSHER_ENCRYPTION_MASTER_KEY_BASE64')"),
        config,
      );
      // The link to the Keys panel leads there.
      await page.getByTestId('keys-panel-link').click();
      await page.getByRole('heading', { name: 'Encryption master key' }).waitFor();

      // Run them. Node snippets in a scratch directory inside the repository (its node_modules).
      const scratch = `${repoRoot}test-results/getting-started-${randomBytes(4).toString('hex')}/`;
      await mkdir(scratch, { recursive: true });
      const masterKey = randomBytes(32).toString('base64');
      const authPort = await freePort();
      const env2 = {
        ...process.env,
        MAWJLY_APP_SECRET: s.startup.appSecret,
        MAWJLY_ENCRYPTION_KEY: masterKey,
        PORT: String(authPort),
      };
      await writeFile(`${scratch}auth.mjs`, auth);
      await writeFile(`${scratch}publish.mjs`, publish);
      const authProcess = spawnLines(process.execPath, [`${scratch}auth.mjs`], { cwd: scratch, env: env2 });
      let backend: Server | undefined;
      try {
        // The customer's site: a page with the bundled snippet, /broadcasting/auth passed to auth.mjs.
        const pages = new Map<string, string>();
        backend = createServer((req, res) => {
          if (req.method === 'POST' && req.url === '/broadcasting/auth') {
            const chunks: Buffer[] = [];
            req.on('data', (c: Buffer) => chunks.push(c));
            req.on('end', () => {
              fetch(`http://127.0.0.1:${authPort}/broadcasting/auth`, {
                method: 'POST',
                signal: AbortSignal.timeout(10_000),
                headers: {
                  'content-type': req.headers['content-type'] ?? 'application/x-www-form-urlencoded',
                },
                body: Buffer.concat(chunks),
              })
                .then(async (r) => {
                  res.writeHead(r.status, { 'content-type': 'application/json' }).end(await r.text());
                })
                .catch(() => res.writeHead(502).end());
            });
            return;
          }
          const body = pages.get(req.url ?? '');
          if (body === undefined) res.writeHead(404).end();
          else
            res
              .writeHead(200, { 'content-type': req.url?.endsWith('.js') ? 'text/javascript' : 'text/html' })
              .end(body);
        });
        await new Promise<void>((resolve) => backend!.listen(0, '127.0.0.1', resolve));
        const site = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
        await until('the auth endpoint to listen', async () => {
          try {
            return (
              (await fetch(`http://127.0.0.1:${authPort}/`, { signal: AbortSignal.timeout(5_000) }))
                .status === 404
            );
          } catch {
            return false;
          }
        });

        // Who is on the snippets' channel, asked of the server's REST API.
        const rest = new Pusher({
          appId: s.startup.appId,
          key: s.startup.appKey,
          secret: s.startup.appSecret,
          host: new URL(s.url).hostname,
          port,
          useTLS: false,
          timeout: 5_000,
        });
        const channel = 'private-encrypted-orders.42';
        const occupied = (): Promise<boolean> => channelOccupied(rest, channel);
        const publishOnce = async (): Promise<void> => {
          const run = spawnLines(process.execPath, [`${scratch}publish.mjs`], { cwd: scratch, env: env2 });
          const timer = setTimeout(() => void run.stop('SIGKILL'), 20_000);
          const code = await run.exited;
          clearTimeout(timer);
          assert.equal(code, 0, `publish.mjs ${code === null ? 'ran past 20 s' : 'failed'}: ${run.stderr()}`);
        };

        for (const [name, code] of [
          ['pusher-js', browserJs],
          ['echo', echoJs],
        ] as const) {
          await writeFile(`${scratch}${name}.js`, code);
          const bundle = await build({
            entryPoints: [`${scratch}${name}.js`],
            bundle: true,
            write: false,
            format: 'iife',
            platform: 'browser',
            logLevel: 'silent',
          });
          pages.set(`/${name}.js`, bundle.outputFiles[0]!.text);
          pages.set(
            `/${name}.html`,
            `<!doctype html><title>${name}</title><script src="/${name}.js"></script>`,
          );
          // The previous page's socket is gone before this page subscribes, so "occupied" is this page.
          await until(`${channel} to be vacated before the ${name} page`, async () => !(await occupied()));
          const { page: sitePage } = await ready();
          const logged: string[] = [];
          sitePage.on('console', (m) => logged.push(m.text()));
          await sitePage.goto(`${site}/${name}.html`);
          await until(`the ${name} page to subscribe to ${channel}`, occupied);
          // Subscribed, with its handler bound: one publish is enough; a second only if the first is
          // not printed within 10 s.
          const decrypted = (): boolean => logged.some((l) => l.startsWith('order.shipped'));
          for (let attempt = 1; !decrypted(); attempt++) {
            assert.ok(
              attempt <= 2,
              `${name} never printed the decrypted event; console: ${logged.join(' | ')}`,
            );
            await publishOnce();
            await until(`${name} to decrypt the event`, decrypted, 10_000).catch(() => undefined);
          }
          const line = logged.find((l) => l.startsWith('order.shipped')) ?? '';
          assert.match(line, /orderId: 42|"orderId":42/, `${name} logged ${line}`);
          await sitePage.close();
        }
      } finally {
        await authProcess.stop();
        await new Promise<void>((resolve) => {
          if (backend)
            backend.close(() => {
              resolve();
            });
          else resolve();
        });
        await rm(scratch, { recursive: true, force: true });
      }
      await page.close();
    },
  );

  test('the sign-in page loads with a clean console (no 401 probe)', async () => {
    const { stack: s, page } = await ready();
    const problems = watchConsole(page);
    await page.goto(`${s.url}/dashboard/`);
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.waitForLoadState('networkidle');
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('Keys: the new key\'s fingerprint shown once; "Created … by" names the person', async () => {
    const { stack: s, page } = await ready();
    await signIn(page, s.url, s.startup.email);
    await openSection(page, s.startup.appName, 'Keys');
    const panel = page.getByTestId('encryption-panel');
    await panel.getByRole('button', { name: 'Generate', exact: true }).click();
    const fingerprint = (await page.getByTestId('active-fingerprint').textContent()) ?? '';
    assert.match(fingerprint, /^[0-9a-f]{4}(:[0-9a-f]{4}){7}$/);
    assert.equal(
      await panel.getByText(fingerprint, { exact: true }).count(),
      1,
      'the fingerprint is shown twice',
    );
    const created = (await page.getByTestId('active-key').textContent()) ?? '';
    assert.ok(created.includes(`by ${s.startup.email}`), created);
    assert.ok(!created.includes('user:'), created);
    await page.close();
  });

  test('debug console: a fresh page shows the events before it opened, with human labels; the key field is in a form; encrypted reads as positive', async () => {
    const { stack: s, page } = await ready();
    const problems = watchConsole(page);
    // Happens before any console is open.
    await s.publishPlain('before-open', 'greeting', { early: true });
    await s.publishEncrypted(Buffer.alloc(32, 9).toString('base64'), 'private-encrypted-early', 'x', {
      a: 1,
    });
    await signIn(page, s.url, s.startup.email);
    await openSection(page, s.startup.appName, 'Debug console');
    const early = page.locator('.debug-entry[data-type="api_message"]', { hasText: 'before-open' });
    await early.getByText('"early": true').waitFor();
    assert.equal(await early.locator('.badge').first().textContent(), 'API message');
    assert.deepEqual(await page.locator('#debug-type option').allTextContents(), [
      'All',
      'Connections',
      'Subscriptions',
      'API messages',
      'Client events',
      'Errors',
      'Other',
    ]);
    assert.equal(await page.locator('#debug-key').evaluate((el) => el.closest('form') !== null), true);

    const badge = page
      .locator('.debug-entry', { hasText: 'private-encrypted-early' })
      .locator('.type-encrypted')
      .first();
    const color = await badge.evaluate((el) => getComputedStyle(el).color);
    const [r, g, b] = (color.match(/\d+/g) ?? []).map(Number) as [number, number, number];
    assert.ok(!(r > g * 1.5 && r > b * 1.5), `the encrypted badge is red: ${color}`);

    // A reconnect (pause, resume) replays the backlog; nothing is listed twice.
    const before = await page.locator('.debug-entry').count();
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('status').getByText('live', { exact: true }).waitFor();
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await page.locator('.debug-entry').count(), before);
    assert.deepEqual(problems, []);
    await page.close();
  });

  test('Account: the "current" badge stands apart from the plan name', async () => {
    const { stack: s, page } = await ready();
    await signIn(page, s.url, s.startup.email);
    await page.getByRole('link', { name: 'Account', exact: true }).click();
    const row = page.locator('tr.current th');
    await row.waitFor();
    const gap = await row.evaluate((th) => {
      const range = document.createRange();
      range.selectNodeContents(th.querySelector('.plan-name') ?? th.firstChild ?? th);
      const badge = th.querySelector('.badge');
      return badge ? badge.getBoundingClientRect().left - range.getBoundingClientRect().right : -1;
    });
    assert.ok(gap >= 6, `gap ${String(gap)} px`);
    await page.close();
  });

  test('at 390 px the app title stays on one line and the tabs on one scrolling row', async () => {
    const { stack: s, page } = await ready(390);
    await signIn(page, s.url, s.startup.email);
    await page.getByRole('link', { name: s.startup.appName }).click();
    await page
      .getByRole('navigation', { name: 'App sections' })
      .getByRole('link', { name: 'Getting started' })
      .click();
    const title = page.locator('h1.app-title, main h1').first();
    const lineHeight = await title.evaluate((el) => parseFloat(getComputedStyle(el).lineHeight) || 30);
    const box = await title.boundingBox();
    assert.ok(box && box.height <= lineHeight * 1.3, `title height ${String(box?.height)}`);
    const tops = await page
      .getByRole('navigation', { name: 'App sections' })
      .getByRole('link')
      .evaluateAll((links) => links.map((a) => String(Math.round(a.getBoundingClientRect().top))).join(','));
    assert.equal(new Set(tops.split(',')).size, 1, `tab rows at ${tops}`);
    const pageWidth = await page.evaluate('document.documentElement.scrollWidth');
    assert.ok(Number(pageWidth) <= 390, `the page scrolls sideways: ${String(pageWidth)}`);
    await page.close();
  });
});
