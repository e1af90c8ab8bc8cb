// Bus outages as an operator meets them: two `serve` nodes (in-process, configured with
// MAWJLY_CLUSTER_URL like any deployment) whose bus is cut for ~10 s by a TCP proxy in front of the
// real Redis or NATS, or whose own Redis is SIGKILLed and restarted on the same port. Official
// clients on both nodes join and leave a presence channel during the outage; afterwards every node
// must agree within 5 s of the bus returning, each change must reach every observer exactly once,
// nothing may come back as a ghost, /ready must say 503 (naming the bus) during the outage and 200
// after, and each node must log exactly one line when it loses the bus and one when it gets it back.
// Events published across nodes meanwhile are lost (at-most-once): they are counted and reported.
//
// The three scenarios run concurrently to keep the suite short. MAWJLY_TEST_OUTAGE_MS (default
// 10000) sets the outage, MAWJLY_TEST_GHOST_WAIT_MS (default 6000, longer than a heartbeat) how long
// after convergence the absence of ghosts is checked again, MAWJLY_TEST_CONVERGE_MS (default 5000)
// how soon after the bus returns the nodes must agree.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import type { Logger } from '../../src/core/ports/logger.js';
import { startServeProcess } from '../support/child-process.js';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.js';
import { scrape } from '../support/metrics.js';
import type { PusherJS } from '../support/pusher-js.js';
import {
  clientSdk,
  makeApp,
  once,
  serverSdk,
  startTestServer,
  waitForState,
  type TestServer,
} from '../support/server.js';
import { waitUntil } from '../support/wait.js';
import { freePort } from '../support/ports.js';

const OUTAGE_MS = Number(process.env.MAWJLY_TEST_OUTAGE_MS ?? 10_000);
const GHOST_WAIT_MS = Number(process.env.MAWJLY_TEST_GHOST_WAIT_MS ?? 6_000);
const CONVERGE_MS = Number(process.env.MAWJLY_TEST_CONVERGE_MS ?? 5_000);
const REDIS_PORT = Number(/:(\d+)/.exec(process.env.REDIS_URL ?? '')?.[1] ?? 6379);
const NATS_PORT = Number(/:(\d+)/.exec(process.env.NATS_URL ?? '')?.[1] ?? 4222);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A Logger that keeps the message of every line at warn and above, plus info. */
function keepLines(lines: string[]): Logger {
  const log = (_fields: object, message: string): void => {
    lines.push(message);
  };
  const logger: Logger = { debug: () => undefined, info: log, warn: log, error: log, child: () => logger };
  return logger;
}

/** An outage the scenario can start and end, and what it tears down afterwards. */
interface Bus {
  readonly url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

async function proxied(scheme: 'redis' | 'nats', port: number): Promise<Bus> {
  const proxy: FaultProxy = await startFaultProxy(port);
  return {
    url: `${scheme}://${proxy.address}`,
    cut: () => {
      proxy.setMode('cut');
      return Promise.resolve();
    },
    restore: () => {
      proxy.setMode('pass');
      return Promise.resolve();
    },
    close: () => proxy.close(),
  };
}

/** This test's own redis-server (never the machine's), killed with SIGKILL and started again. */
async function ownRedis(): Promise<Bus> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'mawjly-redis-'));
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const proc = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    child = proc;
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`redis-server did not start: ${out}`));
      }, 10_000);
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${String(code)}): ${out}`));
      });
    });
  };
  const kill = async (): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    url: `redis://127.0.0.1:${String(port)}`,
    cut: kill,
    restore: start,
    close: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

interface Observed {
  added: string[];
  removed: string[];
}

