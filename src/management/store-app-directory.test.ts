import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Clock } from '../core/ports/clock.js';
import { SqliteStore } from '../storage/sqlite-store.js';
import { createManagement } from './management.js';
import { loadPlans, parsePlansOverride } from './plans.js';
import { StoreAppDirectory } from './store-app-directory.js';

class ManualClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
}

async function withStore(work: (store: SqliteStore) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'mawjly-dir-'));
  const store = new SqliteStore({ dataDir: dir });
  try {
    await store.migrate();
    await work(store);
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

test('the directory holds core Apps with camelCase settings and the plan table’s limits', async () => {
  await withStore(async (store) => {
    const plans = parsePlansOverride({ startup: { max_connections: null } });
    const m = await createManagement({ store, plans });
    const account = await m.accounts.create({ name: 'dir', plan: 'startup' }, 'test');
    const record = await m.apps.create(account, { settings: { subscription_count: true } }, 'test');
    const app = m.directory.findByKey(record.key)!;
    assert.equal(app.id, record.id);
    assert.equal(app.accountId, account.id);
    assert.equal(app.plan.maxConnections, null, 'operator override applies');
    assert.equal(app.settings.subscriptionCount, true);
    assert.deepEqual(app.settings.allowedOrigins, ['*']);
    assert.deepEqual(
      m.directory.appsOfAccount(account.id).map((a) => a.id),
      [record.id],
    );
    await m.close();
  });
});

test('another node’s change is picked up by reload(appId); a grace period ends at its deadline', async () => {
  await withStore(async (store) => {
    const clock = new ManualClock(Date.now());
    const plans = loadPlans(undefined);
    const here = await createManagement({ store, plans, clock });
    const account = await here.accounts.create({ name: 'nodes', plan: 'pro' }, 'test');
    const record = await here.apps.create(account, {}, 'test');

    // A second node: its own directory over the same store.
    const there = new StoreAppDirectory({ store, plans, clock });
    await there.load();
    const changes: string[] = [];
    there.onChange((id) => changes.push(id));
    const { secret } = await here.apps.rotateSecret(account.id, record.id, 30, 'test');
    assert.deepEqual(there.findById(record.id)?.secrets, [record.secret], 'stale until told');
    await there.reload(record.id);
    assert.deepEqual(there.findById(record.id)?.secrets, [secret, record.secret]);
    assert.deepEqual(changes, [record.id]);
    clock.t += 30_000;
    assert.deepEqual(there.findByKey(record.key)?.secrets, [secret]);
    assert.deepEqual(here.directory.findByKey(record.key)?.secrets, [secret]);

    await here.apps.delete(account.id, record.id, 'test');
    await there.reload(record.id);
    assert.equal(there.findById(record.id), undefined);
    await here.close();
  });
});

test('the apps file is upserted at start: accounts created or re-planned, credentials fixed', async () => {
  await withStore(async (store) => {
    const plans = loadPlans(undefined);
    const announced: string[] = [];
    const first = await createManagement({
      store,
      plans,
      seed: [
        {
          id: '111',
          key: 'key-a',
          secret: 'secret-a-1',
          plan: 'free',
          account: 'app-111',
          name: 'a',
          settings: {},
        },
        {
          id: '222',
          key: 'key-b',
          secret: 'secret-b-1',
          plan: 'startup',
          account: 'shared',
          name: 'b',
          settings: { subscription_count: true },
        },
        {
          id: '333',
          key: 'key-c',
          secret: 'secret-c-1',
          plan: 'startup',
          account: 'shared',
          name: 'c',
          settings: {},
        },
      ],
      onAppChanged: (id) => announced.push(id),
    });
    assert.deepEqual(first.directory.findByKey('key-a')?.secrets, ['secret-a-1']);
    assert.equal((await first.accounts.getByName('app-111')).plan, 'free');
    assert.equal(first.directory.findById('222')?.settings.subscriptionCount, true);
    assert.equal(first.directory.appsOfAccount((await first.accounts.getByName('shared')).id).length, 2);
    assert.deepEqual(
      [...new Set(announced)].sort(),
      ['111', '222', '333'],
      'seeding is announced to other nodes',
    );
    await first.close();

    const second = await createManagement({
      store,
      plans,
      seed: [
        {
          id: '111',
          key: 'key-a2',
          secret: 'secret-a-2',
          plan: 'pro',
          account: 'app-111',
          name: 'a',
          settings: {},
        },
      ],
    });
    assert.equal(second.directory.findByKey('key-a'), undefined);
    assert.deepEqual(second.directory.findByKey('key-a2')?.secrets, ['secret-a-2']);
    assert.equal(second.directory.findById('111')?.plan.name, 'pro');
    assert.equal((await store.apps.listApps()).length, 3);
    const audit = await store.auditLog.listAudit((await second.accounts.getByName('app-111')).id, {
      limit: 50,
    });
    assert.ok(
      audit.every((e) => !JSON.stringify(e).includes('secret-a')),
      'no secret in audit entries',
    );
    await second.close();
  });
});

test('resync picks up changes nobody announced (the CLI) and upserts only what changed', async () => {
  await withStore(async (store) => {
    const plans = loadPlans(undefined);
    const m = await createManagement({ store, plans, resyncIntervalMs: 25 });
    const account = await m.accounts.create({ name: 'resync', plan: 'startup' }, 'test');
    const kept = await m.apps.create(account, {}, 'test');
    const changes: string[] = [];
    m.directory.onChange((id) => changes.push(id));
    const seen = new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error('resync did not pick up the app'));
      }, 5000);
      m.directory.onChange((id, app) => {
        if (app) {
          clearTimeout(timer);
          resolve(id);
        }
      });
    });
    // Another process writes straight to the store.
    const other = await store.apps.createApp({
      id: '7654321',
      accountId: account.id,
      name: 'from the cli',
      key: 'cli-key',
      secret: 'cli-secret-123',
      previousSecret: null,
      previousSecretValidUntil: null,
      settings: { ...kept.settings },
    });
    assert.equal(await seen, other.id);
    assert.equal(m.directory.findByKey('cli-key')?.id, other.id);
    await m.directory.load();
    assert.deepEqual(changes, [other.id], 'unchanged apps are not upserted again');
    await m.close();
  });
});

