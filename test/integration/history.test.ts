// Channel history and recovery on a lone node (issue 11 §3, docs/history.md): serials on live frames,
// replay after a forced disconnect through the client helper, "cannot recover" past the window,
// stock pusher-js unchanged, the signed REST read with the official SDK, ciphertext only.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MawjlyPusher } from '../../packages/client/src/index.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { PusherJS, type PusherJSOptions } from '../support/pusher-js.js';
import { errorOf, signedRequest } from '../support/rest.js';
import { subscribeRaw } from '../support/raw-session.js';
import {
  authEndpointOptions,
  makeApp,
  once,
  rawClient,
  serverSdk,
  startTestServer,
  waitForState,
  type RawClient,
  type TestServer,
} from '../support/server.js';
import type { App } from '../../src/core/app.js';
import { channelStringToSign, signAuth } from '../../src/protocol/signing.js';
import { waitUntil } from '../support/wait.js';

const KEEP = { maxEvents: 100, maxAgeMs: 120_000 };

interface EventsAnswer {
  events: { serial: number; event: string; data: string; time: number; user_id?: string }[];
  complete: boolean;
  more: boolean;
  last_serial: number;
}

function clientOptions(
  port: number,
  app: App,
  masterKeyBase64?: string,
): PusherJSOptions & { encryptionMasterKeyBase64?: string } {
  const sdk = serverSdk({ host: '127.0.0.1', port } as TestServer, app);
  return {
    // Encrypted channels: the endpoint only signs; the helper derives the key from the master key.
    ...authEndpointOptions({ host: '127.0.0.1', port }, (socketId, channelName) =>
      channelName.startsWith('private-encrypted-')
        ? { auth: signAuth(app.key, app.secrets[0] ?? '', channelStringToSign(socketId, channelName)) }
        : sdk.authorizeChannel(socketId, channelName),
    ),
    ...(masterKeyBase64 ? { encryptionMasterKeyBase64: masterKeyBase64 } : {}),
  };
}

/** Waits until `predicate` holds, polling. */
const until = (predicate: () => boolean, what: string, timeoutMs = 30_000): Promise<void> =>
  waitUntil(predicate, what, timeoutMs);

