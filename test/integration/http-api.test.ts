// The Pusher HTTP API driven by the official `pusher` SDK (and raw signed requests where the SDK
// would refuse to send), with pusher-js and raw sockets as the receivers.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type Pusher from 'pusher';
import { errorOf, rawRequest, signedRequest } from '../support/rest.js';
import { framesBetween, signinRaw, subscribeRaw } from '../support/raw-session.js';
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

function isStatus(status: number): (error: unknown) => boolean {
  return (error) => {
    assert.equal((error as SdkError).status, status, `expected HTTP ${status}, got ${String(error)}`);
    return true;
  };
}

describe('HTTP API with the pusher SDK', () => {
  let server: TestServer;
  let sdk: Pusher;
  const sockets: RawClient[] = [];
  const raw = (): RawClient => {
    const client = rawClient(server, server.app.key);
    sockets.push(client);
    return client;
  };

  before(async () => {
    server = await startTestServer({ apps: [makeApp({ settings: { subscriptionCount: true } })] });
    sdk = serverSdk(server, server.app);
  });
  after(async () => {
    for (const s of sockets) s.close();
    await server.close();
  });

  test('trigger to one channel reaches pusher-js', async () => {
    const client = clientSdk(server, server.app);
    try {
      await waitForState(client, 'connected');
      const channel = client.subscribe('one-channel');
      await once(channel, 'pusher:subscription_succeeded');
      const got = once<{ n: number }>(channel, 'evt');
      const response = await sdk.trigger('one-channel', 'evt', { n: 1 });
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {});
      assert.deepEqual(await got, { n: 1 });
    } finally {
      client.disconnect();
    }
  });

  test('trigger to many channels reaches each; socket_id excludes that socket', async () => {
    const a = raw();
    const b = raw();
    await subscribeRaw(a, server.app, 'many-1');
    await subscribeRaw(b, server.app, 'many-1');
    await subscribeRaw(b, server.app, 'many-2');
    const aSocket = await a.socketId;
    const aStart = a.frames.length;
    await sdk.trigger(['many-1', 'many-2'], 'first', 'x', { socket_id: aSocket });
    const b1 = await b.next((f) => f.event === 'first' && f.channel === 'many-1');
    const b2 = await b.next((f) => f.event === 'first' && f.channel === 'many-2');
    assert.equal(b1.data, 'x');
    assert.equal(b2.data, 'x');
    // A was excluded: the next event (without socket_id) is the first one A sees.
    await sdk.trigger('many-1', 'second', 'y');
    const second = await a.next((f) => f.event === 'second');
    assert.deepEqual(
      framesBetween(a, aStart, second).filter((f) => f.event === 'first'),
      [],
      'the socket named in socket_id must not receive the event',
    );
  });

  test('trigger with info returns user_count and subscription_count per channel', async () => {
    const a = raw();
    const b = raw();
    await subscribeRaw(a, server.app, 'info-pub');
    await subscribeRaw(b, server.app, 'info-pub');
    await subscribeRaw(a, server.app, 'presence-info', { userId: 'u1' });
    await subscribeRaw(b, server.app, 'presence-info', { userId: 'u2' });
    const c = raw();
    await subscribeRaw(c, server.app, 'presence-info', { userId: 'u2' });
    const response = await sdk.trigger(['info-pub', 'presence-info'], 'e', 'd', {
      info: 'user_count,subscription_count',
    });
    assert.deepEqual(await response.json(), {
      channels: {
        'info-pub': { subscription_count: 2 },
        'presence-info': { user_count: 2 },
      },
    });
  });

  test('triggerBatch delivers every item, and with info returns attributes in order', async () => {
    const a = raw();
    await subscribeRaw(a, server.app, 'batch-1');
    await subscribeRaw(a, server.app, 'batch-2');
    const plain = await sdk.triggerBatch([
      { channel: 'batch-1', name: 'b1', data: { i: 1 } },
      { channel: 'batch-2', name: 'b2', data: 'two' },
    ]);
    assert.deepEqual(await plain.json(), {});
    assert.equal((await a.next((f) => f.event === 'b1')).data, '{"i":1}');
    assert.equal((await a.next((f) => f.event === 'b2')).data, 'two');
    const withInfo = await sdk.triggerBatch([
      { channel: 'batch-1', name: 'b3', data: '3', info: 'subscription_count' },
      { channel: 'batch-2', name: 'b4', data: '4' },
    ]);
    assert.deepEqual(await withInfo.json(), { batch: [{ subscription_count: 1 }, {}] });
  });

  test('GET /channels with filter_by_prefix and info', async () => {
    const a = raw();
    await subscribeRaw(a, server.app, 'list-x1');
    await subscribeRaw(a, server.app, 'list-x2');
    await subscribeRaw(a, server.app, 'presence-list', { userId: 'lister' });
    const all = (await (await sdk.get({ path: '/channels' })).json()) as {
      channels: Record<string, unknown>;
    };
    assert.ok('list-x1' in all.channels && 'presence-list' in all.channels);
    const filtered = await sdk.get({
      path: '/channels',
      params: { filter_by_prefix: 'list-', info: 'subscription_count' },
    });
    assert.deepEqual(await filtered.json(), {
      channels: { 'list-x1': { subscription_count: 1 }, 'list-x2': { subscription_count: 1 } },
    });
    const presence = await sdk.get({
      path: '/channels',
      params: { filter_by_prefix: 'presence-list', info: 'user_count' },
    });
    assert.deepEqual(await presence.json(), { channels: { 'presence-list': { user_count: 1 } } });
    await assert.rejects(
      sdk.get({ path: '/channels', params: { filter_by_prefix: 'list-', info: 'user_count' } }),
      isStatus(400),
    );
    await assert.rejects(sdk.get({ path: '/channels', params: { info: 'user_count' } }), isStatus(400));
  });

  test('channels named like Object.prototype members (__proto__, constructor) are reported as any other', async () => {
    const a = raw();
    await subscribeRaw(a, server.app, '__proto__');
    await subscribeRaw(a, server.app, 'constructor');
    // JSON.parse makes "__proto__" an own key, so the replies are compared as text and by own keys.
    const listed = await (
      await sdk.get({ path: '/channels', params: { filter_by_prefix: '__', info: 'subscription_count' } })
    ).text();
    assert.equal(listed, '{"channels":{"__proto__":{"subscription_count":1}}}');
    const triggered = await (
      await sdk.trigger(['__proto__', 'constructor'], 'e', 'd', { info: 'subscription_count' })
    ).text();
    assert.equal(
      triggered,
      '{"channels":{"__proto__":{"subscription_count":1},"constructor":{"subscription_count":1}}}',
    );
  });

  test('GET /channels/{name} with info=user_count|subscription_count|cache', async () => {
    const a = raw();
    await subscribeRaw(a, server.app, 'chan-info');
    await subscribeRaw(a, server.app, 'presence-chan-info', { userId: 'p1' });
    const pub = await sdk.get({ path: '/channels/chan-info', params: { info: 'subscription_count' } });
    assert.deepEqual(await pub.json(), { occupied: true, subscription_count: 1 });
    const pres = await sdk.get({ path: '/channels/presence-chan-info', params: { info: 'user_count' } });
    assert.deepEqual(await pres.json(), { occupied: true, user_count: 1 });
    const empty = await sdk.get({ path: '/channels/nobody-here' });
    assert.deepEqual(await empty.json(), { occupied: false });
    await assert.rejects(
      sdk.get({ path: '/channels/chan-info', params: { info: 'user_count' } }),
      isStatus(400),
    );
    await assert.rejects(
      sdk.get({ path: '/channels/presence-chan-info', params: { info: 'subscription_count' } }),
      isStatus(400),
    );
    await assert.rejects(sdk.get({ path: '/channels/chan-info', params: { info: 'cache' } }), isStatus(400));

    await sdk.trigger('cache-prices', 'price', { eur: 10 });
    const cached = (await (
      await sdk.get({ path: '/channels/cache-prices', params: { info: 'cache' } })
    ).json()) as { occupied: boolean; cache: { data: string; ttl: number } };
    assert.equal(cached.occupied, false);
    assert.equal(cached.cache.data, '{"eur":10}');
    assert.ok(cached.cache.ttl > 0 && cached.cache.ttl <= 1800, `ttl ${cached.cache.ttl}`);
  });

  test('GET /channels/{name}/users lists presence members; 400 for other channels', async () => {
    const a = raw();
    const b = raw();
    await subscribeRaw(a, server.app, 'presence-roster', { userId: 'alice' });
    await subscribeRaw(b, server.app, 'presence-roster', { userId: 'bob' });
    const users = (await (await sdk.get({ path: '/channels/presence-roster/users' })).json()) as {
      users: { id: string }[];
    };
    assert.deepEqual(users.users.map((u) => u.id).sort(), ['alice', 'bob']);
    await assert.rejects(sdk.get({ path: '/channels/private-roster/users' }), isStatus(400));
    await assert.rejects(sdk.get({ path: '/channels/roster/users' }), isStatus(400));
  });

  test('terminateUserConnections closes every socket of that user only', async () => {
    const a = raw();
    const b = raw();
    const other = raw();
    await signinRaw(a, server.app, 'victim');
    await signinRaw(b, server.app, 'victim');
    await signinRaw(other, server.app, 'bystander');
    const response = await sdk.terminateUserConnections('victim');
    assert.equal(response.status, 200);
    assert.equal((await a.closed).code, 4009);
    assert.equal((await b.closed).code, 4009);
    other.send({ event: 'pusher:ping', data: {} });
    await other.next((f) => f.event === 'pusher:pong');
    assert.equal(other.ws.readyState, other.ws.OPEN);
  });

  test('sendToUser reaches the signed-in user on #server-to-user-{id}', async () => {
    const a = raw();
    const stranger = raw();
    await signinRaw(a, server.app, 'recipient');
    await subscribeRaw(a, server.app, '#server-to-user-recipient');
    await signinRaw(stranger, server.app, 'stranger');
    await subscribeRaw(stranger, server.app, '#server-to-user-stranger');
    const strangerStart = stranger.frames.length;
    await sdk.sendToUser('recipient', 'dm', { text: 'hi' });
    const got = await a.next((f) => f.event === 'dm');
    assert.equal(got.channel, '#server-to-user-recipient');
    assert.equal(got.data, '{"text":"hi"}');
    await sdk.sendToUser('stranger', 'marker', {});
    const marker = await stranger.next((f) => f.event === 'marker');
    assert.deepEqual(
      framesBetween(stranger, strangerStart, marker).filter((f) => f.event === 'dm'),
      [],
    );
  });
});