test('with watchStore, a change committed by another process is applied at once; close() stops it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mawjly-dir-'));
  const store = new SqliteStore({ dataDir: dir, changePollMs: 50 });
  const cli = new SqliteStore({ dataDir: dir });
  try {
    await store.migrate();
    const m = await createManagement({
      store,
      plans: loadPlans(undefined),
      watchStore: true,
      resyncIntervalMs: 0,
    });
    const account = await m.accounts.create({ name: 'watched', plan: 'free' }, 'test');
    const record = await m.apps.create(account, {}, 'test');
    const planOf = () => m.directory.findById(record.id)?.plan.name;

    /** Resolves when `predicate` holds after a directory change (rejects after 3 s). */
    const changed = (predicate: () => boolean) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          stop();
          reject(new Error(`directory not updated; plan is ${String(planOf())}`));
        }, 3000);
        const stop = m.directory.onChange(() => {
          if (!predicate()) return;
          clearTimeout(timer);
          stop();
          resolve();
        });
      });

    const upgraded = changed(() => planOf() === 'pro');
    await cli.accounts.setAccountPlan(account.id, 'pro');
    await upgraded;
    const disabled = changed(() => m.directory.findById(record.id)?.settings.enabled === false);
    await cli.apps.updateApp(record.id, { settings: { ...record.settings, enabled: false } });
    await disabled;

    await m.close();
    // Proof that the next change was committed and visible: a watch of the test's own.
    let seen: () => void = () => undefined;
    const noticed = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error('the store watch did not fire'));
      }, 3000);
      seen = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    const stop = await store.watchChanges(() => {
      seen();
    });
    await cli.accounts.setAccountPlan(account.id, 'business');
    await noticed;
    stop();
    assert.equal(planOf(), 'pro', 'a closed management no longer follows the store');
  } finally {
    await cli.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