describe('channel history on a lone node', () => {
  let server: TestServer;
  let proxy: FaultProxy;
  const masterKey = randomBytes(32).toString('base64');
  const pro = makeApp({ plan: 'pro', settings: { history: KEEP } });
  const short = makeApp({ plan: 'pro', settings: { history: { maxEvents: 5, maxAgeMs: 1_000 } } });
  const off = makeApp({ plan: 'pro' });
  const startup = makeApp({ plan: 'startup', settings: { history: KEEP } });
  const sockets: RawClient[] = [];
  const raw = (app: App): RawClient => {
    const client = rawClient(server, app.key);
    sockets.push(client);
    return client;
  };
  const readEvents = (app: App, channel: string, query: Record<string, string> = {}) =>
    signedRequest(server, app, {
      method: 'GET',
      path: `/apps/${app.id}/channels/${channel}/events`,
      query,
    });

  before(async () => {
    server = await startTestServer({ apps: [pro, short, off, startup] });
    proxy = await startFaultProxy(server.port);
  });
  after(async () => {
    for (const s of sockets) s.close();
    await proxy.close();
    await server.close();
  });

  test('live frames carry mawjly_serial when history is on, and are unchanged when it is off', async () => {
    const on = raw(pro);
    const plain = raw(off);
    await subscribeRaw(on, pro, 'news');
    await subscribeRaw(plain, off, 'news');
    const frames: string[] = [];
    plain.ws.on('message', (data: Buffer) => frames.push(data.toString()));
    await serverSdk(server, pro).trigger('news', 'a', { n: 1 });
    await serverSdk(server, pro).trigger('news', 'a', { n: 2 });
    await serverSdk(server, off).trigger('news', 'a', { n: 1 });
    const first = (await on.next((f) => f.event === 'a')) as { mawjly_serial?: number };
    await until(() => on.frames.filter((f) => f.event === 'a').length === 2, 'two events');
    const serials = on.frames
      .filter((f) => f.event === 'a')
      .map((f) => (f as { mawjly_serial?: number }).mawjly_serial ?? 0);
    assert.ok((first.mawjly_serial ?? 0) > 0);
    assert.ok((serials[1] ?? 0) > (serials[0] ?? 0), `increasing: ${serials.join(',')}`);
    await plain.next((f) => f.event === 'a');
    await until(() => frames.length === 1, 'the frame of the app without history');
    assert.equal(frames[0], '{"event":"a","channel":"news","data":"{\\"n\\":1}"}');
  });

  test('the signed REST read with the official SDK returns the kept events in order', async () => {
    const sdk = serverSdk(server, pro);
    for (let i = 0; i < 5; i++) await sdk.trigger('rest-read', 'tick', { i });
    const response = await sdk.get({ path: '/channels/rest-read/events', params: { limit: 3 } });
    assert.equal(response.status, 200);
    const page = (await response.json()) as EventsAnswer;
    assert.deepEqual(
      page.events.map((e) => JSON.parse(e.data) as { i: number }),
      [{ i: 0 }, { i: 1 }, { i: 2 }],
    );
    assert.equal(page.more, true);
    assert.equal(page.complete, true);
    const last = page.events.at(-1)?.serial ?? 0;
    const rest = (await (
      await sdk.get({ path: '/channels/rest-read/events', params: { since: last } })
    ).json()) as EventsAnswer;
    assert.deepEqual(
      rest.events.map((e) => (JSON.parse(e.data) as { i: number }).i),
      [3, 4],
    );
    assert.equal(rest.more, false);
    assert.equal(rest.last_serial, rest.events.at(-1)?.serial);
  });

  test('REST read refusals: history off, a plan without history, bad parameters', async () => {
    const offAnswer = await readEvents(off, 'news');
    assert.equal(offAnswer.status, 403);
    assert.equal(errorOf(offAnswer)?.code, 'history_disabled');
    const planAnswer = await readEvents(startup, 'news');
    assert.equal(planAnswer.status, 403);
    assert.equal(errorOf(planAnswer)?.code, 'plan_feature_unavailable');
    assert.match(errorOf(planAnswer)?.message ?? '', /not available on the startup plan/);
    for (const query of [{ since: '-1' }, { since: 'x' }, { limit: '0' }, { limit: '1001' }]) {
      const answer = await readEvents(pro, 'news', query);
      assert.equal(answer.status, 400, JSON.stringify(query));
      assert.equal(errorOf(answer)?.code, 'invalid_request');
    }
  });

  test('a Startup app with the setting in its record keeps nothing (plan gate in the engine)', async () => {
    const spy = raw(startup);
    await subscribeRaw(spy, startup, 'gated');
    await serverSdk(server, startup).trigger('gated', 'e', {});
    const frame = await spy.next((f) => f.event === 'e');
    assert.equal('mawjly_serial' in frame, false);
  });

  test('helper client: a 5 s forced disconnect while 50 events are published, all replayed once, in order', async () => {
    const helper = new MawjlyPusher(pro.key, clientOptions(proxy.port, pro));
    const stock = new PusherJS(pro.key, clientOptions(proxy.port, pro));
    const got: number[] = [];
    const stockGot: number[] = [];
    let cannotRecover = 0;
    try {
      const channel = helper.subscribe('orders');
      const stockChannel = stock.subscribe('orders');
      channel.bind('tick', (d: { i: number }) => got.push(d.i));
      channel.bind('mawjly:cannot_recover', () => cannotRecover++);
      stockChannel.bind('tick', (d: { i: number }) => stockGot.push(d.i));
      await Promise.all([
        once(channel, 'pusher:subscription_succeeded'),
        once(stockChannel, 'pusher:subscription_succeeded'),
      ]);
      const sdk = serverSdk(server, pro);
      await sdk.trigger('orders', 'tick', { i: 0 });
      await until(() => got.length === 1 && stockGot.length === 1, 'the first event');

      proxy.setMode('cut');
      const cutAt = Date.now();
      const publishing = (async () => {
        for (let i = 1; i <= 50; i++) {
          await sdk.trigger('orders', 'tick', { i });
          await new Promise((resolve) => setTimeout(resolve, 60));
        }
      })();
      await publishing;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 5_000 - (Date.now() - cutAt))));
      // "connected" comes before the server has taken the re-subscription: wait for both to be
      // subscribed again, or event 51 may be published before the stock client is listening.
      const resubscribed = Promise.all([
        once(channel, 'pusher:subscription_succeeded', 60_000),
        once(stockChannel, 'pusher:subscription_succeeded', 60_000),
      ]);
      proxy.setMode('pass');
      await Promise.all([
        waitForState(helper, 'connected', 60_000),
        waitForState(stock, 'connected', 60_000),
        resubscribed,
      ]);
      await sdk.trigger('orders', 'tick', { i: 51 });
      await until(() => got.includes(51), 'the live event after the replay', 60_000);
      assert.deepEqual(
        got,
        Array.from({ length: 52 }, (_, i) => i),
      );
      assert.equal(cannotRecover, 0);
      // Stock pusher-js: no replay, no error; it simply resumes with live events.
      await until(() => stockGot.includes(51), 'the stock client’s live event', 60_000);
      assert.deepEqual(stockGot, [0, 51]);
    } finally {
      helper.disconnect();
      stock.disconnect();
    }
  });

  test('encrypted channel: replay of ciphertext only, decrypted by the helper; history holds the envelopes', async () => {
    const channelName = 'private-encrypted-history';
    const helper = new MawjlyPusher(pro.key, clientOptions(proxy.port, pro, masterKey));
    const got: string[] = [];
    try {
      const channel = helper.subscribe(channelName);
      channel.bind('secret', (d: { text: string }) => got.push(d.text));
      await once(channel, 'pusher:subscription_succeeded');
      const sdk = serverSdk(server, pro, { encryptionMasterKeyBase64: masterKey });
      await sdk.trigger(channelName, 'secret', { text: 'PLAINTEXT-0' });
      await until(() => got.length === 1, 'the first event');
      proxy.setMode('cut');
      for (let i = 1; i <= 10; i++) await sdk.trigger(channelName, 'secret', { text: `PLAINTEXT-${i}` });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      proxy.setMode('pass');
      await until(() => got.length === 11, 'the replayed events', 60_000);
      assert.deepEqual(
        got,
        Array.from({ length: 11 }, (_, i) => `PLAINTEXT-${i}`),
      );
      const answer = (await (
        await sdk.get({ path: `/channels/${channelName}/events` })
      ).json()) as EventsAnswer;
      assert.equal(answer.events.length, 11);
      for (const e of answer.events) {
        const stored = JSON.parse(e.data) as Record<string, unknown>;
        assert.deepEqual(Object.keys(stored).sort(), ['ciphertext', 'nonce']);
        assert.doesNotMatch(e.data, /PLAINTEXT/);
      }
      // The stored data is exactly the envelope a subscriber receives live.
      const spy = raw(pro);
      await subscribeRaw(spy, pro, channelName);
      await sdk.trigger(channelName, 'secret', { text: 'live' });
      const live = (await spy.next((f) => f.event === 'secret')) as unknown as {
        data: string;
        mawjly_serial: number;
      };
      const later = (await (
        await sdk.get({ path: `/channels/${channelName}/events`, params: { since: answer.last_serial } })
      ).json()) as EventsAnswer;
      const stored = later.events[0];
      assert.ok(stored);
      assert.equal(stored.data, live.data);
      assert.equal(stored.serial, live.mawjly_serial);
    } finally {
      helper.disconnect();
    }
  });

  test('past the window the helper gets mawjly:cannot_recover and then live events', async () => {
    const helper = new MawjlyPusher(short.key, clientOptions(proxy.port, short));
    const got: number[] = [];
    const refusals: unknown[] = [];
    try {
      const channel = helper.subscribe('window');
      channel.bind('tick', (d: { i: number }) => got.push(d.i));
      channel.bind('mawjly:cannot_recover', (d: unknown) => refusals.push(d));
      await once(channel, 'pusher:subscription_succeeded');
      const sdk = serverSdk(server, short);
      await sdk.trigger('window', 'tick', { i: 0 });
      await until(() => got.length === 1, 'the first event');
      proxy.setMode('cut');
      // 8 events into a window of 5: the 3 oldest are gone.
      for (let i = 1; i <= 8; i++) await sdk.trigger('window', 'tick', { i });
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      proxy.setMode('pass');
      await until(() => refusals.length === 1, 'mawjly:cannot_recover', 60_000);
      assert.equal((refusals[0] as { reason: string }).reason, 'gap');
      await sdk.trigger('window', 'tick', { i: 9 });
      await until(() => got.includes(9), 'the live event');
      assert.deepEqual(got, [0, 9]);
    } finally {
      helper.disconnect();
    }
  });

  test('a raw resubscription with mawjly_since: replay before live, and cannot_recover by age', async () => {
    const sdk = serverSdk(server, short);
    await sdk.trigger('aged', 'e', { i: 1 });
    const first = (await (await sdk.get({ path: '/channels/aged/events' })).json()) as EventsAnswer;
    const since = first.last_serial;
    await sdk.trigger('aged', 'e', { i: 2 });
    const client = raw(short);
    await client.socketId;
    client.send({ event: 'pusher:subscribe', data: { channel: 'aged', mawjly_since: since } });
    const replayed = (await client.next((f) => f.event === 'e')) as unknown as {
      data: string;
      mawjly_serial: number;
    };
    assert.equal(replayed.data, '{"i":2}');
    assert.ok(replayed.mawjly_serial > since);
    // Older than the 1 s window: nothing can be vouched for.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const late = raw(short);
    await late.socketId;
    late.send({ event: 'pusher:subscribe', data: { channel: 'aged', mawjly_since: since } });
    const refusal = await late.next((f) => f.event === 'mawjly:cannot_recover');
    assert.equal(refusal.channel, 'aged');
    assert.deepEqual(JSON.parse(refusal.data as string), { since, reason: 'gap' });
    // An app without history answers a recovery request plainly too.
    const plain = raw(off);
    await plain.socketId;
    plain.send({ event: 'pusher:subscribe', data: { channel: 'aged', mawjly_since: since } });
    const offRefusal = await plain.next((f) => f.event === 'mawjly:cannot_recover');
    assert.equal((JSON.parse(offRefusal.data as string) as { reason: string }).reason, 'history_off');
  });

  test('sockets replaying while events are published: each gets every event once, in order, and the others keep getting them live', async () => {
    const sdk = serverSdk(server, pro);
    const channel = 'busy-replays';
    const live = [raw(pro), raw(pro)];
    for (const client of live) {
      await client.socketId;
      client.send({ event: 'pusher:subscribe', data: { channel } });
      await client.next((f) => f.event === 'pusher_internal:subscription_succeeded');
    }
    await sdk.trigger(channel, 'n', { i: 0 });
    const since = ((await (await sdk.get({ path: `/channels/${channel}/events` })).json()) as EventsAnswer)
      .last_serial;
    const replaying: RawClient[] = [];
    const total = 40;
    for (let i = 1; i <= total; i++) {
      // Resubscriptions start during the burst, so their replays overlap live publishes.
      if (i % 8 === 0) {
        const client = raw(pro);
        replaying.push(client);
        void client.socketId.then(() => {
          client.send({ event: 'pusher:subscribe', data: { channel, mawjly_since: since } });
        });
      }
      await sdk.trigger(channel, 'n', { i });
    }
    // Each event's `i`, among those after `since` (the replaying sockets get them replayed or live).
    const numbers = (client: RawClient): number[] =>
      client.frames
        .filter((f) => f.event === 'n' && (f as unknown as { mawjly_serial: number }).mawjly_serial > since)
        .map((f) => (JSON.parse(f.data as string) as { i: number }).i);
    const expected = Array.from({ length: total }, (_, k) => k + 1);
    assert.equal(replaying.length, 5);
    for (const client of [...live, ...replaying]) {
      await until(() => numbers(client).includes(total), 'the last event');
      assert.deepEqual(numbers(client), expected);
    }
  });

  test('a recovered cache channel gets the missed events in order, not its cached latest first', async () => {
    const sdk = serverSdk(server, pro);
    await sdk.trigger('cache-prices', 'p', { v: 1 });
    const first = (await (await sdk.get({ path: '/channels/cache-prices/events' })).json()) as EventsAnswer;
    await sdk.trigger('cache-prices', 'p', { v: 2 });
    await sdk.trigger('cache-prices', 'p', { v: 3 });
    const client = raw(pro);
    await client.socketId;
    client.send({
      event: 'pusher:subscribe',
      data: { channel: 'cache-prices', mawjly_since: first.last_serial },
    });
    await until(() => client.frames.filter((f) => f.event === 'p').length >= 2, 'the replay');
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.deepEqual(
      client.frames.filter((f) => f.event === 'p').map((f) => f.data),
      ['{"v":2}', '{"v":3}'],
    );
  });
});
