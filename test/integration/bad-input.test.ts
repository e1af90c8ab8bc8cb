// Hostile and broken input over WebSocket and HTTP. Each gets a clear error; the server stays up and
// a pusher-js client connected the whole time keeps working.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { PusherJS } from '../support/pusher-js.js';
import { errorOf, signedRequest } from '../support/rest.js';
import { subscribeRaw } from '../support/raw-session.js';
import { withTimeout } from '../support/wait.js';
import {
  clientSdk,
  once,
  rawClient,
  serverSdk,
  startTestServer,
  waitForState,
  type RawClient,
  type TestServer,
} from '../support/server.js';

type Frame = RawClient['frames'][number];

/** Sends each text and waits until as many new pusher:error frames have arrived. */
function expectErrors(client: RawClient, texts: readonly string[], timeoutMs = 5000): Promise<Frame[]> {
  const before = client.frames.length;
  let count = 0;
  return new Promise<Frame[]>((resolve, reject) => {
    const finish = (): void => {
      clearTimeout(timer);
      client.ws.off('message', onMessage);
    };
    const timer = setTimeout(() => {
      finish();
      reject(new Error(`expected ${texts.length} pusher:error frames, got ${count}`));
    }, timeoutMs);
    // Registered after rawClient's own listener, so the frame is already in client.frames.
    const onMessage = (): void => {
      if (client.frames.at(-1)?.event === 'pusher:error') count++;
      if (count >= texts.length) {
        finish();
        resolve(client.frames.slice(before).filter((f) => f.event === 'pusher:error'));
      }
    };
    client.ws.on('message', onMessage);
    for (const text of texts) client.sendRaw(text);
  });
}

async function stillUsable(client: RawClient): Promise<void> {
  const old = new Set(client.frames);
  client.send({ event: 'pusher:ping', data: {} });
  await client.next((f) => f.event === 'pusher:pong' && !old.has(f));
}

