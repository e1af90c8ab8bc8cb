// The replicated cluster view of one node: every node's share of subscriptions, presence members,
// signed-in users and counters. Changes from this node and from others are applied by the same code,
// and transitions (first member anywhere, last member anywhere, online/offline, count changes) are
// reported to the engine through AdapterEvents. The ClusterAdapter moves the changes over the bus.
//
// Each node's share also has a digest, kept up to date with every change (O(1) per change): the sum,
// modulo 2^32 per half, of a 64-bit hash of every entry (kind, names, count). Two nodes holding the
// same share compute the same digest, whatever order the changes came in, so a heartbeat carrying
// the sender's digest lets every receiver check its copy of that share without sending the share.
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

/** A counter's entry also keeps its key's hash lanes: counters change on every publish. */
interface CounterEntry extends CountEntry {
  readonly keyA: number;
  readonly keyB: number;
}

function counterEntry(name: string): CounterEntry {
  hashKey(`c${SEP}${name}${SEP}`);
  return { total: 0, byNode: new Map(), keyA: laneA, keyB: laneB };
}

type Nested<T> = Map<string, Map<string, T>>;

/** Running digest of one node's share: two 32-bit sums of entry hashes. */
interface Digest {
  lo: number;
  hi: number;
}

const SEP = '\u0000';

/**
 * The two 32-bit lanes of a key's hash, before the count is mixed in (kept in module variables so
 * the hot path allocates nothing). Multiplicative lanes over the UTF-16 code units: not
 * cryptographic (the bus is trusted), only well spread, and cheap enough for every change.
 */
let laneA = 0;
let laneB = 0;
function hashKey(key: string): void {
  let a = 0x811c9dc5;
  let b = 0x5bd1e995;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x2c1b3c6d) ^ (b >>> 15);
  }
  laneA = a;
  laneB = b;
}

/** Adds (sign 1) or removes (sign -1) the hash of (last hashed key, count), with a final avalanche. */
function mix(digest: Digest, count: number, sign: 1 | -1): void {
  let a = Math.imul(laneA ^ count, 0x01000193) ^ (count / 0x100000000);
  let b = Math.imul(laneB ^ count, 0x2c1b3c6d);
  a ^= b >>> 13;
  a = Math.imul(a ^ (a >>> 16), 0x85ebca6b);
  a ^= a >>> 13;
  b ^= a >>> 11;
  b = Math.imul(b ^ (b >>> 16), 0xc2b2ae35);
  b ^= b >>> 16;
  digest.lo = (digest.lo + sign * (a >>> 0)) >>> 0;
  digest.hi = (digest.hi + sign * (b >>> 0)) >>> 0;
}

function hex(digest: Digest | undefined): string {
  if (!digest) return '0';
  return digest.hi.toString(16).padStart(8, '0') + digest.lo.toString(16).padStart(8, '0');
}

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
  readonly #counters = new Map<string, CounterEntry>();
  /** node → digest of that node's share as held here. */
  readonly #digests = new Map<string, Digest>();
  /** The node being dropped, while dropNode runs (reported with the members it takes along). */
  #dropping: string | undefined;

  constructor(selfNodeId: string) {
    this.#self = selfNodeId;
  }

  /**
   * Digest of a node's share as held here (this node's own: its live state). Equal digests on two
   * nodes mean equal copies; `'0'` is the empty share.
   */
  digest(node: string): string {
    const digest = this.#digests.get(node);
    return digest && (digest.lo !== 0 || digest.hi !== 0) ? hex(digest) : '0';
  }

  /** Moves a node's digest from the entry `key + before` to `key + after` (0 = absent). */
  #rehash(node: string, key: string, before: number, after: number): void {
    if (before === after) return;
    let digest = this.#digests.get(node);
    if (!digest) this.#digests.set(node, (digest = { lo: 0, hi: 0 }));
    hashKey(key);
    if (before !== 0) mix(digest, before, -1);
    if (after !== 0) mix(digest, after, 1);
  }

  /** #rehash of a counter, from the lanes its entry keeps. */
  #rehashCounter(node: string, entry: CounterEntry, before: number, after: number): void {
    if (before === after) return;
    let digest = this.#digests.get(node);
    if (!digest) this.#digests.set(node, (digest = { lo: 0, hi: 0 }));
    laneA = entry.keyA;
    laneB = entry.keyB;
    if (before !== 0) mix(digest, before, -1);
    if (after !== 0) mix(digest, after, 1);
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
    if (!entry) this.#counters.set(name, (entry = counterEntry(name)));
    const before = entry.byNode.get(this.#self) ?? 0;
    const value = before + delta;
    entry.byNode.set(this.#self, value);
    entry.total += delta;
    this.#rehashCounter(this.#self, entry, before, value);
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
    this.#rehash(node, `s${SEP}${appId}${SEP}${channel}${SEP}`, before, count);
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
    this.#rehash(node, `m${SEP}${appId}${SEP}${channel}${SEP}${userId}${SEP}`, before, count);
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
    this.#rehash(node, `u${SEP}${appId}${SEP}${userId}${SEP}`, before, count);
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
    if (!entry) this.#counters.set(name, (entry = counterEntry(name)));
    const before = entry.byNode.get(node) ?? 0;
    if (value === 0) entry.byNode.delete(node);
    else entry.byNode.set(node, value);
    entry.total += value - before;
    this.#rehashCounter(node, entry, before, value);
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
    this.#digests.delete(node);
  }

  /**
   * Makes another node's share here exactly `snapshot`: entries it no longer claims are removed,
   * the others set. Transitions are reported for the difference only, so a snapshot equal to what
   * is held changes nothing and notifies nobody.
   */
  replaceNode(node: string, snapshot: Snapshot): void {
    if (node === this.#self) return;
    const subs = new Set(snapshot.subs.map(([a, c]) => a + SEP + c));
    for (const [appId, channels] of [...this.#subs]) {
      for (const [channel, entry] of [...channels])
        if (entry.byNode?.has(node) && !subs.has(appId + SEP + channel))
          this.applySubs(node, appId, channel, 0);
    }
    const mem = new Set(snapshot.mem.map(([a, c, u]) => a + SEP + c + SEP + u));
    for (const [appId, channels] of [...this.#members]) {
      for (const [channel, users] of [...channels]) {
        for (const [userId, entry] of [...users]) {
          if (entry.byNode.has(node) && !mem.has(appId + SEP + channel + SEP + userId))
            this.applyMember(node, appId, channel, userId, 0, undefined);
        }
      }
    }
    const usr = new Set(snapshot.usr.map(([a, u]) => a + SEP + u));
    for (const [appId, users] of [...this.#users]) {
      for (const [userId, entry] of [...users])
        if (entry.byNode.has(node) && !usr.has(appId + SEP + userId)) this.applyUser(node, appId, userId, 0);
    }
    for (const [name, entry] of this.#counters)
      if (entry.byNode.has(node) && !(name in snapshot.ctr)) this.applyCounter(node, name, 0);

    for (const [a, c, k] of snapshot.subs) this.applySubs(node, a, c, k);
    for (const [a, c, u, k, i] of snapshot.mem) this.applyMember(node, a, c, u, k, i ?? undefined);
    for (const [a, u, k] of snapshot.usr) this.applyUser(node, a, u, k);
    for (const [name, value] of Object.entries(snapshot.ctr)) this.applyCounter(node, name, value);
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
