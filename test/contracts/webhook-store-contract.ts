// The webhook part of the Store contract (SQLite and PostgreSQL): endpoints, the held and due
// queues, leases, deliveries and the log. Called from runStoreContract with its fresh store.
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type {
  NewWebhookEvent,
  WebhookEndpointRecord,
  WebhookStore,
} from '../../src/core/ports/webhook-store.js';
import type { Store } from '../../src/management/store.js';
import { MawjlyError } from '../../src/protocol/errors.js';

type Get = () => { store: Store; openPeer: () => Promise<Store> };

async function newApp(store: Store): Promise<string> {
  const account = await store.accounts.createAccount({ name: `wh-${randomUUID()}`, plan: 'pro' });
  const app = await store.apps.createApp({
    id: String(randomInt(1_000_000_000, 281_474_976_710_655)),
    accountId: account.id,
    name: 'hooks',
    key: `key-${randomUUID()}`,
    secret: `secret-${randomUUID()}`,
    previousSecret: null,
    previousSecretValidUntil: null,
    settings: {
      enabled: true,
      client_events: true,
      user_authentication: true,
      subscription_count: false,
      authorized_connections: false,
      allowed_origins: ['*'],
    },
  });
  return app.id;
}

async function newEndpoint(
  w: WebhookStore,
  appId: string,
  overrides: Partial<WebhookEndpointRecord> = {},
): Promise<WebhookEndpointRecord> {
  return w.createEndpoint({
    id: `wh_${randomUUID()}`,
    appId,
    url: 'https://hooks.example.com/pusher',
    eventTypes: ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed'],
    channelPrefix: null,
    headers: { 'X-Token': 'abc' },
    enabled: true,
    ...overrides,
  });
}

function ev(appId: string, endpointIds: string[], fields: Partial<NewWebhookEvent> = {}): NewWebhookEvent {
  const name = fields.name ?? 'channel_occupied';
  const channel = fields.channel ?? 'c1';
  return {
    appId,
    name,
    channel,
    userId: fields.userId ?? null,
    payload:
      fields.payload ??
      JSON.stringify({ name, channel, ...(fields.userId ? { user_id: fields.userId } : {}) }),
    endpointIds,
    ...(fields.holdUntil === undefined ? {} : { holdUntil: fields.holdUntil }),
    ...(fields.dedupeKey === undefined ? {} : { dedupeKey: fields.dedupeKey }),
  };
}

