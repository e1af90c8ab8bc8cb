// Laravel Echo 2.x (broadcaster "pusher", with a pusher-js client) against the real server:
// private listen, presence here/joining/leaving, whispers, and encrypted private channels.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Echo from 'laravel-echo';
import {
  clientSdk,
  makeApp,
  serverSdk,
  startTestServer,
  waitForState,
  type TestServer,
} from '../support/server.js';
import type { PusherJS } from '../support/pusher-js.js';

const MASTER_KEY = randomBytes(32).toString('base64');

function within<T>(promise: Promise<T>, what: string, ms = 5000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** Resolves with the first value passed to the callback that `register` installs. */
function first<T>(register: (cb: (value: T) => void) => void, what: string): Promise<T> {
  return within(
    new Promise<T>((resolve) => {
      register(resolve);
    }),
    what,
  );
}

describe('Laravel Echo', () => {
  let server: TestServer;
  const app = makeApp({ plan: 'startup' });
  const pushers: PusherJS[] = [];
  const echoFor = async (userId: string): Promise<Echo<'pusher'>> => {
    const client = clientSdk(server, app, {
      userId,
      userInfo: { id: userId, name: userId.toUpperCase() },
      masterKeyBase64: MASTER_KEY,
    });
    pushers.push(client);
    await waitForState(client, 'connected');
    return new Echo({ broadcaster: 'pusher', key: app.key, cluster: 'sa', client });
  };

  before(async () => {
    server = await startTestServer({ apps: [app] });
  });
  after(async () => {
    for (const p of pushers) p.disconnect();
    await server.close();
  });

  test("echo.private('orders').listen('.order.shipped') receives a REST event", async () => {
    const echo = await echoFor('ann');
    const channel = echo.private('orders');
    await first<unknown>(
      (cb) =>
        channel.subscribed(() => {
          cb(undefined);
        }),
      'private-orders subscription',
    );
    const got = first<unknown>((cb) => channel.listen('.order.shipped', cb), 'order.shipped');
    await serverSdk(server, app).trigger('private-orders', 'order.shipped', { id: 42 });
    assert.deepEqual(await got, { id: 42 });
  });

  test('echo.private().listen without a dot uses the App\\Events namespace', async () => {
    const echo = await echoFor('bea');
    const channel = echo.private('invoices');
    await first<unknown>(
      (cb) =>
        channel.subscribed(() => {
          cb(undefined);
        }),
      'subscription',
    );
    const got = first<unknown>((cb) => channel.listen('InvoicePaid', cb), 'InvoicePaid');
    await serverSdk(server, app).trigger('private-invoices', 'App\\Events\\InvoicePaid', { total: 10 });
    assert.deepEqual(await got, { total: 10 });
  });

  test("echo.join('room'): here, joining, leaving", async () => {
    const alice = await echoFor('alice');
    const room = alice.join('room');
    const here = await first<unknown[]>((cb) => room.here(cb), 'here');
    assert.deepEqual(here, [{ id: 'alice', name: 'ALICE' }]);
    const joining = first<unknown>((cb) => room.joining(cb), 'joining');
    const bob = await echoFor('bob');
    const bobHere = await first<unknown[]>((cb) => bob.join('room').here(cb), 'bob here');
    assert.deepEqual(
      [...bobHere].sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y))),
      [
        { id: 'alice', name: 'ALICE' },
        { id: 'bob', name: 'BOB' },
      ],
    );
    assert.deepEqual(await joining, { id: 'bob', name: 'BOB' });
    const leaving = first<unknown>((cb) => room.leaving(cb), 'leaving');
    bob.leave('room');
    assert.deepEqual(await leaving, { id: 'bob', name: 'BOB' });
  });

  test("whisper('typing') reaches listenForWhisper('typing') on another Echo client, not the sender", async () => {
    const sender = await echoFor('cat');
    const receiver = await echoFor('dan');
    const out = sender.private('chat');
    const inbox = receiver.private('chat');
    await Promise.all([
      first<unknown>(
        (cb) =>
          out.subscribed(() => {
            cb(undefined);
          }),
        'sender subscription',
      ),
      first<unknown>(
        (cb) =>
          inbox.subscribed(() => {
            cb(undefined);
          }),
        'receiver subscription',
      ),
    ]);
    const echoed: unknown[] = [];
    out.listenForWhisper('typing', (e: unknown) => echoed.push(e));
    const got = first<unknown>((cb) => inbox.listenForWhisper('typing', cb), 'whisper');
    out.whisper('typing', { name: 'cat' });
    assert.deepEqual(await got, { name: 'cat' });
    // A REST marker on the same channel proves the sender got nothing before it.
    const marker = first<unknown>((cb) => out.listen('.marker', cb), 'marker');
    await serverSdk(server, app).trigger('private-chat', 'marker', {});
    await marker;
    assert.deepEqual(echoed, []);
  });

  test('echo.encryptedPrivate() decrypts an event the SDK encrypted', async () => {
    const echo = await echoFor('eve');
    const channel = echo.encryptedPrivate('vault');
    await first<unknown>(
      (cb) =>
        channel.subscribed(() => {
          cb(undefined);
        }),
      'encrypted subscription',
    );
    const got = first<unknown>((cb) => channel.listen('.secret', cb), 'secret');
    await serverSdk(server, app, { encryptionMasterKeyBase64: MASTER_KEY }).trigger(
      'private-encrypted-vault',
      'secret',
      { pin: '1234' },
    );
    assert.deepEqual(await got, { pin: '1234' });
  });
});
