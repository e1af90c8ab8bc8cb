import type { Connection, Outbound } from './connection.js';

/**
 * Fan-out done by the transport itself (uWebSockets.js topics: one call frames the message once
 * and writes it, corked, to every subscriber in native code). Without one, the engine loops over a
 * channel's sessions and sends to each (the `ws` transport). Topics are opaque strings built by the
 * engine; connections are the transport's own.
 */
export interface TopicFanOut {
  subscribe(connection: Connection, topic: string): void;
  /** A connection already closed is unsubscribed by the transport itself: then this does nothing. */
  unsubscribe(connection: Connection, topic: string): void;
  /**
   * Sends `message` to every connection subscribed to `topic`, except `except`: `deliveries`
   * connections, as the core counts them.
   */
  publish(topic: string, message: Outbound, except: Connection | undefined, deliveries: number): void;
}

/** A channel's topic (channel names cannot hold a newline). */
export function channelTopic(appId: string, channel: string): string {
  return `${appId}\n${channel}`;
}
