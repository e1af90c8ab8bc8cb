import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AdapterEvents } from '../core/ports/adapter.js';
import { ClusterAdapter } from './cluster-adapter.js';
import { MemoryBus, MemoryBusHub } from './memory-bus.js';

const quietEvents: AdapterEvents = {
  deliver: () => undefined,
  subscriptionCountChanged: () => undefined,
  memberAdded: () => undefined,
  memberRemoved: () => undefined,
  userPresenceChanged: () => undefined,
  terminateUser: () => undefined,
  appChanged: () => undefined,
};

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 2 s');
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

describe('MemoryBus.hasPeers', () => {
  test('is false alone, true with another bus on the hub, false again when it leaves', async () => {
    const hub = new MemoryBusHub();
    const a = hub.createBus();
    assert.equal(a.hasPeers(), false);
    const b = hub.createBus();
    assert.equal(a.hasPeers(), true);
    assert.equal(b.hasPeers(), true);
    await b.close();
    assert.equal(a.hasPeers(), false);
    assert.equal(b.hasPeers(), false);
    await a.close();
  });

  test('a standalone bus has no peers', () => {
    assert.equal(new MemoryBus().hasPeers(), false);
  });

  test('a lone adapter skips publishing, and a node joining later still learns its state', async () => {
    const hub = new MemoryBusHub();
    const lone = hub.createBus();
    const counter = { published: 0 };
    const original = lone.publish.bind(lone);
    lone.publish = (message: string) => {
      counter.published++;
      original(message);
    };
    const a = new ClusterAdapter({ bus: lone, nodeId: 'a' });
    await a.start(quietEvents);
    a.setLocalSubscriptions('app', 'chan', 3);
    a.setLocalMember('app', 'presence-x', 'u1', 1, '{"n":1}');
    a.publish('app', 'chan', '{"event":"e"}', undefined);
    assert.equal(counter.published, 0);

    const b = new ClusterAdapter({ bus: hub.createBus(), nodeId: 'b' });
    await b.start(quietEvents);
    await until(() => b.subscriptionCount('app', 'chan') === 3);
    assert.equal(b.members('app', 'presence-x').get('u1'), '{"n":1}');
    assert.notEqual(counter.published, 0, 'with a peer on the hub the adapter publishes again');
    await Promise.all([a.close(), b.close()]);
  });
});
