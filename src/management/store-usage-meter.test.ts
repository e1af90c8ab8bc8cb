import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Clock } from '../core/ports/clock.js';
import { SqliteStore } from '../storage/sqlite-store.js';
import { createManagement } from './management.js';
import { loadPlans } from './plans.js';
import { utcDay } from './store-usage-meter.js';

class ManualClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
}

test('usage is counted in memory, flushed to the store, seeded at start, and warns once at 80 %', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mawjly-usage-'));
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 10));
  try {
    const store = new SqliteStore({ dataDir: dir });
    await store.migrate();
    const plans = loadPlans(undefined);
    const m = await createManagement({ store, plans, clock, usageFlushIntervalMs: 60_000 });
    const account = await m.accounts.create({ name: 'metered', plan: 'free' }, 'test');
    const record = await m.apps.create(account, {}, 'test');
    const app = m.directory.findById(record.id)!;

    m.usage.addMessages(app, 159_999);
    assert.equal(m.usage.messagesToday(account.id), 159_999, 'in memory at once');
    assert.equal(await store.usage.getUsage(account.id, '2026-11-28'), 0, 'not yet flushed');
    await m.usage.flush();
    assert.equal(await store.usage.getUsage(account.id, '2026-11-28'), 159_999);
    const warnings = async (): Promise<number> =>
      (await store.auditLog.listAudit(account.id, { limit: 100 })).filter((e) => e.action === 'usage.warning')
        .length;
    assert.equal(await warnings(), 0);

    m.usage.addMessages(app, 1);
    await m.usage.flush();
    assert.equal(await warnings(), 1, 'crossing 80 % of 200,000 writes one warning');
    const entry = (await store.auditLog.listAudit(account.id)).find((e) => e.action === 'usage.warning')!;
    assert.equal(entry.details.limit, 200_000);
    assert.equal(entry.details.day, '2026-11-28');

    m.usage.addMessages(app, 1000);
    await m.usage.flush();
    m.usage.addMessages(app, 5);
    await m.close();
    assert.equal(await warnings(), 1, 'only one warning a day');
    assert.equal(await store.usage.getUsage(account.id, '2026-11-28'), 161_005, 'close flushes');
    assert.equal(m.usage.appMessagesToday(app.id), 161_005);

    const again = await createManagement({ store, plans, clock, usageFlushIntervalMs: 60_000 });
    assert.equal(again.usage.messagesToday(account.id), 161_005, 'seeded from the store at start');
    again.usage.addMessages(app, 10);
    clock.t = Date.UTC(2026, 10, 29, 0, 0, 1);
    assert.equal(again.usage.messagesToday(account.id), 0, 'a new UTC day starts at 0');
    again.usage.addMessages(app, 3);
    await again.close();
    assert.equal(
      await store.usage.getUsage(account.id, '2026-11-28'),
      161_015,
      'yesterday’s pending count keeps its day',
    );
    assert.equal(await store.usage.getUsage(account.id, '2026-11-29'), 3);
    assert.equal(utcDay(clock.t), '2026-11-29');
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
