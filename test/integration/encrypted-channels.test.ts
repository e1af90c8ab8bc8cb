// End-to-end encrypted channels (PRODUCT.md "Encrypted channels", points 1–6): the product page
// example with the official SDKs, what the server refuses, and the plan gate.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Echo from 'laravel-echo';
import { errorOf, signedRequest } from '../support/rest.js';
import { framesBetween, subscribeRaw } from '../support/raw-session.js';
import {
  clientSdk,
  makeApp,
  once,
  rawClient,
  serverSdk,
  startTestServer,
  waitForState,
  type RawClient,
  type TestServer,
} from '../support/server.js';

type SdkError = Error & { status?: number; body?: string };

const b64 = (bytes: number): string => randomBytes(bytes).toString('base64');
const envelope = (nonce: string, ciphertext: string): string => JSON.stringify({ nonce, ciphertext });

describe('encrypted channels on a Startup app', () => {
  let server: TestServer;
  const masterKey = randomBytes(32).toString('base64');
  const sockets: RawClient[] = [];
  const raw = (): RawClient => {
    const client = rawClient(server, server.app.key);
    sockets.push(client);
    return client;
  };
  const publishRaw = (body: Record<string, unknown>) =>
    signedRequest(server, server.app, { path: `/apps/${server.app.id}/events`, body });

  before(async () => {
    server = await startTestServer({ apps: [makeApp({ plan: 'startup' })] });
  });
  after(async () => {
    for (const s of sockets) s.close();
    await server.close();
  });

  test('product page example: pusher-js decrypts, a raw socket on the same channel sees only ciphertext', async () => {
    const channelName = 'private-encrypted-orders.42';
    const client = clientSdk(server, server.app, { masterKeyBase64: masterKey });
    const spy = raw();
    try {
      await waitForState(client, 'connected');
      const channel = client.subscribe(channelName);
      await once(channel, 'pusher:subscription_succeeded');
      await subscribeRaw(spy, server.app, channelName);
      const spyStart = spy.frames.length;
      const received = once<{ orderId: string; trackingNumber: string }>(channel, 'order.shipped');
      const sdk = serverSdk(server, server.app, { encryptionMasterKeyBase64: masterKey });
      await sdk.trigger(channelName, 'order.shipped', { orderId: '12345', trackingNumber: 'PII_HERE' });
      assert.deepEqual(await received, { orderId: '12345', trackingNumber: 'PII_HERE' });

      const frame = await spy.next((f) => f.event === 'order.shipped');
      assert.equal(frame.channel, channelName);
      assert.equal(typeof frame.data, 'string');
      const data = JSON.parse(frame.data as string) as Record<string, string>;
      assert.deepEqual(Object.keys(data), ['nonce', 'ciphertext']);
      assert.equal(Buffer.from(data.nonce ?? '', 'base64').length, 24);
      assert.ok(Buffer.from(data.ciphertext ?? '', 'base64').length >= 16);
      const seen = JSON.stringify(spy.frames);
      assert.ok(!seen.includes('PII_HERE'), 'plaintext reached a raw socket');
      assert.ok(
        !JSON.stringify(spy.frames.slice(spyStart)).includes('12345'),
        'plaintext reached a raw socket',
      );
    } finally {
      client.disconnect();
    }
  });

  test('plaintext and malformed envelopes are refused with 400 and a reason; nothing is delivered', async () => {
    const channel = 'private-encrypted-refusals';
    const spy = raw();
    await subscribeRaw(spy, server.app, channel);
    const start = spy.frames.length;
    const cases: [string, string, RegExp][] = [
      ['plaintext object', JSON.stringify({ orderId: '12345', trackingNumber: 'PII_HERE' }), /plaintext/i],
      ['not JSON', 'PII_HERE as text', /not JSON/i],
      [
        'extra field',
        JSON.stringify({ nonce: b64(24), ciphertext: b64(32), hint: 'PII_HERE' }),
        /unexpected field/,
      ],
      ['bad base64 nonce', envelope('!!!not-base64!!!', b64(32)), /nonce.*base64/],
      ['bad base64 ciphertext', envelope(b64(24), 'abc'), /ciphertext.*base64/],
      ['nonce of 23 bytes', envelope(b64(23), b64(32)), /nonce must decode to 24 bytes/],
      ['nonce of 25 bytes', envelope(b64(25), b64(32)), /nonce must decode to 24 bytes/],
      ['ciphertext of 15 bytes', envelope(b64(24), b64(15)), /at least 16 bytes/],
      ['missing ciphertext', JSON.stringify({ nonce: b64(24) }), /ciphertext/],
    ];
    for (const [label, data, reason] of cases) {
      const response = await publishRaw({ name: 'leak', channel, data });
      assert.equal(response.status, 400, `${label}: ${response.text}`);
      const error = errorOf(response);
      assert.equal(error?.code, 'encrypted_envelope_invalid', label);
      assert.match(error.message, reason, label);
      assert.ok(!error.message.includes('PII_HERE'), `${label}: the refusal must not echo the payload`);
    }
    // A batch with one bad item is refused whole: its valid item is not delivered either.
    const batch = await signedRequest(server, server.app, {
      path: `/apps/${server.app.id}/batch_events`,
      body: {
        batch: [
          { name: 'leak', channel, data: envelope(b64(24), b64(20)) },
          { name: 'leak', channel, data: 'PII_HERE' },
        ],
      },
    });
    assert.equal(batch.status, 400);
    // The smallest valid envelope is accepted, and it is the first thing the subscriber gets.
    const ok = await publishRaw({ name: 'marker', channel, data: envelope(b64(24), b64(16)) });
    assert.equal(ok.status, 200, ok.text);
    const marker = await spy.next((f) => f.event === 'marker');
    assert.deepEqual(framesBetween(spy, start, marker), []);
  });

  test('an encrypted channel together with any other channel is refused (400)', async () => {
    const spy = raw();
    await subscribeRaw(spy, server.app, 'multi-public');
    const start = spy.frames.length;
    const data = envelope(b64(24), b64(32));
    for (const channels of [
      ['private-encrypted-a', 'multi-public'],
      ['multi-public', 'private-encrypted-a'],
      ['private-encrypted-a', 'private-encrypted-b'],
    ]) {
      const response = await publishRaw({ name: 'multi', channels, data });
      assert.equal(response.status, 400, JSON.stringify(channels));
      assert.equal(errorOf(response)?.code, 'encrypted_multichannel');
    }
    await publishRaw({ name: 'marker', channel: 'multi-public', data: '{}' });
    const marker = await spy.next((f) => f.event === 'marker');
    assert.deepEqual(framesBetween(spy, start, marker), []);
  });

  test('client events on an encrypted channel get a non-closing error and are not relayed', async () => {
    const channel = 'private-encrypted-chat';
    const sender = raw();
    const receiver = raw();
    await subscribeRaw(sender, server.app, channel);
    await subscribeRaw(receiver, server.app, channel);
    const start = receiver.frames.length;
    sender.send({ event: 'client-typing', channel, data: envelope(b64(24), b64(32)) });
    const error = await sender.next((f) => f.event === 'pusher:error');
    assert.match(JSON.stringify(error.data), /not supported on encrypted channels/);
    // The sender's socket is still open and usable.
    sender.send({ event: 'pusher:ping', data: {} });
    await sender.next((f) => f.event === 'pusher:pong');
    await publishRaw({ name: 'marker', channel, data: envelope(b64(24), b64(16)) });
    const marker = await receiver.next((f) => f.event === 'marker');
    assert.deepEqual(framesBetween(receiver, start, marker), []);
    assert.equal(sender.ws.readyState, sender.ws.OPEN);
  });

  test('Laravel Echo encryptedPrivate(…).listen(".order.shipped") decrypts', async () => {
    const pusher = clientSdk(server, server.app, { masterKeyBase64: masterKey });
    const echo = new Echo({
      broadcaster: 'pusher',
      key: server.app.key,
      client: pusher,
    } as never) as unknown as {
      encryptedPrivate(name: string): {
        listen(event: string, cb: (data: unknown) => void): unknown;
        subscribed(cb: () => void): unknown;
      };
      disconnect(): void;
    };
    try {
      const channel = echo.encryptedPrivate('orders.42');
      const received = new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error('Echo listener got nothing'));
        }, 5000);
        channel.listen('.order.shipped', (data) => {
          clearTimeout(timer);
          resolve(data);
        });
      });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error('Echo channel never subscribed'));
        }, 5000);
        channel.subscribed(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      const sdk = serverSdk(server, server.app, { encryptionMasterKeyBase64: masterKey });
      await sdk.trigger('private-encrypted-orders.42', 'order.shipped', { orderId: '777', via: 'echo' });
      assert.deepEqual(await received, { orderId: '777', via: 'echo' });
    } finally {
      echo.disconnect();
    }
  });
});

