// Three server nodes in one process over one MemoryBusHub, driven by the official clients exactly as
// customers drive a cluster behind a load balancer: every answer must be the cluster's, not a node's.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { MemoryBusHub } from '../../src/adapters/memory-bus.js';
import type { App } from '../../src/core/app.js';
import type { PusherJS } from '../support/pusher-js.js';
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
import { waitUntil as poll } from '../support/wait.js';

/** Bounded poll of server-side state that settles asynchronously (bus hops, counter flushes). */
const waitUntil = (check: () => boolean, what: string, timeoutMs = 3000): Promise<void> =>
  poll(check, what, timeoutMs, 10);

interface PresenceMembers {
  count: number;
  me: { id: string } | null;
  each(cb: (member: { id: string; info: unknown }) => void): void;
}

function memberIds(members: PresenceMembers): string[] {
  const ids: string[] = [];
  members.each((m) => ids.push(m.id));
  return ids.sort();
}

/** Records every event a pusher-js channel emits, in order. */
/** Names of the app events seen (subscription_count and other `pusher:` events left out). */
function appEvents(seen: { event: string }[]): string[] {
  return seen.map((e) => e.event).filter((name) => !name.startsWith('pusher:'));
}

function record(channel: { bind_global(cb: (event: string, data: unknown) => void): unknown }): {
  event: string;
  data: unknown;
}[] {
  const seen: { event: string; data: unknown }[] = [];
  channel.bind_global((event, data) => seen.push({ event, data }));
  return seen;
}

