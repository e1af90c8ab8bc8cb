// The real ClusterAdapter on several nodes over one in-process bus. The AdapterEvents object stands
// in for each node's engine and records what the adapter reports to it.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { AdapterEvents } from '../core/ports/adapter.js';
import type { ClusterBus } from '../core/ports/cluster-bus.js';
import type { Logger } from '../core/ports/logger.js';
import { ClusterAdapter, type ClusterAdapterOptions } from './cluster-adapter.js';
import { CLUSTER_PROTOCOL_VERSION } from './cluster-messages.js';
import { MemoryBusHub, type MemoryBus } from './memory-bus.js';

type Recorded =
  | { type: 'deliver'; app: string; channel: string; text: string; except: string | undefined }
  | { type: 'count'; app: string; channel: string; total: number }
  | { type: 'added'; app: string; channel: string; user: string; info: string | undefined; local: boolean }
  | { type: 'removed'; app: string; channel: string; user: string; local: boolean }
  | { type: 'presence'; app: string; user: string; online: boolean }
  | { type: 'terminate'; app: string; user: string }
  | { type: 'appChanged'; app: string };

interface Node {
  readonly adapter: ClusterAdapter;
  readonly bus: ClusterBus;
  readonly events: Recorded[];
  of<T extends Recorded['type']>(type: T): Extract<Recorded, { type: T }>[];
}

function recorder(events: Recorded[]): AdapterEvents {
  return {
    deliver: (app, channel, text, except) => events.push({ type: 'deliver', app, channel, text, except }),
    subscriptionCountChanged: (app, channel, total) => events.push({ type: 'count', app, channel, total }),
    memberAdded: (app, channel, user, info, local) =>
      events.push({ type: 'added', app, channel, user, info, local }),
    memberRemoved: (app, channel, user, local) => events.push({ type: 'removed', app, channel, user, local }),
    userPresenceChanged: (app, user, online) => events.push({ type: 'presence', app, user, online }),
    terminateUser: (app, user) => events.push({ type: 'terminate', app, user }),
    appChanged: (app) => events.push({ type: 'appChanged', app }),
  };
}

const started: ClusterAdapter[] = [];

async function startNode(
  hub: MemoryBusHub,
  nodeId: string,
  options: Partial<ClusterAdapterOptions> = {},
): Promise<Node> {
  const bus = options.bus ?? hub.createBus();
  const adapter = new ClusterAdapter({ bus, nodeId, counterFlushMs: 10, ...options });
  const events: Recorded[] = [];
  await adapter.start(recorder(events));
  started.push(adapter);
  return {
    adapter,
    bus,
    events,
    of: <T extends Recorded['type']>(type: T) =>
      events.filter((e): e is Extract<Recorded, { type: T }> => e.type === type),
  };
}

async function startCluster(count: number, options: Partial<ClusterAdapterOptions> = {}): Promise<Node[]> {
  const hub = new MemoryBusHub();
  const nodes: Node[] = [];
  for (let i = 1; i <= count; i++) nodes.push(await startNode(hub, `n${i}`, options));
  await settle();
  return nodes;
}

/** A real memory bus whose outgoing messages can be cut off, as in a one-way network partition. */
class PartitionableBus implements ClusterBus {
  muted = false;
  readonly #inner: MemoryBus;

  constructor(inner: MemoryBus) {
    this.#inner = inner;
  }

  publish(message: string): void {
    if (!this.muted) this.#inner.publish(message);
  }

