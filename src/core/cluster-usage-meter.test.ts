import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClusterAdapter } from '../adapters/cluster-adapter.js';
import { MemoryBus } from '../adapters/memory-bus.js';
import { DEFAULT_APP_SETTINGS, DEFAULT_PLANS, type App } from './app.js';
import { ClusterUsageMeter, messagesCounter, utcDay } from './cluster-usage-meter.js';

const app = (accountId: string): App => ({
  id: `app-${accountId}`,
  key: 'k',
  secrets: ['s'],
  accountId,
  name: 'n',
  plan: DEFAULT_PLANS.free,
  settings: DEFAULT_APP_SETTINGS,
});

describe('ClusterUsageMeter', () => {
  test('counts per account and per UTC day, switching exactly at midnight', () => {
    const adapter = new ClusterAdapter({ bus: new MemoryBus(), nodeId: 'n' });
    let now = Date.UTC(2026, 10, 28, 23, 59, 59, 999);
    const meter = new ClusterUsageMeter(adapter, { now: () => now });
    meter.addMessages(app('a'), 2);
    meter.addMessages(app('b'), 5);
    meter.addMessages(app('a'), 1);
    assert.equal(meter.messagesToday('a'), 3);
    assert.equal(meter.messagesToday('b'), 5);
    now += 1; // 2026-11-29T00:00:00.000Z
    assert.equal(meter.messagesToday('a'), 0);
    meter.addMessages(app('a'), 4);
    assert.equal(meter.messagesToday('a'), 4);
    assert.equal(adapter.counterTotal(messagesCounter('a', '2026-11-28')), 3);
    assert.equal(adapter.counterTotal(messagesCounter('a', '2026-11-29')), 4);
    now -= 2; // a clock stepping back lands on the previous day again
    assert.equal(meter.messagesToday('a'), 3);
    assert.equal(utcDay(now), '2026-11-28');
  });
});
