// Issue 3 "Quotas", end to end on the real server in management mode (SQLite data directory, plans
// file, the official `pusher` SDK and raw WebSockets): account-wide connection and message quotas,
// the 80 % warning, the 00:00 UTC reset, plan changes by the operator (in-process, and through the
// CLI in another process) taking effect on the running server at once, and disabling an app.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config/config.js';
import type { App, PlanName } from '../../src/core/app.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import type { Management } from '../../src/management/management.js';
import type { AccountRecord } from '../../src/management/store.js';
import { startServer, type RunningServer } from '../../src/server/server.js';
import { DATABASE_URL, TestClock } from '../support/management-harness.js';
import { subscribeRaw } from '../support/raw-session.js';
import { signedRequest } from '../support/rest.js';
import { rawClient, serverSdk, type RawClient } from '../support/server.js';
import { runCli as mawjly } from '../support/cli.js';

/** The plans file lowers the daily message quotas so the boundaries are quick to reach. */
const FREE_MESSAGES = 20;
const PRO_MESSAGES = 20;
const FREE_CONNECTIONS = 100;

interface Account {
  readonly record: AccountRecord;
  readonly token: string;
}

describe('quotas in management mode', () => {
  let dataDir: string;
  let plansFile: string;
  let server: RunningServer;
  let management: Management;
  const clock = new TestClock();
  const sockets: RawClient[] = [];
  let counter = 0;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mawjly-quotas-'));
    plansFile = join(dataDir, 'plans.json');
    await writeFile(
      plansFile,
      JSON.stringify({
        free: { max_messages_per_day: FREE_MESSAGES },
        // Pro keeps client events, so their refusal past the quota can be shown.
        pro: { max_messages_per_day: PRO_MESSAGES },
      }),
    );
    const config = loadConfig({}, { port: 0, metricsPort: 0, host: '127.0.0.1', dataDir, plansFile });
    server = await startServer({ config, logger: silentLogger, clock });
    management = server.management!;
  });

  after(async () => {
    for (const socket of sockets) socket.close();
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  async function newAccount(plan: PlanName): Promise<Account> {
    counter += 1;
    const record = await management.accounts.create({ name: `quota-${counter}`, plan }, 'test');
    const { token } = await management.tokens.create(record.id, { name: 't' }, 'test');
    return { record, token };
  }

  async function newApp(account: Account): Promise<App> {
    const record = await management.apps.create(account.record, { name: `app ${counter}` }, 'test');
    const app = server.directory.findById(record.id);
    assert.ok(app, 'the new app is in the directory at once');
    return app;
  }

  /** The app as the server sees it now (plan and settings change under the same id). */
  function current(app: App): App {
    const found = server.directory.findById(app.id);
    assert.ok(found);
    return found;
  }

  async function api(account: Account, method: string, path: string, body?: unknown) {
    const res = await fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${account.token}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, json: text === '' ? undefined : JSON.parse(text) };
  }

  /** A raw socket that completed the handshake (resolves with it), tracked for closing. */
  async function connect(app: App): Promise<RawClient> {
    const client = rawClient(server, app.key);
    sockets.push(client);
    await client.socketId;
    return client;
  }

  /** A raw socket the server must refuse with `pusher:error` `code` and a close with the same code. */
  async function expectRefused(app: App, code: number): Promise<void> {
    const client = rawClient(server, app.key);
    sockets.push(client);
    const error = await client.next(
      (f) => f.event === 'pusher:error' || f.event === 'pusher:connection_established',
    );
    assert.equal(error.event, 'pusher:error', `expected a refusal, got ${JSON.stringify(error)}`);
    assert.equal((error.data as { code: number | null }).code, code);
    assert.equal((await client.closed).code, code);
  }

  /** A REST publish signed at the server's time (the SDK signs with the real time). */
  function publish(app: App, channel: string, data = '{}') {
    return signedRequest(server, current(app), {
      path: `/apps/${app.id}/events`,
      body: { name: 'tick', channels: [channel], data },
      timestamp: Math.floor(clock.now() / 1000),
    });
  }

  async function expectPublishRefused(app: App, code: string): Promise<void> {
    const res = await publish(app, 'refused');
    assert.equal(res.status, 403, res.text);
    assert.equal((res.json as { error: { code: string } }).error.code, code);
  }

  /** Alive and served: a `pusher:ping` still gets its `pusher:pong`. */
  async function assertAlive(client: RawClient): Promise<void> {
    assert.equal(client.ws.readyState, WebSocket.OPEN);
    const before = client.frames.length;
    client.send({ event: 'pusher:ping', data: {} });
    await client.next((f) => f.event === 'pusher:pong' && client.frames.indexOf(f) >= before);
  }

  /** A Free account with one app at both limits: 100 connections, the day's messages used. */
  async function accountAtLimits(): Promise<{ account: Account; app: App; first: RawClient }> {
    const account = await newAccount('free');
    const app = await newApp(account);
    const clients = await Promise.all(Array.from({ length: FREE_CONNECTIONS }, () => connect(app)));
    for (let i = 0; i < FREE_MESSAGES; i++) assert.equal((await publish(app, 'nobody-here')).status, 200);
    await expectRefused(app, 4004);
    await expectPublishRefused(app, 'message_quota_exceeded');
    return { account, app, first: clients[0]! };
  }

  test('the 101st connection of a Free account (60 on one app + 40 on another) gets 4004; the 100 stay', async () => {
    const account = await newAccount('free');
    const a = await newApp(account);
    const b = await newApp(account);
    const onA = await Promise.all(Array.from({ length: 60 }, () => connect(a)));
    const onB = await Promise.all(Array.from({ length: 40 }, () => connect(b)));
    assert.equal(server.engine.accountConnectionCount(account.record.id), FREE_CONNECTIONS);

    await expectRefused(a, 4004);
    await expectRefused(b, 4004);
    for (const client of [...onA, ...onB]) assert.equal(client.ws.readyState, WebSocket.OPEN);
    await assertAlive(onA[0]!);
    await assertAlive(onB[39]!);
    assert.equal(server.engine.accountConnectionCount(account.record.id), FREE_CONNECTIONS);

    // A freed slot is usable again: the limit counts live connections.
    const leaving = onB[0]!;
    leaving.close();
    await leaving.closed;
    const deadline = Date.now() + 2000;
    while (server.engine.accountConnectionCount(account.record.id) !== FREE_CONNECTIONS - 1) {
      assert.ok(Date.now() < deadline, 'the closed socket was never uncounted');
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await connect(a);
    await expectRefused(b, 4004);
  });

  test('messages count each API publish plus each delivery; past the quota publishes get 403, client events are refused; one 80 % warning', async () => {
    const account = await newAccount('free');
    const app = await newApp(account);
    const s1 = await connect(app);
    const s2 = await connect(app);
    await subscribeRaw(s1, app, 'quota-ch');
    await subscribeRaw(s2, app, 'quota-ch');
    const sdk = serverSdk(server, app);
    const warnings = async () =>
      (await management.store.auditLog.listAudit(account.record.id, { limit: 100 })).filter(
        (e) => e.action === 'usage.warning' && e.details.quota === 'messages_per_day',
      );
    const used = () => management.usage.messagesToday(account.record.id);

    // 1 (no subscriber) + 4 × (1 publish + 2 deliveries) = 13 < 16 (80 % of 20).
    await sdk.trigger('empty-ch', 'tick', {});
    assert.equal(used(), 1);
    for (let i = 0; i < 4; i++) await sdk.trigger('quota-ch', 'tick', { i });
    assert.equal(used(), 13);
    await management.usage.flush();
    assert.deepEqual(await warnings(), []);
    // 16: the flush that carries the account to 80 % writes the warning.
    await sdk.trigger('quota-ch', 'tick', { i: 4 });
    assert.equal(used(), 16);
    await management.usage.flush();
    const [warning, ...more] = await warnings();
    assert.deepEqual(more, []);
    assert.deepEqual(warning?.details, {
      quota: 'messages_per_day',
      day: new Date(clock.now()).toISOString().slice(0, 10),
      used: 16,
      limit: FREE_MESSAGES,
      percent: 80,
    });
    // 19 is still under the quota, so one more publish is accepted (and delivered): 22.
    await sdk.trigger('quota-ch', 'tick', { i: 5 });
    assert.equal(used(), 19);
    const delivered = s1.next((f) => f.event === 'tick' && f.data === JSON.stringify({ i: 6 }));
    await sdk.trigger('quota-ch', 'tick', { i: 6 });
    await delivered;
    assert.equal(used(), 22);
    await assert.rejects(
      sdk.trigger('quota-ch', 'tick', { i: 7 }),
      (error: { status?: number; body?: string }) => {
        assert.equal(error.status, 403);
        assert.match(error.body ?? '', /message_quota_exceeded/);
        return true;
      },
    );
    assert.equal(used(), 22, 'a refused publish counts nothing');
    assert.equal(
      s1.frames.some((f) => f.data === JSON.stringify({ i: 7 })),
      false,
    );
    const usage = await api(account, 'GET', '/usage');
    assert.equal(usage.json.messages, 22);
    assert.equal(usage.json.message_quota, FREE_MESSAGES);
    // Existing connections stay; the warning is not written twice.
    await assertAlive(s2);
    await management.usage.flush();
    assert.equal((await warnings()).length, 1);

    // Client events (Pro, which has them): 6 × (1 + 2) = 18, then two relayed events → 20.
    const pro = await newAccount('pro');
    const proApp = await newApp(pro);
    const c1 = await connect(proApp);
    const c2 = await connect(proApp);
    const c3 = await connect(proApp);
    for (const c of [c1, c2]) await subscribeRaw(c, proApp, 'private-chat');
    const proSdk = serverSdk(server, proApp);
    for (let i = 0; i < 6; i++) await proSdk.trigger('private-chat', 'tick', { i });
    assert.equal(management.usage.messagesToday(pro.record.id), 18);
    for (const n of [1, 2]) {
      c1.send({ event: 'client-typing', channel: 'private-chat', data: { n } });
      await c2.next((f) => f.event === 'client-typing' && JSON.stringify(f.data) === JSON.stringify({ n }));
    }
    assert.equal(management.usage.messagesToday(pro.record.id), 20);
    c1.send({ event: 'client-typing', channel: 'private-chat', data: { n: 3 } });
    const refused = await c1.next((f) => f.event === 'pusher:error');
    assert.match(JSON.stringify(refused.data), /daily message quota/);
    // Never relayed: c2's next frame is the pong of a ping sent after the refused event.
    const mark = c2.frames.length;
    c2.send({ event: 'pusher:ping', data: {} });
    await c2.next((f) => f.event === 'pusher:pong' && c2.frames.indexOf(f) >= mark);
    assert.deepEqual(
      c2.frames.slice(mark).map((f) => f.event),
      ['pusher:pong'],
    );
    assert.equal(management.usage.messagesToday(pro.record.id), 20);
    await expectPublishRefused(proApp, 'message_quota_exceeded');
    await assertAlive(c1);
    await assertAlive(c3);
  });

  test('an operator plan change on the running server lifts both limits at once; the account cannot change its own', async () => {
    const { account, app, first } = await accountAtLimits();
    const refused = await api(account, 'PATCH', '/account', { plan: 'startup' });
    assert.equal(refused.status, 403);
    assert.equal(refused.json.error.code, 'operator_only');
    await expectRefused(app, 4004);
    // The operator's path in-process (what `mawjly accounts set-plan` runs, through the same service).
    const upgraded = await management.accounts.setPlan(account.record.id, 'startup', 'cli');
    assert.equal(upgraded.plan, 'startup');
    assert.equal((await api(account, 'GET', '/account')).json.plan, 'startup');
    // No waiting: the very next connection and publish go through.
    await connect(app);
    assert.equal((await publish(app, 'after-upgrade')).status, 200);
    await assertAlive(first);

    // And back: downgrading re-applies both limits at once; existing connections stay.
    await management.accounts.setPlan(account.record.id, 'free', 'cli');
    await expectRefused(app, 4004);
    await expectPublishRefused(app, 'message_quota_exceeded');
    await assertAlive(first);
  });

  test('`mawjly accounts set-plan` in another process lifts both limits on the running server within 2 s', async () => {
    const { account, app, first } = await accountAtLimits();
    const applied = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error('the CLI plan change did not reach the running server'));
      }, 15_000);
      const stop = server.directory.onChange((appId, changed) => {
        if (appId === app.id && changed?.plan.name === 'startup') {
          clearTimeout(timer);
          stop();
          resolve(Date.now());
        }
      });
    });
    const cli = await mawjly(['accounts', 'set-plan', account.record.name, 'startup'], {
      MAWJLY_DATA_DIR: dataDir,
      MAWJLY_PLANS_FILE: plansFile,
    });
    assert.equal(cli.code, 0, cli.stderr);
    const exitedAt = Date.now();
    const appliedAt = await applied;
    assert.ok(appliedAt - exitedAt <= 2000, `took ${appliedAt - exitedAt} ms after the CLI exited`);
    await connect(app);
    assert.equal((await publish(app, 'after-cli')).status, 200);
    await assertAlive(first);
  });

  test('disabling an app: new connections 4003, existing ones closed with 4003, publishes 403; re-enabling works at once', async () => {
    const account = await newAccount('startup');
    const app = await newApp(account);
    const other = await newApp(account);
    const a = await connect(app);
    const b = await connect(app);
    const bystander = await connect(other);
    const sdk = serverSdk(server, app);
    await sdk.trigger('on', 'tick', {});

    const off = await api(account, 'PATCH', `/apps/${app.id}`, { settings: { enabled: false } });
    assert.equal(off.status, 200);
    assert.equal(off.json.settings.enabled, false);
    for (const client of [a, b]) {
      const error = await client.next((f) => f.event === 'pusher:error');
      assert.equal((error.data as { code: number | null }).code, 4003);
      assert.equal((await client.closed).code, 4003);
    }
    await expectRefused(app, 4003);
    await assert.rejects(sdk.trigger('on', 'tick', {}), (error: { status?: number; body?: string }) => {
      assert.equal(error.status, 403);
      assert.match(error.body ?? '', /app_disabled/);
      return true;
    });
    // The account's other app is untouched.
    await assertAlive(bystander);
    assert.equal((await serverSdk(server, other).trigger('on', 'tick', {})).status, 200);

    const on = await api(account, 'PATCH', `/apps/${app.id}`, { settings: { enabled: true } });
    assert.equal(on.status, 200);
    await connect(app);
    assert.equal((await sdk.trigger('on', 'tick', {})).status, 200);
  });
  // Last: it moves the server's clock hours ahead (the other tests' SDK signs with the real time).
  test('quotas reset at 00:00 UTC', async () => {
    const account = await newAccount('free');
    const app = await newApp(account);
    for (let i = 0; i < FREE_MESSAGES; i++) assert.equal((await publish(app, 'reset-ch')).status, 200);
    await expectPublishRefused(app, 'message_quota_exceeded');
    await management.usage.flush();

    // One second before midnight: still today.
    const day = 86_400_000;
    const midnight = Math.floor(clock.now() / day) * day + day;
    clock.advance(midnight - 1000 - clock.now());
    await expectPublishRefused(app, 'message_quota_exceeded');
    clock.advance(1000);
    const res = await publish(app, 'reset-ch');
    assert.equal(res.status, 200, res.text);
    assert.equal(management.usage.messagesToday(account.record.id), 1);
    const usage = await api(account, 'GET', '/usage');
    assert.equal(usage.json.day, new Date(midnight).toISOString().slice(0, 10));
    assert.equal(usage.json.messages, 1);
    await management.usage.flush();
    assert.equal(await management.store.usage.getUsage(account.record.id, usage.json.day as string), 1);
  });
});