  subscribe(handler: (message: string) => void): Promise<void> {
    return this.#inner.subscribe(handler);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

/**
 * A real memory bus that can lose the network both ways. `down()`/`up()` are an outage the bus
 * notices (it reports the connection change, as Redis and NATS do); `silent` loses messages without
 * noticing (a reconnect race, a black hole).
 */
class FlakyBus implements ClusterBus {
  readonly kind = 'flaky';
  silent = false;
  #down = false;
  #listener: ((connected: boolean, detail: string | undefined) => void) | undefined;
  readonly #inner: MemoryBus;

  constructor(inner: MemoryBus) {
    this.#inner = inner;
  }

  publish(message: string): void {
    if (!this.#down && !this.silent) this.#inner.publish(message);
  }

  subscribe(handler: (message: string) => void): Promise<void> {
    return this.#inner.subscribe((message) => {
      if (!this.#down && !this.silent) handler(message);
    });
  }

  onConnectionChange(listener: (connected: boolean, detail: string | undefined) => void): void {
    this.#listener = listener;
  }

  down(): void {
    this.#down = true;
    this.#listener?.(false, 'test outage');
  }

  up(): void {
    this.#down = false;
    this.#listener?.(true, undefined);
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

/** A Logger that keeps every line. */
function lineLogger(lines: { level: string; message: string; fields: object }[]): Logger {
  const log =
    (level: string) =>
    (fields: object, message: string): void => {
      lines.push({ level, message, fields });
    };
  const logger: Logger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: () => logger,
  };
  return logger;
}

/** The memory bus delivers in microtasks: one macrotask turn drains every chain of replies. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Bounded poll for facts that depend on timers (counter flush, heartbeat expiry). */
async function waitUntil(check: () => boolean, what: string, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((adapter) => adapter.close()));
});

describe('ClusterAdapter over a MemoryBusHub', () => {
  test('publish reaches every other node once, with the excluded socket id, never the sender', async () => {
    const [a, b, c] = await startCluster(3);
    a!.adapter.publish('app1', 'ch', '{"event":"e"}', '1.2');
    a!.adapter.publish('app1', 'ch', '{"event":"f"}', undefined);
    await settle();
    assert.deepEqual(a!.of('deliver'), []);
    for (const node of [b!, c!]) {
      assert.deepEqual(node.of('deliver'), [
        { type: 'deliver', app: 'app1', channel: 'ch', text: '{"event":"e"}', except: '1.2' },
        { type: 'deliver', app: 'app1', channel: 'ch', text: '{"event":"f"}', except: undefined },
      ]);
    }
  });

  test('subscription counts are summed over nodes and reported on every node', async () => {
    const [a, b, c] = await startCluster(3);
    a!.adapter.setLocalSubscriptions('app1', 'ch', 2);
    await settle();
    b!.adapter.setLocalSubscriptions('app1', 'ch', 3);
    await settle();
    for (const node of [a!, b!, c!]) {
      assert.equal(node.adapter.subscriptionCount('app1', 'ch'), 5, node.adapter.nodeId);
      assert.deepEqual([...node.adapter.channels('app1')], [['ch', 5]]);
      assert.deepEqual(
        node.of('count').map((e) => e.total),
        [2, 5],
        node.adapter.nodeId,
      );
    }
    a!.adapter.setLocalSubscriptions('app1', 'ch', 0);
    await settle();
    b!.adapter.setLocalSubscriptions('app1', 'ch', 0);
    await settle();
    for (const node of [a!, b!, c!]) {
      assert.equal(node.adapter.subscriptionCount('app1', 'ch'), 0);
      assert.deepEqual([...node.adapter.channels('app1')], []);
      assert.deepEqual(
        node.of('count').map((e) => e.total),
        [2, 5, 3, 0],
      );
    }
    assert.equal(c!.adapter.subscriptionCount('other-app', 'ch'), 0);
  });

  test('presence: memberAdded once per node on the first socket anywhere, local only on the origin', async () => {
    const [a, b, c] = await startCluster(3);
    a!.adapter.setLocalMember('app1', 'presence-x', 'u1', 1, '{"name":"A"}');
    await settle();
    // More sockets of the same user, on the same node and on another one: no new member.
    a!.adapter.setLocalMember('app1', 'presence-x', 'u1', 2, '{"name":"A"}');
    b!.adapter.setLocalMember('app1', 'presence-x', 'u1', 1, '{"name":"A"}');
    await settle();
    for (const node of [a!, b!, c!]) {
      assert.deepEqual(node.of('added'), [
        {
          type: 'added',
          app: 'app1',
          channel: 'presence-x',
          user: 'u1',
          info: '{"name":"A"}',
          local: node === a,
        },
      ]);
      assert.deepEqual([...node.adapter.members('app1', 'presence-x')], [['u1', '{"name":"A"}']]);
      assert.equal(node.adapter.memberCount('app1', 'presence-x'), 1);
    }

    // Leaving from node a (both sockets) keeps the member: its socket on b remains.
    a!.adapter.setLocalMember('app1', 'presence-x', 'u1', 1, undefined);
    a!.adapter.setLocalMember('app1', 'presence-x', 'u1', 0, undefined);
    await settle();
    for (const node of [a!, b!, c!]) {
      assert.deepEqual(node.of('removed'), []);
      assert.equal(node.adapter.memberCount('app1', 'presence-x'), 1);
    }

    b!.adapter.setLocalMember('app1', 'presence-x', 'u1', 0, undefined);
    await settle();
    for (const node of [a!, b!, c!]) {
      assert.deepEqual(node.of('removed'), [
        { type: 'removed', app: 'app1', channel: 'presence-x', user: 'u1', local: node === b },
      ]);
      assert.equal(node.adapter.memberCount('app1', 'presence-x'), 0);
      assert.deepEqual([...node.adapter.members('app1', 'presence-x')], []);
    }
  });

  test('presence: distinct users from different nodes are all members everywhere', async () => {
    const [a, b] = await startCluster(2);
    a!.adapter.setLocalMember('app1', 'presence-x', 'u1', 1, '{"n":1}');
    b!.adapter.setLocalMember('app1', 'presence-x', 'u2', 1, undefined);
    await settle();
    for (const node of [a!, b!]) {
      assert.deepEqual(
        new Map(node.adapter.members('app1', 'presence-x')),
        new Map([
          ['u1', '{"n":1}'],
          ['u2', undefined],
        ]),
      );
      assert.equal(node.adapter.memberCount('app1', 'presence-x'), 2);
      assert.equal(node.of('added').length, 2);
    }
  });

  test('users go online with the first connection anywhere and offline with the last', async () => {
    const [a, b, c] = await startCluster(3);
    a!.adapter.setLocalUserConnections('app1', 'u1', 1);
    await settle();
    b!.adapter.setLocalUserConnections('app1', 'u1', 1);
    a!.adapter.setLocalUserConnections('app1', 'u1', 2);
    await settle();
    for (const node of [a!, b!, c!]) {
      assert.equal(node.adapter.isUserOnline('app1', 'u1'), true);
      assert.deepEqual(node.of('presence'), [{ type: 'presence', app: 'app1', user: 'u1', online: true }]);
    }
    a!.adapter.setLocalUserConnections('app1', 'u1', 0);
    await settle();
    for (const node of [a!, b!, c!]) assert.equal(node.adapter.isUserOnline('app1', 'u1'), true);
    b!.adapter.setLocalUserConnections('app1', 'u1', 0);
    await settle();
    for (const node of [a!, b!, c!]) {
      assert.equal(node.adapter.isUserOnline('app1', 'u1'), false);
      assert.deepEqual(
        node.of('presence').map((e) => e.online),
        [true, false],
      );
    }
    assert.equal(a!.adapter.isUserOnline('app1', 'nobody'), false);
  });

  test('counters: local totals at once, other nodes after the flush interval', async () => {
    const [a, b, c] = await startCluster(3);
    a!.adapter.addToCounter('conn:acct', 3);
    a!.adapter.addToCounter('conn:acct', -1);
    b!.adapter.addToCounter('conn:acct', 5);
    assert.equal(a!.adapter.counterTotal('conn:acct'), 2);
    assert.equal(b!.adapter.counterTotal('conn:acct'), 5);
    for (const node of [a!, b!, c!]) {
      await waitUntil(() => node.adapter.counterTotal('conn:acct') === 7, `${node.adapter.nodeId} sees 7`);
    }
    b!.adapter.addToCounter('conn:acct', -5);
    for (const node of [a!, b!, c!]) {
      await waitUntil(() => node.adapter.counterTotal('conn:acct') === 2, `${node.adapter.nodeId} sees 2`);
    }
    assert.equal(c!.adapter.counterTotal('unknown'), 0);
  });

  test('terminateUser and notifyAppChanged reach every node, the sender included, once', async () => {
    const [a, b, c] = await startCluster(3);
    b!.adapter.terminateUser('app1', 'u1');
    b!.adapter.notifyAppChanged('app2');
    await settle();
    for (const node of [a!, b!, c!]) {
      assert.deepEqual(node.of('terminate'), [{ type: 'terminate', app: 'app1', user: 'u1' }]);
      assert.deepEqual(node.of('appChanged'), [{ type: 'appChanged', app: 'app2' }]);
    }
  });

  test('a late-joining node gets snapshots (hello → snap) of members, counts, users and counters', async () => {
    const hub = new MemoryBusHub();
    const a = await startNode(hub, 'n1');
    const b = await startNode(hub, 'n2');
    await settle();
    a.adapter.setLocalSubscriptions('app1', 'presence-x', 2);
    a.adapter.setLocalMember('app1', 'presence-x', 'u1', 2, '{"name":"A"}');
    b.adapter.setLocalSubscriptions('app1', 'presence-x', 1);
    b.adapter.setLocalMember('app1', 'presence-x', 'u2', 1, '{"name":"B"}');
    b.adapter.setLocalSubscriptions('app1', 'public', 4);
    a.adapter.setLocalUserConnections('app1', 'u1', 1);
    a.adapter.addToCounter('conn:acct', 3);
    b.adapter.addToCounter('conn:acct', 1);
    await waitUntil(() => a.adapter.counterTotal('conn:acct') === 4, 'the counters are flushed');

    const late = await startNode(hub, 'n3');
    await settle();
    assert.equal(late.adapter.subscriptionCount('app1', 'presence-x'), 3);
    assert.deepEqual(
      new Map(late.adapter.channels('app1')),
      new Map([
        ['presence-x', 3],
        ['public', 4],
      ]),
    );
    assert.deepEqual(
      new Map(late.adapter.members('app1', 'presence-x')),
      new Map([
        ['u1', '{"name":"A"}'],
        ['u2', '{"name":"B"}'],
      ]),
    );
    assert.equal(late.adapter.memberCount('app1', 'presence-x'), 2);
    assert.equal(late.adapter.isUserOnline('app1', 'u1'), true);
    assert.equal(late.adapter.counterTotal('conn:acct'), 4);
    assert.ok(late.of('added').every((e) => !e.local));

    // The late node's own changes then add up on the old nodes.
    late.adapter.setLocalSubscriptions('app1', 'public', 1);
    await settle();
    assert.equal(a.adapter.subscriptionCount('app1', 'public'), 5);
    assert.equal(b.adapter.subscriptionCount('app1', 'public'), 5);
  });

  test('close() says bye: the others drop its members, counts, users and counters', async () => {
    const [a, b, c] = await startCluster(3);
    a!.adapter.setLocalSubscriptions('app1', 'presence-x', 1);
    a!.adapter.setLocalMember('app1', 'presence-x', 'u1', 1, undefined);
    a!.adapter.setLocalSubscriptions('app1', 'public', 2);
    a!.adapter.setLocalUserConnections('app1', 'u1', 1);
    a!.adapter.addToCounter('conn:acct', 2);
    b!.adapter.setLocalSubscriptions('app1', 'public', 1);
    b!.adapter.setLocalMember('app1', 'presence-x', 'u2', 1, undefined);
    b!.adapter.addToCounter('conn:acct', 1);
    await waitUntil(() => c!.adapter.counterTotal('conn:acct') === 3, 'the counters are flushed');

    await a!.adapter.close();
    await settle();
    for (const node of [b!, c!]) {
      assert.deepEqual(node.of('removed'), [
        { type: 'removed', app: 'app1', channel: 'presence-x', user: 'u1', local: false },
      ]);
      assert.deepEqual(
        [...node.adapter.members('app1', 'presence-x')].map(([id]) => id),
        ['u2'],
      );
      assert.equal(node.adapter.subscriptionCount('app1', 'presence-x'), 0);
      assert.equal(node.adapter.subscriptionCount('app1', 'public'), 1);
      assert.equal(node.adapter.isUserOnline('app1', 'u1'), false);
      assert.equal(node.adapter.counterTotal('conn:acct'), 1);
    }
    // A closed adapter sends nothing more.
    a!.adapter.publish('app1', 'public', 'late', undefined);
    await settle();
    assert.deepEqual(b!.of('deliver'), []);
  });

  test('a silent node (bus gone without bye) expires after nodeTimeoutMs', async () => {
    const [a, b] = await startCluster(2, { heartbeatMs: 20, nodeTimeoutMs: 200 });
    a!.adapter.setLocalMember('app1', 'presence-x', 'u1', 1, undefined);
    a!.adapter.setLocalSubscriptions('app1', 'presence-x', 1);
    a!.adapter.setLocalUserConnections('app1', 'u1', 1);
    a!.adapter.addToCounter('conn:acct', 1);
    await waitUntil(() => b!.adapter.counterTotal('conn:acct') === 1, 'the counter is flushed');
    assert.equal(b!.adapter.memberCount('app1', 'presence-x'), 1);

    // Heartbeats alone keep a quiet node alive.
    const heartbeats = Date.now();
    await waitUntil(() => Date.now() - heartbeats > 300, '300 ms pass', 1000);
    assert.equal(b!.adapter.memberCount('app1', 'presence-x'), 1);
    assert.deepEqual(b!.of('removed'), []);

    await a!.bus.close();
    await waitUntil(() => b!.of('removed').length === 1, 'the silent node is dropped');
    assert.deepEqual(b!.of('removed'), [
      { type: 'removed', app: 'app1', channel: 'presence-x', user: 'u1', local: false },
    ]);
    assert.equal(b!.adapter.subscriptionCount('app1', 'presence-x'), 0);
    assert.equal(b!.adapter.isUserOnline('app1', 'u1'), false);
    assert.equal(b!.adapter.counterTotal('conn:acct'), 0);
  });

  test('a node restarting under the same id without bye loses its old share on hello', async () => {
    const hub = new MemoryBusHub();
    const a = await startNode(hub, 'n1');
    const b = await startNode(hub, 'n2');
    await settle();
    b.adapter.setLocalMember('app1', 'presence-x', 'ghost', 1, undefined);
    b.adapter.setLocalSubscriptions('app1', 'presence-x', 1);
    b.adapter.setLocalUserConnections('app1', 'ghost', 1);
    await settle();
    assert.equal(a.adapter.memberCount('app1', 'presence-x'), 1);

    await b.bus.close(); // crash: no bye
    const again = await startNode(hub, 'n2');
    await settle();
    assert.deepEqual(a.of('removed'), [
      { type: 'removed', app: 'app1', channel: 'presence-x', user: 'ghost', local: false },
    ]);
    assert.equal(a.adapter.subscriptionCount('app1', 'presence-x'), 0);
    assert.equal(a.adapter.isUserOnline('app1', 'ghost'), false);
    // The restarted node works normally afterwards.
    again.adapter.setLocalSubscriptions('app1', 'presence-x', 2);
    await settle();
    assert.equal(a.adapter.subscriptionCount('app1', 'presence-x'), 2);
  });

  test('a node expired while still alive is re-synced when it is heard again', async () => {
    const hub = new MemoryBusHub();
    const options = { heartbeatMs: 20, nodeTimeoutMs: 200 };
    const a = await startNode(hub, 'n1', options);
    const partitioned = new PartitionableBus(hub.createBus());
    const b = await startNode(hub, 'n2', { ...options, bus: partitioned });
    await settle();
    b.adapter.setLocalMember('app1', 'presence-x', 'u1', 1, '{"n":1}');
    b.adapter.setLocalSubscriptions('app1', 'presence-x', 1);
    b.adapter.addToCounter('conn:acct', 1);
    await waitUntil(() => a.adapter.counterTotal('conn:acct') === 1, 'the counter is flushed');

    partitioned.muted = true;
    await waitUntil(() => a.of('removed').length === 1, 'a expires b');
    assert.equal(a.adapter.memberCount('app1', 'presence-x'), 0);

    partitioned.muted = false;
    await waitUntil(() => a.of('added').length === 2, 'a re-learns b’s members');
    assert.deepEqual(a.of('added')[1], {
      type: 'added',
      app: 'app1',
      channel: 'presence-x',
      user: 'u1',
      info: '{"n":1}',
      local: false,
    });
    assert.equal(a.adapter.subscriptionCount('app1', 'presence-x'), 1);
    assert.equal(a.adapter.counterTotal('conn:acct'), 1);
  });

  test('malformed bus messages are ignored and the node keeps working', async () => {
    const hub = new MemoryBusHub();
    const a = await startNode(hub, 'n1');
    const b = await startNode(hub, 'n2');
    const raw = hub.createBus();
    const v = CLUSTER_PROTOCOL_VERSION;
    const garbage: unknown[] = [
      'not json',
      '',
      'null',
      '42',
      '"text"',
      '[]',
      { v: v + 1, n: 'x', t: 'pub', a: 'app1', c: 'ch', m: 'future version' },
      { n: 'x', t: 'pub', a: 'app1', c: 'ch', m: 'no version' },
      { v, t: 'hb' },
      { v, n: 'x', t: 'no-such-type' },
      { v, n: 'x', t: 'pub' },
      { v, n: 'x', t: 'pub', a: 'app1', c: 'ch', m: 42 },
      { v, n: 'x', t: 'sub', a: 'app1', c: 'ch', k: '5' },
      { v, n: 'x', t: 'sub', a: 'app1', c: 'ch', k: -3 },
      { v, n: 'x', t: 'sub', a: 'app1', c: 'ch' },
      { v, n: 'x', t: 'mem', a: 'app1', c: 'presence-x', u: 'u9', k: 1.5 },
      { v, n: 'x', t: 'mem', a: 'app1', c: 'presence-x', k: 1 },
      { v, n: 'x', t: 'mem', a: 'app1', c: 'presence-x', u: 'u9', k: 1, i: { name: 'obj' } },
      { v, n: 'x', t: 'usr', a: 'app1', u: 7, k: 1 },
      { v, n: 'x', t: 'term', a: 'app1' },
      { v, n: 'x', t: 'app' },
      { v, n: 'x', t: 'ctr' },
      { v, n: 'x', t: 'ctr', vals: { 'conn:acct': 'many' } },
      { v, n: 'x', t: 'ctr', vals: null },
      { v, n: 'x', t: 'snap', to: 'n1' },
      { v, n: 'x', t: 'snap', to: 'n1', s: { subs: 'no', mem: [], usr: [], ctr: {} } },
      { v, n: 'x', t: 'snap', to: 'n1', s: { subs: [['app1']], mem: [], usr: [], ctr: {} } },
      { v, n: 'x', t: 'snap', to: 'n1', s: { subs: [], mem: [], usr: [], ctr: [] } },
    ];
    for (const item of garbage) raw.publish(typeof item === 'string' ? item : JSON.stringify(item));
    await settle();
    for (const node of [a, b]) {
      assert.deepEqual(node.events, [], node.adapter.nodeId);
      assert.equal(node.adapter.subscriptionCount('app1', 'ch'), 0);
      assert.equal(node.adapter.memberCount('app1', 'presence-x'), 0);
      assert.equal(node.adapter.isUserOnline('app1', '7'), false);
      assert.equal(node.adapter.counterTotal('conn:acct'), 0);
    }
    a.adapter.setLocalSubscriptions('app1', 'ch', 1);
    await settle();
    assert.equal(b.adapter.subscriptionCount('app1', 'ch'), 1);
    await raw.close();
  });
});

describe('ClusterAdapter convergence after lost messages', () => {
  /** Members of presence-x as seen by a node, sorted. */
  const seen = (node: Node): string[] => [...node.adapter.members('app1', 'presence-x').keys()].sort();

  test('an outage the bus notices: both sides converge as soon as it returns, events once per change', async () => {
    const hub = new MemoryBusHub();
    // Heartbeats far apart: only the reconnect exchange can repair this quickly.
    const options = { heartbeatMs: 60_000 };
    const aBus = new FlakyBus(hub.createBus());
    const bBus = new FlakyBus(hub.createBus());
    const aLines: { level: string; message: string; fields: object }[] = [];
    const a = await startNode(hub, 'n1', { ...options, bus: aBus, logger: lineLogger(aLines) });
    const b = await startNode(hub, 'n2', { ...options, bus: bBus });
    await settle();
    a.adapter.setLocalMember('app1', 'presence-x', 'stays', 1, undefined);
    a.adapter.setLocalMember('app1', 'presence-x', 'leaves', 1, undefined);
    a.adapter.setLocalSubscriptions('app1', 'presence-x', 2);
    await settle();
    assert.deepEqual(seen(b), ['leaves', 'stays']);

    aBus.down();
    bBus.down();
    a.adapter.setLocalMember('app1', 'presence-x', 'leaves', 0, undefined);
    a.adapter.setLocalMember('app1', 'presence-x', 'joins-a', 1, '{"on":"a"}');
    a.adapter.setLocalSubscriptions('app1', 'presence-x', 2);
    b.adapter.setLocalMember('app1', 'presence-x', 'joins-b', 1, '{"on":"b"}');
    b.adapter.setLocalSubscriptions('app1', 'presence-x', 1);
    a.adapter.publish('app1', 'ch', '{"event":"lost"}', undefined);
    a.adapter.publish('app1', 'ch', '{"event":"lost"}', undefined);
    await settle();
    assert.equal(a.adapter.health().state, 'reconnecting');
    assert.equal(a.adapter.health().lostPublishes, 2);
    assert.deepEqual(seen(b), ['joins-b', 'leaves', 'stays'], 'b cannot know yet');

    // The nodes get their connections back one after the other, as after a real outage.
    aBus.up();
    await settle();
    bBus.up();
    await settle();
    await settle();
    for (const node of [a, b]) {
      assert.deepEqual(seen(node), ['joins-a', 'joins-b', 'stays'], node.adapter.nodeId);
      assert.equal(node.adapter.subscriptionCount('app1', 'presence-x'), 3, node.adapter.nodeId);
    }
    assert.deepEqual(b.of('deliver'), [], 'events published while down are lost, not replayed');
    // Every change reached each node once.
    const names = (node: Node, type: 'added' | 'removed'): string[] =>
      node
        .of(type)
        .map((e) => e.user)
        .sort();
    assert.deepEqual(names(a, 'added'), ['joins-a', 'joins-b', 'leaves', 'stays']);
    assert.deepEqual(names(b, 'added'), ['joins-a', 'joins-b', 'leaves', 'stays']);
    assert.deepEqual(names(a, 'removed'), ['leaves']);
    assert.deepEqual(names(b, 'removed'), ['leaves']);
    assert.equal(b.of('added').find((e) => e.user === 'joins-a')?.info, '{"on":"a"}');

    assert.deepEqual(
      aLines.filter((l) => l.level !== 'debug').map((l) => [l.level, l.message]),
      [
        ['warn', 'cluster bus lost: events published now reach only this node’s clients; reconnecting'],
        ['info', 'cluster bus back: re-syncing the cluster view'],
      ],
    );
    const health = a.adapter.health();
    assert.equal(health.state, 'connected');
    assert.equal(health.outages, 1);
    assert.ok(health.resyncs >= 1);
  });

  test('messages lost without any outage noticed are repaired by the heartbeat digests', async () => {
    const hub = new MemoryBusHub();
    const aBus = new FlakyBus(hub.createBus());
    const options = { heartbeatMs: 30 };
    const a = await startNode(hub, 'n1', { ...options, bus: aBus });
    const b = await startNode(hub, 'n2', options);
    const c = await startNode(hub, 'n3', options);
    await settle();
    a.adapter.setLocalMember('app1', 'presence-x', 'ghost', 1, undefined);
    a.adapter.setLocalUserConnections('app1', 'ghost', 1);
    a.adapter.addToCounter('conn:acct', 1);
    await waitUntil(() => c.adapter.counterTotal('conn:acct') === 1, 'the counter is flushed');

    aBus.silent = true;
    a.adapter.setLocalMember('app1', 'presence-x', 'ghost', 0, undefined);
    a.adapter.setLocalUserConnections('app1', 'ghost', 0);
    a.adapter.setLocalMember('app1', 'presence-x', 'new', 2, '{}');
    a.adapter.addToCounter('conn:acct', 4);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(seen(b), ['ghost']);
    aBus.silent = false;

    for (const node of [b, c]) {
      await waitUntil(() => seen(node).join() === 'new', `${node.adapter.nodeId} converges`);
      assert.equal(node.adapter.isUserOnline('app1', 'ghost'), false);
      await waitUntil(() => node.adapter.counterTotal('conn:acct') === 5, 'counters converge');
      assert.deepEqual(
        node.of('removed').map((e) => e.user),
        ['ghost'],
      );
      assert.deepEqual(
        node.of('added').map((e) => e.user),
        ['ghost', 'new'],
      );
    }
    // Converged: further heartbeats agree and ask for nothing more.
    const resyncs = b.adapter.health().resyncs + c.adapter.health().resyncs;
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(b.adapter.health().resyncs + c.adapter.health().resyncs, resyncs);
  });

  test('digests agree after many interleaved changes from several nodes (no spurious re-sync)', async () => {
    const nodes = await startCluster(3, { heartbeatMs: 20 });
    for (let i = 0; i < 300; i++) {
      const node = nodes[i % 3]!;
      const k = (i * 7) % 4;
      node.adapter.setLocalSubscriptions('app1', `ch${String(i % 11)}`, k);
      node.adapter.setLocalMember('app1', `presence-${String(i % 5)}`, `u${String(i % 13)}`, k % 3, '{}');
      node.adapter.setLocalUserConnections('app1', `u${String(i % 13)}`, k % 2);
      node.adapter.addToCounter(`c${String(i % 3)}`, k - 1);
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
    for (const node of nodes) assert.equal(node.adapter.health().resyncs, 0, node.adapter.nodeId);
  });
});

function countRecorder(): { events: AdapterEvents; counts: [string, number][] } {
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
    const ra = countRecorder();
    await a.start(ra.events);
    await b.start(countRecorder().events);

    a.setLocalSubscriptions('app', 'ch', 2);
    a.setLocalSubscriptions('app', 'ch', 2); // unchanged: no event
    b.setLocalSubscriptions('app', 'ch', 3);
    await waitUntil(
      () => a.subscriptionCount('app', 'ch') === 5 && b.subscriptionCount('app', 'ch') === 5,
      'counts',
    );
    assert.deepEqual([...a.channels('app')], [['ch', 5]]);

    a.setLocalSubscriptions('app', 'ch', 0);
    await waitUntil(() => b.subscriptionCount('app', 'ch') === 3, 'counts');
    assert.equal(a.subscriptionCount('app', 'ch'), 3);

    await b.close();
    await waitUntil(() => a.subscriptionCount('app', 'ch') === 0, 'counts');
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
