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
//
// Convergence after lost messages (a bus outage, a reconnect race): every heartbeat carries the
// digest of the sender's share; a receiver whose copy has another digest sends a sync request, and
// the snapshot it gets back *replaces* its copy (members the sender no longer claims are removed,
// with member_removed; new ones added, with member_added — each node notifies its own sockets once,
// as for any change). When the bus comes back, the node sends a heartbeat asking everyone to answer
// with theirs at once, so both directions are checked within a round trip instead of a heartbeat.
// Nothing is sent while the bus is down: events published then are counted as lost, state changes
// are repaired by the digests. Fan-out stays at-most-once.
import { randomUUID } from 'node:crypto';
import type { Adapter, AdapterEvents, ClusterHealth } from '../core/ports/adapter.js';
import type { ClusterBus } from '../core/ports/cluster-bus.js';
import type { Logger } from '../core/ports/logger.js';
import { silentLogger } from '../core/ports/logger.js';
import { ClusterState } from './cluster-state.js';
import {
  CLUSTER_PROTOCOL_VERSION,
  parseClusterMessage,
  snapshotForAnother,
  type ClusterMessage,
} from './cluster-messages.js';

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
  /**
   * Peers not heard from since this node got the bus back: until they are (they answer the
   * reconnect heartbeat at once when they are subscribed), events may not reach them.
   */
  readonly #unconfirmed = new Set<string>();
  /** Peers asked for a snapshot, with when: one request at a time per peer. */
  readonly #syncing = new Map<string, number>();
  #timers: NodeJS.Timeout[] = [];
  #closed = false;
  #connected = true;
  #since = Date.now();
  #lostPublishes = 0;
  #lostAtLoss = 0;
  #outages = 0;
  #resyncs = 0;

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
    this.#since = Date.now();
    this.#bus.onConnectionChange?.((connected, detail) => {
      this.#connectionChanged(connected, detail);
    });
    this.#send({ ...this.#base, t: 'hello' });
    const heartbeat = setInterval(() => {
      this.#heartbeat(false);
      this.#expirePeers();
    }, this.#heartbeatMs);
    const flush = setInterval(() => {
      this.#flushCounters();
    }, this.#counterFlushMs);
    heartbeat.unref();
    flush.unref();
    this.#timers = [heartbeat, flush];
  }

  hasPeers(): boolean {
    return this.#bus.hasPeers?.() !== false;
  }

  publish(appId: string, channel: string, text: string, exceptSocketId: string | undefined): void {
    if (!this.hasPeers()) return;
    if (!this.#connected) {
      // At-most-once: the bus is down, so no other node gets this event. Counted, not queued.
      this.#lostPublishes++;
      return;
    }
    // Back, but some peer has not been heard from since: it may not be subscribed again yet.
    if (this.#unconfirmed.size > 0) this.#lostPublishes++;
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
    if (this.#sending()) this.#send({ ...this.#base, t: 'sub', a: appId, c: channel, k: count });
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
    if (!this.#sending()) return;
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
    if (this.#sending()) this.#send({ ...this.#base, t: 'usr', a: appId, u: userId, k: count });
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

  health(): ClusterHealth {
    return {
      bus: this.#bus.kind ?? 'memory',
      state: this.#connected ? 'connected' : 'reconnecting',
      since: this.#since,
      peers: this.#peers.size,
      lostPublishes: this.#lostPublishes,
      outages: this.#outages,
      resyncs: this.#resyncs,
    };
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
    // Down: nobody would get it. State changes made meanwhile are repaired by the digests.
    if (!this.#busUp()) return;
    this.#bus.publish(JSON.stringify(message));
  }

  /**
   * Whether a message sent now would go out: checked first on the per-subscription paths, so that a
   * lone node builds no message object per join and leave.
   */
  #sending(): boolean {
    return !this.#closed && this.#busUp();
  }

  /** Connected, with a peer to hear it (a lone memory bus has none). */
  #busUp(): boolean {
    return this.#connected && this.hasPeers();
  }

  /**
   * Counters first (they are sent on a timer), then the digest of everything sent: a receiver that
   * got every message holds exactly this share.
   */
  #heartbeat(askForAnswers: boolean): void {
    if (!this.#connected) return;
    this.#flushCounters();
    this.#send({
      ...this.#base,
      t: 'hb',
      d: this.#state.digest(this.nodeId),
      ...(askForAnswers ? { q: 1 } : {}),
    });
  }

  #connectionChanged(connected: boolean, detail: string | undefined): void {
    if (this.#closed || connected === this.#connected) return;
    this.#connected = connected;
    const now = Date.now();
    const downMs = now - this.#since;
    this.#since = now;
    const bus = this.#bus.kind ?? 'memory';
    if (!connected) {
      this.#outages++;
      this.#lostAtLoss = this.#lostPublishes;
      this.#logger.warn(
        { bus, node: this.nodeId, ...(detail === undefined ? {} : { reason: detail }) },
        'cluster bus lost: events published now reach only this node’s clients; reconnecting',
      );
      return;
    }
    this.#logger.info(
      { bus, node: this.nodeId, downMs, lostPublishes: this.#lostPublishes - this.#lostAtLoss },
      'cluster bus back: re-syncing the cluster view',
    );
    // Whatever was sent or missed meanwhile, compare digests with every node now.
    this.#syncing.clear();
    for (const node of this.#peers.keys()) this.#unconfirmed.add(node);
    this.#heartbeat(true);
  }

  /** Asks a peer for its share (its digest differs, or it is unknown here); one request at a time. */
  #requestSync(node: string): void {
    const now = Date.now();
    const asked = this.#syncing.get(node);
    if (asked !== undefined && now - asked < Math.max(2 * this.#heartbeatMs, 2_000)) return;
    this.#syncing.set(node, now);
    this.#resyncs++;
    this.#send({ ...this.#base, t: 'sync', to: node });
  }

  /** Forgets a node and everything it contributed (it left, restarted or went silent). */
  #dropNode(node: string): void {
    this.#peers.delete(node);
    this.#syncing.delete(node);
    this.#unconfirmed.delete(node);
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
    if (snapshotForAnother(text, this.nodeId)) return;
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
    this.#unconfirmed.delete(message.n);
    if (!known && message.t !== 'hello' && message.t !== 'snap' && message.t !== 'bye') {
      this.#requestSync(message.n);
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
        if (message.q === 1) this.#heartbeat(false);
        if (known && message.d !== undefined && message.d !== this.#state.digest(message.n))
          this.#requestSync(message.n);
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
        this.#syncing.delete(message.n);
        this.#state.replaceNode(message.n, message.s);
        return;
    }
  }
}
