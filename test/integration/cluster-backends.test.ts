// Two server nodes in one process joined over the real Redis and the real NATS: an event published on
// one node reaches a pusher-js subscriber on the other, and presence is seen across them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { NatsBus } from '../../src/adapters/nats-bus.js';
import { RedisBus } from '../../src/adapters/redis-bus.js';
import type { ClusterBus } from '../../src/core/ports/cluster-bus.js';
import {
  clientSdk,
  makeApp,
  once,
  serverSdk,
  startTestServer,
  waitForState,
  type TestServer,
} from '../support/server.js';
import type { PusherJS } from '../support/pusher-js.js';

const backends: [string, (prefix: string) => ClusterBus][] = [
  [
    'redis',
    (prefix) => new RedisBus(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', `mawjly-test:${prefix}:`),
  ],
  [
    'nats',
    (prefix) => new NatsBus(process.env.NATS_URL ?? 'nats://127.0.0.1:4222', `mawjly-test.${prefix}.`),
  ],
];

for (const [name, makeBus] of backends) {
  describe(`two nodes over ${name}`, () => {
    const servers: TestServer[] = [];
    const clients: PusherJS[] = [];
    after(async () => {
      for (const c of clients) c.disconnect();
      await Promise.all(servers.map((s) => s.close()));
    });

    test('publish on node 1 reaches a subscriber on node 2; presence crosses nodes', async () => {
      const prefix = randomBytes(6).toString('hex');
      const app = makeApp();
      const n1 = await startTestServer({ apps: [app], bus: makeBus(prefix), nodeId: 'n1' });
      servers.push(n1);
      const n2 = await startTestServer({ apps: [app], bus: makeBus(prefix), nodeId: 'n2' });
      servers.push(n2);

      const alice = clientSdk(n1, app, { userId: 'alice' });
      const bob = clientSdk(n2, app, { userId: 'bob' });
      clients.push(alice, bob);
      await Promise.all([waitForState(alice, 'connected'), waitForState(bob, 'connected')]);

      const room1 = alice.subscribe('presence-room');
      await once(room1, 'pusher:subscription_succeeded');
      // The bus is asynchronous: wait (bounded) until node 2's replica has alice before bob joins.
      const deadline = Date.now() + 5000;
      while (!n2.cluster.members(app.id, 'presence-room').has('alice')) {
        assert.ok(Date.now() < deadline, 'node 2 never learned that alice joined on node 1');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const added = once<{ id: string }>(room1, 'pusher:member_added');
      const room2 = bob.subscribe('presence-room');
      const members = await once<{ count: number }>(room2, 'pusher:subscription_succeeded');
      assert.equal(members.count, 2, 'bob sees alice, who joined on the other node');
      assert.equal((await added).id, 'bob');

      const received = once<{ n: number }>(room2, 'ping');
      await serverSdk(n1, app).trigger('presence-room', 'ping', { n: 1 });
      assert.deepEqual(await received, { n: 1 });
    });
  });
}

// The same through configuration, as an operator runs it: MAWJLY_CLUSTER_URL (+ a prefix so parallel
// runs and other clusters on the same Redis/NATS stay apart).
for (const [name, url] of [
  ['redis', process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'],
  ['nats', process.env.NATS_URL ?? 'nats://127.0.0.1:4222'],
] as const) {
  test(`MAWJLY_CLUSTER_URL=${name}://…: two nodes deliver to each other; another prefix hears nothing`, async () => {
    const prefix = `t${randomBytes(6).toString('hex')}`;
    const app = makeApp();
    const config = { clusterUrl: url, clusterPrefix: prefix };
    const n1 = await startTestServer({ apps: [app], config });
    const n2 = await startTestServer({ apps: [app], config });
    const stranger = await startTestServer({
      apps: [app],
      config: { ...config, clusterPrefix: `${prefix}x` },
    });
    const listeners = [clientSdk(n2, app), clientSdk(stranger, app)];
    try {
      await Promise.all(listeners.map((c) => waitForState(c, 'connected')));
      const [mine, theirs] = listeners.map((c) => c.subscribe('news'));
      await Promise.all([
        once(mine!, 'pusher:subscription_succeeded'),
        once(theirs!, 'pusher:subscription_succeeded'),
      ]);
      let strangerGot = 0;
      theirs!.bind('flash', () => {
        strangerGot++;
      });
      const received = once<{ n: number }>(mine!, 'flash');
      await serverSdk(n1, app).trigger('news', 'flash', { n: 7 });
      assert.deepEqual(await received, { n: 7 });
      // A marker published on the stranger's own cluster arrives after anything n1 could have leaked.
      const marker = once(theirs!, 'marker');
      await serverSdk(stranger, app).trigger('news', 'marker', {});
      await marker;
      assert.equal(strangerGot, 0, 'a cluster with another prefix must not receive the event');
    } finally {
      for (const c of listeners) c.disconnect();
      await Promise.all([n1.close(), n2.close(), stranger.close()]);
    }
  });
}
