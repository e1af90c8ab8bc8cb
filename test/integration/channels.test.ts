// Channel subscriptions against the real server: every channel type with pusher-js, cache channels,
// anchored prefix classification, name rules, and the shape of every subscription refusal.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
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
import type { PusherJS } from '../support/pusher-js.js';
import {
  dataOf,
  sendSubscribe,
  signChannel,
  subscribeSigned,
  subscriptionOutcome,
} from '../support/raw-auth.js';

const MASTER_KEY = randomBytes(32).toString('base64');

type Frame = RawClient['frames'][number];
interface SubscriptionErrorData {
  type: string;
  error: string;
  status: number;
}

/** Subscribes and asserts a `pusher:subscription_error` carrying the channel and the status. */
async function expectRefusal(
  client: RawClient,
  channel: string,
  status: number,
  send: () => void,
): Promise<SubscriptionErrorData> {
  send();
  const frame = await subscriptionOutcome(client, channel);
  assert.equal(frame.event, 'pusher:subscription_error', `${channel}: ${JSON.stringify(frame)}`);
  assert.equal(frame.channel, channel);
  const data = dataOf<SubscriptionErrorData>(frame);
  assert.equal(data.status, status, JSON.stringify(data));
  assert.equal(typeof data.error, 'string');
  assert.equal(typeof data.type, 'string');
  return data;
}

function prices(client: RawClient): Frame[] {
  return client.frames.filter((f) => f.event === 'price');
}

function subscribed(channel: ReturnType<PusherJS['subscribe']>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('no subscription outcome'));
    }, 5000);
    channel.bind('pusher:subscription_succeeded', (data: unknown) => {
      clearTimeout(timer);
      resolve(data);
    });
    channel.bind('pusher:subscription_error', (error: unknown) => {
      clearTimeout(timer);
      reject(new Error(`subscription_error ${JSON.stringify(error)}`));
    });
  });
}

