// Encrypted client events (issue 11 §1) on the real server with a store, apps made through the
// management API: the @mawjly/client helper sends `client-*` events on `private-encrypted-*`
// channels as ciphertext; stock pusher-js (Node here, the Chromium web build in
// encrypted-client-events-browser.test.ts) decrypts them; Laravel Echo whispers through the helper;
// `client_event` webhooks carry only the envelope; everything else is refused with the documented
// error and never delivered.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Echo from 'laravel-echo';
import nacl from 'tweetnacl';
import { deriveSharedSecret, MawjlyPusher } from '../../packages/client/src/index.js';
import type { App } from '../../src/core/app.js';
import { ERRORS } from '../../src/protocol/errors.js';
import type { RunningServer } from '../../src/server/server.js';
import type { PusherJS } from '../support/pusher-js.js';
import { signChannel, subscribeSigned } from '../support/raw-auth.js';
import {
  authEndpointOptions,
  clientSdk,
  once,
  rawClient,
  waitForState,
  type RawClient,
} from '../support/server.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';
import {
  FAST_WEBHOOKS,
  eventually,
  newAccount,
  newDatabase,
  startNode,
  type Database,
} from '../support/webhook-stack.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ev = any;
type Frame = RawClient['frames'][number];

const MASTER_KEY = randomBytes(32).toString('base64');
const SECRET_TEXT = 'PII: card ending 4242';

/** A secretbox envelope of JSON(value) under the channel's derived key, as the helper makes it. */
function seal(channel: string, value: unknown): { nonce: string; ciphertext: string } {
  const key = Buffer.from(deriveSharedSecret(channel, Buffer.from(MASTER_KEY, 'base64')), 'base64');
  const nonce = nacl.randomBytes(24);
  const box = nacl.secretbox(Buffer.from(JSON.stringify(value)), nonce, key);
  return { nonce: Buffer.from(nonce).toString('base64'), ciphertext: Buffer.from(box).toString('base64') };
}

function open(channel: string, envelope: { nonce: string; ciphertext: string }): unknown {
  const key = Buffer.from(deriveSharedSecret(channel, Buffer.from(MASTER_KEY, 'base64')), 'base64');
  const bytes = nacl.secretbox.open(
    Buffer.from(envelope.ciphertext, 'base64'),
    Buffer.from(envelope.nonce, 'base64'),
    key,
  );
  assert.ok(bytes, 'the envelope opens with the channel key');
  return JSON.parse(Buffer.from(bytes).toString('utf8'));
}

