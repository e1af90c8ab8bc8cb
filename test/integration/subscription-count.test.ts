// `pusher_internal:subscription_count` against the real server: sent to every subscriber of a
// non-presence channel on each subscribe/unsubscribe when the app enables it, never otherwise.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
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
import { dataOf, subscribeSigned } from '../support/raw-auth.js';

type Frame = RawClient['frames'][number];

describe('subscription_count', () => {
  let server: TestServer;
  const counted = makeApp({ settings: { subscriptionCount: true } });
  const uncounted = makeApp({ settings: { subscriptionCount: false } });
  const clients: RawClient[] = [];
  const pushers: PusherJS[] = [];
  const raw = (target: App): RawClient => {
    const c = rawClient(server, target.key);
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startTestServer({ apps: [counted, uncounted] });
  });
  after(async () => {
    for (const p of pushers) p.disconnect();
    for (const c of clients) c.ws.terminate();
    await server.close();
  });

  const counts = (c: RawClient, channel: string): number[] =>
    c.frames
      .filter((f: Frame) => f.channel === channel && f.event === 'pusher_internal:subscription_count')
      .map((f) => dataOf<{ subscription_count: number }>(f).subscription_count);

  /** Publishes a marker and waits for it, so every earlier frame to `client` has arrived. */
  async function flush(client: RawClient, target: App, channel: string): Promise<void> {
    const name = `marker-${String(Math.random()).slice(2)}`;
    await serverSdk(server, target).trigger(channel, name, '{}');
    await client.next((f) => f.event === name);
  }

  test('enabled: every subscriber gets the new count on subscribe and unsubscribe (raw frames)', async () => {
    for (const channel of ['counted-public', 'private-counted', 'cache-counted']) {
      const a = raw(counted);
      const b = raw(counted);
      await subscribeSigned(a, counted, channel);
      const one = await a.next(
        (f) => f.channel === channel && f.event === 'pusher_internal:subscription_count',
      );
      assert.equal(one.data, '{"subscription_count":1}', 'double-encoded count');
      await subscribeSigned(b, counted, channel);
      await b.next((f) => f.channel === channel && f.event === 'pusher_internal:subscription_count');
      b.send({ event: 'pusher:unsubscribe', data: { channel } });
      await a.next(
        (f) => f.event === 'pusher_internal:subscription_count' && counts(a, channel).length === 3,
      );
      await flush(a, counted, channel);
      assert.deepEqual(counts(a, channel), [1, 2, 1], channel);
      assert.deepEqual(counts(b, channel), [2], channel);
    }
  });

  test('enabled: pusher-js emits pusher:subscription_count and sets channel.subscriptionCount', async () => {
    const first = clientSdk(server, counted);
    const second = clientSdk(server, counted);
    pushers.push(first, second);
    const channel = first.subscribe('js-counted');
    const initial = await once<{ subscription_count: number }>(channel, 'pusher:subscription_count');
    assert.deepEqual(initial, { subscription_count: 1 });
    const two = once<{ subscription_count: number }>(channel, 'pusher:subscription_count');
    second.subscribe('js-counted');
    assert.deepEqual(await two, { subscription_count: 2 });
    assert.equal((channel as unknown as { subscriptionCount: number }).subscriptionCount, 2);
    const back = once<{ subscription_count: number }>(channel, 'pusher:subscription_count');
    second.disconnect();
    assert.deepEqual(await back, { subscription_count: 1 });
  });

  test('a repeated subscribe is acknowledged again without counting the socket twice', async () => {
    const a = raw(counted);
    const successes = (): number =>
      a.frames.filter(
        (f) => f.channel === 'private-twice' && f.event === 'pusher_internal:subscription_succeeded',
      ).length;
    await subscribeSigned(a, counted, 'private-twice');
    void subscribeSigned(a, counted, 'private-twice');
    await a.next((f) => f.event === 'pusher_internal:subscription_succeeded' && successes() === 2);
    const b = raw(counted);
    await subscribeSigned(b, counted, 'private-twice');
    await b.next((f) => f.event === 'pusher_internal:subscription_count');
    await flush(a, counted, 'private-twice');
    assert.deepEqual(counts(a, 'private-twice'), [1, 2]);
    assert.deepEqual(counts(b, 'private-twice'), [2]);
  });

  test('enabled: never sent on presence channels', async () => {
    const a = raw(counted);
    const b = raw(counted);
    await subscribeSigned(a, counted, 'presence-uncounted', '{"user_id":"a"}');
    await subscribeSigned(b, counted, 'presence-uncounted', '{"user_id":"b"}');
    b.close();
    await a.next((f) => f.event === 'pusher_internal:member_removed');
    await flush(a, counted, 'presence-uncounted');
    assert.equal(
      a.frames.some((f) => f.event === 'pusher_internal:subscription_count'),
      false,
    );
  });

  test('disabled: never sent', async () => {
    const a = raw(uncounted);
    const b = raw(uncounted);
    await subscribeSigned(a, uncounted, 'not-counted');
    await subscribeSigned(b, uncounted, 'not-counted');
    b.send({ event: 'pusher:unsubscribe', data: { channel: 'not-counted' } });
    await flush(a, uncounted, 'not-counted');
    assert.equal(
      [...a.frames, ...b.frames].some((f) => f.event === 'pusher_internal:subscription_count'),
      false,
    );
  });
});
