// The browser builds of @mawjly/client in real Chromium against the real server: the <script> bundle
// (packages/client/dist/mawjly.js, global `Pusher`) and what a bundler makes of `import … from '@mawjly/client'`
// (the `browser` export condition). Both decrypt with an authorizer that returns only `auth`.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { ensureClientBuilt, repoRoot } from '../support/client-build.js';
import { serverSdk, startTestServer, type TestServer } from '../support/server.js';

const CHANNEL = 'private-encrypted-orders.42';
const ORDER = { orderId: '12345', trackingNumber: 'PII_HERE' };

async function bundlerOutput(): Promise<string> {
  const result = await build({
    stdin: {
      contents: "import Pusher from '@mawjly/client';\nwindow.Pusher = Pusher;\n",
      resolveDir: repoRoot,
      loader: 'js',
    },
    bundle: true,
    platform: 'browser',
    format: 'iife',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

describe('@mawjly/client browser builds in Chromium', () => {
  let server: TestServer;
  let browser: Browser;
  before(async () => {
    ensureClientBuilt();
    server = await startTestServer();
    browser = await launchChromium();
  });
  after(async () => {
    await browser.close();
    await server.close();
  });

  const builds = [
    {
      name: 'the <script> bundle packages/client/dist/mawjly.js',
      source: () => readFile(`${repoRoot}packages/client/dist/mawjly.js`, 'utf8'),
    },
    { name: "a bundler's output for import '@mawjly/client'", source: bundlerOutput },
  ];
  for (const { name, source } of builds) {
    test(`${name} sets a Pusher that derives channel keys from encryptionMasterKeyBase64`, async () => {
      const masterKey = randomBytes(32).toString('base64');
      const page = await browser.newPage();
      try {
        // The page's authorizer asks the test for `auth` only, as an endpoint without the master key would.
        await page.exposeFunction('signChannel', (socketId: string, channel: string) => {
          const signature = createHmac('sha256', server.app.secrets[0]!)
            .update(`${socketId}:${channel}`)
            .digest('hex');
          return `${server.app.key}:${signature}`;
        });
        await page.addScriptTag({ content: await source() });
        const settings = {
          key: server.app.key,
          host: server.host,
          port: server.port,
          masterKey,
          channel: CHANNEL,
        };
        // Plain JavaScript text: functions passed to page.evaluate would carry tsx's helpers along.
        await page.addScriptTag({
          content: `
            const s = ${JSON.stringify(settings)};
            window.received = [];
            window.state = 'connecting';
            const pusher = new window.Pusher(s.key, {
              cluster: 'sa', wsHost: s.host, wsPort: s.port, forceTLS: false, enabledTransports: ['ws'],
              channelAuthorization: {
                customHandler: ({ socketId, channelName }, callback) => {
                  window.signChannel(socketId, channelName).then((auth) => callback(null, { auth }));
                },
              },
              encryptionMasterKeyBase64: s.masterKey,
            });
            const channel = pusher.subscribe(s.channel);
            channel.bind('pusher:subscription_succeeded', () => { window.state = 'subscribed'; });
            channel.bind('pusher:subscription_error', (error) => { window.state = 'error ' + JSON.stringify(error); });
            channel.bind('order.shipped', (data) => { window.received.push(data); });`,
        });
        await page.waitForFunction("window.state !== 'connecting'", null, { timeout: 10_000 });
        assert.equal(await page.evaluate('window.state'), 'subscribed');

        await serverSdk(server, server.app, { encryptionMasterKeyBase64: masterKey }).trigger(
          CHANNEL,
          'order.shipped',
          ORDER,
        );
        await page.waitForFunction('window.received.length > 0', null, { timeout: 10_000 });
        assert.deepEqual(await page.evaluate('window.received'), [ORDER]);
      } finally {
        await page.close();
      }
    });
  }
});

test('the server serves the browser bundle at /js/mawjly.js', async () => {
  ensureClientBuilt();
  const server = await startTestServer();
  try {
    const response = await fetch(`${server.url}/js/mawjly.js`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/javascript/);
    const body = await response.text();
    assert.ok(body.length > 10_000, 'the bundle includes pusher-js');
    assert.match(body, /encryptionMasterKeyBase64/);
  } finally {
    await server.close();
  }
});
