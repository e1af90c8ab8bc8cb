// Three `mawjly serve` nodes on one PostgreSQL schema and a real bus (Redis, NATS): each webhook is
// sent exactly once while all are alive; when the node sending an endpoint's deliveries is
// SIGKILLed, another takes its pending deliveries over, and its presence members' member_removed
// webhooks still arrive (once).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import type { PusherJS } from '../support/pusher-js.js';
import { clientSdk, once, waitForState } from '../support/server.js';
import { prepareApp, spawnServe, type ServeProcess } from '../support/webhook-process.js';
import { startReceiver, type Receiver } from '../support/webhook-receiver.js';
import { eventually, newDatabase } from '../support/webhook-stack.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Ev = any;

function keyOf(e: Ev): string {
  return `${String(e.name)}:${String(e.channel)}:${String(e.user_id ?? '')}`;
}

function assertNoDuplicates(receiver: Receiver): void {
  const keys = receiver.events().map(keyOf);
  assert.deepEqual(
    keys.filter((k, i) => keys.indexOf(k) !== i),
    [],
    'no event delivered twice',
  );
  const ids = receiver.accepted().map((r) => r.deliveryId);
  assert.equal(new Set(ids).size, ids.length, 'no delivery accepted twice');
}

function failedAttempts(metrics: string): number {
  let total = 0;
  for (const line of metrics.split('\n'))
    if (line.startsWith('mawjly_webhook_attempts_total{') && line.includes('outcome="failed"'))
      total += Number(line.split(' ').at(-1));
  return total;
}

describe('webhooks in a three-node cluster', { concurrency: true }, () => {
  for (const [bus, url] of [
    ['Redis', 'redis://127.0.0.1:6379'],
    ['NATS', 'nats://127.0.0.1:4222'],
  ] as const) {
    test(`${bus}: exactly once while alive; a killed node's deliveries and members still arrive`, async () => {
      const db = await newDatabase('postgres');
      const { app, addEndpoint } = await prepareApp(db);
      const receiver = await startReceiver({ id: app.id, key: app.key, secret: app.secrets[0]! });
      await addEndpoint(receiver.url, ['channel_occupied', 'member_added', 'member_removed']);
      const env = { MAWJLY_CLUSTER_URL: url, MAWJLY_CLUSTER_PREFIX: `wh${randomBytes(4).toString('hex')}` };
      const nodes: ServeProcess[] = [];
      const clients: PusherJS[] = [];
      try {
        for (let i = 0; i < 3; i++) nodes.push(await spawnServe(db, env));
        // One member per node, joined one after the other (simultaneous first joins on two nodes
        // are a documented limit of the cluster view, not what this test is about).
        for (let i = 0; i < 3; i++) {
          const client = clientSdk(nodes[i]!.target, app, { userId: `u${String(i)}` });
          clients.push(client);
          await waitForState(client, 'connected');
          await once(client.subscribe('presence-room'), 'pusher:subscription_succeeded');
          await once(client.subscribe(`own-${String(i)}`), 'pusher:subscription_succeeded');
          await receiver.waitFor(
            (r) => r.events().some((e: Ev) => e.name === 'member_added' && e.user_id === `u${String(i)}`),
            20_000,
            `member_added u${String(i)}`,
          );
        }
        await receiver.waitFor((r) => r.events().length >= 7, 20_000, 'seven events');
        await new Promise((r) => setTimeout(r, 1500));
        assert.deepEqual(receiver.events().map(keyOf).sort(), [
          'channel_occupied:own-0:',
          'channel_occupied:own-1:',
          'channel_occupied:own-2:',
          'channel_occupied:presence-room:',
          'member_added:presence-room:u0',
          'member_added:presence-room:u1',
          'member_added:presence-room:u2',
        ]);
        assertNoDuplicates(receiver);

        // The receiver goes down; new events pile up on whichever node holds the endpoint's lease.
        receiver.mode = 'reset';
        for (let i = 0; i < 3; i++)
          await once(clients[i]!.subscribe(`late-${String(i)}`), 'pusher:subscription_succeeded');
        let owner = -1;
        await eventually(
          async () => {
            const failed = await Promise.all(nodes.map(async (n) => failedAttempts(await n.metrics())));
            owner = failed.findIndex((n) => n > 0);
            return owner >= 0;
          },
          30_000,
          'a node failing to deliver',
        );
        const victim = nodes[owner]!;
        await victim.kill();
        clients[owner]!.disconnect();
        receiver.mode = 'ok';
        await receiver.waitFor(
          (r) =>
            [0, 1, 2].every((i) => r.events().some((e: Ev) => e.channel === `late-${String(i)}`)) &&
            r.events().some((e: Ev) => e.name === 'member_removed' && e.user_id === `u${String(owner)}`),
          60_000,
          `the dead node's pending deliveries and member_removed of u${String(owner)}`,
        );
        await new Promise((r) => setTimeout(r, 1500));
        assertNoDuplicates(receiver);
        assert.equal(
          receiver.events().filter((e: Ev) => e.name === 'member_removed').length,
          1,
          "only the dead node's member left",
        );
      } finally {
        for (const c of clients) c.disconnect();
        for (const n of nodes) await n.kill();
        await receiver.close();
        await db.drop();
      }
    });
  }
});
