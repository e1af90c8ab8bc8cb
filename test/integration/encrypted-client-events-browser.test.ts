// Encrypted client events in Chromium (issue 11 §1): the receiver is STOCK pusher-js, its
// with-encryption web build, with an auth endpoint returning each channel's shared_secret; the
// senders are the @mawjly/client bundle the server serves at /js/mawjly.js (in another page, deriving
// the key from the master key) and the helper in Node. The receiver decrypts both unchanged. Also
// runs the page and Laravel Echo snippets of docs/encrypted-channels.md ("Encrypted client events").
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { MawjlyPusher } from '../../packages/client/src/index.js';
import { launchChromium } from '../support/browser.js';
import { ensureClientBuilt, repoRoot } from '../support/client-build.js';
import { signChannel } from '../support/raw-auth.js';
import {
  authEndpointOptions,
  makeApp,
  once,
  serverSdk,
  startTestServer,
  waitForState,
  type TestServer,
} from '../support/server.js';

const CHANNEL = 'private-encrypted-support.99';
const MASTER_KEY = randomBytes(32).toString('base64');
const app = makeApp({ plan: 'startup', settings: { encryptedClientEvents: true } });
const authOnly = (socketId: string, channel: string) => ({ auth: signChannel(app, socketId, channel) });
const STOCK_BUILD = `${repoRoot}node_modules/pusher-js/dist/web/pusher-with-encryption.min.js`;

