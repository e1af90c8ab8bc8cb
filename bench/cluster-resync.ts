// What the cluster view's convergence costs at 10,000 channels per node × 3 nodes: the per-change
// digest upkeep, the heartbeat, and a full re-sync after an outage in which every node changed.
// Runs the real ClusterAdapter over the in-process bus (no network), so the figures are the CPU
// and the bytes a real bus would carry.
//
//   node --import tsx bench/cluster-resync.ts [--channels 10000] [--presence 1000] [--members 5]
import { parseArgs } from 'node:util';
import { ClusterAdapter } from '../src/adapters/cluster-adapter.js';
import { ClusterState } from '../src/adapters/cluster-state.js';
import { MemoryBusHub, type MemoryBus } from '../src/adapters/memory-bus.js';
import { parseClusterMessage } from '../src/adapters/cluster-messages.js';
import type { AdapterEvents } from '../src/core/ports/adapter.js';
import type { ClusterBus } from '../src/core/ports/cluster-bus.js';

const { values } = parseArgs({
  options: {
    channels: { type: 'string', default: '10000' },
    presence: { type: 'string', default: '1000' },
    members: { type: 'string', default: '5' },
    changes: { type: 'string', default: '100' },
  },
});
const CHANNELS = Number(values.channels);
const PRESENCE = Number(values.presence);
const MEMBERS = Number(values.members);
const CHANGES = Number(values.changes);
const NODES = 3;

