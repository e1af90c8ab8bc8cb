// Client events (`client-*`) against the real server: where they are allowed, who receives them,
// the presence user_id, per-app and per-plan switches, the rate limit and encrypted channels.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import {
  clientSdk,
  makeApp,
  once,
  rawClient,
  serverSdk,
  startTestServer,
  type RawClient,
  type TestServer,
} from '../support/server.js';
import type { PusherJS } from '../support/pusher-js.js';
import type { App } from '../../src/core/app.js';
import { subscribeSigned } from '../support/raw-auth.js';

type Frame = RawClient['frames'][number];

const MARKER_KEY = randomBytes(32).toString('base64');

function isError(f: Frame): boolean {
  return f.event === 'pusher:error';
}

function errorData(f: Frame): { code: unknown; message: unknown } {
  assert.equal(typeof f.data, 'object', 'pusher:error data is a plain object');
  return f.data as { code: unknown; message: unknown };
}

describe('client events', () => {
  let server: TestServer;
  const app = makeApp({ plan: 'startup' });
  const switchedOff = makeApp({ plan: 'startup', settings: { clientEvents: false } });
  const free = makeApp({ plan: 'free' });
  const clients: RawClient[] = [];
  const pushers: PusherJS[] = [];
  const raw = (target: App = app): RawClient => {
    const c = rawClient(server, target.key);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startTestServer({ apps: [app, switchedOff, free] });
  });
  after(async () => {
    for (const p of pushers) p.disconnect();
    for (const c of clients) c.ws.terminate();
    await server.close();
  });

  /** Publishes a marker over REST and waits for it, so earlier frames to `client` have arrived. */
  async function flush(client: RawClient, target: App, channel: string): Promise<void> {
    const name = `marker-${randomBytes(4).toString('hex')}`;
    // A master key lets the SDK publish the marker on encrypted channels too.
    const sdk = serverSdk(server, target, { encryptionMasterKeyBase64: MARKER_KEY });
    await sdk.trigger(channel, name, '{}');
    await client.next((f) => f.event === name);
  }

  /** Two subscribed raw sockets; `sender` sends one client event; returns what both saw. */
  async function pair(target: App, channel: string, presence = false): Promise<[RawClient, RawClient]> {
    const sender = raw(target);
    const receiver = raw(target);
    await subscribeSigned(sender, target, channel, presence ? '{"user_id":"sender"}' : undefined);
    await subscribeSigned(receiver, target, channel, presence ? '{"user_id":"receiver"}' : undefined);
    return [sender, receiver];
  }

  test('private channel: relayed to others unchanged, never echoed to the sender, no user_id', async () => {
    const [sender, receiver] = await pair(app, 'private-chat');
    sender.sendRaw('{"event":"client-typing","data":{"typing":true},"channel":"private-chat"}');
    const got = await receiver.next((f) => f.event === 'client-typing');
    assert.equal(got.channel, 'private-chat');
    assert.deepEqual(got.data, { typing: true });
    assert.equal('user_id' in got, false);
    await flush(sender, app, 'private-chat');
    assert.equal(
      sender.frames.some((f) => f.event === 'client-typing'),
      false,
    );
    assert.equal(sender.frames.some(isError), false);
    // String data (other SDKs) is relayed as the same string.
    sender.send({ event: 'client-str', channel: 'private-chat', data: '{"a":1}' });
    assert.equal((await receiver.next((f) => f.event === 'client-str')).data, '{"a":1}');
  });

  test('presence channel: the sender user_id is added (pusher-js metadata.user_id)', async () => {
    const [sender, receiver] = await pair(app, 'presence-chat', true);
    sender.send({ event: 'client-hi', channel: 'presence-chat', data: { x: 1 } });
    const got = await receiver.next((f) => f.event === 'client-hi');
    assert.equal(got.user_id, 'sender');

    const alice = clientSdk(server, app, { userId: 'alice' });
    const bob = clientSdk(server, app, { userId: 'bob' });
    pushers.push(alice, bob);
    const a = alice.subscribe('presence-js-chat');
    const b = bob.subscribe('presence-js-chat');
    await Promise.all([once(a, 'pusher:subscription_succeeded'), once(b, 'pusher:subscription_succeeded')]);
    const received = new Promise<[unknown, { user_id?: string }]>((resolve) => {
      b.bind('client-wave', (data: unknown, metadata: { user_id?: string }) => {
        resolve([data, metadata]);
      });
    });
    const echoed: unknown[] = [];
    a.bind('client-wave', (d: unknown) => echoed.push(d));
    assert.equal(a.trigger('client-wave', { hand: 'left' }), true);
    const [data, metadata] = await received;
    assert.deepEqual(data, { hand: 'left' });
    assert.equal(metadata.user_id, 'alice');
    const marker = once(a, 'marker');
    await serverSdk(server, app).trigger('presence-js-chat', 'marker', {});
    await marker;
    assert.deepEqual(echoed, []);
  });

  test('public channel: refused with a pusher:error frame and not relayed', async () => {
    const [sender, receiver] = await pair(app, 'public-chat');
    sender.send({ event: 'client-x', channel: 'public-chat', data: {} });
    const error = await sender.next(isError);
    assert.equal(typeof errorData(error).message, 'string');
    await flush(receiver, app, 'public-chat');
    assert.equal(
      receiver.frames.some((f) => f.event === 'client-x'),
      false,
    );
    assert.equal(sender.ws.readyState, WebSocket.OPEN);
  });

  test('only subscribed sockets may send', async () => {
    const [, receiver] = await pair(app, 'private-members');
    const outsider = raw();
    await outsider.socketId;
    outsider.send({ event: 'client-x', channel: 'private-members', data: {} });
    const error = await outsider.next(isError);
    assert.match(String(errorData(error).message), /not subscribed/);
    await flush(receiver, app, 'private-members');
    assert.equal(
      receiver.frames.some((f) => f.event === 'client-x'),
      false,
    );
  });

  test('per-app switch off: refused, not relayed', async () => {
    const [sender, receiver] = await pair(switchedOff, 'private-off');
    sender.send({ event: 'client-x', channel: 'private-off', data: {} });
    await sender.next(isError);
    await flush(receiver, switchedOff, 'private-off');
    assert.equal(
      receiver.frames.some((f) => f.event === 'client-x'),
      false,
    );
  });

  test('Free plan: refused, not relayed', async () => {
    const [sender, receiver] = await pair(free, 'presence-free', true);
    sender.send({ event: 'client-x', channel: 'presence-free', data: {} });
    const error = await sender.next(isError);
    assert.match(String(errorData(error).message), /plan/i);
    await flush(receiver, free, 'presence-free');
    assert.equal(
      receiver.frames.some((f) => f.event === 'client-x'),
      false,
    );
  });

  test('rate limit: 10 per second per connection; the 11th gets a non-closing 4301', async () => {
    const [sender, receiver] = await pair(app, 'private-rate');
    for (let i = 0; i < 11; i++) sender.send({ event: 'client-n', channel: 'private-rate', data: { i } });
    const error = await sender.next(isError);
    assert.equal(errorData(error).code, 4301);
    await flush(receiver, app, 'private-rate');
    const relayed = receiver.frames
      .filter((f) => f.event === 'client-n')
      .map((f) => (f.data as { i: number }).i);
    assert.deepEqual(relayed, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(sender.frames.filter(isError).length, 1);
    // Still open and usable.
    assert.equal(sender.ws.readyState, WebSocket.OPEN);
    sender.send({ event: 'pusher:ping', data: {} });
    await sender.next((f) => f.event === 'pusher:pong');
    // Another connection has its own budget.
    const other = raw();
    await subscribeSigned(other, app, 'private-rate');
    other.send({ event: 'client-other', channel: 'private-rate', data: {} });
    await receiver.next((f) => f.event === 'client-other');
  });

  test('encrypted channels: client events refused (non-closing) and never relayed', async () => {
    const [sender, receiver] = await pair(app, 'private-encrypted-chat');
    sender.send({
      event: 'client-x',
      channel: 'private-encrypted-chat',
      data: { nonce: 'AAAA', ciphertext: 'BBBB' },
    });
    const error = await sender.next(isError);
    assert.match(String(errorData(error).message), /encrypted/i);
    await flush(receiver, app, 'private-encrypted-chat');
    assert.equal(
      receiver.frames.some((f) => f.event === 'client-x'),
      false,
    );
    assert.equal(sender.ws.readyState, WebSocket.OPEN);
    // Cache variant too.
    const [s2, r2] = await pair(app, 'private-encrypted-cache-chat');
    s2.send({ event: 'client-x', channel: 'private-encrypted-cache-chat', data: {} });
    await s2.next(isError);
    await flush(r2, app, 'private-encrypted-cache-chat');
    assert.equal(
      r2.frames.some((f) => f.event === 'client-x'),
      false,
    );
  });

  test('pusher-js refuses to trigger on an encrypted channel itself', async () => {
    const p = clientSdk(server, app, { masterKeyBase64: randomBytes(32).toString('base64') });
    pushers.push(p);
    const channel = p.subscribe('private-encrypted-js');
    await once(channel, 'pusher:subscription_succeeded');
    assert.throws(() => channel.trigger('client-x', {}), /not currently supported/);
  });
});