/** Rejects when `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, what: string, ms = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
  });
  return Promise.race([promise, timeout]).finally(() => {
    clearTimeout(timer);
  });
}

describe('encrypted client events', () => {
  let db: Database;
  let server: RunningServer;
  let acct: Awaited<ReturnType<typeof newAccount>>;
  const clients: { disconnect(): void }[] = [];
  const raws: RawClient[] = [];
  const receivers: Receiver[] = [];

  before(async () => {
    db = await newDatabase('sqlite');
    server = await startNode(db, { config: FAST_WEBHOOKS });
    acct = await newAccount(server, 'pro');
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    for (const r of raws) r.close();
    for (const r of receivers) await r.close();
    await server.close();
    await db.drop();
  });

  async function appWithWebhooks(settings: Record<string, unknown>): Promise<[App, Receiver]> {
    const app = await acct.newApp(settings);
    const receiver = await startReceiver({ id: app.id, key: app.key, secret: app.secrets[0]! });
    receivers.push(receiver);
    const hook = await acct.api('POST', `/apps/${app.id}/webhooks`, {
      url: receiver.url,
      event_types: ['client_event'],
    });
    assert.equal(hook.status, 201, JSON.stringify(hook.json));
    return [app, receiver];
  }

  /** The helper with an authorizer that returns only `auth`: it derives the key itself. */
  async function helper(app: App): Promise<MawjlyPusher> {
    const client = new MawjlyPusher(app.key, {
      ...authEndpointOptions(server, (socketId, channelName) => ({
        auth: signChannel(app, socketId, channelName),
      })),
      encryptionMasterKeyBase64: MASTER_KEY,
    });
    clients.push(client);
    await waitForState(client, 'connected', 10_000);
    return client;
  }

  /** Stock pusher-js; its auth endpoint (the `pusher` SDK with the master key) returns shared_secret. */
  async function stock(app: App): Promise<PusherJS> {
    const client = clientSdk(server, app, { masterKeyBase64: MASTER_KEY });
    clients.push(client);
    await waitForState(client, 'connected', 10_000);
    return client;
  }

  async function raw(app: App, ...channels: string[]): Promise<RawClient> {
    const client = rawClient(server, app.key);
    raws.push(client);
    for (const channel of channels) await subscribeSigned(client, app, channel);
    return client;
  }

  test('the setting is off by default and shown by the management API', async () => {
    const plain = await acct.newApp();
    const shown = await acct.api('GET', `/apps/${plain.id}`);
    assert.equal(shown.json.settings.encrypted_client_events, false);
    assert.equal(plain.settings.encryptedClientEvents, false);
    const patched = await acct.api('PATCH', `/apps/${plain.id}`, {
      settings: { encrypted_client_events: true },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.json));
    assert.equal(patched.json.settings.encrypted_client_events, true);
    assert.equal(server.directory.findById(plain.id)?.settings.encryptedClientEvents, true);
  });

  test('helper sender → stock pusher-js receiver decrypts; the webhook holds only ciphertext', async () => {
    const channelName = 'private-encrypted-chat.7';
    const [app, receiver] = await appWithWebhooks({ encrypted_client_events: true });
    const sender = await helper(app);
    const listener = await stock(app);
    const out = sender.subscribe(channelName);
    const inbox = listener.subscribe(channelName);
    await Promise.all([
      once(out, 'pusher:subscription_succeeded', 10_000),
      once(inbox, 'pusher:subscription_succeeded', 10_000),
    ]);
    const echoed: unknown[] = [];
    out.bind('client-typing', (d: unknown) => echoed.push(d));

    const got = once(inbox, 'client-typing', 10_000);
    assert.equal(out.trigger('client-typing', { text: SECRET_TEXT }), true);
    assert.deepEqual(await got, { text: SECRET_TEXT });
    const gotString = once(inbox, 'client-note', 10_000);
    out.trigger('client-note', 'a plain string');
    assert.equal(await gotString, 'a plain string');

    await receiver.waitFor(
      (r) => r.events().filter((e: Ev) => e.name === 'client_event').length === 2,
      20_000,
      'two client_event webhooks',
    );
    const typing: Ev = receiver.events().find((e: Ev) => e.event === 'client-typing');
    assert.equal(typing.channel, channelName);
    assert.equal(typing.socket_id, sender.connection.socket_id);
    const envelope = JSON.parse(typing.data as string) as { nonce: string; ciphertext: string };
    assert.deepEqual(Object.keys(envelope).sort(), ['ciphertext', 'nonce']);
    for (const request of receiver.requests) assert.doesNotMatch(request.rawBody, /PII|card ending/);
    assert.deepEqual(open(channelName, envelope), { text: SECRET_TEXT }, 'the ciphertext is the event');
    assert.deepEqual(echoed, [], 'never echoed to the sender');
  });

  test('refusals: setting off, client events off, plaintext, malformed envelopes; nothing delivered', async () => {
    const channel = 'private-encrypted-refused';
    const barrier = 'private-barrier';
    const [on, onHooks] = await appWithWebhooks({ encrypted_client_events: true });
    const off = await acct.newApp();
    const noClientEvents = await acct.newApp({ client_events: false, encrypted_client_events: true });
    const valid = seal(channel, { text: SECRET_TEXT });
    const b64 = (n: number): string => randomBytes(n).toString('base64');
    const cases: { app: App; data: unknown; message: RegExp | string }[] = [
      { app: off, data: valid, message: ERRORS.client_event_encrypted.message },
      { app: noClientEvents, data: valid, message: ERRORS.client_events_disabled.message },
      { app: on, data: { text: SECRET_TEXT }, message: /^Refused client event on .*: data has unexpected/ },
      { app: on, data: SECRET_TEXT, message: /: data is not JSON/ },
      { app: on, data: JSON.stringify([1, 2]), message: /: data must be a JSON object/ },
      { app: on, data: { ...valid, text: 'x' }, message: /unexpected field\(s\) "text"/ },
      { app: on, data: { nonce: b64(23), ciphertext: valid.ciphertext }, message: /nonce must decode to 24/ },
      { app: on, data: { nonce: valid.nonce, ciphertext: b64(15) }, message: /at least 16 bytes, got 15/ },
      {
        app: on,
        data: { nonce: 'not base64!', ciphertext: valid.ciphertext },
        message: /nonce is not valid/,
      },
      { app: on, data: { nonce: valid.nonce }, message: /ciphertext is missing/ },
    ];
    for (const [index, { app, data, message }] of cases.entries()) {
      const sender = await raw(app, channel, barrier);
      const watcher = await raw(app, channel, barrier);
      sender.send({ event: 'client-leak', channel, data });
      const error = await sender.next((f) => f.event === 'pusher:error');
      const text = (error.data as { message: string }).message;
      if (typeof message === 'string') assert.equal(text, message, `case ${String(index)}`);
      else assert.match(text, message, `case ${String(index)}`);
      // Frames from one socket are handled in order: once the barrier arrives, a relay would have.
      sender.send({ event: 'client-barrier', channel: barrier, data: { index } });
      if (app !== noClientEvents) await watcher.next((f) => f.event === 'client-barrier');
      else await sender.next((f) => f.event === 'pusher:error' && f !== error);
      assert.deepEqual(
        watcher.frames.filter((f: Frame) => f.event === 'client-leak'),
        [],
        `case ${String(index)}: nothing relayed`,
      );
      sender.close();
      watcher.close();
    }
    // Webhooks: the barriers of `on` arrive, the refused events never do.
    const onCases = cases.filter((c) => c.app === on).length;
    await onHooks.waitFor(
      (r) => r.events().filter((e: Ev) => e.event === 'client-barrier').length === onCases,
      20_000,
      'the barrier webhooks',
    );
    assert.deepEqual(
      onHooks.events().filter((e: Ev) => e.event === 'client-leak'),
      [],
    );
  });

  test('rate limit as for any client event: 10 per second per connection, then 4301', async () => {
    const channel = 'private-encrypted-burst';
    const app = await acct.newApp({ encrypted_client_events: true });
    const sender = await raw(app, channel);
    const watcher = await raw(app, channel);
    for (let i = 0; i < 12; i++) sender.send({ event: 'client-burst', channel, data: seal(channel, { i }) });
    const relayed = () => watcher.frames.filter((f: Frame) => f.event === 'client-burst');
    const limited = () => sender.frames.filter((f: Frame) => f.event === 'pusher:error');
    await eventually(() => relayed().length + limited().length === 12, 20_000, 'all 12 answered');
    assert.equal(relayed().length, 10);
    assert.deepEqual(
      limited().map((f: Frame) => (f.data as { code: number }).code),
      [4301, 4301],
    );
    assert.deepEqual(
      relayed().map((f: Frame) => open(channel, f.data as never)),
      Array.from({ length: 10 }, (_, i) => ({ i })),
    );
  });

  test('Laravel Echo: whisper on encryptedPrivate through the helper, listenForWhisper on stock pusher-js', async () => {
    const app = await acct.newApp({ encrypted_client_events: true });
    const senderEcho = new Echo({
      broadcaster: 'pusher',
      key: app.key,
      cluster: 'sa',
      client: await helper(app),
    });
    const receiverEcho = new Echo({
      broadcaster: 'pusher',
      key: app.key,
      cluster: 'sa',
      client: await stock(app),
    });
    const out = senderEcho.encryptedPrivate('room.1');
    const inbox = receiverEcho.encryptedPrivate('room.1');
    await within(
      Promise.all(
        [out, inbox].map(
          (c) =>
            new Promise<void>((resolve) => {
              c.subscribed(resolve);
            }),
        ),
      ),
      'both subscriptions',
    );
    const got = new Promise<unknown>((resolve) => {
      inbox.listenForWhisper('typing', resolve);
    });
    out.whisper('typing', { name: 'cat', secret: SECRET_TEXT });
    assert.deepEqual(await within(got, 'the whisper'), { name: 'cat', secret: SECRET_TEXT });
  });
});
