// The realtime engine: this node's sessions and subscriptions, fan-out of encoded events, and the
// reactions to cluster facts reported by the Adapter. Transports and HTTP endpoints see it as the
// `Realtime` port (ports/realtime.ts); the handlers, the publisher and the cluster reactions see it as
// an `EngineContext` (engine-context.ts). Neither hands out the collaborators it was built with.
import type { App } from './app.js';
import { CacheStore } from './cache-store.js';
import type { ClusterFacts, EngineContext } from './engine-context.js';
import { DEFAULT_LIMITS, type EngineLimits, type EngineOptions } from './engine-options.js';
import { handleMessage } from './handlers/message.js';
import { sweepIntervalMs, sweepSessions } from './activity-sweeper.js';
import { admissionProblem, appConnectionsCounter, connectionsCounter } from './admission.js';
import { channelSummaries, presenceMembers } from './channel-summaries.js';
import { reactToCluster } from './cluster-reactions.js';
import { DebugStream, type PublishedEvent } from './debug-stream.js';
import { LocalChannels } from './local-channels.js';
import type { Adapter } from './ports/adapter.js';
import type { AppDirectory } from './ports/app-directory.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { Connection, Outbound } from './ports/connection.js';
import { silentLogger, type Logger } from './ports/logger.js';
import { noopMetrics, type Metrics } from './ports/metrics.js';
import type { HistoryRead } from './ports/channel-history.js';
import type { ChannelState, Realtime } from './ports/realtime.js';
import type { ChannelSummary, DebugEvent, PublishInput } from './ports/realtime-view.js';
import { channelTopic, type TopicFanOut } from './ports/topic-fan-out.js';
import type { UsageMeter } from './ports/usage-meter.js';
import {
  noopWebhookSink,
  type WebhookEmitOptions,
  type WebhookPayload,
  type WebhookSink,
} from './ports/webhook-sink.js';
import { HistoryService } from './history-service.js';
import { MawjlyError } from '../protocol/errors.js';
import { publishEvents } from './publisher.js';
import { SignedInUsers } from './signed-in-users.js';
import { SubscriptionCountThrottle } from './subscription-count-throttle.js';
import { closeWithError, Session, type OutboundBound, type Subscription } from './session.js';
import { encodeCacheMiss, encodeChannelEvent, encodeConnectionEstablished } from '../protocol/codec.js';
import type { ErrorCode } from '../protocol/errors.js';
import { isPresenceChannel } from '../protocol/channel-name.js';
import { generateSocketId } from '../protocol/socket-id.js';

export class Engine implements Realtime, EngineContext {
  readonly limits: EngineLimits;
  readonly directory: AppDirectory;
  /** Read-only cluster facts (the Adapter's writes stay private to the engine). */
  readonly cluster: ClusterFacts;
  readonly usage: UsageMeter;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly cache: CacheStore;
  readonly users: SignedInUsers;
  /** Channel history (serials, recovery); undefined when the engine was built without a store. */
  readonly history: HistoryService | undefined;

  readonly #adapter: Adapter;
  readonly #webhooks: WebhookSink;
  readonly #local = new LocalChannels();

  readonly #sessions = new Set<Session>();
  readonly #byApp = new Map<string, Set<Session>>();
  readonly #debug: DebugStream;
  readonly #countThrottle: SubscriptionCountThrottle;
  readonly #onAppChanged: ((appId: string) => void) | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #unsubscribeDirectory: (() => void) | undefined;
  #lastCacheSweepMs = 0;
  /** The bounded-buffer rule every session's sends go through (see Session). */
  readonly #bound: OutboundBound;
  /** The transport's native fan-out, and (only with one) sessions by socket id for its exclusions. */
  readonly #fanOut: TopicFanOut | undefined;
  readonly #bySocketId: Map<string, Session> | undefined;