/** Counts what crosses the bus, by message type; can go down and come back like Redis or NATS. */
class MeteredBus implements ClusterBus {
  readonly kind = 'metered';
  readonly bytes = new Map<string, number>();
  readonly count = new Map<string, number>();
  #down = false;
  #listener: ((connected: boolean, detail: string | undefined) => void) | undefined;
  readonly #inner: MemoryBus;
  constructor(inner: MemoryBus) {
    this.#inner = inner;
  }
  publish(message: string): void {
    if (this.#down) return;
    const type = /"t":"(\w+)"/.exec(message)?.[1] ?? '?';
    this.bytes.set(type, (this.bytes.get(type) ?? 0) + message.length);
    this.count.set(type, (this.count.get(type) ?? 0) + 1);
    this.#inner.publish(message);
  }
  subscribe(handler: (message: string) => void): Promise<void> {
    return this.#inner.subscribe((m) => {
      if (!this.#down) handler(m);
    });
  }
  onConnectionChange(listener: (connected: boolean, detail: string | undefined) => void): void {
    this.#listener = listener;
  }
  setDown(down: boolean): void {
    this.#down = down;
    this.#listener?.(!down, down ? 'bench outage' : undefined);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

let memberEvents = 0;
const events: AdapterEvents = {
  deliver: () => undefined,
  subscriptionCountChanged: () => undefined,
  memberAdded: () => memberEvents++,
  memberRemoved: () => memberEvents++,
  userPresenceChanged: () => undefined,
  terminateUser: () => undefined,
  appChanged: () => undefined,
};

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const ms = (ns: bigint): string => (Number(ns) / 1e6).toFixed(1);
const kb = (n: number): string => (n / 1024).toFixed(0);

// 1. Digest upkeep per change, on the replicated state alone.
{
  const state = new ClusterState('self');
  const n = 200_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++)
    state.applySubs('other', 'app', `private-ch-${String(i % CHANNELS)}`, (i % 3) + 1);
  const ns = process.hrtime.bigint() - start;
  console.log(
    `digest upkeep: ${(Number(ns) / n / 1000).toFixed(2)} µs per subscription-count change (incl. the state update)`,
  );
}

// 2. Three nodes, each with its share: CHANNELS channels, PRESENCE presence channels × MEMBERS.
const hub = new MemoryBusHub();
const buses: MeteredBus[] = [];
const nodes: ClusterAdapter[] = [];
for (let i = 0; i < NODES; i++) {
  const bus = new MeteredBus(hub.createBus());
  const adapter = new ClusterAdapter({ bus, nodeId: `n${String(i)}`, heartbeatMs: 3_600_000 });
  await adapter.start(events);
  buses.push(bus);
  nodes.push(adapter);
}
await settle();
const fill0 = process.hrtime.bigint();
for (const [i, node] of nodes.entries()) {
  for (let c = 0; c < CHANNELS; c++)
    node.setLocalSubscriptions('app', `private-ch-${String(c)}`, (c % 3) + 1);
  for (let p = 0; p < PRESENCE; p++) {
    for (let m = 0; m < MEMBERS; m++) {
      const user = `u${String(i)}-${String(p)}-${String(m)}`;
      node.setLocalMember('app', `presence-${String(p)}`, user, 1, `{"name":"${user}"}`);
    }
  }
  await settle();
}
console.log(
  `setup: ${String(NODES)} nodes × (${String(CHANNELS)} channels + ${String(PRESENCE * MEMBERS)} members) in ${ms(process.hrtime.bigint() - fill0)} ms`,
);
console.log(
  `replica on each node: ${String(nodes[0]?.subscriptionCount('app', 'private-ch-0'))} subscribers on a channel (all nodes), ${String(nodes[0]?.memberCount('app', 'presence-0'))} members on a presence channel`,
);

// 3. A heartbeat: its size and the cost of comparing it.
for (const bus of buses) {
  bus.bytes.clear();
  bus.count.clear();
}
const hb0 = process.hrtime.bigint();
// A reconnect with nothing changed: every node sends a heartbeat asking for everyone's, compares.
for (const bus of buses) bus.setDown(true);
for (const bus of buses) bus.setDown(false);
await settle();
await settle();
const hbBytes = buses.reduce((sum, b) => sum + (b.bytes.get('hb') ?? 0), 0);
const hbCount = buses.reduce((sum, b) => sum + (b.count.get('hb') ?? 0), 0);
const snapAfterNoChange = buses.reduce((sum, b) => sum + (b.count.get('snap') ?? 0), 0);
console.log(
  `digest exchange with nothing changed: ${String(hbCount)} heartbeats, ${String(hbBytes / Math.max(1, hbCount))} bytes each, ${String(snapAfterNoChange)} snapshots, ${ms(process.hrtime.bigint() - hb0)} ms`,
);

// 4. An outage in which every node changed CHANGES members and CHANGES channel counts.
for (const bus of buses) {
  bus.bytes.clear();
  bus.count.clear();
}
for (const bus of buses) bus.setDown(true);
for (const [i, node] of nodes.entries()) {
  for (let k = 0; k < CHANGES; k++) {
    const p = k % PRESENCE;
    node.setLocalMember('app', `presence-${String(p)}`, `u${String(i)}-${String(p)}-0`, 0, undefined);
    node.setLocalMember('app', `presence-${String(p)}`, `new${String(i)}-${String(k)}`, 1, '{}');
    node.setLocalSubscriptions('app', `private-ch-${String(k)}`, 7);
  }
}
memberEvents = 0;
const cpu0 = process.cpuUsage();
const wall0 = process.hrtime.bigint();
for (const bus of buses) {
  bus.setDown(false);
  await settle();
}
for (let i = 0; i < 10; i++) await settle();
const wall = process.hrtime.bigint() - wall0;
const cpu = process.cpuUsage(cpu0);
const snaps = buses.reduce((sum, b) => sum + (b.count.get('snap') ?? 0), 0);
const snapBytes = buses.reduce((sum, b) => sum + (b.bytes.get('snap') ?? 0), 0);
const converged = nodes.every((node) =>
  nodes.every((other, i) => node.members('app', 'presence-0').has(`new${String(i)}-0`) && other),
);
console.log(
  `re-sync after an outage (${String(NODES)} nodes, each changed ${String(CHANGES)} members + ${String(CHANGES)} counts): ` +
    `${String(snaps)} snapshots, ${kb(snapBytes / Math.max(1, snaps))} KiB each, ${kb(snapBytes)} KiB in all; ` +
    `${ms(wall)} ms wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU for all ${String(NODES)} nodes in this process; ` +
    `${String(memberEvents)} member events; converged: ${String(converged)}`,
);

// 5. One snapshot, step by step: built and encoded by the sender, decoded and applied by the asker.
{
  const sender = new ClusterState('s');
  const asker = new ClusterState('a');
  for (let c = 0; c < CHANNELS; c++) sender.applySubs('s', 'app', `private-ch-${String(c)}`, (c % 3) + 1);
  for (let p = 0; p < PRESENCE; p++)
    for (let m = 0; m < MEMBERS; m++)
      sender.applyMember(
        's',
        'app',
        `presence-${String(p)}`,
        `u${String(p)}-${String(m)}`,
        1,
        '{"name":"x"}',
      );
  const t0 = process.hrtime.bigint();
  const text = JSON.stringify({ v: 1, n: 's', t: 'snap', to: 'a', s: sender.snapshot() });
  const t1 = process.hrtime.bigint();
  const message = parseClusterMessage(text);
  const t2 = process.hrtime.bigint();
  if (message?.t !== 'snap') throw new Error('snapshot did not parse');
  asker.replaceNode('s', message.s);
  const t3 = process.hrtime.bigint();
  // The fastest of five (the machine may be shared).
  let again = BigInt(Number.MAX_SAFE_INTEGER);
  for (let i = 0; i < 5; i++) {
    const a0 = process.hrtime.bigint();
    asker.replaceNode('s', message.s);
    const took = process.hrtime.bigint() - a0;
    if (took < again) again = took;
  }
  console.log(
    `one snapshot of ${String(CHANNELS)} channels + ${String(PRESENCE * MEMBERS)} members: ${kb(text.length)} KiB; ` +
      `build+encode ${ms(t1 - t0)} ms, decode+check ${ms(t2 - t1)} ms, apply to an empty copy ${ms(t3 - t2)} ms, ` +
      `apply again (nothing differs) ${ms(again)} ms; digests agree: ${String(sender.digest('s') === asker.digest('s'))}`,
  );
}
await Promise.all(nodes.map((n) => n.close()));
