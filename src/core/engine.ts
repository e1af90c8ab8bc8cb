// The realtime engine: this node's sessions and subscriptions, message dispatch, fan-out of encoded
// events, and the reactions to cluster facts reported by the Adapter. Transports hand it connections
// and text frames; the HTTP API calls its publish and query methods.
import type { App } from './app.js';
import { CacheStore } from './cache-store.js';
import { DEFAULT_LIMITS, type EngineLimits, type EngineOptions } from './engine-options.js';
import { handleClientEvent } from './handlers/client-event.js';
import { handleDecryptionReport } from './handlers/decryption-report.js';
import { handleSignin } from './handlers/signin.js';
import { handleSubscribe } from './handlers/subscribe.js';
import { handleUnsubscribe } from './handlers/unsubscribe.js';
import { sweepIntervalMs, sweepSessions } from './activity-sweeper.js';
import { admissionProblem, appConnectionsCounter, connectionsCounter } from './admission.js';
import { channelSummaries, presenceMembers } from './channel-summaries.js';
import { reactToCluster } from './cluster-reactions.js';
import { DebugStream } from './debug-stream.js';
import { LocalChannels } from './local-channels.js';
import type { Adapter } from './ports/adapter.js';
import type { AppDirectory } from './ports/app-directory.js';
import { systemClock, type Clock } from './ports/clock.js';
import type { Connection, Outbound } from './ports/connection.js';
import { silentLogger, type Logger } from './ports/logger.js';
import { noopMetrics, type Metrics } from './ports/metrics.js';
import type { ChannelSummary, DebugEvent, PublishInput, RealtimeView } from './ports/realtime-view.js';
import type { UsageMeter } from './ports/usage-meter.js';
import {
  noopWebhookSink,
  type WebhookEmitOptions,
  type WebhookPayload,
  type WebhookSink,
} from './ports/webhook-sink.js';
import { publishEvents } from './publisher.js';
import { SignedInUsers } from './signed-in-users.js';
import { SubscriptionCountThrottle } from './subscription-count-throttle.js';
import { Session, type OutboundBound, type Subscription } from './session.js';
import {
  encodeCacheMiss,
  encodeChannelEvent,
  encodeConnectionEstablished,
  encodeError,
  parseClientFrame,
} from '../protocol/codec.js';
import { ERRORS, type ErrorCode } from '../protocol/errors.js';
import { CLIENT_EVENT_PREFIX, MawjlyEvent, PusherEvent } from '../protocol/events.js';
import { generateSocketId } from '../protocol/socket-id.js';

export class Engine implements RealtimeView {
  readonly limits: EngineLimits;
  readonly adapter: Adapter;
  readonly directory: AppDirectory;
  readonly usage: UsageMeter;
  readonly webhooks: WebhookSink;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly local = new LocalChannels();
  readonly cache: CacheStore;
  readonly users: SignedInUsers;

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

