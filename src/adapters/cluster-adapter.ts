// One Adapter over any ClusterBus. Every node keeps a replica of the cluster's facts (ClusterState:
// per channel the subscriber count of each node, per presence channel the socket count and user_info
// of each user on each node, per signed-in user the connection count of each node, and named
// counters). This class moves changes over the bus. A node broadcasts only changes to its own share;
// every node applies every change the same way and reports the transitions (first member, last
// member, online/offline) to its engine, which notifies its own sockets. Reads are local.
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
import { ClusterState } from './cluster-state.js';
import { CLUSTER_PROTOCOL_VERSION, parseClusterMessage, type ClusterMessage } from './cluster-messages.js';

export interface ClusterAdapterOptions {
  readonly bus: ClusterBus;
  readonly nodeId?: string;
  readonly logger?: Logger;
  readonly heartbeatMs?: number;
  readonly nodeTimeoutMs?: number;
  /** How often changed counters are broadcast. */
  readonly counterFlushMs?: number;
}

export class ClusterAdapter implements Adapter {
  readonly nodeId: string;
  /** Version and sender of every message this node sends. */
  readonly #base: { readonly v: number; readonly n: string };
  readonly #bus: ClusterBus;
  readonly #logger: Logger;
  readonly #heartbeatMs: number;
  readonly #nodeTimeoutMs: number;
  readonly #counterFlushMs: number;
  #events: AdapterEvents | undefined;

  readonly #state: ClusterState;
  readonly #dirtyCounters = new Set<string>();
  readonly #peers = new Map<string, number>();
  #timers: NodeJS.Timeout[] = [];
  #closed = false;

  constructor(options: ClusterAdapterOptions) {
    this.#bus = options.bus;
    this.nodeId = options.nodeId ?? randomUUID();
    this.#base = { v: CLUSTER_PROTOCOL_VERSION, n: this.nodeId };
    this.#state = new ClusterState(this.nodeId);
    this.#logger = options.logger ?? silentLogger;
    this.#heartbeatMs = options.heartbeatMs ?? 5_000;
    this.#nodeTimeoutMs = options.nodeTimeoutMs ?? 3 * this.#heartbeatMs;
    this.#counterFlushMs = options.counterFlushMs ?? 250;
  }

  async start(events: AdapterEvents): Promise<void> {
    this.#events = events;
    this.#state.events = events;
    await this.#bus.subscribe((text) => {
      this.#receive(text);
    });
    this.#send({ ...this.#base, t: 'hello' });
    const heartbeat = setInterval(() => {
      this.#send({ ...this.#base, t: 'hb' });
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
    this.#send({
      ...this.#base,
      t: 'pub',
      a: appId,
      c: channel,
      m: text,
      ...(exceptSocketId === undefined ? {} : { x: exceptSocketId }),
    });
  }

  setLocalSubscriptions(appId: string, channel: string, count: number): void {
    this.#state.applySubs(this.nodeId, appId, channel, count);
    this.#send({ ...this.#base, t: 'sub', a: appId, c: channel, k: count });
  }

  subscriptionCount(appId: string, channel: string): number {
    return this.#state.subscriptionCount(appId, channel);
  }

  channels(appId: string): IterableIterator<[string, number]> {
    return this.#state.channels(appId);
  }

  setLocalMember(
    appId: string,
    channel: string,
    userId: string,
    sockets: number,
    userInfoJson: string | undefined,
  ): void {
    this.#state.applyMember(this.nodeId, appId, channel, userId, sockets, userInfoJson);
    this.#send({
      ...this.#base,
      t: 'mem',
      a: appId,
      c: channel,
      u: userId,
      k: sockets,
      ...(userInfoJson === undefined ? {} : { i: userInfoJson }),
    });
  }

  members(appId: string, channel: string): ReadonlyMap<string, string | undefined> {
    return this.#state.members(appId, channel);
  }

  memberCount(appId: string, channel: string): number {
    return this.#state.memberCount(appId, channel);
  }

  setLocalUserConnections(appId: string, userId: string, count: number): void {
    this.#state.applyUser(this.nodeId, appId, userId, count);
    this.#send({ ...this.#base, t: 'usr', a: appId, u: userId, k: count });
  }

  isUserOnline(appId: string, userId: string): boolean {
    return this.#state.isUserOnline(appId, userId);
  }

  terminateUser(appId: string, userId: string): void {
    this.#send({ ...this.#base, t: 'term', a: appId, u: userId });
    this.#events?.terminateUser(appId, userId);
  }

  notifyAppChanged(appId: string): void {
    this.#send({ ...this.#base, t: 'app', a: appId });
    this.#events?.appChanged(appId);
  }

  addToCounter(name: string, delta: number): void {
    this.#state.addToLocalCounter(name, delta);
    this.#dirtyCounters.add(name);
  }

  counterTotal(name: string): number {
    return this.#state.counterTotal(name);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#send({ ...this.#base, t: 'bye' }, true);
    await this.#bus.close();
  }

  // --- bus ----------------------------------------------------------------------------------------

  #send(message: ClusterMessage, evenIfClosed = false): void {
    if (this.#closed && !evenIfClosed) return;
    if (this.#bus.hasPeers?.() === false) return;
    this.#bus.publish(JSON.stringify(message));
  }

  /** Forgets a node and everything it contributed (it left, restarted or went silent). */
  #dropNode(node: string): void {
    this.#peers.delete(node);
    this.#state.dropNode(node);
  }

  #sendSnapshot(to: string): void {
    this.#send({ ...this.#base, t: 'snap', to, s: this.#state.snapshot() });
  }

  #flushCounters(): void {
    if (this.#dirtyCounters.size === 0) return;
    const vals: Record<string, number> = {};
    for (const name of this.#dirtyCounters) vals[name] = this.#state.localCounter(name);
    this.#dirtyCounters.clear();
    this.#send({ ...this.#base, t: 'ctr', vals });
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
      this.#send({ ...this.#base, t: 'sync', to: message.n });
    }
    switch (message.t) {
      case 'pub':
        events.deliver(message.a, message.c, message.m, message.x);
        return;
      case 'sub':
        this.#state.applySubs(message.n, message.a, message.c, message.k);
        return;
      case 'mem':
        this.#state.applyMember(message.n, message.a, message.c, message.u, message.k, message.i);
        return;
      case 'usr':
        this.#state.applyUser(message.n, message.a, message.u, message.k);
        return;
      case 'term':
        events.terminateUser(message.a, message.u);
        return;
      case 'app':
        events.appChanged(message.a);
        return;
      case 'ctr':
        for (const [name, value] of Object.entries(message.vals))
          this.#state.applyCounter(message.n, name, value);
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
        for (const [a, c, k] of message.s.subs) this.#state.applySubs(message.n, a, c, k);
        for (const [a, c, u, k, i] of message.s.mem)
          this.#state.applyMember(message.n, a, c, u, k, i ?? undefined);
        for (const [a, u, k] of message.s.usr) this.#state.applyUser(message.n, a, u, k);
        for (const [name, value] of Object.entries(message.s.ctr))
          this.#state.applyCounter(message.n, name, value);
        return;
    }
  }
}