  constructor(options: EngineOptions & { onAppChanged?: (appId: string) => void }) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#adapter = options.adapter;
    this.cluster = options.adapter;
    this.directory = options.directory;
    this.usage = options.usage;
    this.#webhooks = options.webhooks ?? noopWebhookSink;
    this.metrics = options.metrics ?? noopMetrics;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.cache = new CacheStore(this.limits.cacheTtlSeconds);
    this.users = new SignedInUsers(this.#adapter);
    this.history = options.history ? new HistoryService(options.history, this.logger) : undefined;
    // A console's backlog replay stays well inside the SSE stream's bounded buffer.
    this.#debug = new DebugStream(
      this.clock,
      Math.min(256 * 1024, Math.floor(this.limits.maxBufferedBytes / 4)),
    );
    this.#countThrottle = new SubscriptionCountThrottle(this.clock);
    this.#onAppChanged = options.onAppChanged;
    this.#fanOut = options.fanOut;
    this.#bySocketId = options.fanOut ? new Map() : undefined;
    this.#bound = {
      maxBufferedBytes: this.limits.maxBufferedBytes,
      overflow: (session) => {
        this.logger.warn(
          {
            socketId: session.socketId,
            appId: session.app.id,
            bufferedBytes: session.connection.bufferedBytes,
          },
          'closing a slow consumer (4100)',
        );
        this.terminate(session, 'over_capacity');
      },
    };
  }

  async start(): Promise<void> {
    await this.#adapter.start(reactToCluster(this, this.#countThrottle, this.#onAppChanged));
    this.#unsubscribeDirectory = this.directory.onChange((appId, app) => {
      this.#applyAppChange(appId, app);
    });
    this.#sweeper = setInterval(() => {
      const now = this.clock.now();
      sweepSessions(this.#sessions, this.limits, now, (session, code) => {
        this.terminate(session, code);
      });
      if (now - this.#lastCacheSweepMs > 60_000) {
        this.#lastCacheSweepMs = now;
        this.cache.sweep(now);
      }
    }, sweepIntervalMs(this.limits));
    this.#sweeper.unref();
  }

  get maxBufferedBytes(): number {
    return this.limits.maxBufferedBytes;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  // --- connections ------------------------------------------------------------------------------

  /**
   * Handshake of a new socket for the app with `appKey`. Refusals (unknown key, disabled app, quota,
   * origin) send the error frame and close with its code; the return value is then undefined.
   */
  openSession(appKey: string, connection: Connection, origin: string | undefined): Session | undefined {
    const app = this.directory.findByKey(appKey);
    const problem = app === undefined ? 'app_not_found' : admissionProblem(app, origin, this.#adapter);
    if (app === undefined || problem !== undefined) {
      const message = app === undefined ? `App key ${appKey.slice(0, 64)} does not exist` : undefined;
      closeWithError(connection, problem ?? 'app_not_found', message);
      return;
    }
    const session = new Session(generateSocketId(), connection, app, this.clock.now(), this.#bound);
    this.#sessions.add(session);
    this.#bySocketId?.set(session.socketId, session);
    let appSessions = this.#byApp.get(app.id);
    if (!appSessions) this.#byApp.set(app.id, (appSessions = new Set()));
    appSessions.add(session);
    this.#adapter.addToCounter(connectionsCounter(app.accountId), 1);
    this.#adapter.addToCounter(appConnectionsCounter(app.id), 1);
    this.metrics.connectionOpened(app.id);
    connection.send(encodeConnectionEstablished(session.socketId, this.limits.activityTimeoutSeconds));
    this.debug(app.id, () => ({ type: 'connection', socketId: session.socketId }));
    return session;
  }

  /** Closes a session from the server side with a Pusher close code. */
  terminate(session: Session, code: ErrorCode, message?: string): void {
    if (session.closed) return;
    // Straight to the connection: the closing frame is not subject to the buffer bound (it is what
    // a socket over its bound is told), and it is one small frame.
    closeWithError(session.connection, code, message);
    this.closeSession(session);
  }

  /** The socket is gone (closed by either side): leave every channel silently and forget it. */
  closeSession(session: Session): void {
    if (session.closed) return;
    const app = session.app;
    for (const [channel, subscription] of session.channels) this.leave(session, channel, subscription);
    session.closed = true;
    this.users.forget(session);
    this.#sessions.delete(session);
    this.#bySocketId?.delete(session.socketId);
    const appSessions = this.#byApp.get(app.id);
    appSessions?.delete(session);
    if (appSessions?.size === 0) this.#byApp.delete(app.id);
    this.#adapter.addToCounter(connectionsCounter(app.accountId), -1);
    this.#adapter.addToCounter(appConnectionsCounter(app.id), -1);
    this.metrics.connectionClosed(app.id);
    this.debug(app.id, () => ({ type: 'disconnection', socketId: session.socketId }));
  }

  /** One text frame from a client. Never throws: bad input gets an error frame. */
  handleMessage(session: Session, text: string): void {
    handleMessage(this, session, text);
  }

  /** A binary frame: the protocol is text-only. */
  handleBinary(session: Session): void {
    session.lastActivityMs = this.clock.now();
    session.pingSentAtMs = 0;
    session.sendError('invalid_message', 'Binary frames are not supported; send JSON text frames');
  }

  // --- channels ---------------------------------------------------------------------------------

  /**
   * Adds a session to a channel. For presence, the cluster learns of the member first, so the
   * other subscribers get member_added and the joiner (not yet in the set) does not.
   */
  join(
    session: Session,
    channel: string,
    userId: string | undefined,
    userInfoJson: string | undefined,
  ): void {
    const appId = session.app.id;
    const entry = this.#local.getOrCreate(appId, channel);
    if (userId !== undefined) {
      const members = (entry.members ??= new Map<string, number>());
      const n = (members.get(userId) ?? 0) + 1;
      members.set(userId, n);
      this.#adapter.setLocalMember(appId, channel, userId, n, userInfoJson);
      session.presenceChannels++;
    }
    entry.sockets.add(session);
    this.#fanOut?.subscribe(session.connection, channelTopic(appId, channel));
    session.channels.set(channel, userId === undefined ? NO_USER : { userId });
  }

  /** Second half of a join, after subscription_succeeded went out: counts, webhooks, cache replay. */
  announceJoin(session: Session, channel: string, cache: boolean): void {
    // The acknowledgement may have found the socket over its buffer bound and closed it.
    if (session.closed) return;
    const app = session.app;
    const entry = this.#local.get(app.id, channel);
    if (!entry) return;
    const before = this.#adapter.subscriptionCount(app.id, channel);
    this.#adapter.setLocalSubscriptions(app.id, channel, entry.sockets.size);
    if (before === 0) this.webhook(app, { name: 'channel_occupied', channel });
    if (cache) {
      const cached = this.cache.find(app.id, channel, this.clock.now());
      if (cached) session.send(encodeChannelEvent(cached.event, channel, cached.data));
      else {
        session.send(encodeCacheMiss(channel));
        this.webhook(app, { name: 'cache_miss', channel });
      }
    }
    this.debug(app.id, () => ({ type: 'subscribed', socketId: session.socketId, channel }));
  }

  leave(session: Session, channel: string, subscription: { readonly userId?: string }): void {
    const app = session.app;
    const entry = this.#local.get(app.id, channel);
    session.channels.delete(channel);
    session.replays?.delete(channel);
    if (!entry) return;
    entry.sockets.delete(session);
    this.#fanOut?.unsubscribe(session.connection, channelTopic(app.id, channel));
    if (subscription.userId !== undefined) {
      const members = (entry.members ??= new Map<string, number>());
      const n = (members.get(subscription.userId) ?? 1) - 1;
      if (n > 0) members.set(subscription.userId, n);
      else members.delete(subscription.userId);
      this.#adapter.setLocalMember(app.id, channel, subscription.userId, n, undefined);
      session.presenceChannels--;
    }
    this.#adapter.setLocalSubscriptions(app.id, channel, entry.sockets.size);
    if (this.#adapter.subscriptionCount(app.id, channel) === 0)
      this.webhook(app, { name: 'channel_vacated', channel });
    this.#local.prune(app.id, channel);
    this.debug(app.id, () => ({ type: 'unsubscribed', socketId: session.socketId, channel }));
  }

  /**
   * Sends one encoded event to this node's subscribers of a channel, except one socket. The text is
   * turned into bytes (and, by the transport, into a frame) once for all of them.
   */
  deliverLocal(app: App, channel: string, text: string, exceptSocketId: string | undefined): number {
    const entry = this.#local.get(app.id, channel);
    if (!entry) return 0;
    const message: Outbound = { text };
    let count = 0;
    // A socket replaying a channel's history holds its live frames (HistoryService.hold), which a
    // topic publish cannot do: while one does, this channel's frames go out one by one.
    if (this.#fanOut && !(this.history !== undefined && replaying(entry.sockets, channel))) {
      // The transport writes to every subscriber (its own backpressure rule closes slow ones with
      // 4100); usage counts the subscribers, less the excluded one when it is among them.
      const except = exceptSocketId === undefined ? undefined : this.#bySocketId?.get(exceptSocketId);
      const excluded = except !== undefined && entry.sockets.has(except);
      this.#fanOut.publish(channelTopic(app.id, channel), message, excluded ? except.connection : undefined);
      count = entry.sockets.size - (excluded ? 1 : 0);
    } else {
      // A socket over its buffer bound is closed on the way and leaves the set: deleting the current
      // entry of a Set during for…of is safe.
      for (const session of entry.sockets) {
        if (session.socketId === exceptSocketId) continue;
        if (session.replays !== undefined && this.history?.hold(this, session, channel, text)) continue;
        if (session.sendShared(message)) count++;
      }
    }
    if (count > 0) {
      this.metrics.messagesOut(
        app.id,
        count,
        count * (message.payload?.length ?? Buffer.byteLength(text, 'utf8')),
      );
      this.usage.addMessages(app, count);
    }
    return count;
  }

  /** Publishes from the HTTP API or the management API; throws MawjlyError on invalid input. */
  publish(app: App, input: PublishInput): void {
    publishEvents(this, app, [input]);
  }

  publishBatch(app: App, inputs: readonly PublishInput[]): void {
    publishEvents(this, app, inputs);
  }

  /** Whether a broadcast on the channel has a receiver: local subscribers or other nodes. */
  reaches(appId: string, channel: string): boolean {
    return this.#local.get(appId, channel) !== undefined || this.#adapter.hasPeers?.() !== false;
  }

  /** Sends one frame to the subscribers of a channel on every node. */
  broadcast(app: App, channel: string, text: string, exceptSocketId: string | undefined): number {
    this.#adapter.publish(app.id, channel, text, exceptSocketId);
    return this.deliverLocal(app, channel, text, exceptSocketId);
  }

  /** `POST users/{id}/terminate_connections`: every node closes the user's signed-in sockets. */
  readHistory(app: App, channel: string, since: number, limit: number): Promise<HistoryRead> {
    if (this.history === undefined) return Promise.reject(new MawjlyError('history_disabled'));
    return this.history.readForApi(app, channel, since, limit);
  }

  terminateUserConnections(app: App, userId: string): void {
    this.#adapter.terminateUser(app.id, userId);
  }

  // --- queries (HTTP API, management) --------------------------------------------------------------

  connectionCount(appId: string): number {
    return this.#adapter.counterTotal(appConnectionsCounter(appId));
  }

  accountConnectionCount(accountId: string): number {
    return this.#adapter.counterTotal(connectionsCounter(accountId));
  }

  channels(appId: string): ChannelSummary[] {
    return channelSummaries(this.#adapter, appId);
  }

  channelNames(appId: string): Iterable<string> {
    return names(this.#adapter.channels(appId));
  }

  channel(appId: string, channel: string): ChannelState {
    const now = this.clock.now();
    const cached = this.cache.find(appId, channel, now);
    return {
      subscriptionCount: this.#adapter.subscriptionCount(appId, channel),
      userCount: isPresenceChannel(channel) ? this.#adapter.memberCount(appId, channel) : 0,
      cached: cached && {
        data: cached.data,
        ttlSeconds: Math.max(0, Math.ceil((cached.expiresAtMs - now) / 1000)),
      },
    };
  }

  presenceUsers(appId: string, channel: string): { id: string; userInfo: unknown }[] {
    return presenceMembers(this.#adapter, appId, channel);
  }

  onDebugEvent(
    appId: string,
    listener: (event: DebugEvent) => void,
    options?: { replay?: boolean },
  ): () => void {
    return this.#debug.listen(appId, listener, options);
  }

  /** Whether someone watches the app's debug events (lets a hot loop skip building closures). */
  isDebugged(appId: string): boolean {
    return this.#debug.watching(appId);
  }

  /** Records a debug event in the app's backlog and passes it to the app's listeners. */
  debug(appId: string, build: () => Omit<DebugEvent, 'time' | 'id'>): void {
    this.#debug.emit(appId, build);
  }

  debugPublished(appId: string, published: PublishedEvent): void {
    this.#debug.emitPublished(appId, published);
  }

  webhook(app: App, event: WebhookPayload, options?: WebhookEmitOptions): void {
    this.#webhooks.emit(app, event, options);
  }

  /** Closes every session with 4200 (reconnect now) and stops timers. */
  async shutdown(): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#unsubscribeDirectory?.();
    this.#countThrottle.close();
    for (const session of [...this.#sessions]) this.terminate(session, 'server_shutting_down');
    await this.#adapter.close();
    await this.history?.close();
  }

  // --- app changes ------------------------------------------------------------------------------

  #applyAppChange(appId: string, app: App | undefined): void {
    this.history?.appChanged(appId, app);
    const sessions = this.#byApp.get(appId);
    if (!sessions) return;
    if (!app) {
      for (const session of [...sessions])
        this.terminate(session, 'app_not_found', 'Application was deleted');
      return;
    }
    if (!app.settings.enabled) {
      for (const session of [...sessions]) this.terminate(session, 'app_disabled');
      return;
    }
    for (const session of sessions) session.app = app;
  }
}

/** The subscription record of every non-presence channel: nothing to remember, so one shared object. */
const NO_USER: Subscription = Object.freeze({});

function* names(channels: Iterable<[string, number]>): Generator<string> {
  for (const [name] of channels) yield name;
}

function replaying(sessions: ReadonlySet<Session>, channel: string): boolean {
  for (const session of sessions) if (session.replays?.has(channel)) return true;
  return false;
}
