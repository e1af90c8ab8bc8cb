// What the parts of the engine that act on a client frame or a cluster fact (the handlers, the
// publisher, the cluster reactions) may use: a few actions on channels and sessions, and read-only
// ports. They depend on this interface, not on the Engine class, so src/core has no import circle
// and none of them can reach a collaborator it was not given (the Adapter's writes, the sessions).
import type { App } from './app.js';
import type { CacheStore } from './cache-store.js';
import type { EngineLimits } from './engine-options.js';
import type { HistoryService } from './history-service.js';
import type { PublishedEvent } from './debug-stream.js';
import type { Adapter } from './ports/adapter.js';
import type { AppDirectory } from './ports/app-directory.js';
import type { Clock } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import type { Metrics } from './ports/metrics.js';
import type { DebugEvent } from './ports/realtime-view.js';
import type { UsageMeter } from './ports/usage-meter.js';
import type { WebhookEmitOptions, WebhookPayload } from './ports/webhook-sink.js';
import type { ReplayHold, Session } from './session.js';
import type { SignedInUsers } from './signed-in-users.js';
import type { ErrorCode } from '../protocol/errors.js';

/** The cluster-wide facts a handler may read (never write: joins and leaves go through the context). */
export type ClusterFacts = Pick<Adapter, 'members' | 'memberCount' | 'subscriptionCount'>;

export interface EngineContext {
  // --- read-only ports ---
  readonly limits: EngineLimits;
  readonly directory: Pick<AppDirectory, 'findById'>;
  readonly cluster: ClusterFacts;
  readonly usage: UsageMeter;
  readonly metrics: Metrics;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Last events of cache channels on this node. */
  readonly cache: CacheStore;
  /** This node's signed-in sessions and watchlists. */
  readonly users: SignedInUsers;
  /** Channel history (serials, recovery); undefined when the engine keeps none. */
  readonly history: HistoryService | undefined;
  /** MAWJLY_MAX_BUFFERED_BYTES (a replay's held frames count against it). */
  readonly maxBufferedBytes: number;

  // --- channels ---
  /** Adds a session to a channel (presence: `userId` and its user_info); no frame is sent. */
  join(session: Session, channel: string, userId: string | undefined, userInfoJson: string | undefined): void;
  /** Second half of a join, after subscription_succeeded went out: counts, webhooks, cache replay. */
  announceJoin(session: Session, channel: string, cache: boolean): void;
  leave(session: Session, channel: string, subscription: { readonly userId?: string }): void;
  /**
   * Sends one frame to the subscribers of a channel on every node; returns local deliveries. With a
   * `tally`, the deliveries are added to it instead of to metrics and usage: the caller counts a
   * batch of broadcasts at once (publishEvents).
   */
  broadcast(
    app: App,
    channel: string,
    text: string,
    exceptSocketId: string | undefined,
    tally?: DeliveryTally,
  ): number;
  /**
   * Whether a frame broadcast on the channel could reach anyone: this node has subscribers of it, or
   * the cluster has other nodes. When not, a publisher need not build the frame.
   */
  reaches(appId: string, channel: string): boolean;
  /** Sends one frame to this node's subscribers of a channel only; returns the deliveries. */
  deliverLocal(app: App, channel: string, text: string, exceptSocketId: string | undefined): number;
  /** Holds the channel's live frames for the session during a history replay (HistoryService). */
  startHold(session: Session, channel: string, hold: ReplayHold): void;
  /** Ends the session's hold of the channel, if any. */
  endHold(session: Session, channel: string): void;

  // --- sessions, debug console, webhooks ---
  /** Closes a session from the server side with the Pusher close code of `code`. */
  terminate(session: Session, code: ErrorCode, message?: string): void;
  /** Records a debug event (built only when someone may read it). */
  debug(appId: string, build: () => Omit<DebugEvent, 'time' | 'id'>): void;
  /** Records a publish as the console's `api_message` (kept raw until a console reads it). */
  debugPublished(appId: string, published: PublishedEvent): void;
  /** Hands a webhook event to the sink, which decides whether and when it is sent. */
  webhook(app: App, event: WebhookPayload, options?: WebhookEmitOptions): void;
}

/** Deliveries (and their bytes) of several broadcasts, counted once by the caller. */
export interface DeliveryTally {
  count: number;
  bytes: number;
}
