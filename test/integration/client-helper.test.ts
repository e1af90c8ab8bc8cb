// @mawjly/client against the real server: the product page's `encryptionMasterKeyBase64` client
// option works with an auth endpoint that returns only `auth`, under Laravel Echo too, from the
// built CJS and ESM packages, and the master key never leaves the client process.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import Echo from 'laravel-echo';
import WebSocket, { WebSocketServer } from 'ws';
import { deriveSharedSecret, MawjlyPusher, type MawjlyOptions } from '../../packages/client/src/index.js';
import { spawnLines } from '../support/child-process.js';
import { ensureClientBuilt, repoRoot } from '../support/client-build.js';
import { PusherJS } from '../support/pusher-js.js';
import { once, serverSdk, startTestServer, type TestServer } from '../support/server.js';

const CHANNEL = 'private-encrypted-orders.42';
const ORDER = { orderId: '12345', trackingNumber: 'PII_HERE' };

function newKey(): { base64: string; bytes: Uint8Array } {
  const bytes = randomBytes(32);
  return { base64: bytes.toString('base64'), bytes: new Uint8Array(bytes) };
}

type AuthCallback = (error: Error | null, data: { auth: string; shared_secret?: string } | null) => void;

/** A channel authorizer like an auth endpoint whose SDK has no master key: only `auth`. */
function authOnly(server: TestServer) {
  const { key, secrets } = server.app;
  return {
    customHandler: (
      { socketId, channelName }: { socketId: string; channelName: string },
      callback: AuthCallback,
    ) => {
      const signature = createHmac('sha256', secrets[0]!).update(`${socketId}:${channelName}`).digest('hex');
      callback(null, { auth: `${key}:${signature}` });
    },
  };
}

function clientOptions(server: TestServer, extra: Partial<MawjlyOptions>): MawjlyOptions {
  return {
    cluster: 'sa',
    wsHost: server.host,
    wsPort: server.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    ...extra,
  };
}

