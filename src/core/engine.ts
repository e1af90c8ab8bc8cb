// The realtime engine: this node's sessions and subscriptions, fan-out of encoded events, and the
// reactions to cluster facts reported by the Adapter. Transports and HTTP endpoints see it as the
// `Realtime` port (ports/realtime.ts); the handlers, the publisher and the cluster reactions see it as
// an `EngineContext` (engine-context.ts). Neither hands out the collaborators it was built with.
import type { App } from './app.js';
import { CacheStore } from './cache-store.js';
import type { ClusterFacts, DeliveryTally, EngineContext } from './engine-context.js';
import { DEFAULT_LIMITS, type EngineLimits, type EngineOptions } from './engine-options.js';
import { handleMessage } from './handlers/message.js';
import { startSweeper } from './activity-sweeper.js';
import { SessionRegistry } from './session-registry.js';
import { admissionProblem, appConnectionsCounter, connectionsCounter } from './admission.js';
import { channelNames, channelState, channelSummaries, presenceMembers } from './channel-summaries.js';
import { Membership } from './membership.js';
import { reactToCluster } from './cluster-reactions.js';
import { DebugStream, type PublishedEvent } from './debug-stream.js';
import { LocalDelivery } from './local-delivery.js';
import { applyAppChange } from './app-changes.js';
import type { Adapter } from './ports/adapter.js';
import type { AppDirectory } from './ports/app-directory.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { Connection } from './ports/connection.js';
import { silentLogger, type Logger } from './ports/logger.js';
import { noopMetrics, type Metrics } from './ports/metrics.js';
import type { HistoryRead } from './ports/channel-history.js';
import type { ChannelState, Realtime } from './ports/realtime.js';
import type { ChannelSummary, DebugEvent, PublishInput } from './ports/realtime-view.js';
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
import {
  closeWithError,
  Session,
  slowConsumerBound,
  type OutboundBound,
  type ReplayHold,
} from './session.js';
import { encodeConnectionEstablished } from '../protocol/codec.js';
import type { ErrorCode } from '../protocol/errors.js';
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
  readonly #local: LocalDelivery;
  readonly #membership: Membership;

  readonly #sessions = new SessionRegistry();
  readonly #debug: DebugStream;
  readonly #countThrottle: SubscriptionCountThrottle;
  readonly #onAppChanged: ((appId: string) => void) | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #unsubscribeDirectory: (() => void) | undefined;
  #lastCacheSweepMs = 0;
  /** The bounded-buffer rule every session's sends go through (see Session). */
  readonly #bound: OutboundBound;

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
    this.#local = new LocalDelivery(options.fanOut, this.#sessions);
    this.#membership = new Membership(this.#adapter, this.#local, this);
    this.#bound = slowConsumerBound(this.limits.maxBufferedBytes, this.logger, (session) => {
      this.terminate(session, 'over_capacity');
    });
  }

  async start(): Promise<void> {
    await this.#adapter.start(reactToCluster(this, this.#countThrottle, this.#onAppChanged));
    this.#unsubscribeDirectory = this.directory.onChange((appId, app) => {
      applyAppChange(this, this.#sessions.ofApp(appId), appId, app);
    });
    const terminate = (session: Session, code: ErrorCode): void => {
      this.terminate(session, code);
    };
    this.#sweeper = startSweeper(this.#sessions, this.limits, this.clock, terminate, (now) => {
      if (now - this.#lastCacheSweepMs > 60_000) {
        this.#lastCacheSweepMs = now;
        this.cache.sweep(now);
      }
    });
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
    for (const [channel, subscription] of session.subscriptionList())
      this.leave(session, channel, subscription);
    session.closed = true;
    this.users.forget(session);
    this.#sessions.delete(session);
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

  /** Adds a session to a channel (Membership.join); no frame is sent. */
  join(
    session: Session,
    channel: string,
    userId: string | undefined,
    userInfoJson: string | undefined,
  ): void {
    this.#membership.join(session, channel, userId, userInfoJson);
  }

  /** Second half of a join, after subscription_succeeded went out: counts, webhooks, cache replay. */
  announceJoin(session: Session, channel: string, cache: boolean): void {
    this.#membership.announceJoin(session, channel, cache);
  }

  leave(session: Session, channel: string, subscription: { readonly userId?: string }): void {
    this.#membership.leave(session, channel, subscription);
  }

  startHold(session: Session, channel: string, hold: ReplayHold): void {
    this.#local.startHold(session, channel, hold);
  }

  endHold(session: Session, channel: string): void {
    this.#local.endHold(session, channel);
  }

  /**
   * Sends one encoded event to this node's subscribers of a channel, except one socket
   * (LocalDelivery), and counts the deliveries in metrics and usage.
   */
  deliverLocal(
    app: App,
    channel: string,
    text: string,
    exceptSocketId: string | undefined,
    tally?: DeliveryTally,
  ): number {
    const sent = this.#local.deliver(this.history, this, app, channel, text, exceptSocketId);
    if (sent === undefined || sent.count === 0) return 0;
    const { count, message } = sent;
    const bytes = count * (message.payload?.length ?? Buffer.byteLength(text, 'utf8'));
    if (tally !== undefined) {
      tally.count += count;
      tally.bytes += bytes;
      return count;
    }
    this.metrics.messagesOut(app.id, count, bytes);
    this.usage.addMessages(app, count);
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
    return this.#local.subscribers(appId, channel) > 0 || this.#adapter.hasPeers?.() !== false;
  }

  /** Sends one frame to the subscribers of a channel on every node. */
  broadcast(
    app: App,
    channel: string,
    text: string,
    exceptSocketId: string | undefined,
    tally?: DeliveryTally,
  ): number {
    this.#adapter.publish(app.id, channel, text, exceptSocketId);
    return this.deliverLocal(app, channel, text, exceptSocketId, tally);
  }

  /** `GET channels/{name}/events`: the channel's kept events after `since`. */
  readHistory(app: App, channel: string, since: number, limit: number): Promise<HistoryRead> {
    if (this.history === undefined) return Promise.reject(new MawjlyError('history_disabled'));
    return this.history.readForApi(app, channel, since, limit);
  }

  /** `POST users/{id}/terminate_connections`: every node closes the user's signed-in sockets. */
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
    return channelNames(this.#adapter, appId);
  }

  channel(appId: string, channel: string): ChannelState {
    return channelState(this.#adapter, this.cache, appId, channel, this.clock.now());
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
    for (const session of [...this.#sessions.values()]) this.terminate(session, 'server_shutting_down');
    await this.#adapter.close();
    await this.history?.close();
  }
}
