// Two nodes over one PostgreSQL schema and one cluster bus: a change made through one node's
// management API takes effect on the other at once (announced over the bus), not after a resync.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { MemoryBusHub } from '../../src/adapters/memory-bus.js';
import { loadConfig } from '../../src/config/config.js';
import type { App } from '../../src/core/app.js';
import type { AppDirectory } from '../../src/core/ports/app-directory.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { DATABASE_URL } from '../support/management-harness.js';
import { serverSdk } from '../support/server.js';
import { managementRequest } from '../support/management-api.js';

/** Resolves once `predicate` holds for the app in `directory` (checked now and on every change). */
function until(
  directory: AppDirectory,
  appId: string,
  predicate: (app: App | undefined) => boolean,
): Promise<void> {
  if (predicate(directory.findById(appId))) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`app ${appId} did not reach the expected state on the other node`));
    }, 5000);
    const stop = directory.onChange((id) => {
      if (id === appId && predicate(directory.findById(appId))) {
        clearTimeout(timer);
        stop();
        resolve();
      }
    });
  });
}

describe('management changes across two nodes (PostgreSQL + cluster bus)', () => {
  const schema = `t_${randomBytes(8).toString('hex')}`;
  let dataDir: string;
  let a: RunningServer;
  let b: RunningServer;
  let token: string;

  const apiA = (method: string, path: string, body?: unknown) =>
    managementRequest(a.url, token, method, path, body);

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mawjly-cluster-'));
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
    const url = new URL(DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    const config = loadConfig(
      {},
      { port: 0, metricsPort: 0, host: '127.0.0.1', dataDir, databaseUrl: url.toString() },
    );
    const hub = new MemoryBusHub();
    a = await startServer({ config, logger: silentLogger, bus: hub.createBus(), nodeId: 'node-a' });
    b = await startServer({ config, logger: silentLogger, bus: hub.createBus(), nodeId: 'node-b' });
    const account = await a.management!.accounts.create({ name: 'clustered', plan: 'free' }, 'test');
    token = (await a.management!.tokens.create(account.id, { name: 't' }, 'test')).token;
  });
  after(async () => {
    await a.close();
    await b.close();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('create, rotate, re-plan and delete on node A are live on node B', async () => {
    const created = await apiA('POST', '/apps', { name: 'everywhere' });
    assert.equal(created.status, 201);
    const id = created.json.id as string;
    await until(b.directory, id, (app) => app !== undefined);
    const onB = b.directory.findById(id)!;
    await serverSdk(b, onB).trigger('orders', 'created', { n: 1 });

    const rotated = await apiA('POST', `/apps/${id}/rotate-secret`, {});
    await until(b.directory, id, (app) => app?.secrets[0] === rotated.json.secret);
    await assert.rejects(
      serverSdk(b, onB).trigger('orders', 'created', { n: 2 }),
      (e: { status?: number }) => {
        assert.equal(e.status, 401, 'the old secret stops working on node B at once');
        return true;
      },
    );
    await serverSdk(b, b.directory.findById(id)!).trigger('orders', 'created', { n: 3 });

    // Plan changes are the operator's: through node A's services, as `mawjly accounts set-plan` would.
    const accountId = a.directory.findById(id)!.accountId;
    await a.management!.accounts.setPlan(accountId, 'business', 'cli');
    await until(b.directory, id, (app) => app?.plan.name === 'business');

    assert.equal((await apiA('PATCH', `/apps/${id}`, { settings: { enabled: false } })).status, 200);
    await until(b.directory, id, (app) => app?.settings.enabled === false);

    assert.equal((await apiA('DELETE', `/apps/${id}`)).status, 204);
    await until(b.directory, id, (app) => app === undefined);
  });
});