describe('channels', () => {
  let server: TestServer;
  const app = makeApp({ plan: 'startup' });
  const free = makeApp({ plan: 'free' });
  const clients: RawClient[] = [];
  const pushers: PusherJS[] = [];
  const raw = (key = app.key): RawClient => {
    const c = rawClient(server, key);
    clients.push(c);
    return c;
  };
  const pusher = (target = app, options: Parameters<typeof clientSdk>[2] = {}): PusherJS => {
    const p = clientSdk(server, target, options);
    pushers.push(p);
    return p;
  };

  before(async () => {
    server = await startTestServer({ apps: [app, free] });
  });
  after(async () => {
    for (const p of pushers) p.disconnect();
    for (const c of clients) c.ws.terminate();
    await server.close();
  });

  test('pusher-js subscribes to public, private, presence and private-encrypted channels on Startup', async () => {
    const p = pusher(app, { userId: 'alice', masterKeyBase64: MASTER_KEY });
    await waitForState(p, 'connected');
    const names = ['news', 'private-orders', 'presence-lobby', 'private-encrypted-vault'];
    const channels = names.map((n) => p.subscribe(n));
    await Promise.all(channels.map((c) => subscribed(c)));

    const sdk = serverSdk(server, app, { encryptionMasterKeyBase64: MASTER_KEY });
    for (const [i, name] of names.entries()) {
      const channel = channels[i];
      assert.ok(channel);
      const got = once<{ n: string }>(channel, 'evt');
      await sdk.trigger(name, 'evt', { n: name });
      assert.deepEqual(await got, { n: name }, name);
    }
  });

  test('private-encrypted: the server relays the ciphertext envelope untouched', async () => {
    const c = raw();
    await subscribeSigned(c, app, 'private-encrypted-raw');
    const sdk = serverSdk(server, app, { encryptionMasterKeyBase64: MASTER_KEY });
    await sdk.trigger('private-encrypted-raw', 'secret', { card: '4111' });
    const frame = await c.next((f) => f.event === 'secret');
    assert.equal(typeof frame.data, 'string');
    const envelope = dataOf<{ nonce: string; ciphertext: string }>(frame);
    assert.deepEqual(Object.keys(envelope), ['nonce', 'ciphertext']);
    assert.equal(Buffer.from(envelope.nonce, 'base64').length, 24);
    assert.ok(!(frame.data as string).includes('4111'));
  });

  for (const [name, encrypted] of [
    ['cache-prices', false],
    ['private-cache-prices', false],
    ['private-encrypted-cache-prices', true],
    ['presence-cache-prices', false],
  ] as const) {
    test(`${name}: cache_miss when empty, then the last REST event replayed to a late subscriber`, async () => {
      const presence = name.startsWith('presence-');
      const channelData = (id: string): string | undefined =>
        presence ? JSON.stringify({ user_id: id }) : undefined;
      const early = raw();
      await subscribeSigned(early, app, name, channelData('early'));
      const miss = await early.next((f) => f.channel === name && f.event === 'pusher:cache_miss');
      const iSucceeded = early.frames.findIndex((f) => f.event === 'pusher_internal:subscription_succeeded');
      assert.ok(early.frames.indexOf(miss) > iSucceeded, 'cache_miss must follow subscription_succeeded');

      const sdk = serverSdk(server, app, encrypted ? { encryptionMasterKeyBase64: MASTER_KEY } : {});
      await sdk.trigger(name, 'price', { v: 1 });
      await sdk.trigger(name, 'price', { v: 2 });
      await early.next((f) => f.event === 'price' && f !== prices(early)[0]);
      const second = prices(early)[1];
      assert.ok(second);

      const late = raw();
      await subscribeSigned(late, app, name, channelData('late'));
      const replay = await late.next((f) => f.channel === name && f.event === 'price');
      assert.equal(replay.data, second.data, 'the last event, byte for byte');
      if (!encrypted) assert.deepEqual(dataOf(replay), { v: 2 });
      assert.equal(
        late.frames.some((f) => f.event === 'pusher:cache_miss'),
        false,
      );
    });
  }

  test('pusher-js gets pusher:cache_miss and the replayed cached event', async () => {
    const first = pusher();
    await waitForState(first, 'connected');
    const channel = first.subscribe('cache-js');
    await once(channel, 'pusher:cache_miss');
    await serverSdk(server, app).trigger('cache-js', 'state', { on: true });
    const late = pusher();
    const lateChannel = late.subscribe('cache-js');
    assert.deepEqual(await once(lateChannel, 'state'), { on: true });
  });

  test('client events are not cached', async () => {
    const a = raw();
    const b = raw();
    await subscribeSigned(a, app, 'private-cache-nocl');
    await subscribeSigned(b, app, 'private-cache-nocl');
    a.send({ event: 'client-x', channel: 'private-cache-nocl', data: { y: 1 } });
    await b.next((f) => f.event === 'client-x');
    const late = raw();
    await subscribeSigned(late, app, 'private-cache-nocl');
    await late.next((f) => f.event === 'pusher:cache_miss');
  });

  test('prefixes are anchored: foo-private-x is public, private-x needs auth', async () => {
    const c = raw();
    await c.socketId;
    sendSubscribe(c, 'foo-private-x', '');
    assert.equal(
      (await subscriptionOutcome(c, 'foo-private-x')).event,
      'pusher_internal:subscription_succeeded',
    );
    sendSubscribe(c, 'my-cache-x', '');
    assert.equal(
      (await subscriptionOutcome(c, 'my-cache-x')).event,
      'pusher_internal:subscription_succeeded',
    );
    assert.equal(
      c.frames.some((f) => f.channel === 'my-cache-x' && f.event === 'pusher:cache_miss'),
      false,
      'my-cache-x is not a cache channel',
    );
    await expectRefusal(c, 'private-x', 401, () => {
      sendSubscribe(c, 'private-x', '');
    });
    await expectRefusal(c, 'presence-x', 400, () => {
      sendSubscribe(c, 'presence-x', '');
    });
    await expectRefusal(c, 'private-encrypted-x', 401, () => {
      sendSubscribe(c, 'private-encrypted-x');
    });
  });

  test('channel names: 200 characters accepted, 201 refused; invalid characters refused', async () => {
    const c = raw();
    await c.socketId;
    const ok = `n-${'a'.repeat(198)}`;
    assert.equal(ok.length, 200);
    sendSubscribe(c, ok);
    assert.equal((await subscriptionOutcome(c, ok)).event, 'pusher_internal:subscription_succeeded');
    const tooLong = `n-${'a'.repeat(199)}`;
    assert.equal(tooLong.length, 201);
    sendSubscribe(c, tooLong);
    const error = await c.next((f) => f.event === 'pusher:subscription_error');
    assert.ok(typeof error.channel === 'string' && tooLong.startsWith(error.channel));
    assert.equal(dataOf<SubscriptionErrorData>(error).status, 400);
    for (const bad of ['has space', 'star*', 'slash/x', 'ümlaut', '#hash', 'semi;colon:no']) {
      await expectRefusal(c, bad, 400, () => {
        sendSubscribe(c, bad);
      });
    }
    const allowed = 'A-z_0=9@,.;';
    sendSubscribe(c, allowed);
    assert.equal((await subscriptionOutcome(c, allowed)).event, 'pusher_internal:subscription_succeeded');
  });

  test('refusals: bad signature, tampered channel_data, another socket id, missing channel_data', async () => {
    const c = raw();
    const socketId = await c.socketId;
    const other = raw();
    const otherId = await other.socketId;

    await expectRefusal(c, 'private-sig', 401, () => {
      sendSubscribe(c, 'private-sig', `${app.key}:${'0'.repeat(64)}`);
    });
    await expectRefusal(c, 'private-wrongkey', 401, () => {
      sendSubscribe(
        c,
        'private-wrongkey',
        signChannel({ ...app, key: 'other-key' }, socketId, 'private-wrongkey'),
      );
    });
    await expectRefusal(c, 'private-othersock', 401, () => {
      sendSubscribe(c, 'private-othersock', signChannel(app, otherId, 'private-othersock'));
    });
    await expectRefusal(c, 'private-otherchan', 401, () => {
      sendSubscribe(c, 'private-otherchan', signChannel(app, socketId, 'private-different'));
    });
    const signed = '{"user_id":"u1","user_info":{"role":"user"}}';
    const tampered = '{"user_id":"u1","user_info":{"role":"admin"}}';
    await expectRefusal(c, 'presence-tamper', 401, () => {
      sendSubscribe(c, 'presence-tamper', signChannel(app, socketId, 'presence-tamper', signed), tampered);
    });
    await expectRefusal(c, 'presence-nodata', 400, () => {
      sendSubscribe(c, 'presence-nodata', signChannel(app, socketId, 'presence-nodata'));
    });
    // The refused socket is still usable.
    await subscribeSigned(c, app, 'private-after-refusals');
  });

  test('signatures are checked over the exact channel_data received (whitespace, key order)', async () => {
    const c = raw();
    const socketId = await c.socketId;
    const channelData = '{ "user_info" : {"z":1,  "a": "x"} ,\n "user_id":"ws-user" }';
    sendSubscribe(
      c,
      'presence-exact',
      signChannel(app, socketId, 'presence-exact', channelData),
      channelData,
    );
    const ok = await subscriptionOutcome(c, 'presence-exact');
    assert.equal(ok.event, 'pusher_internal:subscription_succeeded', JSON.stringify(ok));
    const presence = dataOf<{ presence: { hash: Record<string, unknown> } }>(ok).presence;
    assert.deepEqual(presence.hash['ws-user'], { z: 1, a: 'x' });
    // The same content re-serialised compactly is a different string: its signature must not pass.
    const compact = JSON.stringify(JSON.parse(channelData));
    await expectRefusal(c, 'presence-exact2', 401, () => {
      sendSubscribe(
        c,
        'presence-exact2',
        signChannel(app, socketId, 'presence-exact2', channelData),
        compact,
      );
    });
  });

  test('client→server data as a JSON string (other SDKs) is accepted', async () => {
    const c = raw();
    const socketId = await c.socketId;
    c.send({
      event: 'pusher:subscribe',
      data: JSON.stringify({
        auth: signChannel(app, socketId, 'private-strdata'),
        channel: 'private-strdata',
      }),
    });
    assert.equal(
      (await subscriptionOutcome(c, 'private-strdata')).event,
      'pusher_internal:subscription_succeeded',
    );
  });

  test('Free plan: private-encrypted subscriptions are refused with 403 (raw and pusher-js)', async () => {
    const c = raw(free.key);
    const socketId = await c.socketId;
    await expectRefusal(c, 'private-encrypted-free', 403, () => {
      sendSubscribe(c, 'private-encrypted-free', signChannel(free, socketId, 'private-encrypted-free'));
    });
    await expectRefusal(c, 'private-encrypted-cache-free', 403, () => {
      sendSubscribe(
        c,
        'private-encrypted-cache-free',
        signChannel(free, socketId, 'private-encrypted-cache-free'),
      );
    });
    // Private channels are fine on Free.
    await subscribeSigned(c, free, 'private-free-ok');

    const p = pusher(free, { masterKeyBase64: MASTER_KEY });
    const channel = p.subscribe('private-encrypted-free-js');
    const error = await once<{ status: number }>(channel, 'pusher:subscription_error');
    assert.equal(error.status, 403);
  });

  test('pusher-js sees a server refusal as pusher:subscription_error with its status', async () => {
    const p = pusher(app, {
      extra: {
        channelAuthorization: {
          endpoint: '/unused',
          transport: 'ajax',
          customHandler: (_: unknown, callback: (e: Error | null, d: unknown) => void) => {
            callback(null, { auth: `${app.key}:${'ab'.repeat(32)}` });
          },
        },
      },
    });
    const channel = p.subscribe('private-forged');
    const error = await once<{ status: number; type: string }>(channel, 'pusher:subscription_error');
    assert.equal(error.status, 401);
  });

  test('unsubscribe stops delivery; re-subscribing works', async () => {
    const c = raw();
    await subscribeSigned(c, app, 'toggle');
    c.send({ event: 'pusher:unsubscribe', data: { channel: 'toggle' } });
    // Round-trip a ping so the unsubscribe has been processed before publishing.
    c.send({ event: 'pusher:ping', data: {} });
    await c.next((f) => f.event === 'pusher:pong');
    await serverSdk(server, app).trigger('toggle', 'while-away', 'x');
    const marker = raw();
    await subscribeSigned(marker, app, 'toggle');
    await serverSdk(server, app).trigger('toggle', 'marker', 'x');
    await marker.next((f) => f.event === 'marker');
    assert.equal(
      c.frames.some((f: Frame) => f.event === 'while-away' || f.event === 'marker'),
      false,
    );
  });
});