  constructor(options: EngineOptions & { onAppChanged?: (appId: string) => void }) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.adapter = options.adapter;
    this.directory = options.directory;
    this.usage = options.usage;
    this.webhooks = options.webhooks ?? noopWebhookSink;
    this.metrics = options.metrics ?? noopMetrics;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.cache = new CacheStore(this.limits.cacheTtlSeconds);
    this.users = new SignedInUsers(this.adapter);
    // A console's backlog replay stays well inside the SSE stream's bounded buffer.
    this.#debug = new DebugStream(
      this.clock,
      Math.min(256 * 1024, Math.floor(this.limits.maxBufferedBytes / 4)),
    );
    this.#countThrottle = new SubscriptionCountThrottle(this.clock);
    this.#onAppChanged = options.onAppChanged;
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
    await this.adapter.start(reactToCluster(this, this.#countThrottle, this.#onAppChanged));
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
    const problem = app === undefined ? 'app_not_found' : admissionProblem(app, origin, this.adapter);
    if (app === undefined || problem !== undefined) {
      const message = app === undefined ? `App key ${appKey.slice(0, 64)} does not exist` : undefined;
      this.#refuse(connection, problem ?? 'app_not_found', message);
      return;
    }
    const session = new Session(generateSocketId(), connection, app, this.clock.now(), this.#bound);
    this.#sessions.add(session);
    let appSessions = this.#byApp.get(app.id);
    if (!appSessions) this.#byApp.set(app.id, (appSessions = new Set()));
    appSessions.add(session);
    this.adapter.addToCounter(connectionsCounter(app.accountId), 1);
    this.adapter.addToCounter(appConnectionsCounter(app.id), 1);
    this.metrics.connectionOpened(app.id);
    connection.send(encodeConnectionEstablished(session.socketId, this.limits.activityTimeoutSeconds));
    this.debug(app.id, () => ({ type: 'connection', socketId: session.socketId }));
    return session;
  }

  #refuse(connection: Connection, code: ErrorCode, message?: string): void {
    const spec = ERRORS[code];
    const pusherCode = 'pusherCode' in spec ? spec.pusherCode : 4000;
    const text = message ?? spec.message;
    connection.send(encodeError(pusherCode, text));
    connection.close(pusherCode, text);
  }

  /** Closes a session from the server side with a Pusher close code. */
  terminate(session: Session, code: ErrorCode, message?: string): void {
    if (session.closed) return;
    const spec = ERRORS[code];
    const pusherCode = 'pusherCode' in spec ? spec.pusherCode : 4000;
    const text = message ?? spec.message;
    // Straight to the connection: the closing frame is not subject to the buffer bound (it is what
    // a socket over its bound is told), and it is one small frame.
    session.connection.send(encodeError(pusherCode, text));
    session.connection.close(pusherCode, text);
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
    const appSessions = this.#byApp.get(app.id);
    appSessions?.delete(session);
    if (appSessions?.size === 0) this.#byApp.delete(app.id);
    this.adapter.addToCounter(connectionsCounter(app.accountId), -1);
    this.adapter.addToCounter(appConnectionsCounter(app.id), -1);
    this.metrics.connectionClosed(app.id);
    this.debug(app.id, () => ({ type: 'disconnection', socketId: session.socketId }));
  }

  /** One text frame from a client. Never throws: bad input gets an error frame. */
  handleMessage(session: Session, text: string): void {
    if (session.closed) return;
    const now = this.clock.now();
    session.lastActivityMs = now;
    session.pingSentAtMs = 0;
    this.metrics.messageIn(session.app.id, Buffer.byteLength(text, 'utf8'));
    const frame = parseClientFrame(text);
    if (!frame) {
      session.sendError('invalid_message');
      this.debug(session.app.id, () => ({
        type: 'error',
        socketId: session.socketId,
        message: 'invalid message',
      }));
      return;
    }
    try {
      switch (frame.event) {
        case PusherEvent.ping:
          session.send(PONG);
          return;
        case PusherEvent.pong:
          return;
        case PusherEvent.subscribe:
          handleSubscribe(this, session, frame);
          return;
        case PusherEvent.unsubscribe:
          handleUnsubscribe(this, session, frame);
          return;
        case PusherEvent.signin:
          handleSignin(this, session, frame);
          return;
        case MawjlyEvent.decryptionFailures:
          handleDecryptionReport(this, session, frame);
          return;
        default:
          if (frame.event.startsWith(CLIENT_EVENT_PREFIX)) {
            handleClientEvent(this, session, frame);
            return;
          }
          session.sendError('unknown_event', `Unknown event '${frame.event.slice(0, 100)}'`);
      }
    } catch (error) {
      this.logger.error({ err: error, socketId: session.socketId }, 'error while handling a client frame');
      session.sendError('internal');
    }
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
    const entry = this.local.getOrCreate(appId, channel);
    if (userId !== undefined) {
      const members = (entry.members ??= new Map<string, number>());
      const n = (members.get(userId) ?? 0) + 1;
      members.set(userId, n);
      this.adapter.setLocalMember(appId, channel, userId, n, userInfoJson);
      session.presenceChannels++;
    }
    entry.sockets.add(session);
    session.channels.set(channel, userId === undefined ? NO_USER : { userId });
  }

  /** Second half of a join, after subscription_succeeded went out: counts, webhooks, cache replay. */
  announceJoin(session: Session, channel: string, cache: boolean): void {
    // The acknowledgement may have found the socket over its buffer bound and closed it.
    if (session.closed) return;
    const app = session.app;
    const entry = this.local.get(app.id, channel);
    if (!entry) return;
    const before = this.adapter.subscriptionCount(app.id, channel);
    this.adapter.setLocalSubscriptions(app.id, channel, entry.sockets.size);
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
    const entry = this.local.get(app.id, channel);
    session.channels.delete(channel);
    if (!entry) return;
    entry.sockets.delete(session);
    if (subscription.userId !== undefined) {
      const members = (entry.members ??= new Map<string, number>());
      const n = (members.get(subscription.userId) ?? 1) - 1;
      if (n > 0) members.set(subscription.userId, n);
      else members.delete(subscription.userId);
      this.adapter.setLocalMember(app.id, channel, subscription.userId, n, undefined);
      session.presenceChannels--;
    }
    this.adapter.setLocalSubscriptions(app.id, channel, entry.sockets.size);
    if (this.adapter.subscriptionCount(app.id, channel) === 0)
      this.webhook(app, { name: 'channel_vacated', channel });
    this.local.prune(app.id, channel);
    this.debug(app.id, () => ({ type: 'unsubscribed', socketId: session.socketId, channel }));
  }

  /**
   * Sends one encoded event to this node's subscribers of a channel, except one socket. The text is
   * turned into bytes (and, by the transport, into a frame) once for all of them.
   */
  deliverLocal(app: App, channel: string, text: string, exceptSocketId: string | undefined): number {
    const entry = this.local.get(app.id, channel);
    if (!entry) return 0;
    const message: Outbound = { text };
    let count = 0;
    // A socket over its buffer bound is closed on the way and leaves the set: deleting the current
    // entry of a Set during for…of is safe.
    for (const session of entry.sockets) {
      if (session.socketId === exceptSocketId) continue;
      if (session.sendShared(message)) count++;
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

  /** Sends one frame to the subscribers of a channel on every node. */
  broadcast(app: App, channel: string, text: string, exceptSocketId: string | undefined): number {
    this.adapter.publish(app.id, channel, text, exceptSocketId);
    return this.deliverLocal(app, channel, text, exceptSocketId);
  }

  /** `POST users/{id}/terminate_connections`: every node closes the user's signed-in sockets. */
  terminateUserConnections(app: App, userId: string): void {
    this.adapter.terminateUser(app.id, userId);
  }

  // --- queries (HTTP API, management) --------------------------------------------------------------

  connectionCount(appId: string): number {
    return this.adapter.counterTotal(appConnectionsCounter(appId));
  }

  accountConnectionCount(accountId: string): number {
    return this.adapter.counterTotal(connectionsCounter(accountId));
  }

  channels(appId: string): ChannelSummary[] {
    return channelSummaries(this.adapter, appId);
  }

  presenceUsers(appId: string, channel: string): { id: string; userInfo: unknown }[] {
    return presenceMembers(this.adapter, appId, channel);
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

  webhook(app: App, event: WebhookPayload, options?: WebhookEmitOptions): void {
    this.webhooks.emit(app, event, options);
  }

  /** Closes every session with 4200 (reconnect now) and stops timers. */
  async shutdown(): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#unsubscribeDirectory?.();
    this.#countThrottle.close();
    for (const session of [...this.#sessions]) this.terminate(session, 'server_shutting_down');
    await this.adapter.close();
  }

  // --- app changes ------------------------------------------------------------------------------

  #applyAppChange(appId: string, app: App | undefined): void {
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

const PONG = JSON.stringify({ event: PusherEvent.pong, data: '{}' });
