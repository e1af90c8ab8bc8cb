import type { Adapter } from './ports/adapter.js';
import type { ChannelHistory } from './ports/channel-history.js';
import type { AppDirectory } from './ports/app-directory.js';
import type { Clock } from './ports/clock.js';
import type { Logger } from './ports/logger.js';
import type { Metrics } from './ports/metrics.js';
import type { TopicFanOut } from './ports/topic-fan-out.js';
import type { UsageMeter } from './ports/usage-meter.js';
import type { WebhookSink } from './ports/webhook-sink.js';

export interface EngineLimits {
  /** `activity_timeout` told to clients; the server pings a socket silent for this long. */
  readonly activityTimeoutSeconds: number;
  readonly pongTimeoutMs: number;
  /** Authorized-connections deadline (closed with 4009 after it). */
  readonly authorizationTimeoutMs: number;
  /** Unsent bytes after which a slow socket is closed with 4100. */
  readonly maxBufferedBytes: number;
  readonly cacheTtlSeconds: number;
  /** Channels one socket may be subscribed to at once; more get `subscription_limit`. */
  readonly maxChannelsPerSocket: number;
  /** Presence channels one socket may be a member of at once; more get `presence_channel_limit`. */
  readonly maxPresencePerSocket: number;
  /** Refuse non-envelope data on encrypted channels (PRODUCT.md "Encrypted channels" point 3). */
  readonly checkEncryptedEnvelope: boolean;
}

export const DEFAULT_LIMITS: EngineLimits = {
  activityTimeoutSeconds: 120,
  pongTimeoutMs: 30_000,
  authorizationTimeoutMs: 30_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  cacheTtlSeconds: 1800,
  maxChannelsPerSocket: 100,
  maxPresencePerSocket: 10,
  checkEncryptedEnvelope: true,
};

export interface EngineOptions {
  readonly directory: AppDirectory;
  readonly adapter: Adapter;
  readonly usage: UsageMeter;
  readonly webhooks?: WebhookSink;
  readonly metrics?: Metrics;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly limits?: Partial<EngineLimits>;
  /** The transport's native fan-out (uWebSockets.js topics); absent, the engine sends to each subscriber. */
  readonly fanOut?: TopicFanOut;
  /** Where channel history is kept (adapters/channel-history-factory.ts); default: in memory. */
  readonly history?: ChannelHistory;
}