describe('quotas on PostgreSQL: a CLI plan change reaches the running server through LISTEN/NOTIFY', () => {
  const schema = `t_${randomBytes(8).toString('hex')}`;
  let dataDir: string;
  let databaseUrl: string;
  let plansFile: string;
  let server: RunningServer;
  const sockets: RawClient[] = [];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'mawjly-quotas-pg-'));
    plansFile = join(dataDir, 'plans.json');
    await writeFile(plansFile, JSON.stringify({ free: { max_connections: 2, max_messages_per_day: 2 } }));
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.end();
    const url = new URL(DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema}`);
    databaseUrl = url.toString();
    const config = loadConfig(
      {},
      { port: 0, metricsPort: 0, host: '127.0.0.1', dataDir, databaseUrl, plansFile },
    );
    server = await startServer({ config, logger: silentLogger });
  });

  after(async () => {
    for (const socket of sockets) socket.close();
    await server.close();
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
    await rm(dataDir, { recursive: true, force: true });
  });

  test('both limits lift within 2 s of `mawjly accounts set-plan` exiting', async () => {
    const management = server.management!;
    const account = await management.accounts.create({ name: 'pg-quota', plan: 'free' }, 'test');
    const record = await management.apps.create(account, { name: 'pg app' }, 'test');
    const app = server.directory.findById(record.id)!;
    const open = async (): Promise<RawClient> => {
      const client = rawClient(server, app.key);
      sockets.push(client);
      await client.next((f) => f.event === 'pusher:connection_established' || f.event === 'pusher:error');
      return client;
    };
    const established = (c: RawClient) => c.frames.some((f) => f.event === 'pusher:connection_established');
    const first = await open();
    assert.ok(established(first));
    assert.ok(established(await open()));
    const refused = await open();
    assert.equal((refused.frames[0]?.data as { code: number }).code, 4004);
    const sdk = serverSdk(server, app);
    await sdk.trigger('c', 'e', {});
    await sdk.trigger('c', 'e', {});
    await assert.rejects(sdk.trigger('c', 'e', {}), (error: { status?: number }) => error.status === 403);

    const applied = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        stop();
        reject(new Error('the CLI plan change did not reach the running server'));
      }, 15_000);
      const stop = server.directory.onChange((appId, changed) => {
        if (appId === app.id && changed?.plan.name === 'startup') {
          clearTimeout(timer);
          stop();
          resolve(Date.now());
        }
      });
    });
    const cli = await mawjly(['accounts', 'set-plan', 'pg-quota', 'startup'], {
      DATABASE_URL: databaseUrl,
      MAWJLY_PLANS_FILE: plansFile,
      MAWJLY_DATA_DIR: dataDir,
    });
    assert.equal(cli.code, 0, cli.stderr);
    const exitedAt = Date.now();
    const appliedAt = await applied;
    assert.ok(appliedAt - exitedAt <= 2000, `took ${appliedAt - exitedAt} ms after the CLI exited`);
    assert.ok(established(await open()));
    assert.equal((await sdk.trigger('c', 'e', {})).status, 200);
    assert.equal(first.ws.readyState, WebSocket.OPEN);
  });
});
