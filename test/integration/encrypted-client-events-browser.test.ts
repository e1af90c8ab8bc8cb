// Encrypted client events in Chromium (issue 11 §1): the receiver is STOCK pusher-js, its
// with-encryption web build, with an auth endpoint returning each channel's shared_secret; the
// senders are the @mawjly/client bundle the server serves at /js/mawjly.js (in another page, deriving
// the key from the master key) and the helper in Node. The receiver decrypts both unchanged.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { MawjlyPusher } from '../../packages/client/src/index.js';
import { launchChromium } from '../support/browser.js';
import { ensureClientBuilt, repoRoot } from '../support/client-build.js';
import {
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
const authOnly = (socketId: string, channel: string) => ({
  auth: `${app.key}:${createHmac('sha256', app.secrets[0]!).update(`${socketId}:${channel}`).digest('hex')}`,
});
const STOCK_BUILD = `${repoRoot}node_modules/pusher-js/dist/web/pusher-with-encryption.min.js`;

describe('encrypted client events in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  before(async () => {
    ensureClientBuilt();
    server = await startTestServer({ apps: [app] });
    browser = await launchChromium();
  });
  after(async () => {
    await browser.close();
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
      cluster: 'sa',
      wsHost: server.host,
      wsPort: server.port,
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
      channelAuthorization: {
        endpoint: '/unused',
        transport: 'ajax',
        customHandler: ({ socketId, channelName }, callback) => {
          callback(null, authOnly(socketId, channelName));
        },
      },
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
      assert.deepEqual(await receiver.evaluate('window.received'), [
        ['client-message', { from: 'browser', text: 'Ticket #5: my address is 1 Main St' }],
        ['client-typing', 'browser is typing'],
        ['client-message', { from: 'node', n: 1 }],
      ]);
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
