// The usage-history part of the Store contract (SQLite and PostgreSQL): per-node atomic adds,
// cluster-wide sums, the hour roll-up written with each minute, and pruning by age.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { StatsSample } from '../../src/management/stats-store.js';
import type { Store } from '../../src/management/store.js';

type Get = () => { store: Store; openPeer: () => Promise<Store> };

const MIN = 60_000;
const HOUR = 3_600_000;
/** A fixed hour far in the past, so tests never meet rows of other tests (each uses its own app id). */
const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

function sample(appId: string, minute: number, over: Partial<StatsSample> = {}): StatsSample {
  return {
    appId,
    minute,
    connectionsPeak: 0,
    connectionsSum: 0,
    connectionsSamples: 0,
    messages: 0,
    apiCalls: 0,
    webhookDeliveries: 0,
    decryptionFailures: 0,
    decryptionFailedClients: 0,
    ...over,
  };
}

export function runStatsStoreContract(get: Get): void {
  describe('usage history', () => {
    test('adds counts per minute, keeps the larger peak, and rolls minutes into their hour', async () => {
      const { store } = get();
      const app = `stats-${randomUUID()}`;
      await store.stats.addStats('node-a', [
        sample(app, T0, {
          connectionsPeak: 4,
          connectionsSum: 6,
          connectionsSamples: 2,
          messages: 10,
          apiCalls: 1,
          decryptionFailures: 3,
          decryptionFailedClients: 1,
        }),
        sample(app, T0 + MIN, { connectionsPeak: 2, connectionsSum: 2, connectionsSamples: 1, messages: 5 }),
      ]);
      // A later flush of the same node for the same minute adds to it.
      await store.stats.addStats('node-a', [
        sample(app, T0, {
          connectionsPeak: 3,
          connectionsSum: 3,
          connectionsSamples: 1,
          messages: 2,
          webhookDeliveries: 7,
          decryptionFailures: 2,
        }),
      ]);
      const minutes = await store.stats.listStats(app, 'minute', T0, T0 + HOUR);
      assert.deepEqual(minutes, [
        {
          t: T0,
          connectionsPeak: 4,
          connectionsAvg: 3,
          messages: 12,
          apiCalls: 1,
          webhookDeliveries: 7,
          decryptionFailures: 5,
          decryptionFailedClients: 1,
        },
        {
          t: T0 + MIN,
          connectionsPeak: 2,
          connectionsAvg: 2,
          messages: 5,
          apiCalls: 0,
          webhookDeliveries: 0,
          decryptionFailures: 0,
          decryptionFailedClients: 0,
        },
      ]);
      const hours = await store.stats.listStats(app, 'hour', T0, T0 + HOUR);
      assert.deepEqual(hours, [
        {
          t: T0,
          connectionsPeak: 4,
          connectionsAvg: 2.75,
          messages: 17,
          apiCalls: 1,
          webhookDeliveries: 7,
          decryptionFailures: 5,
          decryptionFailedClients: 1,
        },
      ]);
      // [from, to): the end is exclusive, other apps are not included.
      assert.deepEqual(await store.stats.listStats(app, 'minute', T0 + 2 * MIN, T0 + HOUR), []);
      assert.deepEqual(await store.stats.listStats(`other-${randomUUID()}`, 'minute', T0, T0 + HOUR), []);
    });

    test('every node adds its own rows; a read sums them into cluster-wide totals', async () => {
      const { store, openPeer } = get();
      const peer = await openPeer();
      try {
        const app = `stats-${randomUUID()}`;
        await Promise.all([
          store.stats.addStats('node-a', [
            sample(app, T0, { connectionsPeak: 3, connectionsSum: 6, connectionsSamples: 2, messages: 4 }),
          ]),
          peer.stats.addStats('node-b', [
            sample(app, T0, { connectionsPeak: 5, connectionsSum: 5, connectionsSamples: 1, messages: 6 }),
          ]),
        ]);
        const [point] = await peer.stats.listStats(app, 'minute', T0, T0 + MIN);
        assert.deepEqual(point, {
          t: T0,
          connectionsPeak: 8,
          connectionsAvg: 8,
          messages: 10,
          apiCalls: 0,
          webhookDeliveries: 0,
          decryptionFailures: 0,
          decryptionFailedClients: 0,
        });
      } finally {
        await peer.close();
      }
    });

    test('concurrent adds from two connections lose nothing', async () => {
      const { store, openPeer } = get();
      const peer = await openPeer();
      try {
        const app = `stats-${randomUUID()}`;
        const adds = Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? store : peer).stats.addStats('node-a', [
            sample(app, T0 + (i % 3) * MIN, { messages: 1, apiCalls: 2 }),
          ]),
        );
        await Promise.all(adds);
        const [hour] = await store.stats.listStats(app, 'hour', T0, T0 + HOUR);
        assert.equal(hour?.messages, 20);
        assert.equal(hour.apiCalls, 40);
      } finally {
        await peer.close();
      }
    });

    test('prunes minute and hour rows by age, separately', async () => {
      const { store } = get();
      const app = `stats-${randomUUID()}`;
      const old = T0 - 100 * 24 * HOUR;
      await store.stats.addStats('node-a', [
        sample(app, old, { messages: 1 }),
        sample(app, T0, { messages: 2 }),
      ]);
      // Minute rows before T0 and hour rows before `old + 1 h` go; the rest stays.
      const removed = await store.stats.pruneStats(T0, old + HOUR);
      assert.ok(removed >= 2, `removed ${removed}`);
      assert.deepEqual(
        (await store.stats.listStats(app, 'minute', old, T0 + HOUR)).map((p) => p.t),
        [T0],
      );
      assert.deepEqual(
        (await store.stats.listStats(app, 'hour', old, T0 + HOUR)).map((p) => p.t),
        [T0],
      );
    });

    test('rejects samples that are not whole minutes or not counts', async () => {
      const { store } = get();
      const app = `stats-${randomUUID()}`;
      await assert.rejects(store.stats.addStats('node-a', [sample(app, T0 + 1)]), /start of a minute/);
      await assert.rejects(store.stats.addStats('node-a', [sample(app, T0, { messages: -1 })]), /messages/);
      assert.deepEqual(await store.stats.listStats(app, 'minute', T0, T0 + HOUR), []);
    });
  });
}