describe('encrypted channels on a Free app', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ apps: [makeApp({ plan: 'free' })] });
  });
  after(async () => {
    await server.close();
  });

  test('subscribing gets pusher:subscription_error with status 403', async () => {
    const client = clientSdk(server, server.app, { masterKeyBase64: randomBytes(32).toString('base64') });
    try {
      await waitForState(client, 'connected');
      const channel = client.subscribe('private-encrypted-orders.42');
      const error = await once<{ status: number; type: string; error: string }>(
        channel,
        'pusher:subscription_error',
      );
      assert.equal(error.status, 403);
      assert.match(error.error, /Free plan/);
      // Private channels still work on Free.
      const privateChannel = client.subscribe('private-orders.42');
      await once(privateChannel, 'pusher:subscription_succeeded');
    } finally {
      client.disconnect();
    }
  });

  test('publishing with the SDK gets 403', async () => {
    const sdk = serverSdk(server, server.app, {
      encryptionMasterKeyBase64: randomBytes(32).toString('base64'),
    });
    await assert.rejects(sdk.trigger('private-encrypted-orders.42', 'order.shipped', { a: 1 }), (error) => {
      assert.equal((error as SdkError).status, 403);
      assert.match((error as SdkError).body ?? '', /plan_feature_unavailable/);
      return true;
    });
  });
});

describe('MAWJLY_CHECK_ENCRYPTED_ENVELOPE=false', () => {
  let server: TestServer;
  let spy: RawClient | undefined;
  before(async () => {
    server = await startTestServer({ apps: [makeApp()], config: { checkEncryptedEnvelope: false } });
  });
  after(async () => {
    spy?.close();
    await server.close();
  });

  test('lets plaintext through to encrypted channels (documented switch)', async () => {
    spy = rawClient(server, server.app.key);
    await subscribeRaw(spy, server.app, 'private-encrypted-unchecked');
    const response = await signedRequest(server, server.app, {
      path: `/apps/${server.app.id}/events`,
      body: { name: 'plain', channel: 'private-encrypted-unchecked', data: '{"hello":"plaintext"}' },
    });
    assert.equal(response.status, 200, response.text);
    const frame = await spy.next((f) => f.event === 'plain');
    assert.equal(frame.data, '{"hello":"plaintext"}');
  });
});