describe('cluster: three nodes over one bus', () => {
  const hub = new MemoryBusHub();
  const app: App = makeApp({ plan: 'startup', settings: { subscriptionCount: true } });
  const freeApp: App = makeApp({ plan: 'free' });
  const apps = [app, freeApp];
  let n1: TestServer;
  let n2: TestServer;
  let n3: TestServer;
  const clients: PusherJS[] = [];
  const raws: RawClient[] = [];

  before(async () => {
    n1 = await startTestServer({ apps, bus: hub.createBus(), nodeId: 'n1' });
    n2 = await startTestServer({ apps, bus: hub.createBus(), nodeId: 'n2' });
    n3 = await startTestServer({ apps, bus: hub.createBus(), nodeId: 'n3' });
  });
  after(async () => {
    for (const client of clients) client.disconnect();
    for (const raw of raws) raw.close();
    await Promise.all([n1.close(), n2.close(), n3.close()]);
  });

  async function connect(
    server: TestServer,
    options: Parameters<typeof clientSdk>[2] = {},
    target: App = app,
  ): Promise<PusherJS> {
    const client = clientSdk(server, target, options);
    clients.push(client);
    await waitForState(client, 'connected');
    return client;
  }

  function raw(server: TestServer, target: App = app): RawClient {
    const client = rawClient(server, target.key);
    raws.push(client);
    return client;
  }

  async function subscribed(client: PusherJS, name: string): Promise<ReturnType<PusherJS['subscribe']>> {
    const channel = client.subscribe(name);
    await once(channel, 'pusher:subscription_succeeded');
    return channel;
  }

  /** Waits until every node sees `expected` subscribers on a channel. */
  async function settledCount(channel: string, expected: number): Promise<void> {
    for (const node of [n1, n2, n3]) {
      await waitUntil(
        () => node.cluster.subscriptionCount(app.id, channel) === expected,
        `every node counts ${expected} on ${channel}`,
      );
    }
  }

  test('a REST publish on node 1 reaches subscribers on every node exactly once', async () => {
    const channelName = 'fanout';
    const received: Record<string, number> = {};
    const subscribers = await Promise.all([n1, n2, n3].map((node) => connect(node)));
    await Promise.all(
      subscribers.map(async (client, i) => {
        const channel = await subscribed(client, channelName);
        channel.bind('greet', () => {
          received[`n${i + 1}`] = (received[`n${i + 1}`] ?? 0) + 1;
        });
      }),
    );
    const markers = subscribers.map((client) => once(client.channel(channelName), 'marker'));
    const sdk = serverSdk(n1, app);
    await sdk.trigger(channelName, 'greet', { hello: 'cluster' });
    await sdk.trigger(channelName, 'marker', {});
    await Promise.all(markers);
    // The marker came after the event on the same path, so a duplicate would have arrived by now.
    assert.deepEqual(received, { n1: 1, n2: 1, n3: 1 });
  });

  test('socket_id exclusion works for a socket on another node', async () => {
    const channelName = 'private-exclusion';
    const excluded = await connect(n2);
    const other = await connect(n3);
    const seenExcluded = record(await subscribed(excluded, channelName));
    const seenOther = record(await subscribed(other, channelName));
    const marker = Promise.all([excluded, other].map((c) => once(c.channel(channelName), 'marker')));
    const sdk = serverSdk(n1, app);
    await sdk.trigger(channelName, 'only-others', { x: 1 }, { socket_id: excluded.connection.socket_id });
    await sdk.trigger(channelName, 'marker', {});
    await marker;
    assert.deepEqual(appEvents(seenOther), ['only-others', 'marker']);
    assert.deepEqual(appEvents(seenExcluded), ['marker']);
  });

  test('presence: members on different nodes see each other; member_added/removed cross nodes', async () => {
    const channelName = 'presence-room';
    const alice = await connect(n1, { userId: 'alice', userInfo: { name: 'Alice' } });
    const bob = await connect(n2, { userId: 'bob', userInfo: { name: 'Bob' } });
    const aliceChannel = await subscribed(alice, channelName);
    const aliceSeen = record(aliceChannel);
    const bobChannel = await subscribed(bob, channelName);
    const bobSeen = record(bobChannel);
    assert.deepEqual(memberIds((bobChannel as unknown as { members: PresenceMembers }).members), [
      'alice',
      'bob',
    ]);

    // A raw socket on node 3 checks the exact subscription_succeeded payload (ids, hash, count).
    const carol = raw(n3);
    const socketId = await carol.socketId;
    const channelData = JSON.stringify({ user_id: 'carol', user_info: { name: 'Carol' } });
    const { auth } = serverSdk(n3, app).authorizeChannel(socketId, channelName, {
      user_id: 'carol',
      user_info: { name: 'Carol' },
    });
    carol.send({
      event: 'pusher:subscribe',
      data: { channel: channelName, auth, channel_data: channelData },
    });
    const succeeded = await carol.next((f) => f.event === 'pusher_internal:subscription_succeeded');
    const presence = (
      JSON.parse(succeeded.data as string) as {
        presence: { ids: string[]; hash: Record<string, unknown>; count: number };
      }
    ).presence;
    assert.deepEqual([...presence.ids].sort(), ['alice', 'bob', 'carol']);
    assert.deepEqual(presence.hash, {
      alice: { name: 'Alice' },
      bob: { name: 'Bob' },
      carol: { name: 'Carol' },
    });
    assert.equal(presence.count, 3);

    await waitUntil(
      () => aliceSeen.filter((e) => e.event === 'pusher:member_added').length === 2,
      'alice sees bob and carol arrive',
    );
    assert.deepEqual(
      aliceSeen.filter((e) => e.event === 'pusher:member_added').map((e) => e.data),
      [
        { id: 'bob', info: { name: 'Bob' } },
        { id: 'carol', info: { name: 'Carol' } },
      ],
    );
    assert.equal((aliceChannel as unknown as { members: PresenceMembers }).members.count, 3);
    // Bob hears of carol, never of himself.
    await waitUntil(() => bobSeen.some((e) => e.event === 'pusher:member_added'), 'bob sees carol arrive');
    assert.deepEqual(
      bobSeen.filter((e) => e.event === 'pusher:member_added').map((e) => (e.data as { id: string }).id),
      ['carol'],
    );

    // Bob (node 2) sees member_added for carol only once per node; carol sees member_removed for bob.
    bob.disconnect();
    const removed = await carol.next((f) => f.event === 'pusher_internal:member_removed');
    assert.equal(removed.channel, channelName);
    assert.deepEqual(JSON.parse(removed.data as string), { user_id: 'bob' });
    await waitUntil(() => aliceSeen.some((e) => e.event === 'pusher:member_removed'), 'alice sees bob leave');
    assert.deepEqual(
      aliceSeen.filter((e) => e.event === 'pusher:member_removed').map((e) => (e.data as { id: string }).id),
      ['bob'],
    );
    assert.equal(carol.frames.filter((f) => f.event === 'pusher_internal:member_added').length, 0);
  });

  test('presence: a user with sockets on two nodes is added once and removed after the last socket', async () => {
    const channelName = 'presence-twin';
    const observer = await connect(n1, { userId: 'observer' });
    const seen = record(await subscribed(observer, channelName));
    const twinA = await connect(n2, { userId: 'twin', userInfo: { name: 'Twin' } });
    const twinB = await connect(n3, { userId: 'twin', userInfo: { name: 'Twin' } });
    await subscribed(twinA, channelName);
    await subscribed(twinB, channelName);
    await settledCount(channelName, 3);

    twinA.disconnect();
    await settledCount(channelName, 2);
    // Another arrival on node 2 after the first socket left: by the time the observer sees it, a
    // member_removed for the twin would have been seen too.
    const late = await connect(n2, { userId: 'late' });
    await subscribed(late, channelName);
    await waitUntil(
      () => seen.some((e) => e.event === 'pusher:member_added' && (e.data as { id: string }).id === 'late'),
      'the observer sees the late user',
    );
    assert.deepEqual(
      seen
        .filter((e) => e.event.startsWith('pusher:member_'))
        .map((e) => [e.event, (e.data as { id: string }).id]),
      [
        ['pusher:member_added', 'twin'],
        ['pusher:member_added', 'late'],
      ],
    );

    twinB.disconnect();
    await waitUntil(
      () => seen.some((e) => e.event === 'pusher:member_removed'),
      'the observer sees the twin leave',
    );
    assert.deepEqual(
      seen.filter((e) => e.event === 'pusher:member_removed').map((e) => (e.data as { id: string }).id),
      ['twin'],
    );
    for (const node of [n1, n2, n3]) {
      assert.deepEqual([...node.cluster.members(app.id, channelName).keys()].sort(), ['late', 'observer']);
    }
  });

  test('GET channels, channel info and users give cluster-wide answers from any node', async () => {
    const a = await connect(n1, { userId: 'info-a' });
    const b = await connect(n2, { userId: 'info-b' });
    const c = await connect(n3, { userId: 'info-c' });
    await subscribed(a, 'info-public');
    await subscribed(b, 'info-public');
    await subscribed(c, 'info-public');
    await subscribed(a, 'presence-info');
    await subscribed(b, 'presence-info');
    await settledCount('info-public', 3);
    await settledCount('presence-info', 2);

    for (const node of [n1, n2, n3]) {
      const sdk = serverSdk(node, app);
      const channel = (await (
        await sdk.get({ path: '/channels/info-public', params: { info: 'subscription_count' } })
      ).json()) as unknown;
      assert.deepEqual(channel, { occupied: true, subscription_count: 3 });
      const presence = (await (
        await sdk.get({ path: '/channels/presence-info', params: { info: 'user_count' } })
      ).json()) as unknown;
      assert.deepEqual(presence, { occupied: true, user_count: 2 });
      const users = (await (await sdk.get({ path: '/channels/presence-info/users' })).json()) as {
        users: { id: string }[];
      };
      assert.deepEqual(users.users.map((u) => u.id).sort(), ['info-a', 'info-b']);
      const list = (await (
        await sdk.get({
          path: '/channels',
          params: { filter_by_prefix: 'presence-info', info: 'user_count' },
        })
      ).json()) as unknown;
      assert.deepEqual(list, { channels: { 'presence-info': { user_count: 2 } } });
      const all = (await (
        await sdk.get({ path: '/channels', params: { filter_by_prefix: 'info-' } })
      ).json()) as {
        channels: Record<string, unknown>;
      };
      assert.deepEqual(all.channels, { 'info-public': {} });
    }
  });

  test('a client event from a socket on node 1 reaches node 2, not the sender', async () => {
    const channelName = 'private-chat';
    const sender = await connect(n1);
    const receiver = await connect(n2);
    const senderSeen = record(await subscribed(sender, channelName));
    const receiverChannel = await subscribed(receiver, channelName);
    const got = once<{ text: string }>(receiverChannel, 'client-typing');
    assert.equal(sender.channel(channelName).trigger('client-typing', { text: 'hi' }), true);
    assert.deepEqual(await got, { text: 'hi' });
    // A publish after the client event: once the sender has it, an echo would have come first.
    const marker = once(sender.channel(channelName), 'marker');
    await serverSdk(n3, app).trigger(channelName, 'marker', {});
    await marker;
    assert.deepEqual(appEvents(senderSeen), ['marker']);
  });

  /** A raw socket signed in as `userId`, optionally watching other users. */
  async function signedIn(server: TestServer, userId: string, watchlist?: string[]): Promise<RawClient> {
    const client = raw(server);
    const socketId = await client.socketId;
    const userData = { id: userId, ...(watchlist ? { watchlist } : {}) };
    const { auth, user_data } = serverSdk(server, app).authenticateUser(socketId, userData);
    client.send({ event: 'pusher:signin', data: { auth, user_data } });
    await client.next((f) => f.event === 'pusher:signin_success');
    return client;
  }

  test('terminateUserConnections via node 1 closes the user’s socket on node 3', async () => {
    const victim = await signedIn(n3, 'to-terminate');
    const bystander = await signedIn(n3, 'stays');
    await waitUntil(() => n1.cluster.isUserOnline(app.id, 'to-terminate'), 'node 1 sees the user');
    await serverSdk(n1, app).terminateUserConnections('to-terminate');
    const closed = await victim.closed;
    assert.equal(closed.code, 4009);
    assert.ok(victim.frames.some((f) => f.event === 'pusher:error'));
    assert.equal(bystander.ws.readyState, bystander.ws.OPEN);
    await waitUntil(() => !n2.cluster.isUserOnline(app.id, 'to-terminate'), 'the user goes offline');
  });

  test('sendToUser via node 2 reaches the user signed in with pusher-js on node 1', async () => {
    const client = await connect(n1, { userId: 'dm-target' });
    client.signin();
    await waitUntil(
      () => n2.cluster.subscriptionCount(app.id, '#server-to-user-dm-target') === 1,
      'pusher-js subscribed to its #server-to-user channel',
    );
    const got = new Promise<unknown>((resolve) => {
      client.user.bind('direct', resolve);
    });
    await serverSdk(n2, app).sendToUser('dm-target', 'direct', { hi: 'there' });
    assert.deepEqual(await got, { hi: 'there' });
  });

  test('watchlist online/offline crosses nodes', async () => {
    const watcher = await signedIn(n1, 'watcher', ['watched']);
    const statusOf = (frame: RawClient['frames'][number]): unknown =>
      (JSON.parse(frame.data as string) as { events: unknown }).events;
    const watchlistFrames = (): RawClient['frames'] =>
      watcher.frames.filter((f) => f.event === 'pusher_internal:watchlist_events');
    await waitUntil(() => watchlistFrames().length === 1, 'the initial watchlist status');
    assert.deepEqual(statusOf(watchlistFrames()[0]!), [{ name: 'offline', user_ids: ['watched'] }]);

    const watched = await signedIn(n3, 'watched');
    await waitUntil(() => watchlistFrames().length === 2, 'the online event');
    assert.deepEqual(statusOf(watchlistFrames()[1]!), [{ name: 'online', user_ids: ['watched'] }]);
    // A second connection of the watched user on another node is not a transition.
    const again = await signedIn(n2, 'watched');
    again.close();
    await again.closed;
    watched.close();
    await waitUntil(() => watchlistFrames().length === 3, 'the offline event');
    assert.deepEqual(statusOf(watchlistFrames()[2]!), [{ name: 'offline', user_ids: ['watched'] }]);
  });

  test('subscription_count counts subscribers on every node', async () => {
    const channelName = 'counted';
    const first = await connect(n1);
    const channel = first.subscribe(channelName);
    const counts: number[] = [];
    channel.bind('pusher:subscription_count', (data: { subscription_count: number }) => {
      counts.push(data.subscription_count);
    });
    await once(channel, 'pusher:subscription_succeeded');
    const second = await connect(n2);
    const third = await connect(n3);
    await subscribed(second, channelName);
    await waitUntil(() => counts.includes(2), 'node 1’s subscriber hears of node 2’s');
    const thirdChannel = third.subscribe(channelName);
    const thirdCount = once<{ subscription_count: number }>(thirdChannel, 'pusher:subscription_count');
    assert.deepEqual(await thirdCount, { subscription_count: 3 });
    await waitUntil(() => counts.includes(3), 'node 1’s subscriber hears of node 3’s');
    assert.deepEqual(counts, [1, 2, 3]);
  });

  test('the account connection quota is counted over the cluster (Free plan: 100)', async () => {
    const opened = async (server: TestServer, count: number): Promise<void> => {
      const batch = Array.from({ length: count }, () => raw(server, freeApp));
      await Promise.all(batch.map((c) => c.socketId));
    };
    await opened(n1, 60);
    await opened(n2, 40);
    await waitUntil(
      () => n3.engine.accountConnectionCount(freeApp.accountId) === 100,
      'node 3 counts 100 connections of the account',
    );
    // A plain socket: the refused one never gets connection_established to wait for.
    const refused = new WebSocket(`ws://${n3.host}:${n3.port}/app/${freeApp.key}?protocol=7`);
    const frames: { event: string; data: { code: number } }[] = [];
    refused.on('message', (data: Buffer) => {
      frames.push(JSON.parse(data.toString()) as (typeof frames)[number]);
    });
    const code = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        refused.close();
        reject(new Error(`the 101st connection was not refused; got ${JSON.stringify(frames)}`));
      }, 3000);
      refused.on('close', (closeCode: number) => {
        clearTimeout(timer);
        resolve(closeCode);
      });
    });
    assert.equal(code, 4004);
    assert.deepEqual(
      frames.map((f) => [f.event, f.data.code]),
      [['pusher:error', 4004]],
    );
  });

  test('cache channel: a publish on node 1 is replayed to a later subscriber on node 2', async () => {
    const channelName = 'cache-scores';
    await serverSdk(n1, app).trigger(channelName, 'score', { home: 2, away: 1 });
    const client = await connect(n2);
    const channel = client.subscribe(channelName);
    const seen = record(channel);
    const score = once(channel, 'score');
    await once(channel, 'pusher:subscription_succeeded');
    assert.deepEqual(await score, { home: 2, away: 1 });
    assert.equal(
      seen.some((e) => e.event === 'pusher:cache_miss'),
      false,
    );
  });

  test('a node shutting down makes its presence members leave on the other nodes', async () => {
    // Node 4 joins a cluster that already has state (hello/snap), then leaves.
    const n4 = await startTestServer({ apps, bus: hub.createBus(), nodeId: 'n4' });
    try {
      const observer = await connect(n1, { userId: 'stayer' });
      const seen = record(await subscribed(observer, 'presence-shutdown'));
      await waitUntil(
        () => n4.cluster.memberCount(app.id, 'presence-shutdown') === 1,
        'node 4 knows the existing member',
      );
      assert.ok(n4.cluster.subscriptionCount(app.id, 'fanout') > 0, 'node 4 got the others’ counts');
      // A raw socket: pusher-js would keep retrying the stopped node in the background.
      const leaving = raw(n4);
      const socketId = await leaving.socketId;
      const channelData = { user_id: 'leaver', user_info: { name: 'Leaver' } };
      const { auth } = serverSdk(n4, app).authorizeChannel(socketId, 'presence-shutdown', channelData);
      leaving.send({
        event: 'pusher:subscribe',
        data: { channel: 'presence-shutdown', auth, channel_data: JSON.stringify(channelData) },
      });
      await leaving.next((f) => f.event === 'pusher_internal:subscription_succeeded');
      await waitUntil(
        () => seen.some((e) => e.event === 'pusher:member_added'),
        'the observer sees the member on node 4',
      );
      await n4.close();
      assert.equal((await leaving.closed).code, 4200);
      await waitUntil(
        () => seen.some((e) => e.event === 'pusher:member_removed'),
        'the observer sees the member leave',
      );
      assert.deepEqual(
        seen.filter((e) => e.event === 'pusher:member_removed').map((e) => e.data),
        [{ id: 'leaver', info: { name: 'Leaver' } }],
      );
      for (const node of [n1, n2, n3]) {
        assert.deepEqual([...node.cluster.members(app.id, 'presence-shutdown').keys()], ['stayer']);
      }
    } finally {
      await n4.close();
    }
  });
});