async function readyOf(server: TestServer): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${server.url}/ready`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

async function usersOf(server: TestServer): Promise<string[]> {
  const response = await serverSdk(server, server.app).get({ path: '/channels/presence-room/users' });
  const body = (await response.json()) as { users: { id: string }[] };
  return body.users.map((u) => u.id).sort();
}

async function scenario(t: TestContext, makeBus: () => Promise<Bus>): Promise<void> {
  const bus = await makeBus();
  const app = makeApp();
  const prefix = `o${randomBytes(6).toString('hex')}`;
  const lines: [string[], string[]] = [[], []];
  const clients: PusherJS[] = [];
  const servers: TestServer[] = [];
  let publishing = true;
  try {
    for (const i of [0, 1]) {
      servers.push(
        await startTestServer({
          apps: [app],
          config: { clusterUrl: bus.url, clusterPrefix: prefix },
          logger: keepLines(lines[i] ?? []),
          nodeId: `n${String(i + 1)}`,
        }),
      );
    }
    const [n1, n2] = servers as [TestServer, TestServer];
    const join = async (server: TestServer, userId: string): Promise<PusherJS> => {
      const client = clientSdk(server, app, { userId });
      clients.push(client);
      await waitForState(client, 'connected');
      await once(client.subscribe('presence-room'), 'pusher:subscription_succeeded');
      return client;
    };
    const observe = (client: PusherJS): Observed => {
      const seen: Observed = { added: [], removed: [] };
      const channel = client.channel('presence-room');
      channel.bind('pusher:member_added', (m: { id: string }) => seen.added.push(m.id));
      channel.bind('pusher:member_removed', (m: { id: string }) => seen.removed.push(m.id));
      return seen;
    };

    // Observers on each node, then two members (one per node) who will leave during the outage.
    const alice = await join(n1, 'alice');
    await waitUntil(async () => (await usersOf(n2)).includes('alice'), 'n2 knows alice', 5000);
    const bob = await join(n2, 'bob');
    await waitUntil(
      () => (alice.channel('presence-room') as unknown as { members: { count: number } }).members.count === 2,
      'alice saw bob join',
      5000,
    );
    const seen = [observe(alice), observe(bob)] as const;
    const leaverA = await join(n1, 'leaves-n1');
    const leaverB = await join(n2, 'leaves-n2');
    await waitUntil(
      () => seen.every((s) => s.added.length === 2),
      'both observers saw both leavers join',
      5000,
    );

    // Cross-node events: published on n1 every 50 ms, received on n2.
    const feed = clientSdk(n2, app);
    clients.push(feed);
    await waitForState(feed, 'connected');
    const feedChannel = feed.subscribe('feed');
    await once(feedChannel, 'pusher:subscription_succeeded');
    const received = new Set<number>();
    feedChannel.bind('tick', (d: { seq: number }) => received.add(d.seq));
    const sent: { seq: number; at: number; n1: string; n2: string }[] = [];
    const failed: string[] = [];
    const publisher = (async () => {
      const sdk = serverSdk(n1, app);
      for (let seq = 0; publishing; seq++) {
        const at = Date.now();
        const state = { n1: n1.cluster.health().state, n2: n2.cluster.health().state };
        try {
          await sdk.trigger('feed', 'tick', { seq });
          sent.push({ seq, at, ...state });
        } catch (error) {
          // Not a bus matter (the REST call itself failed on a loaded machine): not an event sent.
          failed.push(String((error as { error?: unknown }).error ?? error));
        }
        await sleep(50);
      }
    })();
    await sleep(500);

    // The outage: members join and leave on both sides while the nodes cannot talk.
    await bus.cut();
    const cutAt = Date.now();
    // Changes first (in parallel: on a loaded machine every step is slow, and the outage must stay
    // shorter than the 15 s node timeout), then what the operator sees.
    leaverA.disconnect();
    leaverB.disconnect();
    await Promise.all([join(n1, 'joins-n1'), join(n2, 'joins-n2')]);
    await waitUntil(
      () => seen[0].removed.includes('leaves-n1') && seen[1].removed.includes('leaves-n2'),
      'each node saw its own leaver go',
      5000,
    );
    await Promise.all(
      servers.map(async (server) => {
        await waitUntil(async () => (await readyOf(server)).status === 503, 'ready says 503', 5000);
        const ready = await readyOf(server);
        assert.deepEqual(ready.body.failing, ['bus']);
        assert.equal((ready.body.checks as { bus: { state: string } }).bus.state, 'reconnecting');
      }),
    );
    const busGauge = async (server: TestServer): Promise<number | undefined> =>
      (await scrape(server)).find((m) => m.name === 'mawjly_cluster_bus_connected')?.value;
    assert.equal(await busGauge(n1), 0, 'the bus gauge says down');
    const elapsed = Date.now() - cutAt;
    assert.ok(elapsed < 14_000, `the machine is too slow: the outage steps took ${String(elapsed)} ms`);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - cutAt)));

    await bus.restore();
    const restoredAt = Date.now();
    const expected = ['alice', 'bob', 'joins-n1', 'joins-n2'];
    await waitUntil(
      async () =>
        (await usersOf(n1)).join() === expected.join() &&
        (await usersOf(n2)).join() === expected.join() &&
        seen.every((s) => s.added.length === 4 && s.removed.length === 2),
      'both nodes and both observers agree on the members',
      CONVERGE_MS,
    ).catch(async (error: unknown) => {
      throw new Error(
        `${String(error)}: n1 ${(await usersOf(n1)).join()}, n2 ${(await usersOf(n2)).join()}, ` +
          `observers ${JSON.stringify(seen)}, health ${JSON.stringify(servers.map((s) => s.cluster.health()))}`,
      );
    });
    const convergedMs = Date.now() - restoredAt;
    for (const server of servers) assert.equal((await readyOf(server)).status, 200);
    assert.equal(await busGauge(n1), 1, 'the bus gauge says up');
    const outages = (await scrape(n2)).find((m) => m.name === 'mawjly_cluster_bus_outages_total');
    assert.equal(outages?.value, 1);
    await sleep(1000);
    publishing = false;
    await publisher;
    // Let the last ticks arrive.
    await sleep(300);

    // No ghost, no second event, a while later.
    await sleep(GHOST_WAIT_MS);
    for (const server of servers) assert.deepEqual(await usersOf(server), expected);
    for (const s of seen) {
      assert.deepEqual([...s.added].sort(), ['joins-n1', 'joins-n2', 'leaves-n1', 'leaves-n2']);
      assert.deepEqual([...s.removed].sort(), ['leaves-n1', 'leaves-n2']);
    }

    // One line on loss, one on recovery, per node.
    for (const nodeLines of lines) {
      const bus = nodeLines.filter((l) => l.startsWith('cluster bus'));
      assert.equal(bus.length, 2, JSON.stringify(bus));
      assert.match(bus[0] ?? '', /^cluster bus lost/);
      assert.match(bus[1] ?? '', /^cluster bus back/);
    }

    const lostPublishes = n1.cluster.health().lostPublishes;
    const metric = (await scrape(n1)).find((s) => s.name === 'mawjly_cluster_publishes_lost_total');
    assert.equal(metric?.value, lostPublishes, 'the metric reports the adapter’s count');
    assert.ok(lostPublishes > 0, 'publishes during the outage are counted as lost');
    const missed = sent.filter((s) => !received.has(s.seq));
    // Lost before n1 noticed the cut: written to a connection that was already gone.
    const inFlight = missed.filter((s) => s.at < restoredAt && s.n1 === 'connected').length;
    const lastMissed = Math.max(...missed.map((s) => s.at));
    t.diagnostic(
      `converged ${String(convergedMs)} ms after the bus returned (outage ${String(OUTAGE_MS)} ms); ` +
        `cross-node events: ${String(sent.length)} sent every 50 ms, ${String(missed.length)} not received, ` +
        `${String(lostPublishes)} counted as lost by the publishing node, ${String(inFlight)} in flight at the cut, ` +
        `${String(failed.length)} REST calls failed${failed.length > 0 ? ` (${failed[0] ?? ''})` : ''}; ` +
        `last loss ${String(lastMissed - restoredAt)} ms after the bus returned`,
    );
    // The count is the truth, give or take what was in flight when the connection died (uncounted)
    // and a few events sent just after recovery to a peer that was subscribed before it was heard
    // from again (counted, yet delivered): it errs high, never silently low.
    assert.ok(
      missed.length - lostPublishes <= 3 && lostPublishes - missed.length <= Math.max(10, missed.length / 10),
      `${String(missed.length)} lost, ${String(lostPublishes)} counted`,
    );
    // Once both nodes are back and subscribed, nothing more is lost.
    const afterRecovery = sent.filter((s) => s.at > lastMissed);
    assert.ok(afterRecovery.length > 0, 'events published after the last loss all arrived');
  } finally {
    publishing = false;
    for (const client of clients) client.disconnect();
    await Promise.all(servers.map((s) => s.close()));
    await bus.close();
  }
}

/** `mawjly serve` as a process on `clusterUrl`; its stderr is the operator's log. */
async function serveProcess(
  clusterUrl: string,
  env: Record<string, string>,
): Promise<{ url: string; stderr: () => string; stop(): Promise<void> }> {
  return startServeProcess({
    env: {
      MAWJLY_CLUSTER_URL: clusterUrl,
      MAWJLY_CLUSTER_PREFIX: `p${randomBytes(6).toString('hex')}`,
      LOG_LEVEL: 'info',
      ...env,
    },
    timeoutMs: 60_000,
  });
}

/** The JSON log lines (pino) of a process's stderr, and anything else it printed. */
function logOf(stderr: string): { messages: { level: number; msg: string }[]; other: string[] } {
  const messages: { level: number; msg: string }[] = [];
  const other: string[] = [];
  for (const line of stderr.split('\n')) {
    if (line.trim() === '') continue;
    try {
      messages.push(JSON.parse(line) as { level: number; msg: string });
    } catch {
      other.push(line);
    }
  }
  return { messages, other };
}

async function processScenario(scheme: 'redis' | 'nats', port: number): Promise<void> {
  const bus = await proxied(scheme, port);
  const node = await serveProcess(bus.url, { MAWJLY_READY_REQUIRES_BUS: 'false' });
  try {
    const ready = async (): Promise<{
      status: number;
      body: { status: string; checks: { bus: { state: string } } };
    }> => {
      const response = await fetch(`${node.url}/ready`, { signal: AbortSignal.timeout(5000) });
      return {
        status: response.status,
        body: (await response.json()) as { status: string; checks: { bus: { state: string } } },
      };
    };
    assert.equal((await ready()).body.checks.bus.state, 'connected');
    await bus.cut();
    await waitUntil(
      async () => (await ready()).body.checks.bus.state === 'reconnecting',
      'the bus is lost',
      5000,
    );
    const during = await ready();
    assert.equal(during.status, 200, 'MAWJLY_READY_REQUIRES_BUS=false keeps the node ready');
    assert.equal(during.body.status, 'degraded');
    await sleep(3000);
    await bus.restore();
    await waitUntil(
      async () => (await ready()).body.checks.bus.state === 'connected',
      'the bus is back',
      10_000,
    );
    assert.equal((await ready()).body.status, 'ok');
    const log = logOf(node.stderr());
    assert.deepEqual(log.other, [], 'nothing but the project’s JSON log lines on stderr');
    const busLines = log.messages.filter((m) => m.msg.startsWith('cluster bus'));
    assert.deepEqual(
      busLines.map((m) => [m.level, m.msg.split(':')[0]]),
      [
        [40, 'cluster bus lost'],
        [30, 'cluster bus back'],
      ],
    );
  } finally {
    await node.stop();
    await bus.close();
  }
}

/** A node SIGKILLed: no bye, so the others drop its members once it has been silent too long. */
async function killedNode(t: TestContext): Promise<void> {
  const app = makeApp();
  const prefix = `k${randomBytes(6).toString('hex')}`;
  const redisUrl = `redis://127.0.0.1:${String(REDIS_PORT)}`;
  const dir = mkdtempSync(join(tmpdir(), 'mawjly-apps-'));
  const appsFile = join(dir, 'apps.json');
  writeFileSync(
    appsFile,
    JSON.stringify([{ id: app.id, key: app.key, secret: app.secrets[0], plan: 'startup' }]),
  );
  const clients: PusherJS[] = [];
  const survivor = await startTestServer({
    apps: [app],
    config: { clusterUrl: redisUrl, clusterPrefix: prefix },
  });
  const doomed = await serveProcess(redisUrl, { MAWJLY_CLUSTER_PREFIX: prefix, MAWJLY_APPS_FILE: appsFile });
  try {
    const port = Number(/:(\d+)$/.exec(doomed.url)?.[1]);
    const doomedServer = { host: '127.0.0.1', port, tls: false } as unknown as TestServer;
    const observer = clientSdk(survivor, app, { userId: 'observer' });
    const victim = clientSdk(doomedServer, app, { userId: 'victim' });
    clients.push(observer, victim);
    await Promise.all([waitForState(observer, 'connected'), waitForState(victim, 'connected')]);
    const room = observer.subscribe('presence-room');
    await once(room, 'pusher:subscription_succeeded');
    const added = once<{ id: string }>(room, 'pusher:member_added', 10_000);
    await once(victim.subscribe('presence-room'), 'pusher:subscription_succeeded');
    assert.equal((await added).id, 'victim');

    const removed = once<{ id: string }>(room, 'pusher:member_removed', 30_000);
    await doomed.stop();
    const killedAt = Date.now();
    victim.disconnect();
    assert.equal((await removed).id, 'victim');
    const tookMs = Date.now() - killedAt;
    assert.deepEqual(await usersOf(survivor), ['observer']);
    t.diagnostic(
      `a SIGKILLed node's member was removed on the other node ${String(tookMs)} ms after the kill`,
    );
    assert.ok(tookMs < 25_000, `removed after ${String(tookMs)} ms`);
  } finally {
    for (const client of clients) client.disconnect();
    await doomed.stop();
    await survivor.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('cluster bus outages', { concurrency: 6 }, () => {
  test(`Redis cut for ${String(OUTAGE_MS)} ms: presence converges both ways, ready 503 then 200`, (t) =>
    scenario(t, () => proxied('redis', REDIS_PORT)));
  test(`NATS cut for ${String(OUTAGE_MS)} ms: presence converges both ways, ready 503 then 200`, (t) =>
    scenario(t, () => proxied('nats', NATS_PORT)));
  test(`Redis SIGKILLed and restarted after ${String(OUTAGE_MS)} ms: presence converges both ways`, (t) =>
    scenario(t, ownRedis));
  test('a serve process on Redis logs one line on loss and one on recovery, nothing raw; ready stays 200 if configured', () =>
    processScenario('redis', REDIS_PORT));
  test('a serve process on NATS logs one line on loss and one on recovery, nothing raw; ready stays 200 if configured', () =>
    processScenario('nats', NATS_PORT));
  test('a node SIGKILLed: its presence members are removed on the other node after the node timeout', (t) =>
    killedNode(t));
});
