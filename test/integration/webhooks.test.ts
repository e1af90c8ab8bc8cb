// Webhooks end to end on the real server (SQLite): pusher-js actions produce Pusher-exact requests
// to a real receiver that checks every one with the official `pusher` SDK. Tests run concurrently,
// each with its own app, endpoint and receiver.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { App } from '../../src/core/app.js';
import type { RunningServer } from '../../src/server/server.js';
import type { PusherJS } from '../support/pusher-js.js';
import { clientSdk, once, waitForState } from '../support/server.js';
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

describe('webhooks end to end', { concurrency: true }, () => {
  let db: Database;
  let server: RunningServer;
  let acct: Awaited<ReturnType<typeof newAccount>>;
  const clients: PusherJS[] = [];
  const receivers: Receiver[] = [];

  before(async () => {
    db = await newDatabase('sqlite');
    server = await startNode(db, { config: FAST_WEBHOOKS });
    acct = await newAccount(server, 'pro');
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    for (const r of receivers) await r.close();
    await server.close();
    await db.drop();
  });

  async function setup(
    settings: Record<string, unknown> = {},
    endpoint: Record<string, unknown> = {},
  ): Promise<{ app: App; receiver: Receiver; webhookId: string }> {
    const app = await acct.newApp(settings);
    const receiver = await startReceiver({ id: app.id, key: app.key, secret: app.secrets[0]! });
    receivers.push(receiver);
    const created = await acct.api('POST', `/apps/${app.id}/webhooks`, { url: receiver.url, ...endpoint });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    return { app, receiver, webhookId: created.json.id as string };
  }

  async function connect(app: App, userId?: string): Promise<PusherJS> {
    const client = clientSdk(server, app, userId === undefined ? {} : { userId });
    clients.push(client);
    await waitForState(client, 'connected');
    return client;
  }

  async function subscribe(client: PusherJS, channel: string) {
    const ch = client.subscribe(channel);
    await once(ch, 'pusher:subscription_succeeded');
    return ch;
  }

  const names = (r: Receiver, channel?: string): string[] =>
    r
      .events()
      .filter((e: Ev) => channel === undefined || e.channel === channel)
      .map(
        (e: Ev) =>
          `${String(e.name)}:${String(e.channel)}${e.user_id === undefined ? '' : `:${String(e.user_id)}`}`,
      );

  test('every event type from pusher-js actions, exactly as Pusher sends them', async () => {
    const { app, receiver } = await setup({ subscription_count: true, client_events: true });
    const alice = await connect(app, 'alice');
    const bob = await connect(app, 'bob');
    await subscribe(alice, 'presence-room');
    const privA = await subscribe(alice, 'private-chat');
    await subscribe(bob, 'private-chat');
    await subscribe(bob, 'cache-news');
    const enc = alice.subscribe('private-encrypted-secret');
    await once(enc, 'pusher:subscription_succeeded').catch(() => undefined);
    privA.trigger('client-typing', { typing: true });
    // Client events on encrypted channels are refused and never reach webhooks.
    (alice as unknown as { send_event(e: string, d: unknown, c: string): void }).send_event(
      'client-leak',
      { x: 1 },
      'private-encrypted-secret',
    );
    await receiver.waitFor(
      (r) =>
        [
          'channel_occupied:presence-room',
          'member_added:presence-room:alice',
          'client_event:private-chat',
          'cache_miss:cache-news',
          'subscription_count:private-chat',
        ].every((n) => names(r).some((x) => x.startsWith(n))),
      20_000,
      'occupied, member_added, client_event, cache_miss and subscription_count',
    );
    const left = Date.now();
    alice.unsubscribe('presence-room');
    await receiver.waitFor(
      (r) =>
        names(r).includes('member_removed:presence-room:alice') &&
        names(r).includes('channel_vacated:presence-room'),
      20_000,
      'member_removed and channel_vacated',
    );
    const removed = receiver.events().find((e: Ev) => e.name === 'member_removed')!;
    assert.ok(removed.at - left >= 2900, `member_removed held ~3 s (after ${String(removed.at - left)} ms)`);

    const events = receiver.events();
    const clientEvent = events.find((e: Ev) => e.name === 'client_event')!;
    assert.equal(clientEvent.channel, 'private-chat');
    assert.equal(clientEvent.event, 'client-typing');
    assert.equal(clientEvent.data, '{"typing":true}');
    assert.equal(clientEvent.socket_id, alice.connection.socket_id);
    assert.deepEqual(
      events.find((e: Ev) => e.name === 'subscription_count' && e.subscription_count === 2),
      {
        ...events.find((e: Ev) => e.name === 'subscription_count' && e.subscription_count === 2),
        name: 'subscription_count',
        channel: 'private-chat',
        subscription_count: 2,
      },
    );
    assert.ok(!events.some((e: Ev) => e.channel === 'private-encrypted-secret' && e.name === 'client_event'));
    assert.equal(
      events.filter((e: Ev) => e.name === 'member_added' && e.channel === 'presence-room').length,
      1,
    );

    // Wire format: every request verified by the SDK, with Pusher's exact headers and body.
    for (const r of receiver.requests) {
      assert.equal(r.valid, true, 'the SDK accepts the signature');
      assert.equal(r.headers['content-type'], 'application/json');
      assert.equal(r.headers['x-pusher-key'], app.key);
      assert.equal(
        r.headers['x-pusher-signature'],
        createHmac('sha256', app.secrets[0]!).update(r.rawBody).digest('hex'),
      );
      assert.match(r.deliveryId, /^[0-9a-f-]{36}$/);
      const body = JSON.parse(r.rawBody);
      assert.deepEqual(Object.keys(body), ['time_ms', 'events']);
      assert.equal(typeof body.time_ms, 'number');
      assert.ok(Math.abs(body.time_ms - r.at) < 10_000);
      for (const e of body.events) {
        assert.deepEqual(
          Object.keys(e).filter(
            (k) =>
              !['name', 'channel', 'user_id', 'event', 'data', 'socket_id', 'subscription_count'].includes(k),
          ),
          [],
        );
      }
    }
  });

  test('a page reload sends nothing: the held member_removed and channel_vacated are cancelled', async () => {
    const { app, receiver } = await setup();
    const first = await connect(app, 'carol');
    await subscribe(first, 'presence-reload');
    await receiver.waitFor(
      (r) => names(r).includes('member_added:presence-reload:carol'),
      20_000,
      'member_added',
    );
    first.disconnect();
    const again = await connect(app, 'carol');
    await subscribe(again, 'presence-reload');
    // Longer than the 3 s hold: nothing may arrive for the reload.
    await new Promise((r) => setTimeout(r, 4500));
    assert.deepEqual(names(receiver, 'presence-reload'), [
      'channel_occupied:presence-reload',
      'member_added:presence-reload:carol',
    ]);
    again.disconnect();
    await receiver.waitFor(
      (r) =>
        names(r).includes('member_removed:presence-reload:carol') &&
        names(r).includes('channel_vacated:presence-reload'),
      20_000,
      'the real departure',
    );
    assert.deepEqual(names(receiver, 'presence-reload'), [
      'channel_occupied:presence-reload',
      'member_added:presence-reload:carol',
      'member_removed:presence-reload:carol',
      'channel_vacated:presence-reload',
    ]);
  });

  test('batching: events of one endpoint go out together, up to 20 per request', async () => {
    const { app, receiver } = await setup({}, { event_types: ['channel_occupied'] });
    const client = await connect(app);
    const subs = Array.from({ length: 25 }, (_, i) => client.subscribe(`batch-${String(i)}`));
    await Promise.all(subs.map((ch) => once(ch, 'pusher:subscription_succeeded')));
    await receiver.waitFor((r) => r.events().length >= 25, 20_000, '25 occupied events');
    const sizes = receiver.accepted().map((r) => r.events.length);
    assert.ok(Math.max(...sizes) === 20, `a full batch of 20 (sizes ${sizes.join(',')})`);
    assert.ok(sizes.length <= 4, `few requests (sizes ${sizes.join(',')})`);
    assert.deepEqual(
      receiver
        .events()
        .map((e: Ev) => String(e.channel))
        .sort(),
      Array.from({ length: 25 }, (_, i) => `batch-${String(i)}`).sort(),
    );
  });

  test('receiver down for 30 s, then up: every event arrives, in order per channel', async () => {
    const { app, receiver, webhookId } = await setup(
      { client_events: true },
      { event_types: ['channel_occupied', 'channel_vacated', 'client_event'] },
    );
    receiver.mode = 'reset';
    const down = Date.now();
    const a = await connect(app, 'x');
    const b = await connect(app, 'y');
    const channels = ['private-o1', 'private-o2', 'private-o3'];
    for (const c of channels) {
      const ch = await subscribe(a, c);
      await subscribe(b, c);
      for (let i = 0; i < 5; i++) {
        ch.trigger('client-n', { i });
        await new Promise((r) => setTimeout(r, 120));
      }
    }
    a.unsubscribe('private-o1');
    b.unsubscribe('private-o1');
    await eventually(
      async () => {
        const log = await acct.api('GET', `/apps/${app.id}/webhooks/${webhookId}/deliveries`);
        return Boolean(log.json.deliveries.some((d: Ev) => d.state === 'retrying' && d.attempts >= 2));
      },
      20_000,
      'failing deliveries in the log',
    );
    await new Promise((r) => setTimeout(r, Math.max(0, 30_000 - (Date.now() - down))));
    receiver.mode = 'ok';
    await receiver.waitFor(
      (r) =>
        r.events().filter((e: Ev) => e.name === 'client_event').length === 15 &&
        names(r).includes('channel_vacated:private-o1'),
      30_000,
      'every event after the outage',
    );
    for (const c of channels) {
      const got = receiver.events().filter((e: Ev) => e.channel === c);
      assert.equal(got[0]!.name, 'channel_occupied');
      const seq = got
        .filter((e: Ev) => e.name === 'client_event')
        .map((e: Ev) => Number(JSON.parse(e.data).i));
      assert.deepEqual(seq, [0, 1, 2, 3, 4], `client events of ${c} in order`);
    }
    const o1 = names(receiver, 'private-o1');
    assert.equal(o1.at(-1), 'channel_vacated:private-o1');
    const log = await acct.api('GET', `/apps/${app.id}/webhooks/${webhookId}/deliveries?limit=200`);
    assert.ok(log.json.deliveries.every((d: Ev) => d.state === 'delivered'));
    assert.ok(log.json.deliveries.some((d: Ev) => d.attempts > 1));
    // Retries carried the same id and the same bytes.
    const byId = new Map<string, Set<string>>();
    for (const r of receiver.requests) {
      const bodies = byId.get(r.deliveryId) ?? new Set<string>();
      bodies.add(r.rawBody);
      byId.set(r.deliveryId, bodies);
    }
    assert.ok([...byId.values()].every((b) => b.size === 1));
    assert.ok(receiver.requests.length > byId.size, 'some deliveries were retried');
  });

  test('channel filter and event types choose what an endpoint gets; disabled endpoints get nothing', async () => {
    const { app, receiver, webhookId } = await setup(
      {},
      { event_types: ['channel_occupied'], channel_prefix: 'orders-' },
    );
    const client = await connect(app);
    await subscribe(client, 'news');
    await subscribe(client, 'orders-1');
    await receiver.waitFor((r) => r.events().length >= 1);
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(names(receiver), ['channel_occupied:orders-1']);
    assert.equal(
      (await acct.api('PATCH', `/apps/${app.id}/webhooks/${webhookId}`, { enabled: false })).status,
      200,
    );
    await subscribe(client, 'orders-2');
    await new Promise((r) => setTimeout(r, 800));
    assert.deepEqual(names(receiver), ['channel_occupied:orders-1']);
  });
});
