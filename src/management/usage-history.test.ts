import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SqliteStore } from '../storage/sqlite-store.js';
import type { StatsStore } from './stats-store.js';
import { UsageHistory } from './usage-history.js';

const T0 = Date.UTC(2026, 0, 5, 10, 0, 0);

test('a failed flush keeps its counts for the next one; a minute flushed in parts adds up', async () => {
  const store = new SqliteStore({ filename: ':memory:' });
  await store.migrate();
  try {
    let failNext = true;
    // The real SQLite history, whose first write fails as an unreachable database would.
    const flaky: StatsStore = {
      addStats: (nodeId, samples) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('database unavailable'));
        }
        return store.stats.addStats(nodeId, samples);
      },
      listStats: (...args) => store.stats.listStats(...args),
      pruneStats: (...args) => store.stats.pruneStats(...args),
    };
    let now = T0 + 5_000;
    const history = new UsageHistory({ store: flaky, nodeId: 'n1', clock: { now: () => now } });
    history.connectionOpened('app');
    history.connectionOpened('app');
    history.addMessages('app', 3);
    history.sample();
    await history.flush(); // fails: kept
    assert.deepEqual(await store.stats.listStats('app', 'minute', T0, T0 + 60_000), []);
    history.connectionClosed('app');
    history.apiCall('app');
    history.decryptionFailures('app', 3, true);
    history.sample();
    await history.flush(); // the kept counts and the new ones
    now = T0 + 30_000;
    history.addMessages('app', 1);
    history.webhookDelivered('app');
    history.decryptionFailures('app', 2, false);
    history.sample();
    await history.flush(); // the rest of the minute, added to its row
    assert.deepEqual(await store.stats.listStats('app', 'minute', T0, T0 + 60_000), [
      {
        t: T0,
        connectionsPeak: 2,
        connectionsAvg: 1.33,
        messages: 4,
        apiCalls: 1,
        webhookDeliveries: 1,
        decryptionFailures: 5,
        decryptionFailedClients: 1,
      },
    ]);
    await history.close();
  } finally {
    await store.close();
  }
});