describe('bad input', () => {
  let server: TestServer;
  let witness: PusherJS;
  let witnessEvents: unknown[];
  const sockets: RawClient[] = [];
  const raw = (): RawClient => {
    const client = rawClient(server, server.app.key);
    sockets.push(client);
    return client;
  };

  before(async () => {
    server = await startTestServer();
    witness = clientSdk(server, server.app);
    await waitForState(witness, 'connected');
    const channel = witness.subscribe('witness');
    await once(channel, 'pusher:subscription_succeeded');
    witnessEvents = [];
    channel.bind('tick', (data: unknown) => witnessEvents.push(data));
  });
  after(async () => {
    witness.disconnect();
    for (const s of sockets) s.close();
    await server.close();
  });

  test('garbage frames each get a pusher:error and the socket stays usable', async () => {
    const client = raw();
    await client.socketId;
    const garbage = [
      'not json at all',
      '{"event":',
      '[1,2,3]',
      '[{"event":"pusher:ping"}]',
      '42',
      'null',
      '"a string"',
      'true',
      '{}',
      '{"data":{}}',
      '{"event":5}',
      '{"event":""}',
      '{"event":null}',
      '{"event":{"nested":true}}',
      '{"event":"pusher:ping","channel":{}}',
      JSON.stringify({ event: 'x'.repeat(100_000) }),
      JSON.stringify({ data: 'y'.repeat(100_000) }),
      'z'.repeat(100_000),
    ];
    const errors = await expectErrors(client, garbage);
    for (const error of errors) {
      assert.equal(typeof (error.data as { message?: unknown }).message, 'string');
      assert.ok(JSON.stringify(error).length < 1000, 'an error must not echo a huge input');
    }
    await stillUsable(client);
  });

  test('wrong types and unknown events are named in the error', async () => {
    const client = raw();
    await client.socketId;
    const [numberData, objectChannel, stringData, foo, longName] = await expectErrors(client, [
      JSON.stringify({ event: 'pusher:subscribe', data: 5 }),
      JSON.stringify({ event: 'pusher:subscribe', data: { channel: {} } }),
      JSON.stringify({ event: 'pusher:subscribe', data: 'not an object' }),
      JSON.stringify({ event: 'foo', data: {} }),
      JSON.stringify({ event: 'f'.repeat(5000) }),
    ]);
    assert.match(JSON.stringify(numberData?.data), /data\.channel/);
    assert.match(JSON.stringify(objectChannel?.data), /data\.channel/);
    assert.match(JSON.stringify(stringData?.data), /data\.channel/);
    assert.match(JSON.stringify(foo?.data), /Unknown event 'foo'/);
    assert.ok(JSON.stringify(longName?.data).length < 500);
    await stillUsable(client);
  });

  test('a binary frame gets a pusher:error; the socket stays usable', async () => {
    const client = raw();
    await client.socketId;
    const before = client.frames.length;
    client.ws.send(Buffer.from(JSON.stringify({ event: 'pusher:ping', data: {} })), { binary: true });
    const error = await client.next((f) => f.event === 'pusher:error' && client.frames.indexOf(f) >= before);
    assert.match(JSON.stringify(error.data), /Binary frames/);
    await stillUsable(client);
  });

  test('an oversized frame (> 108 KB) closes that socket with 1009 only', async () => {
    const client = raw();
    const bystander = raw();
    await client.socketId;
    await bystander.socketId;
    client.sendRaw(JSON.stringify({ event: 'client-x', channel: 'private-a', data: 'x'.repeat(120 * 1024) }));
    const closed = await withTimeout(client.closed, 5000, 'oversized frame did not close the socket');
    assert.equal(closed.code, 1009);
    await stillUsable(bystander);
  });

  test('invalid UTF-8 in a text frame closes that socket (1007) only', async () => {
    const client = raw();
    const bystander = raw();
    await client.socketId;
    await bystander.socketId;
    client.ws.send(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), { binary: false });
    const closed = await withTimeout(client.closed, 5000, 'invalid UTF-8 did not close the socket');
    // uWebSockets.js checks UTF-8 itself and drops the socket without a close frame (1006).
    assert.equal(closed.code, server.transport === 'uws' ? 1006 : 1007);
    await stillUsable(bystander);
  });

  test('10,000 malformed frames from one socket are each answered, then a subscribe still works', async () => {
    const client = raw();
    await client.socketId;
    const texts = Array.from({ length: 10_000 }, (_, i) => (i % 2 ? `garbage ${i}` : `{"event":${i}}`));
    const errors = await expectErrors(client, texts, 20_000);
    assert.equal(errors.length, 10_000);
    await subscribeRaw(client, server.app, 'after-flood');
  });

  test('bad channel signatures get subscription_error 401; the socket stays usable', async () => {
    const client = raw();
    const socketId = await client.socketId;
    client.send({
      event: 'pusher:subscribe',
      data: { channel: 'private-x', auth: `${server.app.key}:${'0'.repeat(64)}` },
    });
    client.send({ event: 'pusher:subscribe', data: { channel: 'private-y', auth: 'no colon' } });
    client.send({ event: 'pusher:subscribe', data: { channel: 'private-z' } });
    client.send({
      event: 'pusher:subscribe',
      data: { channel: 'presence-p', auth: `${server.app.key}:${'a'.repeat(64)}`, channel_data: '{not json' },
    });
    for (const channel of ['private-x', 'private-y', 'private-z']) {
      const error = await client.next(
        (f) => f.event === 'pusher:subscription_error' && f.channel === channel,
      );
      assert.equal((JSON.parse(error.data as string) as { status: number }).status, 401, channel);
    }
    const presence = await client.next(
      (f) => f.event === 'pusher:subscription_error' && f.channel === 'presence-p',
    );
    assert.ok([400, 401].includes((JSON.parse(presence.data as string) as { status: number }).status));
    assert.match(socketId, /^\d+\.\d+$/);
    await stillUsable(client);
  });

  test('bad REST signatures and stale timestamps get 401 JSON errors', async () => {
    const path = `/apps/${server.app.id}/events`;
    const body = { name: 'tick', channel: 'witness', data: 'forged' };
    const bad = await signedRequest(server, server.app, { path, body, signature: 'nope' });
    assert.equal(bad.status, 401);
    assert.ok(errorOf(bad));
    const stale = await signedRequest(server, server.app, { path, body, timestamp: 1_000_000_000 });
    assert.equal(stale.status, 401);
    assert.equal(errorOf(stale)?.code, 'auth_timestamp_expired');
  });

  test('afterwards the witness still receives events and a new client connects', async () => {
    assert.equal(witness.connection.state, 'connected');
    assert.deepEqual(witnessEvents, [], 'forged/refused publishes must not have reached the witness');
    const got = once(witness.channel('witness'), 'tick');
    await serverSdk(server, server.app).trigger('witness', 'tick', { ok: true });
    assert.deepEqual(await got, { ok: true });
    const fresh = clientSdk(server, server.app);
    try {
      await waitForState(fresh, 'connected');
      const channel = fresh.subscribe('witness');
      await once(channel, 'pusher:subscription_succeeded');
    } finally {
      fresh.disconnect();
    }
  });
});
