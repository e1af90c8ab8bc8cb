import type { App } from '../app.js';

/** One entry of the debug console stream of an app. Payloads of encrypted channels stay ciphertext. */
export interface DebugEvent {
  readonly type:
    | 'connection'
    | 'disconnection'
    | 'subscribed'
    | 'unsubscribed'
    | 'api_message'
    | 'client_event'
    | 'member_added'
    | 'member_removed'
    | 'error';
  readonly time: number;
  /** Unique on this node and increasing (so a console that reconnects can skip what it has seen). */
  readonly id: number;
  readonly socketId?: string;
  readonly channel?: string;
  readonly event?: string;
  readonly data?: string;
  readonly userId?: string;
  readonly message?: string;
}

export interface ChannelSummary {
  readonly name: string;
  readonly subscriptionCount: number;
  /** Distinct members, presence channels only. */
  readonly userCount?: number;
}

export interface PublishInput {
  readonly name: string;
  readonly channels: readonly string[];
  readonly data: string;
  readonly socketId?: string;
}

/**
 * What the management API and dashboard may see and do of the realtime engine. The engine
 * implements it; the management layer never reaches into engine internals.
 */
export interface RealtimeView {
  /** Cluster-wide open connections of an app. */
  connectionCount(appId: string): number;
  /** Cluster-wide open connections of all apps of an account. */
  accountConnectionCount(accountId: string): number;
  channels(appId: string): ChannelSummary[];
  presenceUsers(appId: string, channel: string): { id: string; userInfo: unknown }[];
  /** Publishes like `POST /apps/{id}/events`; throws MawjlyError on invalid input or quota. */
  publish(app: App, input: PublishInput): void;
  /**
   * The bounded-buffer limit (MAWJLY_MAX_BUFFERED_BYTES): a stream of these events to a consumer
   * that does not keep up is cut once this many bytes wait unsent.
   */
  readonly maxBufferedBytes: number;
  /**
   * Streams this node's debug events of an app; returns the unsubscribe function. With `replay`, the
   * listener first receives the app's last events on this node (up to 100), then the live ones.
   */
  onDebugEvent(
    appId: string,
    listener: (event: DebugEvent) => void,
    options?: { replay?: boolean },
  ): () => void;
}
