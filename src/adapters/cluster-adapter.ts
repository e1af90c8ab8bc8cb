// One Adapter over any ClusterBus. Every node keeps a replica of the cluster's facts: per channel the
// subscriber count of each node, per presence channel the socket count and user_info of each user on
// each node, per signed-in user the connection count of each node, and named counters. A node
// broadcasts only changes to its own share; every node applies every change the same way and reports
// the transitions (first member, last member, online/offline) to its engine, which notifies its own
// sockets. Reads (GET channels, members, counts) are local.
//
// Nodes send heartbeats; a node silent for `nodeTimeoutMs` is dropped with its share. A new node
// says hello and every peer answers with a snapshot of its share. A hello from a node id that still
// has a share here means that node restarted without saying bye: its old share is dropped first.
// A message from a node that is not (or no longer) a known peer — it was expired while alive, or its
// hello was lost — is answered with a sync request, and the node replies with a snapshot.
import { randomUUID } from 'node:crypto';
import type { Adapter, AdapterEvents } from '../core/ports/adapter.js';
import type { ClusterBus } from '../core/ports/cluster-bus.js';
import type { Logger } from '../core/ports/logger.js';
import { silentLogger } from '../core/ports/logger.js';
import {
  CLUSTER_PROTOCOL_VERSION,
  parseClusterMessage,
  type ClusterMessage,
  type Snapshot,
} from './cluster-messages.js';

interface ChannelEntry {
  total: number;
  /** This node's subscribers. */
  local: number;
  /** Other nodes' subscribers; created on the first remote one (a lone node never needs it). */
  byNode: Map<string, number> | undefined;
}

interface MemberEntry {
  /** Total sockets of the user on the channel, over all nodes. */
  total: number;
  readonly byNode: Map<string, number>;
  info: string | undefined;
}

interface CountEntry {
  total: number;
  readonly byNode: Map<string, number>;
}

export interface ClusterAdapterOptions {
  readonly bus: ClusterBus;
  readonly nodeId?: string;
  readonly logger?: Logger;
  readonly heartbeatMs?: number;
  readonly nodeTimeoutMs?: number;
  /** How often changed counters are broadcast. */
  readonly counterFlushMs?: number;
}

type Nested<T> = Map<string, Map<string, T>>;

function nested<T>(map: Nested<T>, a: string): Map<string, T> {
  let inner = map.get(a);
  if (!inner) map.set(a, (inner = new Map<string, T>()));
  return inner;
}

export class ClusterAdapter implements Adapter {
  readonly nodeId: string;
  readonly #bus: ClusterBus;
  readonly #logger: Logger;
  readonly #heartbeatMs: number;
  readonly #nodeTimeoutMs: number;
  readonly #counterFlushMs: number;
  #events: AdapterEvents | undefined;

  /** app → channel → entry */
  readonly #subs: Nested<ChannelEntry> = new Map();
  /** app → channel → user → entry */
  readonly #members = new Map<string, Map<string, Map<string, MemberEntry>>>();
  /** app → user → entry */
  readonly #users: Nested<CountEntry> = new Map();
  readonly #counters = new Map<string, CountEntry>();
  readonly #dirtyCounters = new Set<string>();
  readonly #peers = new Map<string, number>();
  #timers: NodeJS.Timeout[] = [];
  #closed = false;

  constructor(options: ClusterAdapterOptions) {
    this.#bus = options.bus;
    this.nodeId = options.nodeId ?? randomUUID();
    this.#logger = options.logger ?? silentLogger;
    this.#heartbeatMs = options.heartbeatMs ?? 5_000;
    this.#nodeTimeoutMs = options.nodeTimeoutMs ?? 3 * this.#heartbeatMs;
    this.#counterFlushMs = options.counterFlushMs ?? 250;
  }

