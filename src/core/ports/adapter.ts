/**
 * The engine's cluster view. Fan-out to other nodes and every cluster-wide fact (occupied/vacated,
 * presence members, subscription counts, online users, account counters) go through it. The engine
 * keeps only its own sockets; the Adapter tells it about the rest.
 *
 * Transitions are reported through `AdapterEvents` on every node, for local and remote changes alike,
 * so each node notifies its own sockets exactly once.
 */
export interface AdapterEvents {
  /** An event published on another node: deliver to this node's subscribers of the channel. */
  deliver(appId: string, channel: string, text: string, exceptSocketId: string | undefined): void;
  /** The cluster-wide subscription count of a channel changed. */
  subscriptionCountChanged(appId: string, channel: string, total: number): void;
  /** A user became a member of a presence channel (first socket anywhere). `local`: it happened on this node. */
  memberAdded(
    appId: string,
    channel: string,
    userId: string,
    userInfoJson: string | undefined,
    local: boolean,
  ): void;
  /**
   * A user left a presence channel (last socket anywhere). `droppedNode`: it left because that
   * node was dropped from the cluster (silent, restarted or gone); every surviving node reports it.
   */
  memberRemoved(appId: string, channel: string, userId: string, local: boolean, droppedNode?: string): void;
  /** A signed-in user went online (first connection anywhere) or offline (last one closed). */
  userPresenceChanged(appId: string, userId: string, online: boolean): void;
  /** Close this node's connections signed in as the user. */
  terminateUser(appId: string, userId: string): void;
  /** An app's record changed somewhere; reload it. */
  appChanged(appId: string): void;
}

export interface Adapter {
  readonly nodeId: string;
  start(events: AdapterEvents): Promise<void>;
  /** Sends a published event to the other nodes (local delivery is the engine's). */
  publish(appId: string, channel: string, text: string, exceptSocketId: string | undefined): void;
  /** False when no other node can receive a publish (then `publish` would do nothing). */
  hasPeers?(): boolean;

  /** This node's subscriber count of a channel changed. */
  setLocalSubscriptions(appId: string, channel: string, count: number): void;
  /** Cluster-wide subscriptions of a channel. */
  subscriptionCount(appId: string, channel: string): number;
  /** Occupied channels of an app with their cluster-wide subscription counts. */
  channels(appId: string): IterableIterator<[string, number]>;

  /** This node's socket count for a user on a presence channel changed (0 = left). */
  setLocalMember(
    appId: string,
    channel: string,
    userId: string,
    sockets: number,
    userInfoJson: string | undefined,
  ): void;
  /** Distinct members of a presence channel: user id → user_info JSON. */
  members(appId: string, channel: string): ReadonlyMap<string, string | undefined>;
  /** Number of distinct members of a presence channel. */
  memberCount(appId: string, channel: string): number;

  /** This node's count of connections signed in as a user changed. */
  setLocalUserConnections(appId: string, userId: string, count: number): void;
  isUserOnline(appId: string, userId: string): boolean;

  /** Asks every node (this one included) to close the user's connections. */
  terminateUser(appId: string, userId: string): void;
  /** Tells every node (this one included) that an app record changed. */
  notifyAppChanged(appId: string): void;

  /** Adds to a named cluster-wide counter (connections per account, messages per day). */
  addToCounter(name: string, delta: number): void;
  counterTotal(name: string): number;

  /** The state of this node's link to the others. */
  health(): ClusterHealth;

  close(): Promise<void>;
}

/** This node's link to the cluster, for logs, metrics and `/ready`. */
export interface ClusterHealth {
  /** What carries the cluster's messages: `memory`, `redis`, `nats`. */
  readonly bus: string;
  /** `connected`, or `reconnecting` while the bus is lost (this node serves only its own clients). */
  readonly state: 'connected' | 'reconnecting';
  /** When the state last changed (ms since the epoch). */
  readonly since: number;
  /** Other nodes heard from within the node timeout. */
  readonly peers: number;
  /** Events published on this node that reached no other node because the bus was down (cumulative). */
  readonly lostPublishes: number;
  /** Times the bus was lost (cumulative). */
  readonly outages: number;
  /** Snapshots asked of other nodes because their state here disagreed with theirs (cumulative). */
  readonly resyncs: number;
}