describe('encrypted client events in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  const sites: Server[] = [];
  before(async () => {
    ensureClientBuilt();
    server = await startTestServer({ apps: [app] });
    browser = await launchChromium();
  });
  after(async () => {
    await browser.close();
    for (const site of sites) {
      site.closeAllConnections();
      site.close();
    }
    await server.close();
  });

  /** A page with a Pusher client subscribed to CHANNEL; `window.received` collects its events. */
  async function pageWith(script: { content?: string; url?: string }, extraOptions: string): Promise<Page> {
    const page = await browser.newPage();
    const sdk = serverSdk(server, app, { encryptionMasterKeyBase64: MASTER_KEY });
    // `withSecret`: the auth endpoint of the pusher SDK (auth + shared_secret); otherwise only auth.
    await page.exposeFunction('authorizeChannel', (socketId: string, channel: string, withSecret: boolean) =>
      withSecret ? sdk.authorizeChannel(socketId, channel) : authOnly(socketId, channel),
    );
    await page.addScriptTag(script);
    const settings = { key: app.key, host: server.host, port: server.port, channel: CHANNEL };
    // Plain JavaScript text: functions passed to page.evaluate would carry tsx's helpers along.
    await page.addScriptTag({
      content: `
        const s = ${JSON.stringify(settings)};
        window.received = [];
        window.state = 'connecting';
        window.pusher = new window.Pusher(s.key, {
          cluster: 'sa', wsHost: s.host, wsPort: s.port, forceTLS: false, enabledTransports: ['ws'],
          ${extraOptions}
        });
        window.channel = window.pusher.subscribe(s.channel);
        window.channel.bind('pusher:subscription_succeeded', () => { window.state = 'subscribed'; });
        window.channel.bind('pusher:subscription_error', (e) => { window.state = 'error ' + JSON.stringify(e); });
        window.channel.bind_global((event, data) => {
          if (!event.startsWith('pusher')) window.received.push([event, data]);
        });`,
    });
    await page.waitForFunction("window.state !== 'connecting'", null, { timeout: 15_000 });
    assert.equal(await page.evaluate('window.state'), 'subscribed');
    return page;
  }

  /**
   * A page of the customer's site, served with its auth endpoint (the `pusher` SDK with the master
   * key, returning shared_secret) by a real loopback server, as Chromium refuses local-network
   * connections from pages it cannot place.
   */
  async function sitePage(html: string): Promise<{ page: Page; logs: string[] }> {
    const sdk = serverSdk(server, app, { encryptionMasterKeyBase64: MASTER_KEY });
    const site = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        if (req.url === '/broadcasting/auth') {
          const form = new URLSearchParams(body);
          const authorization = sdk.authorizeChannel(
            form.get('socket_id') ?? '',
            form.get('channel_name') ?? '',
          );
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(authorization));
        } else {
          res.writeHead(200, { 'content-type': 'text/html' }).end(html);
        }
      });
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    sites.push(site);
    const page = await browser.newPage();
    const logs: string[] = [];
    page.on('console', (message) => logs.push(message.text()));
    await page.goto(`http://127.0.0.1:${String((site.address() as AddressInfo).port)}/`);
    return { page, logs };
  }

  /** A script block of docs/encrypted-channels.md, pointed at the test server. */
  async function docBlock(firstLine: string): Promise<string> {
    const text = await readFile(`${repoRoot}docs/encrypted-channels.md`, 'utf8');
    const block = [...text.matchAll(/^```\w*\n([\s\S]*?)^```$/gm)]
      .map((m) => m[1]!)
      .find((code) => code.startsWith(firstLine));
    assert.ok(block, `docs/encrypted-channels.md has a block starting with ${firstLine}`);
    return block
      .replaceAll("'YOUR_APP_KEY'", `'${app.key}'`)
      .replaceAll('127.0.0.1', server.host)
      .replaceAll('6001', String(server.port));
  }

  const echoSetup = (): string => `
    const EchoClass = Echo.default;
    window.Echo = new EchoClass(${JSON.stringify({
      broadcaster: 'pusher',
      key: app.key,
      cluster: 'sa',
      wsHost: server.host,
      wsPort: server.port,
      forceTLS: false,
      enabledTransports: ['ws'],
    })});`;

  test('docs/encrypted-channels.md: the page snippet, two pages, the auth endpoint returning shared_secret', async () => {
    const html = await docBlock("<!-- support.html: the helper's bundle sets the global Pusher -->");
    const first = await sitePage(html);
    try {
      await first.page.waitForFunction(
        "pusher.channel('private-encrypted-support.42')?.subscribed === true",
        null,
        { timeout: 15_000 },
      );
      const second = await sitePage(html);
      try {
        const expected = 'received {"text":"Only this channel can read me"}';
        const deadline = Date.now() + 15_000;
        while (!first.logs.includes(expected) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        assert.deepEqual(first.logs, [expected]);
      } finally {
        await second.page.close();
      }
    } finally {
      await first.page.close();
    }
  });

  test("docs/encrypted-channels.md: Echo's whisper through the helper reaches listenForWhisper on stock pusher-js", async () => {
    const echo = await readFile(`${repoRoot}node_modules/laravel-echo/dist/echo.iife.js`, 'utf8');
    const listener = await sitePage(`<!doctype html>
      <script src="${server.url}/js/pusher-with-encryption.min.js"></script>
      <script>${echo}</script>
      <script>${echoSetup()}
        window.whispers = [];
        window.Echo.encryptedPrivate('support.42')
          .listenForWhisper('typing', (e) => window.whispers.push(e))
          .subscribed(() => { window.ready = true; });
      </script>`);
    try {
      await listener.page.waitForFunction('window.ready === true', null, { timeout: 15_000 });
      const snippet = await docBlock("const channel = window.Echo.encryptedPrivate('support.42');");
      const whisperer = await sitePage(`<!doctype html>
        <script src="${server.url}/js/mawjly.js"></script>
        <script>${echo}</script>
        <script>${echoSetup()}</script>
        <script>${snippet}</script>`);
      try {
        await listener.page.waitForFunction('window.whispers.length > 0', null, { timeout: 15_000 });
        assert.deepEqual(await listener.page.evaluate('window.whispers'), [{ name: 'Ada' }]);
      } finally {
        await whisperer.page.close();
      }
    } finally {
      await listener.page.close();
    }
  });

  const authorizer = (withSecret: boolean): string => `
    channelAuthorization: {
      customHandler: ({ socketId, channelName }, callback) => {
        window.authorizeChannel(socketId, channelName, ${String(withSecret)}).then((d) => callback(null, d));
      },
    },`;

  test('stock pusher-js (with-encryption web build) decrypts client events from the helper', async () => {
    const receiver = await pageWith({ content: await readFile(STOCK_BUILD, 'utf8') }, authorizer(true));
    const sender = await pageWith(
      { url: `${server.url}/js/mawjly.js` },
      `${authorizer(false)} encryptionMasterKeyBase64: ${JSON.stringify(MASTER_KEY)},`,
    );
    const node = new MawjlyPusher(app.key, {
      ...authEndpointOptions(server, authOnly),
      encryptionMasterKeyBase64: MASTER_KEY,
    });
    try {
      // The stock build itself refuses: its EncryptedChannel has no client events.
      assert.match(
        String(
          await receiver.evaluate(
            "(() => { try { window.channel.trigger('client-x', {}); } catch (e) { return e.message; } })()",
          ),
        ),
        /not currently supported for encrypted channels/,
      );
      await sender.evaluate(
        "window.channel.trigger('client-message', { from: 'browser', text: 'Ticket #5: my address is 1 Main St' })",
      );
      await sender.evaluate("window.channel.trigger('client-typing', 'browser is typing')");
      await waitForState(node, 'connected', 10_000);
      const nodeChannel = node.subscribe(CHANNEL);
      await once(nodeChannel, 'pusher:subscription_succeeded', 10_000);
      nodeChannel.trigger('client-message', { from: 'node', n: 1 });

      await receiver.waitForFunction('window.received.length >= 3', null, { timeout: 15_000 });
      const received = await receiver.evaluate<[string, unknown][]>('window.received');
      // In order per sender; the two senders' events may interleave.
      const fromNode = (e: [string, unknown]): boolean => JSON.stringify(e).includes('"node"');
      assert.deepEqual(
        received.filter((e) => !fromNode(e)),
        [
          ['client-message', { from: 'browser', text: 'Ticket #5: my address is 1 Main St' }],
          ['client-typing', 'browser is typing'],
        ],
        JSON.stringify(received),
      );
      assert.deepEqual(received.filter(fromNode), [['client-message', { from: 'node', n: 1 }]]);
      // The helper page got the Node helper's event too (and never its own).
      await sender.waitForFunction('window.received.length >= 1', null, { timeout: 15_000 });
      assert.deepEqual(await sender.evaluate('window.received'), [
        ['client-message', { from: 'node', n: 1 }],
      ]);
    } finally {
      node.disconnect();
      await receiver.close();
      await sender.close();
    }
  });
});