describe('HTTP API limits and errors (raw signed requests)', () => {
  let server: TestServer;
  let path: string;
  before(async () => {
    server = await startTestServer();
    path = `/apps/${server.app.id}/events`;
  });
  after(async () => {
    await server.close();
  });

  const publish = (body: Record<string, unknown> | string) =>
    signedRequest(server, server.app, { path, body });

  test('data of exactly 100 KiB (UTF-8 bytes) is accepted; one byte more is 413', async () => {
    const ok = await publish({ name: 'big', channel: 'big', data: 'a'.repeat(100 * 1024) });
    assert.equal(ok.status, 200, ok.text);
    const tooBig = await publish({ name: 'big', channel: 'big', data: 'a'.repeat(100 * 1024 + 1) });
    assert.equal(tooBig.status, 413);
    assert.equal(errorOf(tooBig)?.code, 'payload_too_large');
    // Counted in bytes, not characters: 51,200 two-byte characters are exactly the limit…
    const twoByte = await publish({ name: 'big', channel: 'big', data: 'é'.repeat(51_200) });
    assert.equal(twoByte.status, 200, twoByte.text);
    // …and 51,201 of them (far fewer than 102,400 characters) are over it.
    const overInBytes = await publish({ name: 'big', channel: 'big', data: 'é'.repeat(51_201) });
    assert.equal(overInBytes.status, 413);
  });

  test('channel names: 200 characters OK, 201 is 400', async () => {
    const ok = await publish({ name: 'e', channel: 'c'.repeat(200), data: 'x' });
    assert.equal(ok.status, 200, ok.text);
    const long = await publish({ name: 'e', channel: 'c'.repeat(201), data: 'x' });
    assert.equal(long.status, 400);
    assert.equal(errorOf(long)?.code, 'channel_name_too_long');
  });

  test('100 channels OK, 101 is 400', async () => {
    const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `ch-${i}`);
    const ok = await publish({ name: 'e', channels: names(100), data: 'x' });
    assert.equal(ok.status, 200, ok.text);
    const tooMany = await publish({ name: 'e', channels: names(101), data: 'x' });
    assert.equal(tooMany.status, 400);
    assert.equal(errorOf(tooMany)?.code, 'too_many_channels');
  });

  test('batch of 10 OK, 11 is 400', async () => {
    const batch = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ name: 'e', channel: `b-${i}`, data: 'x' }));
    const batchPath = `/apps/${server.app.id}/batch_events`;
    const ok = await signedRequest(server, server.app, { path: batchPath, body: { batch: batch(10) } });
    assert.equal(ok.status, 200, ok.text);
    const tooMany = await signedRequest(server, server.app, { path: batchPath, body: { batch: batch(11) } });
    assert.equal(tooMany.status, 400);
    assert.equal(errorOf(tooMany)?.code, 'batch_too_large');
  });

  test('malformed JSON is 400 with a JSON error body', async () => {
    for (const body of ['{"name":', 'not json', '[1,2]', '"just a string"']) {
      const response = await publish(body);
      assert.equal(response.status, 400, body);
      assert.match(response.contentType ?? '', /^application\/json/);
      const error = errorOf(response);
      assert.ok(error, `error body for ${body}: ${response.text}`);
      assert.equal(error.code, 'invalid_json');
      assert.ok(error.message.length > 0);
    }
  });

  test('every error is {"error":{"code","message"}}', async () => {
    const responses = [
      await publish({ name: 'e', channel: 'bad channel!', data: 'x' }),
      await publish({ name: 'e', channel: 'ok', data: 'x'.repeat(102_401) }),
      await signedRequest(server, server.app, {
        path,
        body: { name: 'e', channel: 'c', data: 'x' },
        signature: 'f'.repeat(64),
      }),
      await rawRequest(server, 'GET', `/apps/${server.app.id}/nothing-here`),
    ];
    for (const response of responses) {
      assert.ok(response.status >= 400, response.text);
      assert.deepEqual(Object.keys(response.json as object), ['error'], response.text);
      const error = errorOf(response);
      assert.ok(error, response.text);
      assert.deepEqual(Object.keys((response.json as { error: object }).error).sort(), ['code', 'message']);
    }
  });

  test('wrong method is 405; unknown path is 404', async () => {
    const get = await signedRequest(server, server.app, { method: 'GET', path });
    assert.equal(get.status, 405);
    assert.equal(errorOf(get)?.code, 'method_not_allowed');
    const post = await signedRequest(server, server.app, {
      method: 'POST',
      path: `/apps/${server.app.id}/channels`,
      body: {},
    });
    assert.equal(post.status, 405);
    const unknown = await signedRequest(server, server.app, {
      method: 'GET',
      path: `/apps/${server.app.id}/nope`,
    });
    assert.equal(unknown.status, 404);
    assert.equal(errorOf(unknown)?.code, 'not_found');
    const outside = await rawRequest(server, 'GET', '/definitely/not/here');
    assert.equal(outside.status, 404);
    assert.ok(errorOf(outside));
  });
});
