// The replicated cluster view of one node: every node's share of subscriptions, presence members,
// signed-in users and counters. Changes from this node and from others are applied by the same code,
// and transitions (first member anywhere, last member anywhere, online/offline, count changes) are
// reported to the engine through AdapterEvents. The ClusterAdapter moves the changes over the bus.
import type { AdapterEvents } from '../core/ports/adapter.js';
import type { Snapshot } from './cluster-messages.js';

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

type Nested<T> = Map<string, Map<string, T>>;

function nested<T>(map: Nested<T>, a: string): Map<string, T> {
  let inner = map.get(a);
  if (!inner) map.set(a, (inner = new Map<string, T>()));
  return inner;
}

export class ClusterState {
  readonly #self: string;
  events: AdapterEvents | undefined;
  /** app → channel → entry */
  readonly #subs: Nested<ChannelEntry> = new Map();
  /** app → channel → user → entry */
  readonly #members = new Map<string, Map<string, Map<string, MemberEntry>>>();
  /** app → user → entry */
  readonly #users: Nested<CountEntry> = new Map();
  readonly #counters = new Map<string, CountEntry>();
  /** The node being dropped, while dropNode runs (reported with the members it takes along). */
  #dropping: string | undefined;

  constructor(selfNodeId: string) {
    this.#self = selfNodeId;
  }

  subscriptionCount(appId: string, channel: string): number {
    return this.#subs.get(appId)?.get(channel)?.total ?? 0;
  }

  *channels(appId: string): IterableIterator<[string, number]> {
    const app = this.#subs.get(appId);
    if (!app) return;
    for (const [channel, entry] of app) if (entry.total > 0) yield [channel, entry.total];
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

  isUserOnline(appId: string, userId: string): boolean {
    return (this.#users.get(appId)?.get(userId)?.total ?? 0) > 0;
  }

  counterTotal(name: string): number {
    return this.#counters.get(name)?.total ?? 0;
  }

  /** Adds to this node's own value of a counter; returns the new own value. */
  addToLocalCounter(name: string, delta: number): number {
    let entry = this.#counters.get(name);
    if (!entry) this.#counters.set(name, (entry = { total: 0, byNode: new Map() }));
    const value = (entry.byNode.get(this.#self) ?? 0) + delta;
    entry.byNode.set(this.#self, value);
    entry.total += delta;
    return value;
  }

  localCounter(name: string): number {
    return this.#counters.get(name)?.byNode.get(this.#self) ?? 0;
  }

  applySubs(node: string, appId: string, channel: string, count: number): void {
    let entry = this.#subs.get(appId)?.get(channel);
    if (!entry && count === 0) return;
    const app = nested(this.#subs, appId);
    if (!entry) app.set(channel, (entry = { total: 0, local: 0, byNode: undefined }));
    let before: number;
    if (node === this.#self) {
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
    this.events?.subscriptionCountChanged(appId, channel, entry.total);
  }

  applyMember(
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
    const local = node === this.#self;
    if (!wasMember && entry.total > 0) {
      this.events?.memberAdded(appId, channel, userId, entry.info, local);
    } else if (wasMember && entry.total === 0) {
      users.delete(userId);
      if (users.size === 0) app.delete(channel);
      if (app.size === 0) this.#members.delete(appId);
      this.events?.memberRemoved(appId, channel, userId, local, this.#dropping);
    }
  }

  applyUser(node: string, appId: string, userId: string, count: number): void {
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
    if (wasOnline !== entry.total > 0) this.events?.userPresenceChanged(appId, userId, entry.total > 0);
  }

  applyCounter(node: string, name: string, value: number): void {
    let entry = this.#counters.get(name);
    if (!entry) this.#counters.set(name, (entry = { total: 0, byNode: new Map() }));
    const before = entry.byNode.get(node) ?? 0;
    entry.byNode.set(node, value);
    entry.total += value - before;
  }

  /** Removes everything a node contributed (it left or went silent). */
  dropNode(node: string): void {
    this.#dropping = node;
    try {
      this.#drop(node);
    } finally {
      this.#dropping = undefined;
    }
  }

  #drop(node: string): void {
    for (const [appId, channels] of [...this.#subs]) {
      for (const [channel, entry] of [...channels])
        if (entry.byNode?.has(node)) this.applySubs(node, appId, channel, 0);
    }
    for (const [appId, channels] of [...this.#members]) {
      for (const [channel, users] of [...channels]) {
        for (const [userId, entry] of [...users]) {
          if (entry.byNode.has(node)) this.applyMember(node, appId, channel, userId, 0, undefined);
        }
      }
    }
    for (const [appId, users] of [...this.#users]) {
      for (const [userId, entry] of [...users])
        if (entry.byNode.has(node)) this.applyUser(node, appId, userId, 0);
    }
    for (const entry of this.#counters.values()) {
      const value = entry.byNode.get(node);
      if (value !== undefined) {
        entry.total -= value;
        entry.byNode.delete(node);
      }
    }
  }

  snapshot(): Snapshot {
    const subs: [string, string, number][] = [];
    for (const [appId, channels] of this.#subs) {
      for (const [channel, entry] of channels) if (entry.local) subs.push([appId, channel, entry.local]);
    }
    const mem: [string, string, string, number, string | null][] = [];
    for (const [appId, channels] of this.#members) {
      for (const [channel, users] of channels) {
        for (const [userId, entry] of users) {
          const k = entry.byNode.get(this.#self);
          if (k) mem.push([appId, channel, userId, k, entry.info ?? null]);
        }
      }
    }
    const usr: [string, string, number][] = [];
    for (const [appId, users] of this.#users) {
      for (const [userId, entry] of users) {
        const k = entry.byNode.get(this.#self);
        if (k) usr.push([appId, userId, k]);
      }
    }
    const ctr: Record<string, number> = {};
    for (const [name, entry] of this.#counters) {
      const value = entry.byNode.get(this.#self);
      if (value) ctr[name] = value;
    }
    return { subs, mem, usr, ctr };
  }
}
