import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AdapterEvents } from '../core/ports/adapter.js';
import { ClusterAdapter } from './cluster-adapter.js';
import { MemoryBusHub } from './memory-bus.js';

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 2 s');
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function recorder(): { events: AdapterEvents; counts: [string, number][] } {
  const counts: [string, number][] = [];
  const events: AdapterEvents = {
    deliver: () => undefined,
    subscriptionCountChanged: (_appId, channel, total) => counts.push([channel, total]),
    memberAdded: () => undefined,
    memberRemoved: () => undefined,
    userPresenceChanged: () => undefined,
    terminateUser: () => undefined,
    appChanged: () => undefined,
  };
  return { events, counts };
}

describe('ClusterAdapter subscription counts', () => {
  test('sums local and remote shares, reports each change once, and drops a node that leaves', async () => {
    const hub = new MemoryBusHub();
    const a = new ClusterAdapter({ bus: hub.createBus(), nodeId: 'a' });
    const b = new ClusterAdapter({ bus: hub.createBus(), nodeId: 'b' });
    const ra = recorder();
    await a.start(ra.events);
    await b.start(recorder().events);

    a.setLocalSubscriptions('app', 'ch', 2);
    a.setLocalSubscriptions('app', 'ch', 2); // unchanged: no event
    b.setLocalSubscriptions('app', 'ch', 3);
    await until(() => a.subscriptionCount('app', 'ch') === 5 && b.subscriptionCount('app', 'ch') === 5);
    assert.deepEqual([...a.channels('app')], [['ch', 5]]);

    a.setLocalSubscriptions('app', 'ch', 0);
    await until(() => b.subscriptionCount('app', 'ch') === 3);
    assert.equal(a.subscriptionCount('app', 'ch'), 3);

    await b.close();
    await until(() => a.subscriptionCount('app', 'ch') === 0);
    assert.deepEqual([...a.channels('app')], []);
    assert.deepEqual(ra.counts, [
      ['ch', 2],
      ['ch', 5],
      ['ch', 3],
      ['ch', 0],
    ]);
    await a.close();
  });
});