export function runWebhookStoreContract(get: Get): void {
  describe('webhooks', () => {
    test('endpoints: create, find, list per app, patch, delete', async () => {
      const { store } = get();
      const w = store.webhooks;
      const appId = await newApp(store);
      const a = await newEndpoint(w, appId, { channelPrefix: 'presence-' });
      const b = await newEndpoint(w, appId, { enabled: false, eventTypes: ['client_event'] });
      assert.deepEqual(await w.findEndpoint(a.id), a);
      assert.equal(a.enabled, true);
      assert.equal(b.enabled, false);
      assert.deepEqual(a.headers, { 'X-Token': 'abc' });
      assert.deepEqual(
        (await w.listEndpoints(appId)).map((e) => e.id),
        [a.id, b.id],
      );
      assert.ok((await w.listEndpoints()).some((e) => e.id === b.id));
      const patched = await w.updateEndpoint(a.id, {
        url: 'https://other.example.com/',
        eventTypes: ['cache_miss'],
        channelPrefix: null,
        headers: {},
        enabled: false,
      });
      assert.equal(patched.url, 'https://other.example.com/');
      assert.deepEqual(patched.eventTypes, ['cache_miss']);
      assert.equal(patched.channelPrefix, null);
      assert.deepEqual(patched.headers, {});
      assert.equal(patched.enabled, false);
      assert.equal(patched.createdAt, a.createdAt);
      await w.deleteEndpoint(a.id);
      assert.equal(await w.findEndpoint(a.id), undefined);
      await assert.rejects(
        w.deleteEndpoint(a.id),
        (e: unknown) => e instanceof MawjlyError && e.code === 'not_found',
      );
      await assert.rejects(
        w.updateEndpoint(a.id, { enabled: true }),
        (e: unknown) => e instanceof MawjlyError && e.code === 'not_found',
      );
      await assert.rejects(
        newEndpoint(w, '999999999'),
        (e: unknown) => e instanceof MawjlyError && e.code === 'not_found',
      );
      // Deleting the app deletes its endpoints.
      await store.apps.deleteApp(appId);
      assert.equal(await w.findEndpoint(b.id), undefined);
    });

    test('enqueue keeps decision order per endpoint; held events wait, cancel, dedupe', async () => {
      const { store } = get();
      const w = store.webhooks;
      const appId = await newApp(store);
      const e1 = await newEndpoint(w, appId);
      const e2 = await newEndpoint(w, appId);
      const now = 1_000_000;
      await w.enqueue(
        [
          ev(appId, [e1.id, e2.id], { channel: 'a' }),
          ev(appId, [e1.id], { name: 'member_added', channel: 'presence-a', userId: 'u1' }),
          ev(appId, [e1.id, e2.id], { name: 'channel_vacated', channel: 'b', holdUntil: now + 3000 }),
          ev(appId, [e1.id], {
            name: 'member_removed',
            channel: 'presence-a',
            userId: 'u1',
            holdUntil: now + 3000,
          }),
          // The user comes back: the held removal is cancelled and the re-add dropped.
          ev(appId, [e1.id], { name: 'member_added', channel: 'presence-a', userId: 'u1' }),
          // Another user's return cancels nothing.
          ev(appId, [e1.id], {
            name: 'member_removed',
            channel: 'presence-a',
            userId: 'u2',
            holdUntil: now + 3000,
          }),
          ev(appId, [e1.id], { name: 'member_added', channel: 'presence-a', userId: 'u3' }),
          // A vacated channel with no endpoint wanting it still cancels the next occupied.
          ev(appId, [], { name: 'channel_vacated', channel: 'c', holdUntil: now + 3000 }),
          ev(appId, [e1.id], { name: 'channel_occupied', channel: 'c' }),
          ev(appId, [e1.id], { name: 'member_added', channel: 'presence-d', userId: 'dup', dedupeKey: 'k1' }),
          ev(appId, [e1.id], { name: 'member_added', channel: 'presence-d', userId: 'dup', dedupeKey: 'k1' }),
        ],
        now,
      );
      const q1 = await w.peekQueue(e1.id, 100);
      assert.deepEqual(
        q1.map((q) => `${q.name}:${q.channel}`),
        [
          'channel_occupied:a',
          'member_added:presence-a',
          'member_added:presence-a',
          'member_added:presence-d',
        ],
      );
      assert.ok(q1.every((q, i) => i === 0 || q.seq > (q1[i - 1]?.seq ?? 0)));
      assert.deepEqual(JSON.parse(q1[0]?.payload ?? ''), { name: 'channel_occupied', channel: 'a' });
      assert.deepEqual(
        (await w.peekQueue(e2.id, 100)).map((q) => q.name),
        ['channel_occupied'],
      );
      assert.equal(await w.releaseHeld(now + 2999, 100), 0);
      // An occupied of channel b cancels its held vacated (both endpoints).
      await w.enqueue([ev(appId, [e1.id, e2.id], { channel: 'b' })], now + 100);
      assert.equal(await w.releaseHeld(now + 3000, 100), 1);
      const after = await w.peekQueue(e1.id, 100);
      assert.deepEqual(
        after.slice(4).map((q) => `${q.name}:${q.channel}`),
        ['member_removed:presence-a'],
      );
      assert.equal(JSON.parse(after[4]?.payload ?? '{}').user_id, 'u2');
      assert.equal((await w.peekQueue(e2.id, 100)).length, 1);
      assert.deepEqual(
        await w.endpointsWithWork().then((ids) => ids.filter((id) => id === e1.id || id === e2.id).sort()),
        [e1.id, e2.id].sort(),
      );
      await w.updateEndpoint(e2.id, { enabled: false });
      assert.ok(!(await w.endpointsWithWork()).includes(e2.id));
      await store.apps.deleteApp(appId);
      assert.deepEqual(await w.peekQueue(e1.id, 100), []);
    });

    test('leases: one owner at a time, renewable, taken over after expiry, released', async () => {
      const { store } = get();
      const w = store.webhooks;
      const appId = await newApp(store);
      const e = await newEndpoint(w, appId);
      assert.equal(await w.acquireLease(e.id, 'node-a', 1000, 2000), true);
      assert.equal(await w.acquireLease(e.id, 'node-b', 1500, 2500), false);
      assert.equal(await w.acquireLease(e.id, 'node-a', 1500, 2500), true);
      assert.deepEqual(await w.renewLeases('node-a', 4000), [e.id]);
      assert.equal(await w.acquireLease(e.id, 'node-b', 3999, 5000), false);
      assert.equal(await w.acquireLease(e.id, 'node-b', 4001, 5000), true);
      assert.deepEqual(await w.renewLeases('node-a', 9000), []);
      await w.releaseLease(e.id, 'node-a');
      assert.equal(await w.acquireLease(e.id, 'node-a', 4500, 6000), false);
      await w.releaseLease(e.id, 'node-b');
      assert.equal(await w.acquireLease(e.id, 'node-a', 4500, 6000), true);
      assert.equal(await w.acquireLease('wh_missing', 'node-a', 4500, 6000), false);
      await store.apps.deleteApp(appId);
    });

    test('deliveries: atomic batches, attempts, log paging, retry, counts, prune', async () => {
      const { store, openPeer } = get();
      const w = store.webhooks;
      const appId = await newApp(store);
      const e = await newEndpoint(w, appId);
      const now = 5_000_000;
      await w.enqueue(
        [1, 2, 3, 4, 5].map((i) => ev(appId, [e.id], { channel: `ch-${i % 2}` })),
        now,
      );
      const peer = await openPeer();
      try {
        const events = await w.peekQueue(e.id, 3);
        const d1 = await w.createDelivery(
          e.id,
          events,
          { id: 'd1-' + randomUUID(), body: '{"a":1}', deadlineAt: now + 300_000 },
          now,
        );
        assert.ok(d1);
        assert.equal(d1.state, 'pending');
        assert.equal(d1.attempts, 0);
        assert.equal(d1.body, '{"a":1}');
        assert.equal(d1.seq, events[0]?.seq);
        assert.equal(d1.appId, appId);
        assert.deepEqual(d1.eventNames, ['channel_occupied', 'channel_occupied', 'channel_occupied']);
        assert.deepEqual([...d1.channels].sort(), ['ch-0', 'ch-1']);
        assert.equal(d1.nextAttemptAt, now);
        // The same events cannot be taken twice (by this store or another process).
        assert.equal(
          await peer.webhooks.createDelivery(
            e.id,
            events,
            { id: 'x-' + randomUUID(), body: '{}', deadlineAt: now },
            now,
          ),
          undefined,
        );
        assert.equal((await w.peekQueue(e.id, 10)).length, 2);
        const rest = await peer.webhooks.peekQueue(e.id, 10);
        const d2 = await peer.webhooks.createDelivery(
          e.id,
          rest,
          { id: 'd2-' + randomUUID(), body: '{"b":2}', deadlineAt: now + 300_000 },
          now + 1,
        );
        assert.ok(d2);
        assert.deepEqual(
          (await w.openDeliveries(e.id, 10)).map((d) => d.id),
          [d1.id, d2.id],
        );

        await w.recordAttempt(d1.id, {
          state: 'retrying',
          at: now + 10,
          status: 500,
          error: 'HTTP 500',
          latencyMs: 12,
          nextAttemptAt: now + 1000,
        });
        let r1 = (await w.findDelivery(d1.id))!;
        assert.equal(r1.state, 'retrying');
        assert.equal(r1.attempts, 1);
        assert.equal(r1.lastStatus, 500);
        assert.equal(r1.lastError, 'HTTP 500');
        assert.equal(r1.nextAttemptAt, now + 1000);
        await w.recordAttempt(d2.id, {
          state: 'delivered',
          at: now + 20,
          status: 200,
          error: null,
          latencyMs: 7,
          nextAttemptAt: null,
        });
        const r2 = (await w.findDelivery(d2.id))!;
        assert.equal(r2.state, 'delivered');
        assert.equal(r2.deliveredAt, now + 20);
        assert.equal(r2.latencyMs, 7);
        assert.deepEqual(
          (await w.openDeliveries(e.id, 10)).map((d) => d.id),
          [d1.id],
        );
        assert.deepEqual(
          await w.deliveryCounts(appId),
          new Map([[e.id, { pending: 0, retrying: 1, dead: 0 }]]),
        );

        await w.recordAttempt(d1.id, {
          state: 'dead',
          at: now + 2000,
          status: null,
          error: 'timeout',
          latencyMs: null,
          nextAttemptAt: null,
        });
        r1 = (await w.findDelivery(d1.id))!;
        assert.equal(r1.state, 'dead');
        assert.equal(r1.attempts, 2);
        assert.deepEqual(
          (await w.openDeliveries(e.id, 10)).map((d) => d.id),
          [],
        );
        // Newest first, paged by id, filtered by state.
        assert.deepEqual(
          (await w.listDeliveries(e.id)).map((d) => d.id),
          [d2.id, d1.id],
        );
        assert.deepEqual(
          (await w.listDeliveries(e.id, { limit: 1 })).map((d) => d.id),
          [d2.id],
        );
        assert.deepEqual(
          (await w.listDeliveries(e.id, { before: d2.id })).map((d) => d.id),
          [d1.id],
        );
        assert.deepEqual(
          (await w.listDeliveries(e.id, { state: 'dead' })).map((d) => d.id),
          [d1.id],
        );

        const retried = await w.retryDelivery(d1.id, now + 5000, now + 305_000);
        assert.equal(retried.state, 'pending');
        assert.equal(retried.nextAttemptAt, now + 5000);
        assert.equal(retried.attempts, 2);
        await assert.rejects(
          w.retryDelivery(d2.id, now, now),
          (err: unknown) => err instanceof MawjlyError && err.code === 'delivery_not_retryable',
        );
        await assert.rejects(
          w.retryDelivery('nope', now, now),
          (err: unknown) => err instanceof MawjlyError && err.code === 'not_found',
        );

        await w.prune(now + 10, 0);
        assert.equal(await w.findDelivery(d2.id), undefined, 'an old delivered one is pruned');
        assert.ok(await w.findDelivery(d1.id), 'an open one is kept');
        await w.deleteEndpoint(e.id);
        assert.equal(await w.findDelivery(d1.id), undefined);
      } finally {
        await peer.close();
        await store.apps.deleteApp(appId);
      }
    });
  });
}