describe('@mawjly/client with the real server', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(async () => {
    await server.close();
  });

  test('decrypts with an authorizer that returns only auth; stock pusher-js cannot', async () => {
    const key = newKey();
    const helper = new MawjlyPusher(
      server.app.key,
      clientOptions(server, {
        channelAuthorization: authOnly(server),
        encryptionMasterKeyBase64: key.base64,
      }),
    );
    const stock = new PusherJS(
      server.app.key,
      clientOptions(server, { channelAuthorization: authOnly(server) }),
    );
    try {
      // Bound before the (synchronous) authorizer can run: subscribing only starts once connected.
      const refused = once<{ error: string }>(stock.subscribe(CHANNEL), 'pusher:subscription_error');
      const channel = helper.subscribe(CHANNEL);
      await once(channel, 'pusher:subscription_succeeded');
      assert.match(JSON.stringify(await refused), /No shared_secret key in auth payload/);

      const received = once(channel, 'order.shipped');
      await serverSdk(server, server.app, { encryptionMasterKeyBase64: key.base64 }).trigger(
        CHANNEL,
        'order.shipped',
        ORDER,
      );
      assert.deepEqual(await received, ORDER);
    } finally {
      helper.disconnect();
      stock.disconnect();
    }
  });

  test("a shared_secret returned by the auth endpoint wins over the client's derivation", async () => {
    const clientKey = newKey();
    const endpointKey = newKey(); // e.g. the endpoint already runs the rotated key
    const { customHandler } = authOnly(server);
    const helper = new MawjlyPusher(
      server.app.key,
      clientOptions(server, {
        channelAuthorization: {
          customHandler: (params: { socketId: string; channelName: string }, callback: AuthCallback) => {
            customHandler(params, (error, data) => {
              callback(
                error,
                data && { ...data, shared_secret: deriveSharedSecret(params.channelName, endpointKey.bytes) },
              );
            });
          },
        },
        encryptionMasterKeyBase64: clientKey.base64,
      }),
    );
    try {
      const channel = helper.subscribe(CHANNEL);
      await once(channel, 'pusher:subscription_succeeded');
      const received = once(channel, 'order.shipped');
      await serverSdk(server, server.app, { encryptionMasterKeyBase64: endpointKey.base64 }).trigger(
        CHANNEL,
        'order.shipped',
        ORDER,
      );
      assert.deepEqual(await received, ORDER);
    } finally {
      helper.disconnect();
    }
  });

  test('Laravel Echo encryptedPrivate() with the helper as its client', async () => {
    const key = newKey();
    const client = new MawjlyPusher(
      server.app.key,
      clientOptions(server, {
        channelAuthorization: authOnly(server),
        encryptionMasterKeyBase64: key.base64,
      }),
    );
    const shipped: unknown[] = [];
    // #region echo
    const echo = new Echo({ broadcaster: 'pusher', client });

    echo.encryptedPrivate('orders.42').listen('.order.shipped', (event: unknown) => {
      shipped.push(event); // { orderId: '12345', trackingNumber: 'PII_HERE' }
    });
    // #endregion
    try {
      await once(client.channel(CHANNEL), 'pusher:subscription_succeeded');
      const received = once(client.channel(CHANNEL), 'order.shipped');
      await serverSdk(server, server.app, { encryptionMasterKeyBase64: key.base64 }).trigger(
        CHANNEL,
        'order.shipped',
        ORDER,
      );
      await received;
      assert.deepEqual(shipped, [ORDER]);
    } finally {
      echo.disconnect();
    }
  });

  test('the master key is in no frame sent to the server and in no auth request', async () => {
    const key = newKey();
    const forms = [
      key.base64,
      key.base64.replace(/=+$/, ''),
      Buffer.from(key.bytes).toString('hex'),
      Buffer.from(key.bytes).toString('base64url'),
    ];
    const sharedSecret = deriveSharedSecret(CHANNEL, key.bytes);

    // Every frame the client sends goes through this proxy on its way to the server.
    const sentFrames: string[] = [];
    const proxy = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    proxy.on('connection', (downstream, req) => {
      const upstream = new WebSocket(`ws://${server.host}:${server.port}${req.url ?? '/'}`);
      const pending: string[] = [];
      upstream.on('open', () => {
        for (const frame of pending.splice(0)) upstream.send(frame);
      });
      upstream.on('message', (data: Buffer) => {
        downstream.send(data.toString());
      });
      upstream.on('close', () => {
        downstream.close();
      });
      downstream.on('message', (data: Buffer) => {
        const text = data.toString();
        sentFrames.push(text);
        if (upstream.readyState === WebSocket.OPEN) upstream.send(text);
        else pending.push(text);
      });
      downstream.on('close', () => {
        upstream.close();
      });
    });
    await new Promise((resolve) => proxy.once('listening', resolve));

    // The app's auth endpoint (over HTTP, pusher-js's default transport), recording each request.
    const authRequests: string[] = [];
    const endpoint: Server = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        authRequests.push(`${req.method ?? ''} ${req.url ?? ''}\n${JSON.stringify(req.headers)}\n${body}`);
        const form = new URLSearchParams(body);
        const signature = createHmac('sha256', server.app.secrets[0]!)
          .update(`${form.get('socket_id') ?? ''}:${form.get('channel_name') ?? ''}`)
          .digest('hex');
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ auth: `${server.app.key}:${signature}` }));
      });
    });
    await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));

    const client = new MawjlyPusher(server.app.key, {
      ...clientOptions(server, {}),
      wsPort: (proxy.address() as AddressInfo).port,
      channelAuthorization: {
        endpoint: `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/broadcasting/auth`,
        transport: 'ajax',
      },
      encryptionMasterKeyBase64: key.base64,
    });
    try {
      const channel = client.subscribe(CHANNEL);
      await once(channel, 'pusher:subscription_succeeded');
      const received = once(channel, 'order.shipped');
      await serverSdk(server, server.app, { encryptionMasterKeyBase64: key.base64 }).trigger(
        CHANNEL,
        'order.shipped',
        ORDER,
      );
      assert.deepEqual(await received, ORDER);

      assert.ok(sentFrames.some((frame) => frame.includes('pusher:subscribe') && frame.includes(CHANNEL)));
      assert.equal(authRequests.length, 1);
      for (const text of [...sentFrames, ...authRequests]) {
        for (const form of forms) assert.ok(!text.includes(form), `the master key was sent: ${text}`);
        assert.ok(!text.includes(sharedSecret), `the channel key was sent: ${text}`);
      }
    } finally {
      client.disconnect();
      await new Promise((resolve) => {
        proxy.close(resolve);
      });
      await new Promise((resolve) => endpoint.close(resolve));
    }
  });

  for (const [format, script] of [
    [
      'CommonJS require',
      `const Pusher = require('@mawjly/client');
       if (typeof Pusher !== 'function' || Pusher.default !== Pusher) throw new Error('require() did not return the class');
       const { createHmac } = require('node:crypto');`,
    ],
    [
      'ESM import',
      `import Pusher from '@mawjly/client';
       import { createHmac } from 'node:crypto';`,
    ],
  ] as const) {
    test(`the built package works through ${format} in a child process`, async () => {
      ensureClientBuilt();
      const key = newKey();
      const body = `
        const env = process.env;
        const pusher = new Pusher(env.APP_KEY, {
          cluster: 'sa', wsHost: env.HOST, wsPort: Number(env.PORT), forceTLS: false, enabledTransports: ['ws'],
          channelAuthorization: { customHandler: ({ socketId, channelName }, callback) => callback(null, {
            auth: env.APP_KEY + ':' + createHmac('sha256', env.APP_SECRET).update(socketId + ':' + channelName).digest('hex'),
          }) },
          encryptionMasterKeyBase64: env.MASTER_KEY,
        });
        const channel = pusher.subscribe(${JSON.stringify(CHANNEL)});
        channel.bind('pusher:subscription_succeeded', () => console.log('subscribed'));
        channel.bind('order.shipped', (data) => { console.log(JSON.stringify(data)); pusher.disconnect(); });`;
      const child = spawnLines(
        process.execPath,
        format === 'ESM import' ? ['--input-type=module', '-e', script + body] : ['-e', script + body],
        {
          cwd: repoRoot,
          env: {
            ...process.env,
            APP_KEY: server.app.key,
            APP_SECRET: server.app.secrets[0],
            HOST: server.host,
            PORT: String(server.port),
            MASTER_KEY: key.base64,
          },
        },
      );
      try {
        await child.waitForLine(/^subscribed$/);
        await serverSdk(server, server.app, { encryptionMasterKeyBase64: key.base64 }).trigger(
          CHANNEL,
          'order.shipped',
          ORDER,
        );
        assert.deepEqual(JSON.parse(await child.waitForLine(/orderId/)), ORDER);
        assert.equal(await child.exited, 0);
      } finally {
        await child.stop();
      }
    });
  }
});