  async start(events: AdapterEvents): Promise<void> {
    this.#events = events;
    await this.#bus.subscribe((text) => {
      this.#receive(text);
    });
    this.#send({ v: CLUSTER_PROTOCOL_VERSION, n: this.nodeId, t: 'hello' });
    const heartbeat = setInterval(() => {
      this.#send({ v: CLUSTER_PROTOCOL_VERSION, n: this.nodeId, t: 'hb' });
      this.#expirePeers();
    }, this.#heartbeatMs);
    const flush = setInterval(() => {
      this.#flushCounters();
    }, this.#counterFlushMs);
    heartbeat.unref();
    flush.unref();
    this.#timers = [heartbeat, flush];
  }

  publish(appId: string, channel: string, text: string, exceptSocketId: string | undefined): void {
    if (this.#bus.hasPeers?.() === false) return;
    const message: ClusterMessage =
      exceptSocketId === undefined
        ? { v: CLUSTER_PROTOCOL_VERSION, n: this.nodeId, t: 'pub', a: appId, c: channel, m: text }
        : {
            v: CLUSTER_PROTOCOL_VERSION,
            n: this.nodeId,
            t: 'pub',
            a: appId,
            c: channel,
            x: exceptSocketId,
            m: text,
          };
    this.#send(message);
  }

  setLocalSubscriptions(appId: string, channel: string, count: number): void {
    this.#applySubs(this.nodeId, appId, channel, count);
    this.#send({ v: CLUSTER_PROTOCOL_VERSION, n: this.nodeId, t: 'sub', a: appId, c: channel, k: count });
  }

  subscriptionCount(appId: string, channel: string): number {
    return this.#subs.get(appId)?.get(channel)?.total ?? 0;
  }

  *channels(appId: string): IterableIterator<[string, number]> {
    const app = this.#subs.get(appId);
    if (!app) return;
    for (const [channel, entry] of app) if (entry.total > 0) yield [channel, entry.total];
  }

  setLocalMember(
    appId: string,
    channel: string,
    userId: string,
    sockets: number,
    userInfoJson: string | undefined,
  ): void {
    this.#applyMember(this.nodeId, appId, channel, userId, sockets, userInfoJson);
    const message: ClusterMessage =
      userInfoJson === undefined
        ? {
            v: CLUSTER_PROTOCOL_VERSION,
            n: this.nodeId,
            t: 'mem',
            a: appId,
            c: channel,
            u: userId,
            k: sockets,
          }
        : {
            v: CLUSTER_PROTOCOL_VERSION,
            n: this.nodeId,
            t: 'mem',
            a: appId,
            c: channel,
            u: userId,
            k: sockets,
            i: userInfoJson,
          };
    this.#send(message);
  }

  members(appId: string, channel: string): ReadonlyMap<string, string | undefined> {
    const result = new Map<string, string | undefined>();
    const users = this.#members.get(appId)?.get(channel);
    if (users) for (const [userId, entry] of users) if (entry.total > 0) result.set(userId, entry.info);
    return result;
  }

  memberCount(appId: string, channel: string): number {
    return this.#members.get(appId)?.get(channel)?.size ?? 0;
  }

  setLocalUserConnections(appId: string, userId: string, count: number): void {
    this.#applyUser(this.nodeId, appId, userId, count);
    this.#send({ v: CLUSTER_PROTOCOL_VERSION, n: this.nodeId, t: 'usr', a: appId, u: userId, k: count });
  }

  isUserOnline(appId: string, userId: string): boolean {
    return (this.#users.get(appId)?.get(userId)?.total ?? 0) > 0;
  }

  terminateUser(appId: string, userId: string): void {
    this.#send({ v: CLUSTER_PROTOCOL_VERSION, n: this.nodeId, t: 'term', a: appId, u: userId });
    this.#events?.terminateUser(appId, userId);
  }

  notifyAppChanged(appId: string): void {
    this.#send({ v: CLUSTER_PROTOCOL_VERSION, n: this.nodeId, t: 'app', a: appId });
    this.#events?.appChanged(appId);
  }

  addToCounter(name: string, delta: number): void {
    let entry = this.#counters.get(name);
    if (!entry) this.#counters.set(name, (entry = { total: 0, byNode: new Map() }));
    entry.byNode.set(this.nodeId, (entry.byNode.get(this.nodeId) ?? 0) + delta);
    entry.total += delta;
    this.#dirtyCounters.add(name);
  }

  counterTotal(name: string): number {
    return this.#counters.get(name)?.total ?? 0;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#send({ v: CLUSTER_PROTOCOL_VERSION, n: this.nodeId, t: 'bye' }, true);
    await this.#bus.close();
  }

  // --- replicated state -------------------------------------------------------------------------

  #applySubs(node: string, appId: string, channel: string, count: number): void {
    let entry = this.#subs.get(appId)?.get(channel);
    if (!entry && count === 0) return;
    const app = nested(this.#subs, appId);
    if (!entry) app.set(channel, (entry = { total: 0, local: 0, byNode: undefined }));
    let before: number;
    if (node === this.nodeId) {
      before = entry.local;
      entry.local = count;
    } else {
      before = entry.byNode?.get(node) ?? 0;
      if (count === 0) entry.byNode?.delete(node);
      else (entry.byNode ??= new Map<string, number>()).set(node, count);
    }
    if (before === count) return;
    entry.total += count - before;
    if (entry.total === 0) {
      app.delete(channel);
      if (app.size === 0) this.#subs.delete(appId);
    }
    this.#events?.subscriptionCountChanged(appId, channel, entry.total);
  }

  #applyMember(
    node: string,
    appId: string,
    channel: string,
    userId: string,
    count: number,
    info: string | undefined,
  ): void {
    if (count === 0 && !this.#members.get(appId)?.get(channel)?.has(userId)) return;
    let app = this.#members.get(appId);
    if (!app) this.#members.set(appId, (app = new Map<string, Map<string, MemberEntry>>()));
    let users = app.get(channel);
    if (!users) app.set(channel, (users = new Map<string, MemberEntry>()));
    let entry = users.get(userId);
    if (!entry) users.set(userId, (entry = { total: 0, byNode: new Map(), info }));
    const before = entry.byNode.get(node) ?? 0;
    if (count === 0) entry.byNode.delete(node);
    else entry.byNode.set(node, count);
    const wasMember = entry.total > 0;
    entry.total += count - before;
    if (count > 0 && info !== undefined) entry.info = info;
    const local = node === this.nodeId;
    if (!wasMember && entry.total > 0) {
      this.#events?.memberAdded(appId, channel, userId, entry.info, local);
    } else if (wasMember && entry.total === 0) {
      users.delete(userId);
      if (users.size === 0) app.delete(channel);
      if (app.size === 0) this.#members.delete(appId);
      this.#events?.memberRemoved(appId, channel, userId, local);
    }
  }

  #applyUser(node: string, appId: string, userId: string, count: number): void {
    let entry = this.#users.get(appId)?.get(userId);
    if (!entry && count === 0) return;
    const app = nested(this.#users, appId);
    if (!entry) app.set(userId, (entry = { total: 0, byNode: new Map() }));
    const before = entry.byNode.get(node) ?? 0;
    if (count === 0) entry.byNode.delete(node);
    else entry.byNode.set(node, count);
    const wasOnline = entry.total > 0;
    entry.total += count - before;
    if (entry.total === 0) {
      app.delete(userId);
      if (app.size === 0) this.#users.delete(appId);
    }
    if (wasOnline !== entry.total > 0) this.#events?.userPresenceChanged(appId, userId, entry.total > 0);
  }

  #applyCounter(node: string, name: string, value: number): void {
    let entry = this.#counters.get(name);
    if (!entry) this.#counters.set(name, (entry = { total: 0, byNode: new Map() }));
    const before = entry.byNode.get(node) ?? 0;
    entry.byNode.set(node, value);
    entry.total += value - before;
  }

  /** Removes everything a node contributed (it left or went silent). */
  #dropNode(node: string): void {
    this.#peers.delete(node);
    for (const [appId, channels] of [...this.#subs]) {
      for (const [channel, entry] of [...channels])
        if (entry.byNode?.has(node)) this.#applySubs(node, appId, channel, 0);
    }
    for (const [appId, channels] of [...this.#members]) {
      for (const [channel, users] of [...channels]) {
        for (const [userId, entry] of [...users]) {
          if (entry.byNode.has(node)) this.#applyMember(node, appId, channel, userId, 0, undefined);
        }
      }
    }
    for (const [appId, users] of [...this.#users]) {
      for (const [userId, entry] of [...users])
        if (entry.byNode.has(node)) this.#applyUser(node, appId, userId, 0);
    }
    for (const entry of this.#counters.values()) {
      const value = entry.byNode.get(node);
      if (value !== undefined) {
        entry.total -= value;
        entry.byNode.delete(node);
      }
    }
  }

  #snapshot(): Snapshot {
    const subs: [string, string, number][] = [];
    for (const [appId, channels] of this.#subs) {
      for (const [channel, entry] of channels) if (entry.local) subs.push([appId, channel, entry.local]);
    }
    const mem: [string, string, string, number, string | null][] = [];
    for (const [appId, channels] of this.#members) {
      for (const [channel, users] of channels) {
        for (const [userId, entry] of users) {
          const k = entry.byNode.get(this.nodeId);
          if (k) mem.push([appId, channel, userId, k, entry.info ?? null]);
        }
      }
    }
    const usr: [string, string, number][] = [];
    for (const [appId, users] of this.#users) {
      for (const [userId, entry] of users) {
        const k = entry.byNode.get(this.nodeId);
        if (k) usr.push([appId, userId, k]);
      }
    }
    const ctr: Record<string, number> = {};
    for (const [name, entry] of this.#counters) {
      const value = entry.byNode.get(this.nodeId);
      if (value) ctr[name] = value;
    }
    return { subs, mem, usr, ctr };
  }

  // --- bus ----------------------------------------------------------------------------------------

  #send(message: ClusterMessage, evenIfClosed = false): void {
    if (this.#closed && !evenIfClosed) return;
    if (this.#bus.hasPeers?.() === false) return;
    this.#bus.publish(JSON.stringify(message));
  }

  #sendSnapshot(to: string): void {
    this.#send({ v: CLUSTER_PROTOCOL_VERSION, n: this.nodeId, t: 'snap', to, s: this.#snapshot() });
  }

  #flushCounters(): void {
    if (this.#dirtyCounters.size === 0) return;
    const vals: Record<string, number> = {};
    for (const name of this.#dirtyCounters)
      vals[name] = this.#counters.get(name)?.byNode.get(this.nodeId) ?? 0;
    this.#dirtyCounters.clear();
    this.#send({ v: CLUSTER_PROTOCOL_VERSION, n: this.nodeId, t: 'ctr', vals });
  }

  #expirePeers(): void {
    const deadline = Date.now() - this.#nodeTimeoutMs;
    for (const [node, seen] of this.#peers) {
      if (seen < deadline) {
        this.#logger.warn(
          { node },
          'cluster node went silent; dropping its connections from the cluster view',
        );
        this.#dropNode(node);
      }
    }
  }

  #receive(text: string): void {
    const message = parseClusterMessage(text);
    if (!message) {
      this.#logger.warn({ bytes: text.length }, 'ignored an unreadable cluster message');
      return;
    }
    if (message.n === this.nodeId || this.#closed) return;
    const events = this.#events;
    if (!events) return;
    const known = this.#peers.has(message.n);
    this.#peers.set(message.n, Date.now());
    if (!known && message.t !== 'hello' && message.t !== 'snap' && message.t !== 'bye') {
      this.#send({ v: CLUSTER_PROTOCOL_VERSION, n: this.nodeId, t: 'sync', to: message.n });
    }
    switch (message.t) {
      case 'pub':
        events.deliver(message.a, message.c, message.m, message.x);
        return;
      case 'sub':
        this.#applySubs(message.n, message.a, message.c, message.k);
        return;
      case 'mem':
        this.#applyMember(message.n, message.a, message.c, message.u, message.k, message.i);
        return;
      case 'usr':
        this.#applyUser(message.n, message.a, message.u, message.k);
        return;
      case 'term':
        events.terminateUser(message.a, message.u);
        return;
      case 'app':
        events.appChanged(message.a);
        return;
      case 'ctr':
        for (const [name, value] of Object.entries(message.vals)) this.#applyCounter(message.n, name, value);
        return;
      case 'hb':
        return;
      case 'hello':
        if (known) {
          this.#logger.warn({ node: message.n }, 'cluster node restarted; dropping its old share');
          this.#dropNode(message.n);
          this.#peers.set(message.n, Date.now());
        }
        this.#sendSnapshot(message.n);
        return;
      case 'sync':
        if (message.to === this.nodeId) this.#sendSnapshot(message.n);
        return;
      case 'bye':
        this.#dropNode(message.n);
        return;
      case 'snap':
        if (message.to !== this.nodeId) return;
        for (const [a, c, k] of message.s.subs) this.#applySubs(message.n, a, c, k);
        for (const [a, c, u, k, i] of message.s.mem) this.#applyMember(message.n, a, c, u, k, i ?? undefined);
        for (const [a, u, k] of message.s.usr) this.#applyUser(message.n, a, u, k);
        for (const [name, value] of Object.entries(message.s.ctr)) this.#applyCounter(message.n, name, value);
        return;
    }
  }
}
